package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/api"
)

// newKeySecret returns a fresh API key: "mk_" and 256 random bits.
func newKeySecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "mk_" + base64.RawURLEncoding.EncodeToString(b)
}

func createKey(ctx context.Context, ks meshops.KeyStore, name string, admin bool, expires *time.Time, lim meshops.KeyLimits) (string, *meshops.Key, error) {
	secret := newKeySecret()
	k := &meshops.Key{ID: uuid.NewString(), Name: name, Hash: api.HashKey(secret), Prefix: secret[:10], Admin: admin,
		CreatedAt: time.Now().UTC(), ExpiresAt: expires, Limits: lim}
	if err := ks.CreateKey(ctx, k); err != nil {
		return "", nil, err
	}
	return secret, k, nil
}

// bootstrapAdminKey creates the first admin key in an empty store and writes
// it to DATA_DIR/admin-key.txt (mode 0600), returning the path ("" if keys existed).
func bootstrapAdminKey(ctx context.Context, ks meshops.KeyStore, dataDir string) (string, error) {
	n, err := ks.CountKeys(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	secret, _, err := createKey(ctx, ks, "admin", true, nil, meshops.KeyLimits{})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, "admin-key.txt")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// keyFlags are the settings `keys create` and `keys update` take.
type keyFlags struct {
	name, expires, rate                      string
	admin                                    bool
	maxUploads, maxOperations, maxConcurrent int64
	set                                      map[string]bool // flags given on the command line
}

func (kf *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&kf.name, "name", "", "the key's name (unique), e.g. the client it is for")
	fs.BoolVar(&kf.admin, "admin", false, "an admin key (may list keys over HTTP)")
	fs.StringVar(&kf.expires, "expires", "", "expiry: an RFC 3339 time (2027-01-31T00:00:00Z), a duration from now (720h), or never (update only)")
	fs.Int64Var(&kf.maxUploads, "max-uploads", 0, "uploads per calendar month (UTC), 0 = unlimited (429 code 61 beyond)")
	fs.Int64Var(&kf.maxOperations, "max-operations", 0, "operations per calendar month (UTC), 0 = unlimited (429 code 61 beyond)")
	fs.StringVar(&kf.rate, "rate", "", "request rate: N or N/s, N/m, N/h; 0 = unlimited (429 code 11 beyond)")
	fs.Int64Var(&kf.maxConcurrent, "max-concurrent", 0, "operations queued or running at once, 0 = unlimited (429 code 11 beyond)")
}

// update turns the flags given into a KeyUpdate.
func (kf *keyFlags) update() (meshops.KeyUpdate, error) {
	var u meshops.KeyUpdate
	for _, n := range []struct {
		flag string
		v    int64
	}{{"max-uploads", kf.maxUploads}, {"max-operations", kf.maxOperations}, {"max-concurrent", kf.maxConcurrent}} {
		if kf.set[n.flag] && n.v < 0 {
			return u, fmt.Errorf("--%s must be 0 (unlimited) or more", n.flag)
		}
	}
	if kf.set["max-uploads"] {
		u.MaxUploads = &kf.maxUploads
	}
	if kf.set["max-operations"] {
		u.MaxOperations = &kf.maxOperations
	}
	if kf.set["max-concurrent"] {
		n := int(kf.maxConcurrent)
		u.MaxConcurrent = &n
	}
	if kf.set["rate"] {
		r, err := parseRate(kf.rate)
		if err != nil {
			return u, err
		}
		u.Rate = &r
	}
	if kf.set["expires"] {
		t := time.Time{} // never
		if kf.expires != "never" {
			var err error
			if t, err = parseExpiry(kf.expires); err != nil {
				return u, err
			}
		}
		u.ExpiresAt = &t
	}
	return u, nil
}

// parseRate reads "5", "5/s", "120/m" or "1000/h" as requests per second.
func parseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(s, "/")
	per := map[string]float64{"": 1, "s": 1, "m": 60, "h": 3600}[unit]
	r, err := strconv.ParseFloat(num, 64)
	if err != nil || per == 0 || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return 0, fmt.Errorf("--rate %q: use N, N/s, N/m or N/h with N ≥ 0", s)
	}
	return r / per, nil
}

func keys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("keys needs a subcommand: create, update, list or revoke")}
	}
	fs := flag.NewFlagSet("meshops keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var st storeFlags
	st.register(fs)
	var kf keyFlags
	kf.register(fs)
	positional, err := parseFlags(fs, args[1:], getenv)
	if err != nil {
		return err
	}
	kf.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { kf.set[f.Name] = true })
	upd, err := kf.update()
	if err != nil {
		return usageError{err}
	}
	target := kf.name
	if len(positional) > 0 {
		target = positional[0]
	}
	meta, err := st.openMeta(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()

	switch args[0] {
	case "create":
		if kf.name == "" {
			return usageError{fmt.Errorf("keys create needs --name")}
		}
		var k meshops.Key
		upd.Apply(&k)
		secret, created, err := createKey(ctx, meta, kf.name, kf.admin, k.ExpiresAt, k.Limits)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "Created key %q (id %s, %s). It is shown only this once: store it now.\n", created.Name, created.ID, describeLimits(created))
	case "update":
		if target == "" {
			return usageError{fmt.Errorf("keys update needs a key name or id")}
		}
		k, err := meta.UpdateKey(ctx, target, upd)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Updated %s: %s.\n", k.Name, describeLimits(k))
	case "list":
		list, err := meta.ListKeys(ctx)
		if err != nil {
			return err
		}
		period, _ := meshops.QuotaPeriod(time.Now())
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "NAME\tID\tPREFIX\tADMIN\tCREATED\tEXPIRES\tREVOKED\tUPLOADS %s\tOPERATIONS %s\tRATE/S\tCONCURRENT\n", period, period)
		for _, k := range list {
			used, err := meta.QuotaUsage(ctx, k.ID, period)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%v\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.ID, k.Prefix, k.Admin, k.CreatedAt.Format(time.RFC3339),
				fmtTime(k.ExpiresAt), fmtTime(k.RevokedAt), usageOf(used[meshops.QuotaUploads], k.Limits.MaxUploadsPerMonth),
				usageOf(used[meshops.QuotaOperations], k.Limits.MaxOperationsPerMonth), limitOf(k.Limits.RatePerSecond), limitOf(float64(k.Limits.MaxConcurrent)))
		}
		tw.Flush()
	case "revoke":
		if target == "" {
			return usageError{fmt.Errorf("keys revoke needs a key name or id")}
		}
		if err := meta.RevokeKey(ctx, target, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked %s.\n", target)
	default:
		return usageError{fmt.Errorf("unknown keys subcommand %q (create, update, list, revoke)", args[0])}
	}
	return nil
}

func describeLimits(k *meshops.Key) string {
	return fmt.Sprintf("expires %s, uploads/month %s, operations/month %s, rate/s %s, concurrent %s", fmtTime(k.ExpiresAt),
		limitOf(float64(k.Limits.MaxUploadsPerMonth)), limitOf(float64(k.Limits.MaxOperationsPerMonth)),
		limitOf(k.Limits.RatePerSecond), limitOf(float64(k.Limits.MaxConcurrent)))
}

func limitOf(v float64) string {
	if v <= 0 {
		return "unlimited"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func usageOf(used, limit int64) string {
	if limit <= 0 {
		return strconv.FormatInt(used, 10)
	}
	return fmt.Sprintf("%d/%d", used, limit)
}

func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("--expires %q: use an RFC 3339 time or a positive duration such as 720h", s)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

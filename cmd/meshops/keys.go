package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

func createKey(ctx context.Context, ks meshops.KeyStore, name string, admin bool, expires *time.Time) (string, *meshops.Key, error) {
	secret := newKeySecret()
	k := &meshops.Key{ID: uuid.NewString(), Name: name, Hash: api.HashKey(secret), Prefix: secret[:10], Admin: admin,
		CreatedAt: time.Now().UTC(), ExpiresAt: expires}
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
	secret, _, err := createKey(ctx, ks, "admin", true, nil)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dataDir, "admin-key.txt")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

func keys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("keys needs a subcommand: create, list or revoke")}
	}
	fs := flag.NewFlagSet("meshops keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var st storeFlags
	st.register(fs)
	name := fs.String("name", "", "the key's name (unique), e.g. the client it is for")
	admin := fs.Bool("admin", false, "an admin key (may list keys over HTTP)")
	expires := fs.String("expires", "", "expiry: an RFC 3339 time (2027-01-31T00:00:00Z) or a duration from now (720h)")
	positional, err := parseFlags(fs, args[1:], getenv)
	if err != nil {
		return err
	}
	meta, err := st.openMeta(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()

	switch args[0] {
	case "create":
		if *name == "" {
			return usageError{fmt.Errorf("keys create needs --name")}
		}
		var exp *time.Time
		if *expires != "" {
			t, err := parseExpiry(*expires)
			if err != nil {
				return usageError{err}
			}
			exp = &t
		}
		secret, k, err := createKey(ctx, meta, *name, *admin, exp)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "Created key %q (id %s). It is shown only this once: store it now.\n", k.Name, k.ID)
	case "list":
		list, err := meta.ListKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tID\tPREFIX\tADMIN\tCREATED\tEXPIRES\tREVOKED")
		for _, k := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%v\t%s\t%s\t%s\n", k.Name, k.ID, k.Prefix, k.Admin, k.CreatedAt.Format(time.RFC3339), fmtTime(k.ExpiresAt), fmtTime(k.RevokedAt))
		}
		tw.Flush()
	case "revoke":
		target := *name
		if len(positional) > 0 {
			target = positional[0]
		}
		if target == "" {
			return usageError{fmt.Errorf("keys revoke needs a key name or id")}
		}
		if err := meta.RevokeKey(ctx, target, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked %s.\n", target)
	default:
		return usageError{fmt.Errorf("unknown keys subcommand %q (create, list, revoke)", args[0])}
	}
	return nil
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

package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// Config holds the upload limits. Zero values take the API.md defaults.
type Config struct {
	MaxFileBytes  int64         // 512 MiB: larger files are refused with 51
	MaxChunkBytes int64         // 32 MiB: larger chunks are refused with 54
	MaxChunkIndex int           // 100,000
	UploadTTL     time.Duration // 24 h after the last chunk, an incomplete upload expires
}

func (c Config) withDefaults() Config {
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = 512 << 20
	}
	if c.MaxChunkBytes <= 0 {
		c.MaxChunkBytes = 32 << 20
	}
	if c.MaxChunkIndex <= 0 {
		c.MaxChunkIndex = 100000
	}
	if c.UploadTTL <= 0 {
		c.UploadTTL = 24 * time.Hour
	}
	return c
}

// Service applies the upload rules to a metadata store and a blob store.
type Service struct {
	meta    meshops.MetaStore
	blobs   meshops.BlobStore
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	locksMu sync.Mutex
	locks   map[string]*uploadLock // upload id → lock, for appends
}

// New returns a Service. now may be nil (time.Now).
func New(meta meshops.MetaStore, blobs meshops.BlobStore, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{meta: meta, blobs: blobs, cfg: cfg.withDefaults(), log: log, now: now, locks: map[string]*uploadLock{}}
}

// Config returns the limits in force.
func (s *Service) Config() Config { return s.cfg }

// Received is a validated file whose bytes are stored but which has no
// metadata record yet: Create gives it one, Discard removes it.
type Received struct {
	BlobKey   string
	Format    meshops.Format
	SizeBytes int64
	SHA256    string
	Mesh      *meshops.MeshInfo
}

// Meta is the metadata a client supplies with an upload.
type Meta struct {
	ID                string // "" picks a new UUID
	OwnerKeyID        string
	Name              string
	Units             meshops.Units
	SourceOperationID string
}

// CheckNewID validates a client-chosen file id and refuses one already used
// (57), so that a doomed upload fails before its bytes are read.
func (s *Service) CheckNewID(ctx context.Context, id, param string) *meshops.Error {
	if id == "" {
		return nil
	}
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return meshops.InvalidParam(param, "It must be a UUID such as 3f1c9a62-8f0e-4c1e-9a53-2f4b6f1d2e7a.")
	}
	exists, err := s.meta.FileExists(ctx, id)
	if err != nil {
		return internal(err)
	}
	if exists {
		return meshops.ParamErrorf(meshops.CodeFileExists, param, "A file with id %s already exists; choose another id.", id)
	}
	return nil
}

// Receive streams body into a new blob while hashing it and, for STL,
// validating it. The format follows name: a convertible extension
// (.obj .ply .off .3mf .glb .gltf) keeps the bytes as a source file, anything
// else must be STL. declaredSize (-1 if unknown) lets an oversized upload be
// refused before any byte is read. Nothing is kept if it fails.
func (s *Service) Receive(ctx context.Context, name string, declaredSize int64, body io.Reader) (*Received, error) {
	return s.receive(ctx, meshops.SourceFormatForName(name), declaredSize, body)
}

// ReceiveAs stores bytes of a known format (operation outputs): STL is
// validated like an upload, other formats are stored as they are.
func (s *Service) ReceiveAs(ctx context.Context, f meshops.Format, body io.Reader) (*Received, error) {
	if f.IsSTL() {
		f = ""
	}
	return s.receive(ctx, f, -1, body)
}

func (s *Service) receive(ctx context.Context, format meshops.Format, declaredSize int64, body io.Reader) (*Received, error) {
	if declaredSize > s.cfg.MaxFileBytes {
		return nil, tooLarge(s.cfg.MaxFileBytes)
	}
	rec := &Received{BlobKey: "files/" + uuid.NewString(), Format: format}
	v := newValidator(rec.Format == "", s.cfg.MaxFileBytes)
	n, err := s.blobs.Put(ctx, rec.BlobKey, v.reader(body))
	if err != nil {
		if me, ok := meshops.AsError(err); ok {
			return nil, me
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("storing upload: %w", err)
	}
	rec.SizeBytes, rec.SHA256 = n, v.sum()
	if v.scan != nil {
		rec.Format, rec.Mesh = v.stlFormat, v.mesh
	}
	return rec, nil
}

// Create records a received file. On any failure the blob is discarded.
func (s *Service) Create(ctx context.Context, rec *Received, m Meta) (*meshops.File, error) {
	if m.ID == "" {
		m.ID = uuid.NewString()
	}
	f := &meshops.File{
		ID: m.ID, OwnerKeyID: m.OwnerKeyID, Name: CleanName(m.Name, rec.Format), Format: rec.Format,
		SizeBytes: rec.SizeBytes, SHA256: rec.SHA256, Units: m.Units, CreatedAt: s.now().UTC(),
		SourceOperationID: m.SourceOperationID, Mesh: rec.Mesh, BlobKey: rec.BlobKey,
	}
	if f.Units == "" {
		f.Units = meshops.UnitsMM
	}
	if err := s.meta.CreateFile(ctx, f); err != nil {
		s.Discard(rec)
		if errors.Is(err, meshops.ErrExists) {
			return nil, meshops.ParamErrorf(meshops.CodeFileExists, "id", "A file with id %s already exists; choose another id.", f.ID)
		}
		return nil, internal(err)
	}
	return f, nil
}

// Discard removes a received blob that will not become a file.
func (s *Service) Discard(rec *Received) {
	if err := s.blobs.Delete(context.Background(), rec.BlobKey); err != nil {
		s.log.Warn("discarding upload blob", "key", rec.BlobKey, "err", err)
	}
}

// CleanName makes a client-supplied file name safe to store and to send
// back in Content-Disposition: the last path element only, no control
// characters, at most 255 bytes. An empty name becomes "model.stl" (or the
// format's extension).
func CleanName(name string, f meshops.Format) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == "/" || name == ".." {
		name = ""
	}
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		ext := "stl"
		if f != "" && !f.IsSTL() {
			ext = string(f)
		}
		name = "model." + ext
	}
	return name
}

func tooLarge(limit int64) *meshops.Error {
	return meshops.Errorf(meshops.CodeFileTooLarge, "The file exceeds the maximum size of %d bytes; nothing was stored.", limit)
}

// internal wraps an unexpected failure as code 10; its cause is logged by
// the HTTP layer, never shown.
func internal(err error) *meshops.Error {
	return &meshops.Error{Code: meshops.CodeInternal, Message: "Internal error.", Err: err}
}

// validator counts, hashes and (for STL) scans bytes as they stream past.
type validator struct {
	limit     int64
	n         int64
	h         hash.Hash
	scan      *geometry.STLScanner
	stlFormat meshops.Format
	mesh      *meshops.MeshInfo
	// extraCheck, if set, runs at the end of the stream (commit: sha256, size).
	extraCheck func(n int64, sum string) *meshops.Error
}

func newValidator(stl bool, limit int64) *validator {
	v := &validator{limit: limit, h: sha256.New()}
	if stl {
		v.scan = geometry.NewSTLScanner(geometry.STLUnknown, nil)
	}
	return v
}

func (v *validator) sum() string { return hex.EncodeToString(v.h.Sum(nil)) }

func (v *validator) reader(r io.Reader) io.Reader { return &validatingReader{r: r, v: v} }

// finish runs the end-of-stream checks.
func (v *validator) finish() *meshops.Error {
	if v.n == 0 {
		return meshops.Errorf(meshops.CodeFileEmpty, "The file is empty (0 bytes).")
	}
	if v.extraCheck != nil {
		if err := v.extraCheck(v.n, v.sum()); err != nil {
			return err
		}
	}
	if v.scan == nil {
		return nil
	}
	sum, err := v.scan.Finish()
	switch {
	case errors.Is(err, geometry.ErrNoTriangles):
		return meshops.Errorf(meshops.CodeFileEmpty, "The file holds no triangles: %s.", strings.TrimPrefix(err.Error(), "no triangles: "))
	case err != nil:
		return meshops.Errorf(meshops.CodeNotSTL, "The file is not a valid STL file: %s.", strings.TrimPrefix(err.Error(), "not a valid STL file: "))
	}
	v.stlFormat = meshops.FormatSTLBinary
	if sum.Kind == geometry.STLASCII {
		v.stlFormat = meshops.FormatSTLASCII
	}
	v.mesh = &meshops.MeshInfo{Triangles: sum.Triangles}
	for i := range 3 {
		v.mesh.BBoxMin[i], v.mesh.BBoxMax[i] = shortest(sum.Min[i]), shortest(sum.Max[i])
	}
	return nil
}

// shortest widens a float32 to the float64 with the same shortest decimal
// form, so 30.999983 is reported as such rather than as 30.999982833862305.
func shortest(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}

// validatingReader feeds the validator and turns a failed check into a read
// error, which makes BlobStore.Put abort: an invalid upload is never stored.
type validatingReader struct {
	r    io.Reader
	v    *validator
	done bool
}

func (vr *validatingReader) Read(p []byte) (int, error) {
	if vr.done {
		return 0, io.EOF
	}
	// Never read more than one byte past the limit.
	if rest := vr.v.limit + 1 - vr.v.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := vr.r.Read(p)
	if n > 0 {
		vr.v.n += int64(n)
		if vr.v.n > vr.v.limit {
			return 0, tooLarge(vr.v.limit)
		}
		vr.v.h.Write(p[:n])
		if vr.v.scan != nil {
			vr.v.scan.Write(p[:n])
		}
	}
	if err == io.EOF {
		vr.done = true
		if e := vr.v.finish(); e != nil {
			return 0, e
		}
	}
	return n, err
}

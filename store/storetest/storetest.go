// Package storetest is the conformance suite for storage drivers: every
// meshops.MetaStore and meshops.BlobStore driver (SQLite and local disk now,
// PostgreSQL and S3 later) must pass it unchanged.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
)

// TestBlobStore runs the blob conformance suite on stores made by open.
func TestBlobStore(t *testing.T, open func(t *testing.T) meshops.BlobStore) {
	ctx := context.Background()
	t.Run("PutOpenSeek", func(t *testing.T) {
		s := open(t)
		data := bytes.Repeat([]byte("meshops"), 100000)
		n, err := s.Put(ctx, "a/b", bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Put: %d %v", n, err)
		}
		b, err := s.Open(ctx, "a/b")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Size() != int64(len(data)) {
			t.Errorf("Size %d", b.Size())
		}
		if _, err := b.Seek(700, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 14)
		if _, err := io.ReadFull(b, got); err != nil || string(got) != "meshopsmeshops" {
			t.Errorf("after seek read %q %v", got, err)
		}
	})
	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		s := open(t)
		r := io.MultiReader(bytes.NewReader(make([]byte, 3<<20)), failingReader{})
		if _, err := s.Put(ctx, "broken", r); err == nil {
			t.Fatal("Put of a failing reader succeeded")
		}
		if _, err := s.Open(ctx, "broken"); !errors.Is(err, meshops.ErrNotFound) {
			t.Errorf("Open after failed Put: %v, want ErrNotFound", err)
		}
		if keys, _ := s.List(ctx, ""); len(keys) != 0 {
			t.Errorf("failed Put left %v", keys)
		}
	})
	t.Run("CanceledPutLeavesNothing", func(t *testing.T) {
		s := open(t)
		cctx, cancel := context.WithCancel(ctx)
		r := io.MultiReader(bytes.NewReader(make([]byte, 1<<20)), cancelingReader{cancel})
		if _, err := s.Put(cctx, "canceled", r); err == nil {
			t.Fatal("Put survived cancellation")
		}
		if _, err := s.Open(ctx, "canceled"); !errors.Is(err, meshops.ErrNotFound) {
			t.Errorf("Open after canceled Put: %v", err)
		}
	})
	t.Run("DeleteAndList", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"x/1", "x/2", "y/1"} {
			if _, err := s.Put(ctx, k, bytes.NewReader([]byte(k))); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := s.List(ctx, "x/")
		if err != nil || !slices.Equal(keys, []string{"x/1", "x/2"}) {
			t.Errorf("List x/: %v %v", keys, err)
		}
		if err := s.Delete(ctx, "x/1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "x/1"); err != nil {
			t.Errorf("second Delete: %v", err)
		}
		if _, err := s.Open(ctx, "x/1"); !errors.Is(err, meshops.ErrNotFound) {
			t.Errorf("Open deleted: %v", err)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("client went away") }

type cancelingReader struct{ cancel func() }

func (c cancelingReader) Read([]byte) (int, error) {
	c.cancel()
	return 0, context.Canceled
}

// TestMetaStore runs the metadata conformance suite on stores made by open.
func TestMetaStore(t *testing.T, open func(t *testing.T) meshops.MetaStore) {
	t.Run("Files", func(t *testing.T) { testFiles(t, open(t)) })
	t.Run("Uploads", func(t *testing.T) { testUploads(t, open(t)) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, open(t)) })
	t.Run("Quota", func(t *testing.T) { testQuota(t, open(t)) })
	t.Run("Operations", func(t *testing.T) { testOperations(t, open(t)) })
}

func testOperations(t *testing.T, s meshops.MetaStore) {
	ctx := context.Background()
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	mk := func(owner, typ, file string, i int) *meshops.Operation {
		return &meshops.Operation{ID: uuid.NewString(), OwnerKeyID: owner, Type: typ, FileID: file, Params: []byte(`{"a":1}`),
			Status: meshops.StatusQueued, CreatedAt: base.Add(time.Duration(i) * time.Second)}
	}
	enqueued := 0
	op := mk("k1", "analyze", "f1", 0)
	op.IdempotencyKey = "idem-1"
	op.CallbackURL = "https://example.com/hook"
	got, err := s.CreateOperation(ctx, op, func(ctx context.Context, tx any) error { enqueued++; return nil })
	if err != nil || got.ID != op.ID || enqueued != 1 {
		t.Fatalf("create: %v %v", got, err)
	}
	again := mk("k1", "analyze", "f1", 1)
	again.IdempotencyKey = "idem-1"
	got, err = s.CreateOperation(ctx, again, func(ctx context.Context, tx any) error { enqueued++; return nil })
	if !errors.Is(err, meshops.ErrExists) || got.ID != op.ID || enqueued != 1 {
		t.Errorf("same idempotency key: %v %v (enqueued %d)", got, err, enqueued)
	}
	if byKey, err := s.OperationByIdempotencyKey(ctx, "k1", "idem-1"); err != nil || byKey.ID != op.ID {
		t.Errorf("by idempotency key: %v %v", byKey, err)
	}
	if _, err := s.OperationByIdempotencyKey(ctx, "k2", "idem-1"); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("another owner's key: %v", err)
	}
	other := mk("k2", "analyze", "f1", 1)
	other.IdempotencyKey = "idem-1" // another owner may use the same key
	if _, err := s.CreateOperation(ctx, other, nil); err != nil {
		t.Errorf("other owner, same key: %v", err)
	}
	failing := mk("k1", "scale", "f2", 2)
	if _, err := s.CreateOperation(ctx, failing, func(ctx context.Context, tx any) error { return errors.New("queue down") }); err == nil {
		t.Error("a failed enqueue must fail the insert")
	}
	if _, err := s.GetOperation(ctx, failing.ID); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("row kept after failed enqueue: %v", err)
	}
	for i := 3; i < 8; i++ {
		s.CreateOperation(ctx, mk("k1", []string{"scale", "export"}[i%2], "f2", i), nil)
	}
	// Two scale operations (i = 4, 6), one per page, newest first.
	list, next, err := s.ListOperations(ctx, "k1", meshops.OperationFilter{Type: "scale"}, meshops.Page{Limit: 1})
	if err != nil || len(list) != 1 || next == "" {
		t.Fatalf("list: %d %q %v", len(list), next, err)
	}
	rest, next2, _ := s.ListOperations(ctx, "k1", meshops.OperationFilter{Type: "scale"}, meshops.Page{Limit: 1, Cursor: next})
	if len(rest) != 1 || next2 != "" || !rest[0].CreatedAt.Before(list[0].CreatedAt) {
		t.Errorf("second page: %d %q", len(rest), next2)
	}
	if n, _ := s.ActiveOperationsOnFile(ctx, "f2"); n != 5 {
		t.Errorf("active on f2: %d", n)
	}
	now := base.Add(time.Hour)
	up, err := s.UpdateOperation(ctx, op.ID, func(o *meshops.Operation) error {
		o.Status, o.StartedAt, o.Attempts, o.Progress = meshops.StatusRunning, &now, 1, 40
		return nil
	})
	if err != nil || up.Status != meshops.StatusRunning {
		t.Fatal(err)
	}
	if _, err := s.UpdateOperation(ctx, op.ID, func(o *meshops.Operation) error { return errors.New("no") }); err == nil {
		t.Error("fn error must abort")
	}
	s.UpdateOperation(ctx, op.ID, func(o *meshops.Operation) error {
		o.Status, o.FinishedAt, o.Result, o.Progress = meshops.StatusSucceeded, &now, []byte(`{"ok":true}`), 100
		return nil
	})
	g, _ := s.GetOperation(ctx, op.ID)
	if g.Status != meshops.StatusSucceeded || string(g.Result) != `{"ok":true}` || g.Attempts != 1 || g.StartedAt == nil ||
		g.CallbackURL != op.CallbackURL || string(g.Params) != `{"a":1}` {
		t.Errorf("after updates: %+v", g)
	}
	if n, _ := s.CountOperations(ctx, meshops.StatusQueued); n != 6 {
		t.Errorf("queued: %d", n)
	}
	if q, _ := s.OperationsInStatus(ctx, meshops.StatusQueued, 100); len(q) != 6 {
		t.Errorf("in status: %d", len(q))
	}
}

func newFile(owner string, created time.Time) *meshops.File {
	return &meshops.File{
		ID: uuid.NewString(), OwnerKeyID: owner, Name: "part.stl", Format: meshops.FormatSTLBinary,
		SizeBytes: 684, SHA256: "ab", Units: meshops.UnitsMM, CreatedAt: created, BlobKey: "files/" + uuid.NewString(),
		Mesh: &meshops.MeshInfo{Triangles: 12, BBoxMin: [3]float64{-1, -2, -3}, BBoxMax: [3]float64{1, 2, 3.5}},
	}
}

func testFiles(t *testing.T, s meshops.MetaStore) {
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	f := newFile("k1", base)
	f.SourceOperationID = uuid.NewString()
	if err := s.CreateFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateFile(ctx, f); !errors.Is(err, meshops.ErrExists) {
		t.Errorf("duplicate id: %v, want ErrExists", err)
	}
	got, err := s.GetFile(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*got.Mesh) != fmt.Sprint(*f.Mesh) || got.CreatedAt != f.CreatedAt || got.SourceOperationID != f.SourceOperationID ||
		got.Name != f.Name || got.BlobKey != f.BlobKey || got.SizeBytes != f.SizeBytes {
		t.Errorf("round trip: got %+v, want %+v", got, f)
	}
	if _, err := s.GetFile(ctx, uuid.NewString()); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}

	// Pagination: 7 more files for k1 (one sharing a timestamp), 1 for k2.
	ids := []string{f.ID}
	for i := 1; i <= 7; i++ {
		g := newFile("k1", base.Add(time.Duration(i/2)*time.Second))
		if err := s.CreateFile(ctx, g); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, g.ID)
	}
	if err := s.CreateFile(ctx, newFile("k2", base)); err != nil {
		t.Fatal(err)
	}
	var seen []*meshops.File
	cursor := ""
	for range 10 {
		page, next, err := s.ListFiles(ctx, "k1", meshops.Page{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 8 {
		t.Fatalf("paged through %d files, want 8", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].CreatedAt.After(seen[i-1].CreatedAt) {
			t.Errorf("not newest first at %d", i)
		}
	}
	if _, _, err := s.ListFiles(ctx, "k1", meshops.Page{Limit: 3, Cursor: "!!nonsense"}); !errors.Is(err, meshops.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}

	// Delete leaves a tombstone: Get says gone, the id stays taken.
	if _, err := s.DeleteFile(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetFile(ctx, f.ID); !errors.Is(err, meshops.ErrGone) {
		t.Errorf("get deleted: %v, want ErrGone", err)
	}
	if _, err := s.DeleteFile(ctx, f.ID); !errors.Is(err, meshops.ErrGone) {
		t.Errorf("delete twice: %v, want ErrGone", err)
	}
	if ok, err := s.FileExists(ctx, f.ID); !ok || err != nil {
		t.Errorf("deleted id must stay taken: %v %v", ok, err)
	}
	if err := s.CreateFile(ctx, f); !errors.Is(err, meshops.ErrExists) {
		t.Errorf("reusing a deleted id: %v", err)
	}
	page, _, _ := s.ListFiles(ctx, "k1", meshops.Page{Limit: 100})
	if len(page) != 7 {
		t.Errorf("list after delete: %d files, want 7", len(page))
	}
}

func testUploads(t *testing.T, s meshops.MetaStore) {
	ctx := context.Background()
	now := time.Now().UTC()
	id := uuid.NewString()
	if _, err := s.GetUpload(ctx, id); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("unknown upload: %v", err)
	}
	rep, up, err := s.PutChunk(ctx, id, "k1", meshops.Chunk{Index: 2, SizeBytes: 10, SHA256: "a", BlobKey: "c2"}, now, now.Add(time.Hour))
	if err != nil || rep != nil || len(up.Chunks) != 1 || up.OwnerKeyID != "k1" {
		t.Fatalf("first chunk: %v %v %+v", rep, err, up)
	}
	s.PutChunk(ctx, id, "k1", meshops.Chunk{Index: 0, SizeBytes: 5, SHA256: "b", BlobKey: "c0"}, now, now.Add(time.Hour))
	rep, up, err = s.PutChunk(ctx, id, "k1", meshops.Chunk{Index: 2, SizeBytes: 7, SHA256: "c", BlobKey: "c2b"}, now, now.Add(time.Hour))
	if err != nil || rep == nil || rep.BlobKey != "c2" {
		t.Fatalf("replace: %+v %v", rep, err)
	}
	if len(up.Chunks) != 2 || up.Chunks[0].Index != 0 || up.Chunks[1].BlobKey != "c2b" || up.ReceivedBytes() != 12 {
		t.Errorf("chunks %+v", up.Chunks)
	}
	if _, _, err := s.PutChunk(ctx, id, "k2", meshops.Chunk{Index: 1, SizeBytes: 1, BlobKey: "x"}, now, now); !errors.Is(err, meshops.ErrConflict) {
		t.Errorf("other key's chunk: %v, want ErrConflict", err)
	}
	if _, err := s.BeginCommit(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginCommit(ctx, id); !errors.Is(err, meshops.ErrConflict) {
		t.Errorf("second commit: %v", err)
	}
	if _, _, err := s.PutChunk(ctx, id, "k1", meshops.Chunk{Index: 1, SizeBytes: 1, BlobKey: "x"}, now, now); !errors.Is(err, meshops.ErrConflict) {
		t.Errorf("chunk during commit: %v", err)
	}
	if _, err := s.BeginCommit(ctx, uuid.NewString()); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("commit unknown: %v", err)
	}
	if err := s.EndCommit(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginCommit(ctx, id); err != nil {
		t.Errorf("commit after EndCommit: %v", err)
	}
	s.EndCommit(ctx, id)

	tusID := uuid.NewString()
	tu := &meshops.Upload{FileID: tusID, OwnerKeyID: "k1", CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Length: 1234, Metadata: map[string]string{"filename": "a b.stl", "units": "inch"}}
	if err := s.CreateUpload(ctx, tu); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUpload(ctx, tu); !errors.Is(err, meshops.ErrExists) {
		t.Errorf("create twice: %v", err)
	}
	got, err := s.GetUpload(ctx, tusID)
	if err != nil || got.Length != 1234 || got.Metadata["filename"] != "a b.stl" || len(got.Chunks) != 0 {
		t.Errorf("created upload: %+v %v", got, err)
	}
	s.DeleteUpload(ctx, tusID)

	old := uuid.NewString()
	s.PutChunk(ctx, old, "k1", meshops.Chunk{Index: 0, SizeBytes: 1, BlobKey: "o"}, now.Add(-48*time.Hour), now.Add(-time.Hour))
	exp, err := s.ExpiredUploads(ctx, now, 10)
	if err != nil || len(exp) != 1 || exp[0].FileID != old || len(exp[0].Chunks) != 1 {
		t.Errorf("expired: %+v %v", exp, err)
	}
	del, err := s.DeleteUpload(ctx, id)
	if err != nil || len(del.Chunks) != 2 {
		t.Errorf("delete: %+v %v", del, err)
	}
	if _, err := s.GetUpload(ctx, id); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func testKeys(t *testing.T, s meshops.MetaStore) {
	ctx := context.Background()
	if n, err := s.CountKeys(ctx); n != 0 || err != nil {
		t.Fatalf("empty store has %d keys (%v)", n, err)
	}
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	k := &meshops.Key{ID: uuid.NewString(), Name: "ci", Hash: "h1", Prefix: "mk_ab", Admin: true, CreatedAt: time.Now().UTC(), ExpiresAt: &exp}
	if err := s.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	dup := *k
	dup.ID, dup.Hash = uuid.NewString(), "h2"
	if err := s.CreateKey(ctx, &dup); !errors.Is(err, meshops.ErrExists) {
		t.Errorf("duplicate name: %v", err)
	}
	got, err := s.KeyByHash(ctx, "h1")
	if err != nil || got.Name != "ci" || !got.Admin || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if _, err := s.KeyByHash(ctx, "nope"); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("unknown hash: %v", err)
	}
	if err := s.RevokeKey(ctx, "ci", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.KeyByHash(ctx, "h1"); got.RevokedAt == nil {
		t.Error("not revoked")
	}
	if err := s.RevokeKey(ctx, "nobody", time.Now()); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	keys, err := s.ListKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Errorf("list: %d %v", len(keys), err)
	}

	rate, ops, conc := 2.5, int64(3), 4
	got, err = s.UpdateKey(ctx, "ci", meshops.KeyUpdate{Rate: &rate, MaxOperations: &ops, MaxConcurrent: &conc, ExpiresAt: &time.Time{}})
	if err != nil || got.Limits != (meshops.KeyLimits{MaxOperationsPerMonth: 3, RatePerSecond: 2.5, MaxConcurrent: 4}) || got.ExpiresAt != nil {
		t.Fatalf("update: %+v %v", got, err)
	}
	if again, _ := s.KeyByHash(ctx, "h1"); again.Limits != got.Limits || again.ExpiresAt != nil {
		t.Errorf("update not stored: %+v", again)
	}
	if _, err := s.UpdateKey(ctx, "nobody", meshops.KeyUpdate{}); !errors.Is(err, meshops.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}
}

func testQuota(t *testing.T, s meshops.MetaStore) {
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if used, ok, err := s.ConsumeQuota(ctx, "k1", "2026-11", meshops.QuotaOperations, 3); !ok || used != int64(i) || err != nil {
			t.Fatalf("consume %d: %d %v %v", i, used, ok, err)
		}
	}
	if used, ok, err := s.ConsumeQuota(ctx, "k1", "2026-11", meshops.QuotaOperations, 3); ok || used != 3 || err != nil {
		t.Fatalf("over the limit: %d %v %v", used, ok, err)
	}
	// Another quota, period or key counts apart; no limit always counts.
	if used, ok, _ := s.ConsumeQuota(ctx, "k1", "2026-12", meshops.QuotaOperations, 3); !ok || used != 1 {
		t.Errorf("next period: %d %v", used, ok)
	}
	if used, ok, _ := s.ConsumeQuota(ctx, "k1", "2026-11", meshops.QuotaUploads, 0); !ok || used != 1 {
		t.Errorf("unlimited: %d %v", used, ok)
	}
	if _, ok, _ := s.ConsumeQuota(ctx, "k2", "2026-11", meshops.QuotaOperations, 0); !ok {
		t.Error("other key refused")
	}
	if err := s.RefundQuota(ctx, "k1", "2026-11", meshops.QuotaOperations); err != nil {
		t.Fatal(err)
	}
	if used, ok, _ := s.ConsumeQuota(ctx, "k1", "2026-11", meshops.QuotaOperations, 3); !ok || used != 3 {
		t.Errorf("after a refund: %d %v", used, ok)
	}
	u, err := s.QuotaUsage(ctx, "k1", "2026-11")
	if err != nil || u[meshops.QuotaOperations] != 3 || u[meshops.QuotaUploads] != 1 {
		t.Errorf("usage: %v %v", u, err)
	}
	// Concurrent consumers never count past the limit.
	var wg sync.WaitGroup
	var counted atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := s.ConsumeQuota(ctx, "k3", "2026-11", meshops.QuotaUploads, 7); ok && err == nil {
				counted.Add(1)
			}
		}()
	}
	wg.Wait()
	if counted.Load() != 7 {
		t.Errorf("concurrent consumers counted %d, limit 7", counted.Load())
	}
}

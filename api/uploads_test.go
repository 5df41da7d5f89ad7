package api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/meshops/meshops/api"
	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/upload"
)

func split(data []byte, size int) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		n := min(size, len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestChunkedUploadOutOfOrderWithRetries(t *testing.T) {
	h := newHarness(t)
	data := testenv.Corpus(t, "voron_a_drive_frame_lower.stl")
	chunks := split(data, 256<<10)
	id := uuid.NewString()
	for i := len(chunks) - 1; i >= 0; i-- { // last first
		r := h.putChunk(h.key, id, i, chunks[i], nil)
		if r.status != 200 {
			t.Fatalf("chunk %d: %d %s", i, r.status, r.body)
		}
	}
	// Re-sending a chunk replaces it (a wrong one first, then the right one).
	h.putChunk(h.key, id, 1, []byte("garbage"), nil)
	r := h.putChunk(h.key, id, 1, chunks[1], map[string]string{"X-Chunk-Sha256": sha(chunks[1])})
	m := r.json(t)
	if m["receivedChunks"] != float64(len(chunks)) || m["receivedBytes"] != float64(len(data)) {
		t.Fatalf("after retry: %v", m)
	}
	st := h.do(req{method: "GET", path: "/api/v1/uploads/" + id, key: h.key}).json(t)
	if st["receivedBytes"] != float64(len(data)) || st["expiresAt"] == nil || len(st["chunks"].([]any)) != len(chunks) {
		t.Errorf("state %v", st)
	}
	expect(t, "other key reads the upload", h.do(req{method: "GET", path: "/api/v1/uploads/" + id, key: h.other}), 404, 52)
	expect(t, "other key sends a chunk", h.putChunk(h.other, id, 99, []byte("x"), nil), 409, 57)
	expect(t, "other key commits", h.commit(h.other, id, `{}`), 404, 52)

	r = h.commit(h.key, id, fmt.Sprintf(`{"name":"frame.stl","units":"mm","chunks":%d,"sizeBytes":%d,"sha256":"%s"}`, len(chunks), len(data), sha(data)))
	if r.status != 201 {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	f := r.json(t)
	if f["id"] != id || f["sha256"] != sha(data) || f["mesh"].(map[string]any)["triangles"] != float64(35520) {
		t.Errorf("file %v", f)
	}
	got := h.do(req{method: "GET", path: "/api/v1/files/" + id + "/content", key: h.key})
	if !bytes.Equal(got.body, data) {
		t.Error("downloaded bytes differ from the uploaded file")
	}
	// The upload is gone and its chunks freed; the id is now a file.
	expect(t, "upload after commit", h.do(req{method: "GET", path: "/api/v1/uploads/" + id, key: h.key}), 404, 52)
	expect(t, "chunk to a stored file", h.putChunk(h.key, id, 0, chunks[0], nil), 409, 57)
	expect(t, "commit a stored file", h.commit(h.key, id, `{}`), 409, 57)
	if left, _ := os.ReadDir(h.blobDir + "/uploads"); len(left) != 0 {
		t.Errorf("%d chunk blobs left after commit", len(left))
	}
}

func TestChunkErrors(t *testing.T) {
	h := newHarness(t, func(c *upload.Config, _ *api.Server) {
		c.MaxChunkBytes = 1000
		c.MaxFileBytes = 2500
	})
	id := uuid.NewString()
	expect(t, "empty chunk", h.putChunk(h.key, id, 0, nil, nil), 400, 56)
	expect(t, "chunk too big", h.putChunk(h.key, id, 0, make([]byte, 1001), nil), 413, 54)
	expect(t, "index out of range", h.putChunk(h.key, id, 100001, []byte("x"), nil), 400, 13)
	expect(t, "negative index", h.putChunk(h.key, id, -1, []byte("x"), nil), 400, 13)
	expect(t, "index not a number", h.do(req{method: "PUT", path: "/api/v1/uploads/" + id + "/chunks/abc", key: h.key, body: strings.NewReader("x")}), 400, 13)
	expect(t, "id not a uuid", h.putChunk(h.key, "not-a-uuid", 0, []byte("x"), nil), 400, 13)
	expect(t, "sha256 mismatch", h.putChunk(h.key, id, 0, []byte("abc"), map[string]string{"X-Chunk-Sha256": sha([]byte("abd"))}), 400, 55)
	sum := md5.Sum([]byte("abd"))
	expect(t, "md5 mismatch", h.putChunk(h.key, id, 0, []byte("abc"), map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}), 400, 55)
	sum = md5.Sum([]byte("abc"))
	if r := h.putChunk(h.key, id, 0, []byte("abc"), map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}); r.status != 200 {
		t.Errorf("md5 match: %d %s", r.status, r.body)
	}
	// Running total over the file limit: 51 and the whole upload discarded.
	h.putChunk(h.key, id, 1, make([]byte, 1000), nil)
	h.putChunk(h.key, id, 2, make([]byte, 1000), nil)
	expect(t, "running total", h.putChunk(h.key, id, 3, make([]byte, 1000), nil), 413, 51)
	expect(t, "upload discarded", h.do(req{method: "GET", path: "/api/v1/uploads/" + id, key: h.key}), 404, 52)
	if left, _ := os.ReadDir(h.blobDir + "/uploads"); len(left) != 0 {
		t.Errorf("%d chunk blobs left after discard", len(left))
	}
}

func TestCommitErrors(t *testing.T) {
	h := newHarness(t)
	stl := testenv.Corpus(t, "20mm-xyz-cube.stl")
	start := func(chunks map[int][]byte) string {
		id := uuid.NewString()
		for i, c := range chunks {
			if r := h.putChunk(h.key, id, i, c, nil); r.status != 200 {
				t.Fatalf("chunk %d: %d %s", i, r.status, r.body)
			}
		}
		return id
	}
	parts := split(stl, 1000)
	cases := []struct {
		name   string
		chunks map[int][]byte
		body   string
		status int
		code   int
		says   string
	}{
		{"gaps", map[int][]byte{0: parts[0], 3: parts[3], 4: parts[4], 7: parts[7]}, `{}`, 400, 55, "missing: 1-2, 5-6"},
		{"fewer than announced", map[int][]byte{0: parts[0], 1: parts[1]}, `{"chunks":4}`, 400, 55, "missing: 2-3"},
		{"more than announced", map[int][]byte{0: parts[0], 1: parts[1], 2: parts[2]}, `{"chunks":2}`, 400, 55, "chunk 2 was received"},
		{"size mismatch", map[int][]byte{0: stl}, `{"sizeBytes":5}`, 400, 55, fmt.Sprintf("expected 5 bytes but the chunks add up to %d", len(stl))},
		{"sha256 mismatch", map[int][]byte{0: stl}, `{"sha256":"` + sha([]byte("x")) + `"}`, 400, 55, "expected sha256"},
		{"not stl", map[int][]byte{0: []byte("hello "), 1: []byte("world")}, `{}`, 415, 50, "assembled"},
		{"empty stl", map[int][]byte{0: testenv.BinarySTL("")[:50], 1: testenv.BinarySTL("")[50:]}, `{}`, 400, 53, "0 facets"},
		{"bad units", map[int][]byte{0: stl}, `{"units":"parsec"}`, 400, 200, "parsec"},
		{"unknown field", map[int][]byte{0: stl}, `{"nmae":"x.stl"}`, 400, 13, "'nmae'"},
		{"wrong type", map[int][]byte{0: stl}, `{"chunks":"2"}`, 400, 13, "'chunks'"},
		{"fractional count", map[int][]byte{0: stl}, `{"chunks":1.5}`, 400, 13, "'chunks'"},
		{"malformed json", map[int][]byte{0: stl}, `{"name":`, 400, 13, "Malformed JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := start(tc.chunks)
			r := h.commit(h.key, id, tc.body)
			expect(t, tc.name, r, tc.status, tc.code)
			if _, msg, _ := r.errorBody(); !strings.Contains(msg, tc.says) {
				t.Errorf("message %q does not say %q", msg, tc.says)
			}
			// A failed commit keeps the upload so the client can fix it.
			if st := h.do(req{method: "GET", path: "/api/v1/uploads/" + id, key: h.key}); st.status != 200 || st.json(t)["committing"] != false {
				t.Errorf("after failed commit: %d %s", st.status, st.body)
			}
		})
	}
	expect(t, "commit unknown upload", h.commit(h.key, uuid.NewString(), `{}`), 404, 52)
	expect(t, "oversized json", h.commit(h.key, uuid.NewString(), `{"name":"`+strings.Repeat("x", 70<<10)+`"}`), 413, 13)
}

func TestConcurrentCommit(t *testing.T) {
	h := newHarness(t)
	id := uuid.NewString()
	h.putChunk(h.key, id, 0, testenv.Corpus(t, "20mm-xyz-cube.stl"), nil)
	// A commit in progress (flag set in the store, as a running commit does).
	if _, err := h.meta.BeginCommit(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	expect(t, "second commit", h.commit(h.key, id, `{}`), 409, 55)
	expect(t, "chunk during commit", h.putChunk(h.key, id, 1, []byte("x"), nil), 409, 55)
	expect(t, "abort during commit", h.do(req{method: "DELETE", path: "/api/v1/uploads/" + id, key: h.key}), 409, 55)
	h.meta.EndCommit(context.Background(), id)

	// Real races: of several simultaneous commits exactly one wins.
	var wg sync.WaitGroup
	statuses := make(chan int, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.commit(h.key, id, `{}`).status
		}()
	}
	wg.Wait()
	close(statuses)
	won := 0
	for s := range statuses {
		switch s {
		case 201:
			won++
		case 409, 404:
		default:
			t.Errorf("racing commit answered %d", s)
		}
	}
	if won != 1 {
		t.Errorf("%d commits won, want exactly 1", won)
	}
}

func TestAbortAndExpiry(t *testing.T) {
	h := newHarness(t)
	id := uuid.NewString()
	h.putChunk(h.key, id, 0, []byte("part one"), nil)
	expect(t, "other key aborts", h.do(req{method: "DELETE", path: "/api/v1/uploads/" + id, key: h.other}), 404, 52)
	if r := h.do(req{method: "DELETE", path: "/api/v1/uploads/" + id, key: h.key}); r.status != 204 {
		t.Fatalf("abort: %d %s", r.status, r.body)
	}
	expect(t, "after abort", h.do(req{method: "GET", path: "/api/v1/uploads/" + id, key: h.key}), 404, 52)

	old, fresh := uuid.NewString(), uuid.NewString()
	h.putChunk(h.key, old, 0, []byte("abandoned"), nil)
	h.clock.add(20 * time.Hour)
	h.putChunk(h.key, fresh, 0, []byte("recent"), nil)
	h.clock.add(5 * time.Hour) // old: 25 h since its last chunk; fresh: 5 h
	n, err := h.uploads.SweepExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep removed %d (%v), want 1", n, err)
	}
	expect(t, "expired upload", h.do(req{method: "GET", path: "/api/v1/uploads/" + old, key: h.key}), 404, 52)
	if r := h.do(req{method: "GET", path: "/api/v1/uploads/" + fresh, key: h.key}); r.status != 200 {
		t.Errorf("fresh upload swept: %d", r.status)
	}
	if left, _ := os.ReadDir(h.blobDir + "/uploads"); len(left) != 1 {
		t.Errorf("%d chunk blobs left, want 1", len(left))
	}
}

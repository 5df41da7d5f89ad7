package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/store/blobstore"
	"github.com/meshops/meshops/store/sqlite"
)

func newService(tb testing.TB, cfg Config) *Service {
	tb.Helper()
	meta, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "m.db"))
	if err != nil {
		tb.Fatal(err)
	}
	blobs, err := blobstore.Open(context.Background(), "mem://")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { meta.Close(); blobs.Close() })
	return New(meta, blobs, cfg, nil, nil)
}

func TestCleanName(t *testing.T) {
	cases := map[string]string{
		"part.stl":                  "part.stl",
		"../../etc/passwd":          "passwd",
		`C:\Users\me\bracket.STL`:   "bracket.STL",
		"evil\r\nX-Injected: 1.stl": "evilX-Injected: 1.stl",
		"":                          "model.stl",
		"..":                        "model.stl",
		"/":                         "model.stl",
	}
	for in, want := range cases {
		if got := CleanName(in, meshops.FormatSTLBinary); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CleanName("", meshops.FormatOBJ); got != "model.obj" {
		t.Errorf("empty obj name: %q", got)
	}
	long := string(bytes.Repeat([]byte("é"), 200))
	if got := CleanName(long, ""); len(got) > 255 || !isValidUTF8(got) {
		t.Errorf("long name cut badly: %d bytes", len(got))
	}
}

func isValidUTF8(s string) bool { return bytes.Equal([]byte(s), []byte(string([]rune(s)))) }

func TestFormatRanges(t *testing.T) {
	if got := formatRanges([]int{7, 1, 2, 3, 5, 9, 10}); got != "1-3, 5, 7, 9-10" {
		t.Errorf("got %q", got)
	}
}

// FuzzChunkAssembly splits arbitrary bytes into chunks at arbitrary points,
// stores them in an arbitrary order and assembles them the way Commit does
// (chunkSequence through the validator): the result must be byte-identical
// and get the same verdict as the same bytes sent whole. (The metadata store
// is left out: coverage-instrumented SQLite is too slow to fuzz through;
// TestChunkAssemblyRandom checks the whole Service path.)
func FuzzChunkAssembly(f *testing.F) {
	f.Add(testenv.BinarySTL("solid x", testenv.Tri, testenv.Tri), []byte{3, 90, 17}, []byte{2, 0, 1}, true)
	f.Add([]byte("solid a\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid a\n"), []byte{10, 1}, []byte{1, 0}, true)
	f.Add([]byte("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"), []byte{5}, []byte{1}, false)
	blobs, err := blobstore.Open(context.Background(), "mem://")
	if err != nil {
		f.Fatal(err)
	}
	defer blobs.Close()
	f.Fuzz(func(t *testing.T, data, cuts, order []byte, stl bool) {
		ctx := context.Background()
		chunks := splitAt(data, cuts)
		stored := make([]meshops.Chunk, len(chunks))
		for _, i := range permutation(len(chunks), order) {
			key := uuid.NewString()
			if _, err := blobs.Put(ctx, key, bytes.NewReader(chunks[i])); err != nil {
				t.Fatal(err)
			}
			stored[i] = meshops.Chunk{Index: i, SizeBytes: int64(len(chunks[i])), BlobKey: key}
		}
		assemble := func(r io.Reader) ([]byte, error) {
			v := newValidator(stl, 1<<20)
			return io.ReadAll(v.reader(r))
		}
		got, errChunked := assemble(&chunkSequence{ctx: ctx, blobs: blobs, chunks: stored})
		_, errWhole := assemble(bytes.NewReader(data))
		if codeOf(errChunked) != codeOf(errWhole) {
			t.Fatalf("chunked verdict %v differs from whole %v", errChunked, errWhole)
		}
		if errChunked == nil && !bytes.Equal(got, data) {
			t.Fatalf("assembled %d bytes differ from the %d stored", len(got), len(data))
		}
		for _, c := range stored {
			blobs.Delete(ctx, c.BlobKey)
		}
	})
}

// splitAt cuts data into non-empty chunks at points derived from cuts.
func splitAt(data, cuts []byte) [][]byte {
	var chunks [][]byte
	rest := data
	for _, c := range cuts {
		if len(rest) <= 1 {
			break
		}
		n := 1 + int(c)%(len(rest)-1)
		chunks, rest = append(chunks, rest[:n]), rest[n:]
	}
	return append(chunks, rest)
}

// permutation returns 0…n-1 shuffled by swaps derived from order.
func permutation(n int, order []byte) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i, o := range order {
		j, k := int(o)%n, i%n
		idx[j], idx[k] = idx[k], idx[j]
	}
	return idx
}

// TestChunkAssemblyRandom runs the fuzz property on pseudo-random inputs in
// every plain test run.
func TestChunkAssemblyRandom(t *testing.T) {
	s := newService(t, Config{MaxFileBytes: 1 << 20, MaxChunkBytes: 1 << 16})
	rng := rand.New(rand.NewPCG(1, 2))
	stl := testenv.BinarySTL("solid x", testenv.Tri, testenv.Tri, testenv.Tri)
	for i := range 200 {
		data := stl
		if i%3 == 0 {
			data = make([]byte, 1+rng.IntN(3000))
			for j := range data {
				data[j] = byte(rng.IntN(256))
			}
		}
		cuts := make([]byte, rng.IntN(8))
		order := make([]byte, rng.IntN(8))
		for j := range cuts {
			cuts[j] = byte(rng.IntN(256))
		}
		for j := range order {
			order[j] = byte(rng.IntN(256))
		}
		checkAssembly(t, s, data, cuts, order, i%2 == 0)
	}
}

func checkAssembly(t *testing.T, s *Service, data, cuts, order []byte, stl bool) {
	ctx := context.Background()
	{
		if len(data) == 0 {
			return
		}
		chunks := splitAt(data, cuts)
		idx := permutation(len(chunks), order)
		id, owner := uuid.NewString(), "k"
		for n, i := range idx {
			if n == 0 && len(chunks) > 1 { // a wrong chunk first, replaced below
				if _, _, err := s.PutChunk(ctx, owner, id, i, -1, bytes.NewReader([]byte{0xff}), ChunkChecksums{}); err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
			}
			if _, _, err := s.PutChunk(ctx, owner, id, i, -1, bytes.NewReader(chunks[i]), ChunkChecksums{}); err != nil {
				t.Fatalf("chunk %d: %v", i, err)
			}
		}
		name := "x.obj"
		if stl {
			name = "x.stl"
		}
		file, commitErr := s.Commit(ctx, owner, id, CommitRequest{Name: name})
		_, singleErr := s.Receive(ctx, name, int64(len(data)), bytes.NewReader(data))
		if codeOf(commitErr) != codeOf(singleErr) {
			t.Fatalf("commit verdict %v differs from single upload %v", commitErr, singleErr)
		}
		if commitErr != nil {
			s.Abort(ctx, owner, id)
			return
		}
		b, err := s.blobs.Open(ctx, file.BlobKey)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(b)
		b.Close()
		if !bytes.Equal(got, data) {
			t.Fatalf("assembled %d bytes differ from the %d sent", len(got), len(data))
		}
	}
}

func codeOf(err error) meshops.Code {
	if err == nil {
		return 0
	}
	var me *meshops.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return -1
}

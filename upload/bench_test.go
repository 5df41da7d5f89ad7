package upload

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/store/blobstore"
	"github.com/meshops/meshops/store/sqlite"
)

func diskService(b *testing.B) *Service {
	dir := b.TempDir()
	meta, err := sqlite.Open(context.Background(), filepath.Join(dir, "m.db"))
	if err != nil {
		b.Fatal(err)
	}
	blobs, err := blobstore.Open(context.Background(), "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { meta.Close(); blobs.Close() })
	return New(meta, blobs, Config{}, nil, nil)
}

// BenchmarkReceive is a single upload of igea_loop1.stl (54 MB) from memory
// to disk with validation and hashing, without HTTP.
func BenchmarkReceive(b *testing.B) {
	data := testenv.Corpus(b, "igea_loop1.stl")
	s := diskService(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rec, err := s.Receive(context.Background(), "x.stl", int64(len(data)), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		s.Discard(rec)
	}
}

// BenchmarkChunkedUpload sends igea_loop1.stl in 4 MiB chunks and commits.
func BenchmarkChunkedUpload(b *testing.B) {
	data := testenv.Corpus(b, "igea_loop1.stl")
	s := diskService(b)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		id := uuid.NewString()
		for i, off := 0, 0; off < len(data); i, off = i+1, off+4<<20 {
			end := min(off+4<<20, len(data))
			if _, _, err := s.PutChunk(ctx, "k", id, i, int64(end-off), bytes.NewReader(data[off:end]), ChunkChecksums{}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.Commit(ctx, "k", id, CommitRequest{Name: "x.stl"}); err != nil {
			b.Fatal(err)
		}
	}
}

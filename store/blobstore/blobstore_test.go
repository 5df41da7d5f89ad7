package blobstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/store/blobstore"
	"github.com/meshops/meshops/store/storetest"
)

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"file", func(t *testing.T) string { return "file://" + filepath.Join(t.TempDir(), "blobs") }},
		{"mem", func(*testing.T) string { return "mem://" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.TestBlobStore(t, func(t *testing.T) meshops.BlobStore {
				s, err := blobstore.Open(context.Background(), tc.url(t))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
}

// TestFileBlobNoPartialFile checks on disk that an aborted write leaves no
// file at all, temporary or final.
func TestFileBlobNoPartialFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := blobstore.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Put(ctx, "k", os.Stdin)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left %d entries", len(entries))
	}
}

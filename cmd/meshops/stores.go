package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/meshops/meshops/store/blobstore"
	"github.com/meshops/meshops/store/sqlite"
)

// storeFlags are the storage settings shared by serve and keys.
type storeFlags struct {
	dataDir     string
	databaseURL string
	blobURL     string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.dataDir, "data-dir", "./meshops-data", "directory for the embedded database, blobs and the bootstrap admin key")
	fs.StringVar(&s.databaseURL, "database-url", "", "metadata database: empty or sqlite:///path (default DATA_DIR/meshops.db); postgres:// comes with scale-out mode")
	fs.StringVar(&s.blobURL, "blob-url", "", "blob storage: empty or file:///dir (default DATA_DIR/blobs), mem:// (lost on exit)")
}

func (s *storeFlags) openMeta(ctx context.Context) (*sqlite.Store, error) {
	path := filepath.Join(s.dataDir, "meshops.db")
	switch {
	case s.databaseURL == "":
		if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
			return nil, err
		}
	case strings.HasPrefix(s.databaseURL, "sqlite://"):
		path = strings.TrimPrefix(s.databaseURL, "sqlite://")
	default:
		return nil, usageError{fmt.Errorf("--database-url %q: only sqlite:// is supported in this version (PostgreSQL comes with the scale-out mode)", s.databaseURL)}
	}
	return sqlite.Open(ctx, path)
}

func (s *storeFlags) openBlobs(ctx context.Context) (*blobstore.Store, error) {
	u := s.blobURL
	if u == "" {
		abs, err := filepath.Abs(filepath.Join(s.dataDir, "blobs"))
		if err != nil {
			return nil, err
		}
		u = "file://" + filepath.ToSlash(abs)
	}
	return blobstore.Open(ctx, u)
}

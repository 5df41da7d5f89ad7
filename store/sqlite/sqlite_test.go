package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/store/sqlite"
	"github.com/meshops/meshops/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.TestMetaStore(t, func(t *testing.T) meshops.MetaStore {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(ctx, &meshops.Key{ID: "1", Name: "a", Hash: "h", Prefix: "p"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path) // migrations must not run twice
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.CountKeys(ctx); n != 1 {
		t.Errorf("after reopen: %d keys", n)
	}
}

package geometry

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusPath returns the path of a file of the shared corpus
// (../shared/corpus beside the repository, or $MESHOPS_CORPUS), skipping the
// test with a clear message when the corpus is not there.
func corpusPath(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("MESHOPS_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("corpus file %s not found (set MESHOPS_CORPUS to the shared corpus folder): %v", name, err)
	}
	return p
}

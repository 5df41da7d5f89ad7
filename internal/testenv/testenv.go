// Package testenv finds the shared corpus and builds small STL files for
// tests across packages.
package testenv

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// CorpusDir returns the shared corpus folder ($MESHOPS_CORPUS, or
// ../shared/corpus beside the repository), skipping the test with a clear
// message if it is absent.
func CorpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("MESHOPS_CORPUS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		tb.Skipf("shared corpus not found at %s (set MESHOPS_CORPUS): %v", dir, err)
	}
	return dir
}

// Corpus returns the bytes of one corpus file.
func Corpus(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(CorpusDir(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BinarySTL builds a binary STL with the given 80-byte header text and triangles.
func BinarySTL(header string, tris ...[9]float32) []byte {
	var b bytes.Buffer
	h := make([]byte, 80)
	copy(h, header)
	b.Write(h)
	binary.Write(&b, binary.LittleEndian, uint32(len(tris)))
	for _, t := range tris {
		binary.Write(&b, binary.LittleEndian, [3]float32{})
		binary.Write(&b, binary.LittleEndian, t)
		b.Write([]byte{0, 0})
	}
	return b.Bytes()
}

// Tri is a unit right triangle in the z = 0 plane.
var Tri = [9]float32{0, 0, 0, 1, 0, 0, 0, 1, 0}

// Cube is a binary STL of the cube [0, size]³, wound outward.
func Cube(size float32) []byte {
	v := func(i int) [3]float32 {
		return [3]float32{size * float32(i&1), size * float32(i>>1&1), size * float32(i>>2&1)}
	}
	faces := [][3]int{{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4}, {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}}
	tris := make([][9]float32, 0, len(faces))
	for _, f := range faces {
		a, b, c := v(f[0]), v(f[1]), v(f[2])
		tris = append(tris, [9]float32{a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]})
	}
	return BinarySTL("cube", tris...)
}

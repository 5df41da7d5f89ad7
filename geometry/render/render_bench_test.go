package render

import (
	"context"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshops/meshops/geometry"
)

func corpusMesh(tb testing.TB, name string) *geometry.Mesh {
	tb.Helper()
	dir := os.Getenv("MESHOPS_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("corpus file %s not found (set MESHOPS_CORPUS): %v", name, err)
	}
	m, err := geometry.ReadModelFile(path, geometry.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	return m.Mesh
}

// BenchmarkThumbnail renders and encodes a 512×512 PNG.
func BenchmarkThumbnail(b *testing.B) {
	for _, name := range []string{"prusa_extruder-body.stl", "3dbenchy.stl", "igea_loop1.stl"} {
		b.Run(name, func(b *testing.B) {
			m := corpusMesh(b, name)
			b.ResetTimer()
			for b.Loop() {
				im, err := New(context.Background(), m, Options{Width: 512, Height: 512, Background: color.NRGBA{255, 255, 255, 255}})
				if err != nil {
					b.Fatal(err)
				}
				if err := Encode(io.Discard, im, "png"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

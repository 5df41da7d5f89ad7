package geometry

import (
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkReadAnalyze is the whole "admesh FILE" equivalent: read
// igea_loop1.stl (1.07 M triangles) from disk, weld, and analyse topology.
func BenchmarkReadAnalyze(b *testing.B) {
	path := corpusPath(b, "igea_loop1.stl")
	for b.Loop() {
		f, _ := os.Open(path)
		st, _ := f.Stat()
		m, _, err := ReadSTL(f, st.Size())
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Analyze(context.Background(), m, AnalyzeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadSTL(b *testing.B) {
	path := corpusPath(b, "igea_loop1.stl")
	for b.Loop() {
		f, _ := os.Open(path)
		st, _ := f.Stat()
		if _, _, err := ReadSTL(f, st.Size()); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func BenchmarkAnalyze(b *testing.B) {
	m := readCorpusSTL(b, "igea_loop1.stl")
	b.ResetTimer()
	for b.Loop() {
		if _, err := Analyze(context.Background(), m, AnalyzeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIntersections(b *testing.B) {
	m := readCorpusSTL(b, "igea_loop1.stl")
	b.ResetTimer()
	for b.Loop() {
		if _, err := CountIntersectingTriangles(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBVHBuild(b *testing.B) {
	m := readCorpusSTL(b, "igea_loop1.stl")
	b.ResetTimer()
	for b.Loop() {
		NewBVH(m)
	}
}

// BenchmarkExport writes igea_loop1.stl's mesh in each format (to io.Discard;
// the whole-command comparison with assimp reads and writes files).
func BenchmarkExport(b *testing.B) {
	m := readCorpusSTL(b, "igea_loop1.stl")
	for _, f := range writeFormats {
		b.Run(string(f), func(b *testing.B) {
			for b.Loop() {
				if err := WriteModel(io.Discard, m, f, "igea"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWallThickness(b *testing.B) {
	m := readCorpusSTL(b, "prusa_extruder-body.stl")
	b.ResetTimer()
	for b.Loop() {
		if _, err := WallThickness(context.Background(), m, 20000, 1.6, nil); err != nil {
			b.Fatal(err)
		}
	}
}

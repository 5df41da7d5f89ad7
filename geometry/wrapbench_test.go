package geometry

import (
	"context"
	"testing"
	"time"
)

func BenchmarkWrapExtruder(b *testing.B) {
	m := readCorpusSTL(b, "prusa_extruder-body.stl")
	for b.Loop() {
		if _, _, err := Shrinkwrap(context.Background(), m, wrapPreset(m, 256)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWrapSimplifyProbe(t *testing.T) {
	m := readCorpusSTL(t, "prusa_extruder-body.stl")
	for _, div := range []float64{128, 256} {
		opt := wrapPreset(m, div)
		start := time.Now()
		w, _, _ := Shrinkwrap(context.Background(), m, opt)
		t1 := time.Since(start)
		for _, f := range []float64{0.25, 0.5} {
			start = time.Now()
			s, st, err := Simplify(context.Background(), w, SimplifyOptions{MaxDeviation: f * opt.Voxel, MaxAngle: 45, Passes: 10})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("/%v wrap %v %d tris; simplify %.2fh: %v -> %d tris dev %.3g", div, t1, len(w.Triangles), f, time.Since(start), len(s.Triangles), st.MaxDeviation/opt.Voxel)
		}
	}
}

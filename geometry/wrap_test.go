package geometry

import (
	"context"
	"math"
	"testing"
	"time"
)

func wrapPreset(m *Mesh, div float64) WrapOptions {
	lo, hi := m.Bounds()
	diag := math.Sqrt(float64((hi[0]-lo[0])*(hi[0]-lo[0]) + (hi[1]-lo[1])*(hi[1]-lo[1]) + (hi[2]-lo[2])*(hi[2]-lo[2])))
	h := diag / div
	return WrapOptions{Voxel: h, Closing: 4 * h, Offset: h}
}

func TestShrinkwrapCorpus(t *testing.T) {
	for _, name := range []string{"soup.stl", "teapot.stl", "wuson.stl", "spider_ascii.stl", "prusa_extruder-body.stl", "20mm-xyz-cube.stl"} {
		divs := []float64{128} // Rough; Smooth on two broken files (the race detector makes it slow)
		if name == "teapot.stl" || name == "spider_ascii.stl" {
			divs = append(divs, 256)
		}
		for _, div := range divs {
			m := readCorpusSTL(t, name)
			start := time.Now()
			w, st, err := Shrinkwrap(context.Background(), m, wrapPreset(m, div))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			el := time.Since(start)
			rep, err := Analyze(context.Background(), w, AnalyzeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			in, _ := Analyze(context.Background(), m, AnalyzeOptions{})
			bvh := NewBVH(w)
			outside := 0
			for _, v := range m.Vertices {
				if !insideByParity(bvh, w, to64(v)) {
					outside++
				}
			}
			t.Logf("%s /%v: %v, %d tris, shells %d watertight %v nmv %d inverted %d, volume %.4g -> %.4g, comps %d bridges %d, input vertices outside %d",
				name, div, el, rep.Triangles, rep.Shells, rep.Watertight, rep.NonManifoldVertices, rep.InvertedNormals, in.Volume, rep.Volume, st.Components, st.Bridges, outside)
			if !rep.Watertight || rep.Shells != 1 || rep.NonManifoldVertices != 0 || rep.Volume <= 0 || outside > 0 {
				t.Errorf("%s: not one closed enclosing shell", name)
			}
		}
	}
}

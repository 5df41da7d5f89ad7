package geometry

import (
	"context"
	"math"
	"testing"
)

func TestRepairBlocks(t *testing.T) {
	t.Run("fill the missing facet of nonmanifold.stl", func(t *testing.T) {
		m := readCorpusSTL(t, "nonmanifold.stl")
		holes, added := FillHoles(m, 0)
		r := analyze(t, m, AnalyzeOptions{})
		if holes != 1 || added != 1 || !r.Watertight || r.MisorientedEdges != 0 || r.InvertedNormals != 0 {
			t.Errorf("holes %d added %d: %+v", holes, added, r)
		}
	})
	t.Run("fill the hole of spherewithhole.stl", func(t *testing.T) {
		m := readCorpusSTL(t, "spherewithhole.stl")
		FillHoles(m, 0)
		if r := analyze(t, m, AnalyzeOptions{}); !r.Watertight || r.MisorientedEdges != 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("non-planar loop", func(t *testing.T) {
		m := cube(Vec3{}, 1)
		m.Triangles = m.Triangles[2:] // drop the bottom face: a square loop
		m.Vertices[0][2] = 0.3        // bend it out of plane
		FillHoles(m, 0)
		if r := analyze(t, m, AnalyzeOptions{}); !r.Watertight || r.MisorientedEdges != 0 || r.Volume <= 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("orient an inside-out cube and a mis-wound one", func(t *testing.T) {
		m := flipped(cube(Vec3{}, 1))
		m.Triangles[3] = [3]uint32{m.Triangles[3][0], m.Triangles[3][2], m.Triangles[3][1]}
		n := OrientConsistently(m)
		r := analyze(t, m, AnalyzeOptions{})
		if n != 11 || r.MisorientedEdges != 0 || math.Abs(r.Volume-1) > 1e-12 || r.InvertedNormals != 0 {
			t.Errorf("flipped %d: %+v", n, r)
		}
	})
	t.Run("orient multibody.stl", func(t *testing.T) {
		m := readCorpusSTL(t, "multibody.stl")
		OrientConsistently(m)
		if r := analyze(t, m, AnalyzeOptions{}); r.MisorientedEdges != 0 || r.InvertedNormals != 0 || r.Volume <= 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("weld featuretype.stl within a tolerance", func(t *testing.T) {
		m := readCorpusSTL(t, "featuretype.stl")
		lo, hi := m.Bounds()
		diag := norm(sub(to64(hi), to64(lo)))
		merged := WeldTolerance(m, float32(1e-5*diag))
		RemoveDegenerate(m, 0)
		r := analyze(t, m, AnalyzeOptions{})
		if merged == 0 || r.BoundaryEdges != 0 || !r.Watertight {
			t.Errorf("merged %d: %+v", merged, r)
		}
	})
	t.Run("degenerates and duplicates", func(t *testing.T) {
		m := readCorpusSTL(t, "issue1580-zero-area-triangle.stl")
		d := RemoveDegenerate(m, 1e-12)
		m2 := cube(Vec3{}, 1)
		m2.Triangles = append(m2.Triangles, m2.Triangles[0], [3]uint32{2, 1, 0})
		u := RemoveDuplicates(m2)
		if d != 1 || u != 2 || len(m2.Triangles) != 12 {
			t.Errorf("degenerate %d, duplicates %d", d, u)
		}
		if r, _ := Analyze(context.Background(), m, AnalyzeOptions{}); r.DegenerateTriangles != 0 {
			t.Errorf("%+v", r)
		}
	})
}

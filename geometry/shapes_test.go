package geometry

import (
	"context"
	"math"
	"testing"
)

// cube returns an axis-aligned cube [o, o+size]³ with outward winding.
func cube(o Vec3, size float32) *Mesh {
	m := &Mesh{}
	for i := range 8 {
		m.Vertices = append(m.Vertices, Vec3{
			o[0] + size*float32(i&1), o[1] + size*float32(i>>1&1), o[2] + size*float32(i>>2&1)})
	}
	m.Triangles = [][3]uint32{
		{0, 2, 1}, {1, 2, 3}, // z = 0, facing −z
		{4, 5, 6}, {5, 7, 6}, // z = 1
		{0, 1, 4}, {1, 5, 4}, // y = 0
		{2, 6, 3}, {3, 6, 7}, // y = 1
		{0, 4, 2}, {2, 4, 6}, // x = 0
		{1, 3, 5}, {3, 7, 5}, // x = 1
	}
	return m
}

// merge concatenates meshes and welds equal positions.
func merge(ms ...*Mesh) *Mesh {
	b := NewMeshBuilder(16)
	for _, m := range ms {
		for _, t := range m.Triangles {
			a, bb, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
			b.AddTriangle(&[9]float32{a[0], a[1], a[2], bb[0], bb[1], bb[2], c[0], c[1], c[2]})
		}
	}
	return b.Mesh()
}

func flipped(m *Mesh) *Mesh {
	out := m.Clone()
	for i, t := range out.Triangles {
		out.Triangles[i] = [3]uint32{t[0], t[2], t[1]}
	}
	return out
}

func analyze(t *testing.T, m *Mesh, opt AnalyzeOptions) *Report {
	t.Helper()
	r, err := Analyze(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAnalyzeConstructed(t *testing.T) {
	t.Run("unit cube", func(t *testing.T) {
		r := analyze(t, cube(Vec3{}, 1), AnalyzeOptions{Intersections: true})
		if !r.Watertight || math.Abs(r.Volume-1) > 1e-12 || r.SurfaceArea != 6 || r.Shells != 1 || r.InvertedNormals != 0 || r.IntersectingTriangles != 0 || r.NonManifoldVertices != 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("inward-facing cube", func(t *testing.T) {
		r := analyze(t, flipped(cube(Vec3{}, 1)), AnalyzeOptions{})
		if r.InvertedNormals != 1 || math.Abs(r.Volume+1) > 1e-12 || !r.Watertight || r.MisorientedEdges != 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("cube missing a facet", func(t *testing.T) {
		m := cube(Vec3{}, 1)
		m.Triangles = m.Triangles[1:]
		r := analyze(t, m, AnalyzeOptions{})
		if r.Holes != 1 || r.BoundaryEdges != 3 || r.Watertight || r.InvertedNormals != 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("two cubes sharing an edge", func(t *testing.T) {
		r := analyze(t, merge(cube(Vec3{}, 1), cube(Vec3{1, 1, 0}, 1)), AnalyzeOptions{})
		if r.NonManifoldEdges != 1 || r.NonManifoldVertices != 2 || r.Watertight || r.BoundaryEdges != 0 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("two cubes touching at a corner", func(t *testing.T) {
		r := analyze(t, merge(cube(Vec3{}, 1), cube(Vec3{1, 1, 1}, 1)), AnalyzeOptions{})
		if r.NonManifoldEdges != 0 || r.NonManifoldVertices != 1 || !r.Watertight || r.Shells != 2 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("two overlapping cubes", func(t *testing.T) {
		r := analyze(t, merge(cube(Vec3{}, 1), cube(Vec3{0.5, 0.5, 0.5}, 1)), AnalyzeOptions{Intersections: true})
		if r.IntersectingTriangles == 0 || r.Shells != 2 || !r.Watertight {
			t.Errorf("%+v", r)
		}
	})
	t.Run("duplicate and degenerate facets", func(t *testing.T) {
		m := cube(Vec3{}, 1)
		m.Triangles = append(m.Triangles, m.Triangles[0], [3]uint32{2, 1, 0}, [3]uint32{0, 0, 1})
		r := analyze(t, m, AnalyzeOptions{})
		if r.DuplicateTriangles != 2 || r.DegenerateTriangles != 1 || r.NonManifoldEdges != 3 {
			t.Errorf("%+v", r)
		}
	})
	t.Run("inconsistent winding", func(t *testing.T) {
		m := cube(Vec3{}, 1)
		m.Triangles[0] = [3]uint32{0, 1, 2}
		r := analyze(t, m, AnalyzeOptions{})
		if r.MisorientedEdges != 3 {
			t.Errorf("%+v", r)
		}
	})
}

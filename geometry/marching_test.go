package geometry

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// denseGrid allocates every block of a grid of about n³ voxels and fills
// the field from f at voxel centres, with the border forced positive.
func denseGrid(t *testing.T, n int, f func(p v64) float32) *sparseGrid {
	t.Helper()
	g, err := newSparseGrid(Vec3{0, 0, 0}, Vec3{float32(n - 2), float32(n - 2), float32(n - 2)}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := g.dims()
	for bi := range g.blocks {
		g.alloc(bi)
	}
	for k := range d[2] {
		for j := range d[1] {
			for i := range d[0] {
				bi, off := g.locate(i, j, k)
				v := f(g.centre(i, j, k))
				if i == 0 || j == 0 || k == 0 || i == d[0]-1 || j == d[1]-1 || k == d[2]-1 {
					v = 1
				}
				g.blocks[bi].d[off] = v
			}
		}
	}
	return g
}

func TestMarchingCubesSphere(t *testing.T) {
	r := 7.3
	g := denseGrid(t, 20, func(p v64) float32 {
		q := sub(p, v64{9.1, 9.4, 8.7})
		return float32(norm(q) - r)
	})
	m, err := g.extract(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), m, AnalyzeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := 4 * math.Pi * r * r * r / 3
	if !rep.Watertight || rep.Shells != 1 || rep.NonManifoldVertices != 0 || math.Abs(rep.Volume-want) > 0.03*want {
		t.Fatalf("sphere: watertight %v shells %d nmv %d volume %.1f (want %.1f)", rep.Watertight, rep.Shells, rep.NonManifoldVertices, rep.Volume, want)
	}
}

// Random fields exercise every case of the derived table: the surface must
// be closed and manifold, and have one outward-facing shell per
// 6-connected component of negative voxels (enclosed positive pockets add
// inward-facing ones).
func TestMarchingCubesRandomFields(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		density := 0.2 + 0.6*rng.Float64()
		g := denseGrid(t, 10, func(v64) float32 {
			if rng.Float64() < density {
				return -float32(rng.Float64() + 0.01)
			}
			return float32(rng.Float64() + 0.01)
		})
		comps, err := g.components(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// components relabels; the field is unchanged.
		m, err := g.extract(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Analyze(context.Background(), m, AnalyzeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Watertight || rep.NonManifoldVertices != 0 || rep.Shells-rep.InvertedNormals != len(comps) || rep.Volume <= 0 {
			t.Fatalf("trial %d: watertight %v nmv %d shells %d components %d volume %.2f %+v",
				trial, rep.Watertight, rep.NonManifoldVertices, rep.Shells, len(comps), rep.Volume, rep)
		}
	}
}

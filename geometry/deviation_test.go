package geometry

import (
	"context"
	"math"
	"runtime"
	"testing"
)

// checkBrackets asserts that DeviationBounds brackets a dense sampling of
// the same distance within its tolerance.
func checkBrackets(t *testing.T, a, b *Mesh, dense int) (lo, hi float64) {
	t.Helper()
	ctx := context.Background()
	const rel = 0.005
	lo, hi, err := DeviationBounds(ctx, a, b, rel)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Deviation(ctx, a, b, dense)
	if err != nil {
		t.Fatal(err)
	}
	l, u := a.Bounds()
	abs := 1e-6 * math.Sqrt(dist2(to64(l), to64(u)))
	if d > hi+1e-12 || lo > hi || hi > lo*(1+rel)+abs {
		t.Fatalf("bounds [%g, %g] against %g sampled with %d subdivisions", lo, hi, d, dense)
	}
	return lo, hi
}

// A flat square under a roof whose ridge is off the sampling grid: the
// farthest points of the square are inside its facets, which a grid of 4
// subdivisions misses.
func TestDeviationBoundsFindPeaksInsideFacets(t *testing.T) {
	square := &Mesh{Vertices: []Vec3{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}}, Triangles: [][3]uint32{{0, 1, 2}, {0, 2, 3}}}
	roof := &Mesh{
		Vertices: []Vec3{{0, -1, 0.5}, {0.3, -1, 1}, {1, -1, 0.5}, {0, 2, 0.5}, {0.3, 2, 1}, {1, 2, 0.5}},
		Triangles: [][3]uint32{
			{0, 1, 4}, {0, 4, 3}, {1, 2, 5}, {1, 5, 4},
		},
	}
	lo, _ := checkBrackets(t, square, roof, 400)
	if grid, _ := Deviation(context.Background(), square, roof, 4); grid >= lo {
		t.Fatalf("the grid found %g, not below the bounds' %g: the test no longer shows a missed peak", grid, lo)
	}
}

// Both ways between a corpus part and its reduction, and a mesh against
// itself (distance 0: the tolerance is then the absolute one).
func TestDeviationBoundsOnAReduction(t *testing.T) {
	in := readCorpusSTL(t, "prusa_x-end-idler.stl")
	out, _, err := Simplify(context.Background(), in, SimplifyOptions{MaxDeviation: 10, MaxAngle: 90, Passes: 1000, TargetTriangles: len(in.Triangles) / 10})
	if err != nil {
		t.Fatal(err)
	}
	checkBrackets(t, out, in, 24)
	checkBrackets(t, in, out, 8)
	if _, hi := checkBrackets(t, in, in, 2); hi > 1e-4 {
		t.Fatalf("a mesh is %g from itself", hi)
	}
}

// A cell is bounded by its parent's bound too: at the depth cap, a cell's
// own bound (its centre's distance plus its radius) can exceed it. On the
// extruder body reduced at 0.05 mm, input to output, the capped cells
// reported 0.0554 mm for a bracket whose lower end is 0.0497.
func TestDeviationBoundsCappedCellsKeepTheirParentsBound(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // the slabs, hence the output, depend on the cores
	in := readCorpusSTL(t, "prusa_extruder-body.stl")
	out, _, err := Simplify(context.Background(), in, SimplifyOptions{MaxDeviation: 0.05, MaxAngle: 30, Passes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, err := DeviationBounds(context.Background(), in, out, 0.005)
	if err != nil {
		t.Fatal(err)
	}
	if hi > 1.02*lo {
		t.Errorf("bracket %.5f–%.5f mm", lo, hi)
	}
}

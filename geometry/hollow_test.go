package geometry

import (
	"context"
	"math"
	"os"
	"runtime"
	"testing"
)

// checkHollow checks what every hollowed mesh must be: closed, manifold,
// one outward outer shell plus inward cavities, the outer surface kept,
// and every inner vertex about a wall away from the outer surface.
func checkHollow(t *testing.T, name string, m, out *Mesh, st HollowStats, wall float64) (in, rep *Report) {
	t.Helper()
	in = analyze(t, m, AnalyzeOptions{Intersections: true})
	rep = analyze(t, out, AnalyzeOptions{Intersections: true})
	if !rep.Watertight || rep.NonManifoldVertices != 0 || rep.MisorientedEdges != 0 {
		t.Errorf("%s: not closed and manifold: %+v", name, rep)
	}
	if rep.Shells != 1+st.Cavities || rep.InvertedNormals != st.Cavities {
		t.Errorf("%s: %d shells (%d facing inward), want 1 outer and %d cavities", name, rep.Shells, rep.InvertedNormals, st.Cavities)
	}
	if rep.IntersectingTriangles > in.IntersectingTriangles {
		t.Errorf("%s: %d intersecting triangles, the input had %d", name, rep.IntersectingTriangles, in.IntersectingTriangles)
	}
	if rep.Min != in.Min || rep.Max != in.Max {
		t.Errorf("%s: outer box changed: %v %v -> %v %v", name, in.Min, in.Max, rep.Min, rep.Max)
	}
	// Interpolating the distance between voxel centres costs up to about
	// a third of a voxel where the field has a crease.
	if st.Cavities > 0 && (st.MinWall < wall-st.Voxel/3 || st.MinWall > wall+st.Voxel) {
		t.Errorf("%s: measured min wall %.3f, want %.3f (voxel %.3f)", name, st.MinWall, wall, st.Voxel)
	}
	if v := in.Volume - st.CavityVolume; math.Abs(v-rep.Volume) > 1e-6*in.Volume {
		t.Errorf("%s: volume %.3f, want input − cavities = %.3f", name, rep.Volume, v)
	}
	return in, rep
}

func TestHollowCube(t *testing.T) {
	m := cube(Vec3{3, -7, 11}, 40)
	out, st, err := Hollow(context.Background(), m, HollowOptions{Wall: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, rep := checkHollow(t, "cube", m, out, st, 2)
	want := 40.0*40*40 - 36.0*36*36
	if rep.Shells != 2 || math.Abs(rep.Volume-want) > 0.03*want {
		t.Errorf("cube: %d shells, volume %.0f, want 2 shells and %.0f ± 3 %%", rep.Shells, rep.Volume, want)
	}
}

// A model thinner than twice the wall everywhere stays solid; a sealed
// internal void is not hollowed again.
func TestHollowThinAndVoids(t *testing.T) {
	plate := cube(Vec3{0, 0, 0}, 3)
	for i := range plate.Vertices {
		plate.Vertices[i][0] *= 10
		plate.Vertices[i][1] *= 10
	}
	out, st, err := Hollow(context.Background(), plate, HollowOptions{Wall: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Cavities != 0 || len(out.Triangles) != len(plate.Triangles) {
		t.Errorf("3 mm plate with a 2 mm wall: %d cavities, want none", st.Cavities)
	}
	// A 30 mm cube with a sealed 20 mm void: the walls (5 mm) are thinner
	// than twice 3 mm, so nothing is added, and the void is not filled
	// with a shell of its own.
	shell := merge(cube(Vec3{0, 0, 0}, 30), flipped(cube(Vec3{5, 5, 5}, 20)))
	out, st, err = Hollow(context.Background(), shell, HollowOptions{Wall: 3})
	if err != nil {
		t.Fatal(err)
	}
	if st.Cavities != 0 || len(out.Triangles) != len(shell.Triangles) {
		t.Errorf("cube with a void: %d cavities, want none", st.Cavities)
	}
}

func TestHollowExtruderBody(t *testing.T) {
	m := readCorpusSTL(t, "prusa_extruder-body.stl")
	out, st, err := Hollow(context.Background(), m, HollowOptions{Wall: 2})
	if err != nil {
		t.Fatal(err)
	}
	in, rep := checkHollow(t, "extruder body", m, out, st, 2)
	if f := rep.Volume / in.Volume; f < 0.6 || f > 0.95 {
		t.Errorf("extruder body: volume %.0f is %.0f %% of %.0f, want 60–95 %%", rep.Volume, 100*f, in.Volume)
	}
	t.Logf("extruder body: %+v, %d triangles, volume %.0f -> %.0f", st, rep.Triangles, in.Volume, rep.Volume)
}

// Closed scans at several walls: every result closed, manifold and a wall
// away. (A 1-voxel band once left cubes whose lower corner fell in an
// unallocated block unextracted, opening igea's cavity.)
func TestHollowScans(t *testing.T) {
	for _, name := range []string{"nefertiti.obj"} {
		m := readCorpusModel(t, name).Mesh
		lo, hi := m.Bounds()
		size := float64(max(hi[0]-lo[0], hi[1]-lo[1], hi[2]-lo[2]))
		for _, f := range []float64{0.02, 0.05} {
			wall := f * size
			out, st, err := Hollow(context.Background(), m, HollowOptions{Wall: wall})
			if err != nil {
				t.Fatal(err)
			}
			checkHollow(t, name, m, out, st, wall)
		}
	}
}

// igea at a 1 mm wall: the peak heap stays far below the 1.5 GB goal.
func TestHollowIgea(t *testing.T) {
	if os.Getenv("MESHOPS_HEAVY") == "" {
		t.Skip("set MESHOPS_HEAVY=1 to hollow igea_loop1.stl (1.07 M triangles)")
	}
	m := readCorpusSTL(t, "igea_loop1.stl")
	out, st, err := Hollow(context.Background(), m, HollowOptions{Wall: 1})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	checkHollow(t, "igea", m, out, st, 1)
	t.Logf("igea: %+v, %d triangles, heap sys %d MB", st, len(out.Triangles), ms.HeapSys>>20)
}

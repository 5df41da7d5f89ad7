package geometry

import (
	"bytes"
	"context"
	"math"
	"slices"
	"testing"
)

// boxMesh is an axis-aligned box with outward winding.
func boxMesh(lo Vec3, size Vec3) *Mesh {
	m := cube(Vec3{}, 1)
	for i, v := range m.Vertices {
		m.Vertices[i] = Vec3{lo[0] + v[0]*size[0], lo[1] + v[1]*size[1], lo[2] + v[2]*size[2]}
	}
	return m
}

// extrude makes a prism of a simple polygon (counter-clockwise, fan-
// triangulable from its first vertex) from z = 0 to z = h.
func extrude(poly [][2]float32, h float32) *Mesh {
	m := &Mesh{}
	n := uint32(len(poly))
	for _, z := range []float32{0, h} {
		for _, p := range poly {
			m.Vertices = append(m.Vertices, Vec3{p[0], p[1], z})
		}
	}
	for i := uint32(1); i+1 < n; i++ {
		m.Triangles = append(m.Triangles, [3]uint32{0, i + 1, i}, [3]uint32{n, n + i, n + i + 1})
	}
	for i := range n {
		j := (i + 1) % n
		m.Triangles = append(m.Triangles, [3]uint32{i, j, n + j}, [3]uint32{i, n + j, n + i})
	}
	return m
}

func minThickness(t *testing.T, m *Mesh, samples int) float64 {
	t.Helper()
	if r := analyze(t, m, AnalyzeOptions{}); !r.Watertight || r.MisorientedEdges != 0 || r.Volume <= 0 {
		t.Fatalf("test shape is not a closed outward mesh: %+v", r)
	}
	th, err := WallThickness(context.Background(), m, samples, math.Inf(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	lo := math.Inf(1)
	for _, s := range th.Samples {
		if !math.IsNaN(s.Thickness) {
			lo = math.Min(lo, s.Thickness)
		}
	}
	return lo
}

func TestWallThicknessShapes(t *testing.T) {
	cases := []struct {
		name string
		mesh *Mesh
		want float64
		tol  float64
	}{
		{"30×30×0.5 plate", boxMesh(Vec3{}, Vec3{30, 30, 0.5}), 0.5, 0.02},
		{"20 mm cube", cube(Vec3{}, 20), 20, 0.05},
		{"2 mm-walled hollow box", merge(boxMesh(Vec3{}, Vec3{20, 20, 20}), flipped(boxMesh(Vec3{2, 2, 2}, Vec3{16, 16, 16}))), 2, 0.05},
		{"L-block (no false thin wall at the inner corner)", extrude([][2]float32{{0, 0}, {40, 0}, {40, 10}, {10, 10}, {10, 40}, {0, 40}}, 20), 10, 0.05},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := minThickness(t, tc.mesh, 4000); math.Abs(got-tc.want) > tc.tol {
				t.Errorf("minimum thickness %.4f, want %.2f ± %.2f", got, tc.want, tc.tol)
			}
		})
	}
}

// TestWallThicknessFilamentCard: the card's flat steps (0.2 to 2 mm) must
// measure as their step. Its labels are cut into the steps: their drafted
// walls legitimately measure thinner near the ridges, and the flat floors of
// the engravings are thinner than their step by the engraving depth (about
// 11 % of the flat area), so at least 80 % of flat samples must sit within
// 0.02 mm of a step and every main step must be found.
func TestWallThicknessFilamentCard(t *testing.T) {
	m := readCorpusSTL(t, "voron_filament_card.stl")
	th, err := WallThickness(context.Background(), m, 20000, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[float64]int{} // step (0.2 mm multiples) → flat samples measuring it
	off := 0
	flat := 0
	for _, s := range th.Samples {
		if n := m.normal(int(s.Tri)); math.IsNaN(s.Thickness) || math.Abs(float64(n[2])) < 0.999 {
			continue
		}
		flat++
		step := math.Round(s.Thickness/0.2) * 0.2
		if math.Abs(s.Thickness-step) > 0.02 || step < 0.2 || step > 2.0001 {
			off++
			continue
		}
		steps[math.Round(step*10)/10]++
	}
	t.Logf("flat samples %d, off-step %d, by step %v", flat, off, steps)
	for _, want := range []float64{0.2, 0.4, 0.6, 1, 2} {
		if steps[want] == 0 {
			t.Errorf("no flat sample measured the %.1f mm step", want)
		}
	}
	if off > flat/5 {
		t.Errorf("%d of %d flat samples are not within 0.02 mm of a step", off, flat)
	}
}

// Both scalar PLY layouts read back as written: the vertices, the facets
// and the colours (the scalar is a property readers may skip).
func TestWritePLYScalarsReadsBack(t *testing.T) {
	m := boxMesh(Vec3{1, 2, 3}, Vec3{4, 5, 6})
	scalar := make([]float32, len(m.Vertices))
	colours := make([][3]uint8, len(m.Vertices))
	for i := range colours {
		scalar[i], colours[i] = float32(i), [3]uint8{uint8(i), uint8(2 * i), uint8(3 * i)}
	}
	var shared, facets bytes.Buffer
	if err := WritePLYScalars(&shared, m, "thickness", scalar, colours); err != nil {
		t.Fatal(err)
	}
	if err := WritePLYFacetScalars(&facets, m, "thickness", func(tri int) (float32, [3]uint8) { return 1, [3]uint8{uint8(tri), 0, 0} }); err != nil {
		t.Fatal(err)
	}
	got, gotColours, err := ReadPLYUnwelded(&shared, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Vertices, m.Vertices) || !slices.Equal(got.Triangles, m.Triangles) || !slices.Equal(gotColours, colours) {
		t.Errorf("shared layout read back differently")
	}
	got, gotColours, err = ReadPLYUnwelded(&facets, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range got.Triangles {
		for k, v := range tr {
			if got.Vertices[v] != m.Vertices[m.Triangles[i][k]] || gotColours[v] != [3]uint8{uint8(i), 0, 0} {
				t.Fatalf("facet %d corner %d read back differently", i, k)
			}
		}
	}
}

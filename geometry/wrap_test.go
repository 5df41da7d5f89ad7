package geometry

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
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
			// The staircase is gone: a bounded reduction keeps well under
			// half of marching cubes' facets.
			if 2*rep.Triangles > st.TrianglesMC {
				t.Errorf("%s: %d facets left of marching cubes' %d", name, rep.Triangles, st.TrianglesMC)
			}
			t.Logf("%s /%v: %v, %d tris (%d from marching cubes), shells %d watertight %v nmv %d inverted %d, volume %.4g -> %.4g, comps %d bridges %d, input vertices outside %d",
				name, div, el, rep.Triangles, st.TrianglesMC, rep.Shells, rep.Watertight, rep.NonManifoldVertices, rep.InvertedNormals, in.Volume, rep.Volume, st.Components, st.Bridges, outside)
			if !rep.Watertight || rep.Shells != 1 || rep.NonManifoldVertices != 0 || rep.Volume <= 0 || outside > 0 {
				t.Errorf("%s: not one closed enclosing shell", name)
			}
		}
	}
}

// Shrinkwrap, hollowing and reduction stop within a second of being
// cancelled, from any stage: each is cancelled at several points of a run
// on the extruder body at fine settings.
func TestVolumeOpsCancelPromptly(t *testing.T) {
	m := readCorpusSTL(t, "prusa_extruder-body.stl")
	ops := map[string]func(ctx context.Context) error{
		"shrinkwrap Detailed": func(ctx context.Context) error {
			_, _, err := Shrinkwrap(ctx, m, wrapPreset(m, 512))
			return err
		},
		"hollow 1 mm": func(ctx context.Context) error {
			_, _, err := Hollow(ctx, m, HollowOptions{Wall: 1, Voxel: 0.25})
			return err
		},
		"reduce 0.05 mm": func(ctx context.Context) error {
			_, _, err := Simplify(ctx, m, SimplifyOptions{MaxDeviation: 0.05, MaxAngle: 30, Passes: 100})
			return err
		},
	}
	for name, run := range ops {
		for _, after := range []time.Duration{20 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond} {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx) }()
			time.Sleep(after)
			cancel()
			start := time.Now()
			select {
			case err := <-done:
				el := time.Since(start)
				t.Logf("%s cancelled after %v: returned in %v", name, after, el)
				if el > time.Second {
					t.Errorf("%s cancelled after %v: returned %v later", name, after, el)
				}
				if err == nil {
					t.Logf("%s finished within %v, before the cancel", name, after)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s cancelled after %v: still running 5 s later", name, after)
			}
		}
	}
}

// The wrap's reduction (proven collapses only, nothing measured) keeps the
// marching-cubes surface's shape within a quarter voxel, measured
// independently both ways, and keeps it one closed manifold shell.
func TestWrapReductionBounded(t *testing.T) {
	for _, name := range []string{"prusa_extruder-body.stl", "teapot.stl"} {
		m := readCorpusSTL(t, name)
		opt := wrapPreset(m, 128)
		old := wrapSimplifyBound
		wrapSimplifyBound = 0
		raw, _, err := Shrinkwrap(context.Background(), m, opt)
		wrapSimplifyBound = old
		if err != nil {
			t.Fatal(err)
		}
		bound := wrapSimplifyBound * opt.Voxel
		out, st, err := Simplify(context.Background(), raw, SimplifyOptions{MaxDeviation: bound, MaxAngle: 60, Passes: 10, provenOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		checkReduction(t, raw, out, st, bound)
	}
}

// On a closed input the band grows outside only: the same wrap as growing
// it both ways, for about half the distance work.
func TestShrinkwrapClosedOutsideOnly(t *testing.T) {
	for _, name := range []string{"prusa_extruder-body.stl", "20mm-xyz-cube.stl", "teapot.stl"} {
		m := readCorpusSTL(t, name)
		if !analyze(t, m, AnalyzeOptions{}).Watertight {
			continue
		}
		both := wrapPreset(m, 128)
		one := both
		one.Closed = true
		a, _, err := Shrinkwrap(context.Background(), m, both)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		b, _, err := Shrinkwrap(context.Background(), m, one)
		if err != nil {
			t.Fatal(err)
		}
		ra, rb := analyze(t, a, AnalyzeOptions{}), analyze(t, b, AnalyzeOptions{})
		t.Logf("%s: both sides %d tris %.6g mm³; outside only %d tris %.6g mm³ (%v)", name, ra.Triangles, ra.Volume, rb.Triangles, rb.Volume, time.Since(start))
		if !rb.Watertight || rb.Shells != 1 || math.Abs(rb.Volume-ra.Volume) > 1e-3*ra.Volume {
			t.Errorf("%s: outside-only wrap differs: %+v", name, rb)
		}
	}
}

// The wrap turns a model to lie along z and back: a rotation, so the
// turned mesh keeps its volume's sign, and turning back is exact.
func TestTurnLongestToZ(t *testing.T) {
	plate := cube(Vec3{1, 2, 3}, 1)
	for i := range plate.Vertices {
		plate.Vertices[i][0] *= 30 // longest along x
	}
	turned, steps := turnLongestToZ(plate)
	lo, hi := turned.Bounds()
	if steps != 1 || hi[2]-lo[2] < 29 {
		t.Fatalf("turned %d steps, z extent %g", steps, hi[2]-lo[2])
	}
	if v0, v1 := signedVolume(plate), signedVolume(turned); math.Abs(v0-v1) > 1e-3*math.Abs(v0) {
		t.Errorf("signed volume %g became %g", v0, v1)
	}
	if plate.Vertices[0] == turned.Vertices[0] {
		t.Error("the input mesh was turned in place")
	}
	turnAxes(turned, (3-steps)%3)
	if !slices.Equal(turned.Vertices, plate.Vertices) {
		t.Error("turning back does not restore the vertices")
	}
}

// triGeom's distance (plane, or the edges the point lies beyond) is the
// exact point–triangle distance, on slivers and obtuse triangles too.
func TestTriGeomDistIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pt := func(s float64) v64 {
		return v64{s * (rng.Float64() - 0.5), s * (rng.Float64() - 0.5), s * (rng.Float64() - 0.5)}
	}
	for i := range 20000 {
		a, b, c := pt(10), pt(10), pt(10)
		if i%3 == 0 { // a sliver: c near the segment ab
			c = v64{a.x + 0.5*(b.x-a.x) + 1e-3*rng.Float64(), a.y + 0.5*(b.y-a.y), a.z + 0.5*(b.z-a.z)}
		}
		tg := newTriGeom(a, b, c)
		p := pt(30)
		want := norm(sub(closestOnTriangle(p, a, b, c), p))
		if got := tg.dist(p); math.Abs(got-want) > 1e-9*(1+want) {
			t.Fatalf("triangle %v %v %v, point %v: %g, want %g", a, b, c, p, got, want)
		}
	}
}

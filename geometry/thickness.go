package geometry

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// WallThickness measures the local thickness of a mesh's walls at surface
// samples spread evenly over its area (stratified: sample k sits at
// cumulative area (k + ½)·A/n, so the pattern is deterministic).
//
// Each sample combines two measures, each right where the other is wrong:
//
//   - the inward ray: distance to the first surface the ray leaves the
//     material through, along the inverted face normal. Surfaces it would
//     enter are ignored (in a closed solid the first surface hit is always
//     one the ray leaves through; the others are the sample's own
//     surroundings, such as the neighbour across a sharp inner corner,
//     which would read ~0), and so are hits closer than 1e-7 of the model
//     size.
//   - the largest ball tangent at the sample that touches no opposing
//     surface (a surface whose normal is more than ~95° from the sample's):
//     it starts at half the ray distance and shrinks, catching walls the
//     ray crosses obliquely. Surfaces at right angles (the sides at a convex
//     edge) do not count, so convex edges do not read thin either.
//
// The thickness is the ball's diameter (never more than the ray distance).
// The ball's radius is capped at maxBall: where no opposing surface comes
// that close, the wall is thicker than 2·maxBall and the ray distance is
// reported (callers that only judge thinness pass a few times the minimum
// wall, which keeps every query local). A sample whose ray escapes (open
// meshes) and whose ball finds no opposing surface is not measured (NaN).
// In multi-shell meshes a ray stops at the first surface of any shell.
func WallThickness(ctx context.Context, m *Mesh, samples int, maxBall float64, progress func(float64)) (*Thickness, error) {
	th := &Thickness{}
	if len(m.Triangles) == 0 || samples <= 0 {
		return th, nil
	}
	// The tree builds on another core while the samples are placed.
	built := make(chan *BVH, 1)
	go func() {
		// The SAH tree pays for its build with cheaper queries up to a few
		// hundred thousand triangles; past that the Morton tree's O(n)
		// build wins.
		if len(m.Triangles) <= 400_000 {
			built <- NewBVHSAH(m)
		} else {
			built <- NewBVH(m)
		}
	}()
	normals := make([]v64, len(m.Triangles))
	areas := make([]float64, len(m.Triangles))
	var total float64
	for i := range m.Triangles {
		a, b, c := m.Triangle(i)
		n := cross(sub(to64(b), to64(a)), sub(to64(c), to64(a)))
		l := norm(n)
		areas[i] = l / 2
		total += areas[i]
		if l > 0 {
			normals[i] = v64{n.x / l, n.y / l, n.z / l}
		}
	}
	lo, hi := m.Bounds()
	diag := norm(sub(to64(hi), to64(lo)))
	th.SampleArea = total / float64(samples)
	th.Samples = stratify(m, areas, total, samples)
	bvh := <-built
	cones := bvh.NormalCones(normals)
	eps := 1e-7 * diag

	var next, done atomic.Int64
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	const batch = 256
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := new(traversal)
			for {
				start := int(next.Add(batch)) - batch
				if start >= len(th.Samples) || ctx.Err() != nil {
					return
				}
				for i := start; i < min(start+batch, len(th.Samples)); i++ {
					s := &th.Samples[i]
					s.Thickness = measure(st, m, bvh, cones, normals, s, eps, diag, maxBall)
				}
				if d := done.Add(batch); progress != nil && (d/batch)%64 == 0 {
					progress(float64(min(d, int64(len(th.Samples)))) / float64(len(th.Samples)))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	th.spread(m)
	return th, nil
}

// ThicknessSample is one measured surface point.
type ThicknessSample struct {
	Tri       uint32
	P         [3]float64
	Thickness float64 // NaN if not measured
}

// Thickness is the measurement.
type Thickness struct {
	Samples    []ThicknessSample
	SampleArea float64   // surface area each sample stands for
	PerTri     []float32 // thinnest sample on each triangle, or carried from a neighbour (NaN: none)
	PerVertex  []float32 // thinnest of the triangles around each vertex (NaN: none)
}

// stratify places n samples evenly by area.
func stratify(m *Mesh, areas []float64, total float64, n int) []ThicknessSample {
	out := make([]ThicknessSample, 0, n)
	step := total / float64(n)
	next := step / 2
	var cum float64
	const golden = 0.6180339887498949
	for t, a := range areas {
		for next < cum+a && len(out) < n {
			u := (next - cum) / a
			v := float64(len(out)) * golden
			v -= math.Floor(v)
			if u+v > 1 {
				u, v = 1-u, 1-v
			}
			A, B, C := m.Triangle(t)
			pa, pb, pc := to64(A), to64(B), to64(C)
			var p [3]float64
			for k := range 3 {
				p[k] = pa.at(k) + u*(pb.at(k)-pa.at(k)) + v*(pc.at(k)-pa.at(k))
			}
			out = append(out, ThicknessSample{Tri: uint32(t), P: p})
			next += step
		}
		cum += a
	}
	return out
}

// measure combines the inward ray and the tangent ball at one sample.
func measure(st *traversal, m *Mesh, bvh *BVH, cones []normalCone, normals []v64, s *ThicknessSample, eps, diag, maxBall float64) float64 {
	n, P := normals[s.Tri], vec(s.P)
	if n == (v64{}) {
		return math.NaN()
	}
	dir := v64{-n.x, -n.y, -n.z}
	hit, ok := bvh.raycast(st, m, cones, normals, P, dir, func(t uint32, d float64) bool { return d < eps })
	r := math.Min(diag, maxBall)
	if ok {
		r = math.Min(hit.Dist/2, maxBall)
	}
	capped := !ok || hit.Dist/2 > maxBall
	found := ok
	for range 16 {
		c := v64{P.x - n.x*r, P.y - n.y*r, P.z - n.z*r}
		// Only opposing surfaces inside the ball matter (normals > ~95.7° apart).
		q, _, _, qok := bvh.nearestFacing(st, m, cones, normals, c, r*r*(1-1e-9), n, -0.1)
		if !qok {
			break
		}
		found = true
		pq := sub(P, q)
		den := 2 * dot(pq, n)
		if den <= 1e-12*diag {
			break
		}
		rn := dot(pq, pq) / den
		if rn >= r {
			break
		}
		r = rn
		capped = false
	}
	switch {
	case !found:
		return math.NaN()
	case capped: // nothing opposing within the cap: the ray measures it
		return hit.Dist
	}
	return 2 * r
}

// spread gives every triangle the thinnest of its samples, carries values
// to unsampled triangles from neighbours sharing a vertex (breadth first),
// and gives every vertex the thinnest of its triangles.
func (th *Thickness) spread(m *Mesh) {
	nan := float32(math.NaN())
	th.PerTri = make([]float32, len(m.Triangles))
	for i := range th.PerTri {
		th.PerTri[i] = nan
	}
	for _, s := range th.Samples {
		if v := float32(s.Thickness); v == v && (th.PerTri[s.Tri] != th.PerTri[s.Tri] || v < th.PerTri[s.Tri]) {
			th.PerTri[s.Tri] = v
		}
	}
	// Vertex → triangles (CSR) for the breadth-first carry.
	start := make([]uint32, len(m.Vertices)+1)
	for _, t := range m.Triangles {
		for _, v := range t {
			start[v+1]++
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	incident := make([]uint32, start[len(m.Vertices)])
	fill := append([]uint32(nil), start[:len(m.Vertices)]...)
	for ti, t := range m.Triangles {
		for _, v := range t {
			incident[fill[v]] = uint32(ti)
			fill[v]++
		}
	}
	queue := make([]uint32, 0, len(m.Triangles))
	for i, v := range th.PerTri {
		if v == v {
			queue = append(queue, uint32(i))
		}
	}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		for _, v := range m.Triangles[t] {
			for _, u := range incident[start[v]:start[v+1]] {
				if th.PerTri[u] != th.PerTri[u] {
					th.PerTri[u] = th.PerTri[t]
					queue = append(queue, u)
				}
			}
		}
	}
	th.PerVertex = make([]float32, len(m.Vertices))
	for v := range th.PerVertex {
		th.PerVertex[v] = nan
		for _, t := range incident[start[v]:start[v+1]] {
			if x := th.PerTri[t]; x == x && (th.PerVertex[v] != th.PerVertex[v] || x < th.PerVertex[v]) {
				th.PerVertex[v] = x
			}
		}
	}
}

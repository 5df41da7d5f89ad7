package geometry

import (
	"context"
	"math"
)

// Report is the analysis of a mesh, with the fields of API.md. Lengths are
// in the mesh's units (the caller converts to mm).
type Report struct {
	Triangles             int
	Vertices              int     // after exact welding, used or not
	Shells                int     // edge-connected components of proper triangles
	Volume                float64 // signed (divergence theorem): negative if inside out
	SurfaceArea           float64
	Min, Max              [3]float64 // bounding box
	Watertight            bool       // no boundary and no non-manifold edges
	BoundaryEdges         int        // edges used by one triangle
	Holes                 int        // boundary loops
	NonManifoldEdges      int        // edges used by more than two triangles
	NonManifoldVertices   int        // vertices whose triangles form more than one fan
	DegenerateTriangles   int        // a repeated vertex, or area < 1e-12·diagonal²
	DuplicateTriangles    int        // triangles over the same three vertices as an earlier one
	MisorientedEdges      int        // two-use edges both traversed the same way
	InvertedNormals       int        // closed shells with negative volume (facing inward)
	IntersectingTriangles int        // triangles crossing a non-adjacent one (-1 if not computed)
}

// Dimensions is the bounding box extent.
func (r *Report) Dimensions() [3]float64 {
	return [3]float64{r.Max[0] - r.Min[0], r.Max[1] - r.Min[1], r.Max[2] - r.Min[2]}
}

// AnalyzeOptions selects the optional, costlier parts of Analyze.
type AnalyzeOptions struct {
	// Intersections counts self-intersecting triangles (BVH accelerated).
	Intersections bool
}

// Analyze computes the report in time linear in the mesh size (plus
// O(n log n) for intersections). It checks ctx between phases.
func Analyze(ctx context.Context, m *Mesh, opt AnalyzeOptions) (*Report, error) {
	r := &Report{Triangles: len(m.Triangles), Vertices: len(m.Vertices), IntersectingTriangles: -1}
	lo, hi := m.Bounds()
	for i := range 3 {
		r.Min[i], r.Max[i] = float64(lo[i]), float64(hi[i])
	}
	if len(m.Triangles) == 0 {
		r.Min, r.Max = [3]float64{}, [3]float64{}
		return r, nil
	}
	d := r.Dimensions()
	diag2 := d[0]*d[0] + d[1]*d[1] + d[2]*d[2]

	// Area, volume (per triangle, summed per shell below) and degenerates
	// on one core while the edge index is built on the other.
	triVol := make([]float64, len(m.Triangles))
	measured := make(chan struct{})
	go func() {
		defer close(measured)
		r.SurfaceArea, r.DegenerateTriangles = measureTriangles(m, triVol, 1e-12*diag2)
	}()
	edges := newEdgeIndex(m)
	<-measured
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Fans around vertices on the other core.
	nonManifoldVertices := make(chan int, 1)
	go func() { nonManifoldVertices <- countNonManifoldVertices(m, edges) }()

	shells := newUnionFind(len(m.Triangles))
	boundary := newUnionFind(len(m.Vertices))
	onBoundary := make([]bool, len(m.Vertices))
	var openTris []uint32 // a triangle per boundary or non-manifold edge: its shell is not closed
	dup := make([]bool, len(m.Triangles))
	edges.each(func(lo uint32, uses []edgeUse) {
		hi := uses[0].hi
		switch len(uses) {
		case 1:
			r.BoundaryEdges++
			boundary.union(lo, hi)
			onBoundary[lo], onBoundary[hi] = true, true
			openTris = append(openTris, uses[0].tri)
			return
		case 2:
			if uses[0].forward == uses[1].forward {
				r.MisorientedEdges++
			}
		default:
			r.NonManifoldEdges++
			openTris = append(openTris, uses[0].tri)
		}
		for i, u := range uses {
			shells.union(uses[0].tri, u.tri)
			for _, w := range uses[:i] {
				if u.third == w.third {
					dup[max(u.tri, w.tri)] = true
				}
			}
		}
	})
	for _, d := range dup {
		if d {
			r.DuplicateTriangles++
		}
	}

	// Shells and their volumes; proper triangles only. A shell is named by
	// its root triangle; triVol is reused to sum each shell at its root.
	isRoot := make([]bool, len(m.Triangles))
	for i, t := range m.Triangles {
		r.Volume += triVol[i]
		if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
			continue
		}
		root := shells.find(uint32(i))
		if root != uint32(i) {
			triVol[root] += triVol[i]
		} else {
			isRoot[i] = true
			r.Shells++
		}
	}
	for _, t := range openTris {
		isRoot[shells.find(t)] = false // open shells have no meaningful volume
	}
	scale := math.Pow(diag2, 1.5)
	for i, root := range isRoot {
		if root && triVol[i] < -1e-12*scale {
			r.InvertedNormals++
		}
	}

	// Holes: connected components of the boundary-edge graph.
	for v, on := range onBoundary {
		if on && boundary.find(uint32(v)) == uint32(v) {
			r.Holes++
		}
	}
	r.NonManifoldVertices = <-nonManifoldVertices
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.Watertight = r.BoundaryEdges == 0 && r.NonManifoldEdges == 0

	if opt.Intersections {
		n, err := CountIntersectingTriangles(ctx, m)
		if err != nil {
			return nil, err
		}
		r.IntersectingTriangles = n
	}
	return r, nil
}

// measureTriangles fills vol with each triangle's signed volume contribution
// a·(b×c)/6 and returns the total area and the count of degenerate
// triangles (a repeated vertex, or area below minArea). Float64 throughout.
func measureTriangles(m *Mesh, vol []float64, minArea float64) (area float64, degenerate int) {
	for i, t := range m.Triangles {
		a, b, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
		ax, ay, az := float64(a[0]), float64(a[1]), float64(a[2])
		ux, uy, uz := float64(b[0])-ax, float64(b[1])-ay, float64(b[2])-az
		vx, vy, vz := float64(c[0])-ax, float64(c[1])-ay, float64(c[2])-az
		cx, cy, cz := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
		ta := 0.5 * math.Sqrt(cx*cx+cy*cy+cz*cz)
		area += ta
		// a·(b×c) = a·((b−a)×(c−a)): the same value, fewer rounding errors.
		vol[i] = (ax*cx + ay*cy + az*cz) / 6
		if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] || ta < minArea {
			degenerate++
		}
	}
	return area, degenerate
}

// countNonManifoldVertices counts vertices whose proper triangles form more
// than one fan, a fan being triangles joined through manifold (two-use)
// edges around the vertex: two cones touching at their tips, or the ends of
// an edge shared by four triangles.
func countNonManifoldVertices(m *Mesh, edges *edgeIndex) int {
	corners := newUnionFind(3 * len(m.Triangles)) // corner 3t+k is vertex k of triangle t
	edges.each(func(_ uint32, uses []edgeUse) {
		if len(uses) == 2 {
			corners.union(uses[0].loCorner(), uses[1].loCorner())
			corners.union(uses[0].hiCorner(), uses[1].hiCorner())
		}
	})
	fans := make([]uint8, len(m.Vertices))
	n := 0
	for t, tri := range m.Triangles {
		if tri[0] == tri[1] || tri[1] == tri[2] || tri[0] == tri[2] {
			continue
		}
		for k := range 3 {
			c := uint32(3*t + k)
			if v := tri[k]; corners.find(c) == c && fans[v] < 2 { // one root corner per fan
				if fans[v]++; fans[v] == 2 {
					n++
				}
			}
		}
	}
	return n
}

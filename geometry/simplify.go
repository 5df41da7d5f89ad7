package geometry

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// SimplifyOptions bound a reduction.
type SimplifyOptions struct {
	// MaxDeviation is the two-sided bound in model units: no input point
	// farther than this from the output, and no output point farther than
	// this from the input. 0 allows only exact reductions (coplanar merges).
	MaxDeviation float64
	// MaxAngle (degrees) bounds the angle between each output facet's normal
	// and the normals of the input facets it replaces.
	MaxAngle float64
	// Passes of the simplifier; each pass collapses an independent set of
	// edges cheapest first, and the mesh is valid after every pass.
	Passes int
	// TargetTriangles stops early once reached (0: reduce as far as the
	// bounds allow).
	TargetTriangles int
	// Progress, if set, hears the fraction of passes done.
	Progress func(frac float64)
	// provenOnly skips the measured check: only collapses the vertical
	// map proves within the bound are made (and the final measurement is
	// skipped). For surfaces like a wrap, whose every fan is a height field.
	provenOnly bool
	// measureProven measures a provenOnly result (Simplify's fallback),
	// which is otherwise left unmeasured.
	measureProven bool
	// minGain stops the passes after one that removed fewer than this
	// fraction of the live facets (0: run them all).
	minGain float64
	// passShare is the share of the candidates, cheapest first, that a
	// pass tries (0: a third).
	passShare float64
	// ranking orders the candidates (see edgeCandidate).
	ranking ranking
}

// measured says whether a result is measured (MaxDeviation,
// MaxNormalDeviation).
func (o *SimplifyOptions) measured() bool { return !o.provenOnly || o.measureProven }

// ranking is how edgeCandidate turns an edge's quadric error into its
// rank.
type ranking uint8

const (
	rankByRootWeight ranking = iota // the error over the square root of its planes' weight
	rankByError                     // the error as it is
)

// orderingsBelow is the input size under which a reduction to a target
// is run with both rankings, one on each core, and the result with the
// lower measured deviation kept. On CAD parts the largest deviation at a
// target is one feature that has to go, and which ranking keeps it lower
// varies from part to part (extruder body at 10 %: 0.76 mm by the square
// root, 0.59 by the error; tray: 6.4 and 4.6). On such inputs the
// passes mostly run on one core, so the second ordering costs a fifth
// more time (the extruder body's whole command: 0.17 → 0.20 s), not
// twice as much; on bigger ones it would cost nearly as much again.
const orderingsBelow = 1 << 16

// SimplifyStats describes a reduction, measured on the result.
type SimplifyStats struct {
	TrianglesBefore, TrianglesAfter int
	Passes                          int // passes run (fewer when nothing more could go)
	// MaxDeviation is the largest distance measured between the surfaces
	// through BVHs: every input vertex against the whole output, and a grid
	// of 10 points on every output facet against the whole input, refined
	// on the facets near the largest (see peaks).
	MaxDeviation float64
	// MaxNormalDeviation (degrees) is the largest angle between an input
	// facet's normal and the normal of the output facet that replaces it.
	MaxNormalDeviation float64
	// InputWatertight says the input has no boundary and no non-manifold
	// edge (Analyze's Watertight), as found while classifying its edges:
	// a caller that needs only this need not analyse the input.
	InputWatertight bool
	movedProofs     int // collapses fitsMoved bounded (for the tests)
}

// Simplify reduces m by half-edge collapses ordered by quadric error
// (Garland–Heckbert). Quadrics only order the work: every collapse is
// accepted by measurement. Each input facet and vertex is a sample attached
// to the output facet that replaces it; a collapse must find, for every
// sample of the facets it changes, a new facet within MaxDeviation (and,
// for facets, within MaxAngle), and every changed facet's edge midpoints and
// centroid must lie within MaxDeviation of the input facets it now covers.
// Vertices keep their input positions, so output vertices lie on the input.
//
// Topology: a collapse must satisfy the link condition, may not fold or
// flip a facet, may not create a duplicate facet, and never moves a vertex
// on a non-manifold edge. Boundary vertices move only along their boundary.
// So a closed manifold stays closed and manifold, shells are never merged,
// and no shell is collapsed away.
//
// Reducing an input under orderingsBelow triangles to a target, it runs both
// rankings and keeps the result with fewer triangles over the target, then
// the lower measured deviation.
//
// The measured check samples, and a few CAD parts at tight bounds came out
// over the bound (the x-end idler at 0.05 mm: 0.0505 measured; the Voron
// bracket set at 0.05 mm: 0.0519). So a result whose measured deviation
// is over the bound is made again under a bound scaled down by the excess
// (and by a twentieth more), up to retriesOverBound times, and then with
// proven collapses only, which never sample.
func Simplify(ctx context.Context, m *Mesh, opt SimplifyOptions) (*Mesh, SimplifyStats, error) {
	out, st, err := simplifyBest(ctx, m, opt)
	// An exact reduction (0) has the checks' float tolerance, a millionth
	// of the diagonal, and as much again for the measurement's rounding; a
	// smaller bound cannot help it, so it goes to the fallback at once.
	limit := opt.MaxDeviation
	if limit == 0 {
		limit = 2e-6 * diagonal(m)
	}
	progress := opt.Progress
	if progress != nil {
		opt.Progress = func(float64) { progress(1) } // the passes were all reported once
	}
	bound := opt.MaxDeviation
	for try := 0; try <= retriesOverBound && err == nil && st.MaxDeviation > limit && !opt.provenOnly; try++ {
		again := opt
		if try < retriesOverBound && opt.MaxDeviation > 0 {
			bound *= opt.MaxDeviation / st.MaxDeviation * 0.95
			again.MaxDeviation = bound
		} else {
			again.provenOnly, again.measureProven = true, true
		}
		out, st, err = simplifyBest(ctx, m, again)
	}
	return out, st, err
}

// diagonal is the length of m's bounding box diagonal, the scale of the
// float tolerances.
func diagonal(m *Mesh) float64 {
	lo, hi := m.Bounds()
	return math.Sqrt(float64((hi[0]-lo[0])*(hi[0]-lo[0]) + (hi[1]-lo[1])*(hi[1]-lo[1]) + (hi[2]-lo[2])*(hi[2]-lo[2])))
}

// retriesOverBound is how many times Simplify makes a result over the
// bound again under a smaller one before it falls back to proven
// collapses only.
const retriesOverBound = 2

// simplifyBest is Simplify without the check of the bound.
func simplifyBest(ctx context.Context, m *Mesh, opt SimplifyOptions) (*Mesh, SimplifyStats, error) {
	if opt.TargetTriangles <= 0 || opt.provenOnly || opt.ranking != rankByRootWeight || len(m.Triangles) >= orderingsBelow || runtime.GOMAXPROCS(0) < 2 {
		return simplifyOnce(ctx, m, opt)
	}
	alt := opt
	alt.ranking, alt.Progress = rankByError, nil
	var altOut *Mesh
	var altSt SimplifyStats
	var altErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		altOut, altSt, altErr = simplifyOnce(ctx, m, alt)
	}()
	out, st, err := simplifyOnce(ctx, m, opt)
	<-done
	if err == nil && altErr == nil && betterReduction(altSt, st, opt.TargetTriangles) {
		return altOut, altSt, nil
	}
	return out, st, err
}

// betterReduction says whether a is a better reduction to target than b:
// fewer triangles over the target, then a lower measured deviation.
func betterReduction(a, b SimplifyStats, target int) bool {
	over := func(st SimplifyStats) int { return max(st.TrianglesAfter-target, 0) }
	if over(a) != over(b) {
		return over(a) < over(b)
	}
	return a.MaxDeviation < b.MaxDeviation
}

// simplifyOnce is Simplify with one ranking.
func simplifyOnce(ctx context.Context, m *Mesh, opt SimplifyOptions) (*Mesh, SimplifyStats, error) {
	s := newSimplifier(ctx, m, opt)
	st := SimplifyStats{TrianglesBefore: len(m.Triangles), InputWatertight: len(m.Triangles) > 0 && !s.open.Load()}
	passes := max(opt.Passes, 1)
	for pass := range passes {
		if opt.TargetTriangles > 0 && s.live <= opt.TargetTriangles {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, st, err
		}
		live := s.live
		n, err := s.pass(ctx)
		if err != nil {
			return nil, st, err
		}
		st.Passes = pass + 1
		if opt.Progress != nil {
			opt.Progress(float64(pass+1) / float64(passes))
		}
		if n == 0 && s.goalLimited {
			s.noGoal = true // the cheap ones were all refused: take the third once
			continue
		}
		if n == 0 || float64(live-s.live) < opt.minGain*float64(live) {
			break
		}
	}
	out := s.result()
	st.TrianglesAfter, st.movedProofs = len(out.Triangles), s.movedProofs
	if !opt.measured() {
		return out, st, nil
	}
	// What the passes needed is garbage now; only the input BVH is reused.
	// On a large mesh a collection now lets the measurement take that
	// memory (a third of the heap) instead of fresh pages: the heap had
	// grown since the last one, and the next would come too late.
	s.failed, s.quad, s.self, s.sortedBuf, s.spreadBuf, s.histBuf, s.bandBuf, s.chunkBuf = nil, nil, nil, nil, nil, nil, nil, nil
	s.slabBuf, s.nearBuf, s.ownBuf, s.restBuf, s.binOf = nil, nil, nil, nil, nil
	if len(m.Triangles) >= collectAbove {
		<-s.inTree.done
		runtime.GC()
	}
	var err error
	st.MaxDeviation, st.MaxNormalDeviation, err = s.measure(ctx, m, out)
	return out, st, err
}

// measuredShare is the share of the bound a measured collapse checks its
// sample points against (the true distance can peak between them), and
// the bound its facets carry afterwards.
const measuredShare = 0.8

// collectAbove is the input size from which Simplify asks for a
// collection when large scratch becomes garbage (the input tree's build,
// the passes), so that what follows reuses it instead of fresh pages.
const collectAbove = 1 << 18

// Vertex kinds: interior vertices move freely, boundary ones only along
// their boundary, fixed ones (on non-manifold edges) never.
const (
	kindInterior = iota
	kindBoundary
	kindFixed
)

type quadric [10]float64 // a2 ab ac ad b2 bc bd c2 cd d2

func planeQuadric(n v64, d, w float64) quadric {
	return quadric{w * n.x * n.x, w * n.x * n.y, w * n.x * n.z, w * n.x * d,
		w * n.y * n.y, w * n.y * n.z, w * n.y * d, w * n.z * n.z, w * n.z * d, w * d * d}
}

func (q *quadric) add(o *quadric) {
	for i := range q {
		q[i] += o[i]
	}
}

func (q *quadric) eval(p v64) float64 {
	x, y, z := p.x, p.y, p.z
	return q[0]*x*x + 2*q[1]*x*y + 2*q[2]*x*z + 2*q[3]*x + q[4]*y*y + 2*q[5]*y*z + 2*q[6]*y + q[7]*z*z + 2*q[8]*z + q[9]
}

type simplifier struct {
	opt      SimplifyOptions
	eps2     float64 // squared deviation bound
	cosMax   float64 // cos(MaxAngle)
	pos      []v64   // input positions (half-edge collapses never move one)
	orig     [][3]uint32
	origN    [][3]float32 // unit normals of the input facets
	origS    [][4]float32 // bounding spheres of the input facets (centroid, radius), made when first needed
	f        []facet      // current facets
	live     int
	kind     []uint8
	quad     []quadric
	self     []float64 // per vertex: its quadric at its own position, the second term of every cost to it
	next     []int32   // per sample: next sample on the same facet
	hard     float64   // the bound the tracked bounds must stay within
	maxAngle float64   // radians
	bDev     float32
	bCones   []cone          // each moved facet's cone
	bAcross  bool            // the fan crosses a sharp edge: its cones were checked by overlap
	ringP    [][3]planePoint // conesByOverlap's scratch: the old fan in plane coordinates
	bLimit   []float64       // per ring facet: the cosine its cone's axis must keep with a new normal
	bMerge   [][2]int32      // removed facet → index in moved that takes its samples
	// overBound says the last fitsVertical refused for the bound, not for
	// the shape of the fan: measuring would rarely accept it either.
	overBound bool
	nOrig     int        // samples are input facets
	adj       vertexStar // per pass: vertex → live facets
	adjFresh  bool       // adj was built by newSimplifier and is still current
	locked    []int32    // per pass: 0, or 1 + the other end of the collapse the vertex took part in
	moved     []int32    // scratch
	assign    []sampleAssign
	samples   []int32
	ring      []int32
	uFaces    []int32
	nbrV      []int32
	nbrU      []int32
	nbrP      []planePoint  // fitsVertical's scratch: nbrV in plane coordinates
	near2     *[2]markSet   // crossesNearby's scratch: vertices and facets two rings around (a worker's own)
	nearPool  []*[2]markSet // the workers' near2, kept for the next batch
	movedBox  []boxedFacet  // crossesNearby's scratch: the moved facets as they will be
	// nearMarks is cutSlabs' near for a worker of collapseInSlabs (nil on
	// one core); deferred says its last collapse was put off to one core.
	nearMarks []uint8
	deferred  bool
	newN      []v64
	unvouched []int32 // folds' verdict: the vertices whose dir the collapse voids
	lastHit   int32   // the input facet that covered the last point checked
	in        *Mesh
	inTree    *inputTree // for points the local input facets do not cover; built in the background
	cands     []int32
	// per vertex: the last pass that changed its neighbourhood, and a
	// direction over which its fan is a height field (see folds); side by
	// side, as a collapse reads the one and writes the other for the
	// same vertices
	vtx       []vertexState
	failed    [][failSlots]refusal // per vertex: its last refused collapses
	edgeVerts []int32              // the boundary and fixed vertices
	open      *atomic.Bool         // the input has a boundary or non-manifold edge
	passNo    int32
	// goalLimited says the last pass stopped at its goal's cost (see
	// pass); noGoal that one such pass collapsed nothing, so the next
	// takes its cheapest third only.
	goalLimited, noGoal bool
	// per pass, reused: the candidates (per chunk), the histogram and
	// bands that rank them, and the ones taken, in order
	chunkBuf  [][]cand
	histBuf   []int32
	bandBuf   []uint8
	sortedBuf []cand
	spreadBuf []cand    // the taken candidates by band and slab, before interleave
	pickBuf   [][]int32 // facetsWhere's, per chunk
	pickAll   []int32
	listCount []int                      // per list: its candidates taken
	listFirst []int                      // per list: the index of its first candidate among all
	listAt    [][rankBands][maxSlabs]int // per list: its taken candidates per band and slab, then where they go
	// cutSlabs' and collapseInSlabs': slab and near per vertex, the
	// workers' candidates and those left near the cuts
	slabBuf, nearBuf []uint8
	binOf            []uint16 // per vertex: its bin along the slabs' axis
	ownBuf           [][]cand
	restBuf          []cand

	movedProofs int // collapses fitsMoved bounded (SimplifyStats, for the tests)
}

// facet is everything a collapse reads and writes about one current
// facet, in one 64-byte cache line: a collapse touches a dozen facets
// scattered over the mesh, and separate tables cost a miss per table.
type facet struct {
	t [3]int32 // vertices; dead facets have t[0] = -1
	// Tracked bounds (see fitsVertical): how far the points on the facet
	// have moved from the input, and the input normals they came from.
	dev  float32
	n    v64 // unit normal
	cone cone
	head int32 // first attached sample, -1 if none
	tail int32 // last attached sample
}

type sampleAssign struct{ sample, face int32 }

func newSimplifier(ctx context.Context, m *Mesh, opt SimplifyOptions) *simplifier {
	nv, nt := len(m.Vertices), len(m.Triangles)
	s := &simplifier{opt: opt, in: m, pos: make([]v64, nv), orig: m.Triangles, origN: make([][3]float32, nt),
		f: make([]facet, nt), live: nt, kind: make([]uint8, nv),
		quad: make([]quadric, nv), vtx: make([]vertexState, nv), self: make([]float64, nv), next: make([]int32, nt), nOrig: nt, open: new(atomic.Bool), inTree: &inputTree{done: make(chan struct{}), spheresDone: make(chan struct{})}}
	for i, v := range m.Vertices {
		s.pos[i] = to64(v)
	}
	// The input facets' bounding spheres and BVH are needed only for
	// measured collapses and the final measurement: build them on another
	// core while the passes start. Proven-only reductions never measure
	// (but Simplify's fallback, measureProven).
	go func() {
		if opt.measured() {
			s.inTree.spheres = sphereOf(s.pos, s.orig)
		}
		close(s.inTree.spheresDone)
		if opt.measured() {
			s.inTree.h = NewBVH(m)
			if nt >= collectAbove {
				// The build's sort keys and boxes in input order (about
				// 40 MB on a million triangles) are garbage now; collected
				// at once, the passes' growing tables reuse them instead of
				// fresh pages (the next cycle would come only after the
				// passes).
				runtime.GC()
			}
		}
		close(s.inTree.done)
	}()
	diag := diagonal(m)
	// Collapses are checked at sample points, and the true distance can peak
	// between them; checking against 80 % of the bound keeps the measured
	// deviation under it nearly always (Simplify checks the result). Exact reductions still need a float tolerance: a
	// millionth of the size.
	eps := max(measuredShare*opt.MaxDeviation, 1e-6*diag)
	s.eps2 = eps * eps
	angle := max(opt.MaxAngle, 0.01) // 0° still needs a float tolerance
	if opt.MaxDeviation == 0 {
		angle = 0.01 // exact: coplanar merges only
	}
	s.cosMax = math.Cos(angle * math.Pi / 180)
	s.maxAngle = angle * math.Pi / 180
	// Tracked bounds are exact (fitsVertical: no sampling), so they may
	// use the whole bound, less a float margin.
	s.hard = max(opt.MaxDeviation*(1-1e-7), 1e-6*diag)
	AdviseHuge(s.pos)
	AdviseHuge(s.origN)
	AdviseHuge(s.f)
	AdviseHuge(s.quad)
	var dropped atomic.Int64
	parallelRanges(ctx, nt, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			t := m.Triangles[i]
			s.f[i].t = [3]int32{int32(t[0]), int32(t[1]), int32(t[2])}
			if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
				s.f[i].t[0] = -1 // no proper edges: dropped
				dropped.Add(1)
			}
			a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
			n := cross(sub(b, a), sub(c, a))
			area2 := norm(n)
			if area2 > 0 {
				n = v64{n.x / area2, n.y / area2, n.z / area2}
			}
			s.f[i].n = n
			s.origN[i] = [3]float32{float32(n.x), float32(n.y), float32(n.z)}
			s.f[i].cone = s.sampleCone(int32(i))
			s.f[i].dev = float32(area2 / 2)               // for the quadrics below; reset there
			s.f[i].head, s.f[i].tail = int32(i), int32(i) // each facet carries its own sample
			s.next[i] = -1
		}
	})
	s.live -= int(dropped.Load())
	// Each vertex gathers its quadric and its kind from its own facets, so
	// this runs on all cores with no write shared.
	s.buildAdjacency()
	s.adjFresh = true
	parallelRanges(ctx, nv, func(_, lo, hi int) {
		var nb []edgeAt
		for v := int32(lo); v < int32(hi); v++ {
			nb = nb[:0]
			// The sum in scalars, which stay in registers (a quadric is an
			// array, which the compiler keeps in memory).
			var q0, q1, q2, q3, q4, q5, q6, q7, q8, q9 float64
			for _, f := range s.adj.of(v) {
				fc := &s.f[f]
				// Each plane weighs the square root of its facet's area
				// (fc.dev holds the area until the set-up ends), as in
				// meshoptimizer: weighed by the area, a small feature's
				// planes barely counted, and the deviation at 10 % of 13
				// corpus parts was about a tenth higher.
				n, w := fc.n, math.Sqrt(float64(fc.dev))
				d := -dot(n, s.pos[fc.t[0]])
				// planeQuadric's terms.
				q0, q1, q2, q3 = q0+w*n.x*n.x, q1+w*n.x*n.y, q2+w*n.x*n.z, q3+w*n.x*d
				q4, q5, q6 = q4+w*n.y*n.y, q5+w*n.y*n.z, q6+w*n.y*d
				q7, q8, q9 = q7+w*n.z*n.z, q8+w*n.z*d, q9+w*d*d
				k := 0
				for fc.t[k] != v {
					k++
				}
				nb = append(nb, edgeAt{fc.t[(k+1)%3], f, true}, edgeAt{fc.t[(k+2)%3], f, false})
			}
			s.quad[v] = quadric{q0, q1, q2, q3, q4, q5, q6, q7, q8, q9}
			sortEdgesAt(nb)
			for i := 0; i < len(nb); {
				j, out := i, 0
				for ; j < len(nb) && nb[j].w == nb[i].w; j++ {
					if nb[j].out {
						out++
					}
				}
				s.classifyEdge(v, nb[i:j], out)
				i = j
			}
			s.self[v] = s.quad[v].eval(s.pos[v])
		}
	})
	parallelRanges(ctx, nt, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			s.f[i].dev = 0
		}
	})
	for v, k := range s.kind {
		if k != kindInterior {
			s.edgeVerts = append(s.edgeVerts, int32(v))
		}
	}
	return s
}

// edgeAt is one facet's use of the edge from a vertex to w: out says the
// facet runs from the vertex to w.
type edgeAt struct {
	w   int32
	f   int32
	out bool
}

// sortEdgesAt orders a vertex's edge uses by their other end: by
// insertion for the dozen of a usual vertex (a third of the set-up's time
// went to the general sort's comparisons).
func sortEdgesAt(nb []edgeAt) {
	if len(nb) > 32 {
		slices.SortFunc(nb, func(a, b edgeAt) int { return int(a.w) - int(b.w) })
		return
	}
	for i := 1; i < len(nb); i++ {
		for j := i; j > 0 && nb[j].w < nb[j-1].w; j-- {
			nb[j], nb[j-1] = nb[j-1], nb[j]
		}
	}
}

// classifyEdge marks v by one of its edges (uses, of which out run away
// from v): a border edge makes it a boundary vertex and adds a quadric for
// the plane through the edge perpendicular to its facet, so open borders
// keep their shape (weighed by 4 × the edge's length: a length, like the
// facets' weights, so that the ranking does not depend on the unit); a
// non-manifold or inconsistently oriented edge fixes it. Both ends of an
// edge reach the same verdict.
func (s *simplifier) classifyEdge(v int32, uses []edgeAt, out int) {
	if len(uses) != 2 {
		s.open.Store(true)
	}
	switch {
	case len(uses) == 1:
		s.kind[v] = max(s.kind[v], kindBoundary)
		a := s.pos[v]
		edge := sub(s.pos[uses[0].w], a)
		pn := cross(edge, s.f[uses[0].f].n)
		if l := norm(pn); l > 0 {
			pn = v64{pn.x / l, pn.y / l, pn.z / l}
			q := planeQuadric(pn, -dot(pn, a), 4*math.Sqrt(dot(edge, edge)))
			s.quad[v].add(&q)
		}
	case len(uses) > 2 || out != 1:
		s.kind[v] = kindFixed // non-manifold or inconsistently oriented: never moves
	}
}

// buildAdjacency indexes the live facets by vertex.
func (s *simplifier) buildAdjacency() {
	nv := len(s.pos)
	if s.locked == nil {
		s.locked = make([]int32, nv)
		s.failed = make([][failSlots]refusal, nv)
	}
	if !s.adjFresh {
		s.adj.build(nv, len(s.f), func(i int) ([3]int32, bool) { return s.f[i].t, s.f[i].t[0] >= 0 })
	}
	s.adjFresh = false
	clear(s.locked)
}

// eachList calls fn(j) for each j in [0, n): on all cores if par (each
// takes the next j when it is free), in any order, and returns when every
// call has.
func eachList(par bool, n int, fn func(j int)) {
	if !par {
		for j := range n {
			fn(j)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := int(next.Add(1) - 1); j < n; j = int(next.Add(1) - 1) {
				fn(j)
			}
		}()
	}
	wg.Wait()
}

// rangeChunks is how many ranges parallelRanges cuts [0, n) into.
func rangeChunks(n int) int {
	if workers := runtime.GOMAXPROCS(0); workers > 1 && n >= 1<<14 {
		return 8 * workers
	}
	return 1
}

// parallelRanges calls fn on consecutive ranges covering [0, n) (chunk c
// of rangeChunks(n), in any order), on all cores, and returns when every
// call has; once ctx is done it starts no more ranges (the caller checks
// ctx).
func parallelRanges(ctx context.Context, n int, fn func(c, lo, hi int)) {
	chunks := rangeChunks(n)
	if chunks == 1 {
		fn(0, 0, n)
		return
	}
	step := (n + chunks - 1) / chunks
	eachList(true, chunks, func(c int) {
		if ctx.Err() == nil {
			fn(c, min(c*step, n), min((c+1)*step, n))
		}
	})
}

type cand struct {
	cost     float32
	from, to int32
}

// candidates lists each edge once, as its cheaper direction by quadric
// error, in lists to be read in order (kept between passes, not joined:
// joined they took another 19 MB on a million triangles). Edges between
// interior vertices come from the facets (each is used once in each
// direction, so its lower-to-higher use names it), in chunks on all
// cores; the few edges at boundary and fixed vertices from those
// vertices, in the last list.
func (s *simplifier) candidates(ctx context.Context) [][]cand {
	nf := len(s.f)
	chunks := rangeChunks(nf)
	if len(s.chunkBuf) != chunks+1 {
		s.chunkBuf = make([][]cand, chunks+1)
	}
	parallelRanges(ctx, nf, func(c, lo, hi int) {
		if s.chunkBuf[c] == nil { // an edge per one and a half facets on average
			s.chunkBuf[c] = make([]cand, 0, 3*(hi-lo)/2+16)
		}
		s.chunkBuf[c] = s.candidatesIn(lo, hi, s.chunkBuf[c][:0])
	})
	edge := s.chunkBuf[chunks][:0]
	var nb []int32
	for _, a := range s.edgeVerts {
		edge, nb = s.candidatesAround(a, edge, nb)
	}
	s.chunkBuf[chunks] = edge
	return s.chunkBuf
}

// candidatesIn appends the candidates of the edges between interior
// vertices used by facets lo..hi from their lower vertex.
func (s *simplifier) candidatesIn(lo, hi int, cands []cand) []cand {
	for f := lo; f < hi; f++ {
		t := s.f[f].t
		if t[0] < 0 {
			continue
		}
		for k := range 3 {
			a, b := t[k], t[(k+1)%3]
			if a < b && s.kind[a] == kindInterior && s.kind[b] == kindInterior {
				cands = s.edgeCandidate(a, b, false, cands)
			}
		}
	}
	return cands
}

// candidatesAround appends the candidates of the edges at boundary or
// fixed vertex a that it names: those to interior vertices, and to higher
// ones of its own kinds (nb is scratch space, returned for reuse).
func (s *simplifier) candidatesAround(a int32, cands []cand, nb []int32) ([]cand, []int32) {
	nb = nb[:0]
	for _, f := range s.adj.of(a) {
		for _, b := range s.f[f].t {
			if b != a && (b > a || s.kind[b] == kindInterior) {
				nb = append(nb, b)
			}
		}
	}
	slices.Sort(nb)
	for i := 0; i < len(nb); {
		j := i
		for j < len(nb) && nb[j] == nb[i] {
			j++
		}
		cands = s.edgeCandidate(a, nb[i], j-i == 1, cands)
		i = j
	}
	return cands, nb
}

// edgeCandidate appends edge (a, b)'s cheaper allowed direction, unless
// that was refused before and nothing around either end has changed since
// (the same checks would refuse it again, and it would crowd the cheapest
// third). With nothing changed, a refused direction is still the cheaper
// one, so a refusal either way skips the edge before any cost is computed.
func (s *simplifier) edgeCandidate(a, b int32, boundaryEdge bool, cands []cand) []cand {
	if s.refusedBefore(a, b) || s.refusedBefore(b, a) {
		return cands
	}
	best, bestFrom, bestTo := math.Inf(1), int32(-1), int32(-1)
	for _, d := range [2][2]int32{{a, b}, {b, a}} {
		if !s.mayMove(d[0], d[1], boundaryEdge) {
			continue
		}
		to := s.pos[d[1]]
		if c := s.quad[d[0]].eval(to) + s.self[d[1]]; c < best {
			best, bestFrom, bestTo = c, d[0], d[1]
		}
	}
	if bestFrom >= 0 {
		// Both directions share the edge's total plane weight (a
		// quadric's trace: each plane adds its weight to it), so dividing
		// by it ranks edges only. A quadric's value sums the weighted
		// squared distances, so it grows with the area a vertex has
		// gathered, and big flat fans looked dearer than the small
		// feature they would bevel. Divided by the weight it would be a
		// mean, which hides a small feature among big planes (this is
		// meshoptimizer's choice). Between the two, the square root: at
		// 10 % of 13 corpus parts, measured by DeviationBounds, 3DBenchy
		// went from 0.073 to 0.033 mm (meshoptimizer 0.060), igea from
		// 0.049 to 0.039, and 9 parts improved against 2 worse (the
		// extruder body 0.59 → 0.76 mm, the tray 4.6 → 6.4); the fourth
		// root and the weight to the power 0.75 did worse. On small
		// inputs Simplify also tries the error as it is (orderingsBelow).
		if s.opt.ranking == rankByRootWeight {
			q, r := &s.quad[a], &s.quad[b]
			best /= math.Sqrt(max(q[0]+q[4]+q[7]+r[0]+r[4]+r[7], 1e-300))
		}
		cands = append(cands, cand{float32(max(best, 0)), bestFrom, bestTo})
	}
	return cands
}

// rankBands is how many cost bands a pass takes its candidates in (see
// pass).
const rankBands = 4

// pass collapses an independent set of edges, cheapest first.
func (s *simplifier) pass(ctx context.Context) (int, error) {
	s.buildAdjacency()
	s.passNo++
	// Fans without a direction (all, in the first pass; those folds
	// could not vouch for in the last) get one.
	parallelRanges(ctx, len(s.pos), func(_, lo, hi int) {
		for v := int32(lo); v < int32(hi); v++ {
			if s.vtx[v].dir == [3]int16{} && s.kind[v] == kindInterior && s.adj.start[v+1] > s.adj.start[v] {
				s.vtx[v].dir = s.fanDir(v)
			}
		}
	})
	lists := s.candidates(ctx)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Like meshoptimizer, a pass takes only the cheaper candidates (a third,
	// or passShare): with both ends of each collapse locked for the rest
	// of the pass, taking them all would spend the pass on costly
	// collapses next to locked cheap ones. And it takes them cheapest
	// first, but only roughly: in 4 cost bands, each in vertex order, so
	// that consecutive collapses touch nearby memory. No sort is needed:
	// a histogram of the costs' top 16 bits (non-negative float32 bits
	// order like the floats) ranks them by bucket, and only the bucket
	// holding the cut is sorted.
	share := 1.0 / 3
	if s.opt.passShare > 0 {
		share = s.opt.passShare
	}
	hist := slices.Grow(s.histBuf[:0], 1<<16+1)[:1<<16+1]
	s.histBuf = hist
	clear(hist)
	bucket := func(c cand) uint32 { return math.Float32bits(c.cost) >> 16 }
	n := 0
	for _, l := range lists {
		for _, c := range l {
			hist[bucket(c)+1]++
		}
		n += len(l)
	}
	for i := 1; i < len(hist); i++ {
		hist[i] += hist[i-1] // hist[b]: candidates in buckets below b
	}
	// room is how many collapses could go before the target is reached
	// (a collapse removes at most two facets).
	room := func(live int) int {
		if s.opt.TargetTriangles > 0 {
			return (live - s.opt.TargetTriangles) / 2
		}
		return math.MaxInt
	}
	// costAt is the cost of the candidate of rank r (0: the cheapest; r <
	// n): the histogram finds its bucket, and only that bucket is sorted.
	costAt := func(r int32) float32 {
		b, _ := slices.BinarySearchFunc(hist, r+1, func(h, t int32) int {
			if h < t {
				return -1
			}
			return 1
		})
		b-- // hist[b] <= r < hist[b+1]: rank r lies in bucket b
		var in []float32
		for _, l := range lists {
			for _, c := range l {
				if bucket(c) == uint32(b) {
					in = append(in, c.cost)
				}
			}
		}
		slices.Sort(in)
		return in[r-hist[b]]
	}
	limit := float32(math.Inf(1)) // the dearest cost taken
	if n > 64 && share < 1 {
		limit = costAt(int32(float64(n) * share))
	}
	// Near the target, like meshoptimizer, a pass also stops at half as
	// dear again as the collapse that would reach the target if all before
	// it went: the last collapses then come from fresh costs, not from a
	// third of the list ranked before the collapses around them.
	s.goalLimited = false
	noGoal := s.noGoal
	s.noGoal = false
	if goal := room(s.live); goal < n && !noGoal {
		if l := 1.5 * costAt(int32(goal)); l < limit {
			limit, s.goalLimited = l, true
		}
	}
	// The loops over all candidates below share the chunks' lists among
	// the cores (on one core they took 90 ms of igea's 1.6 s of passes);
	// per-list counts keep the order the serial loops had, so the output
	// is the same.
	par := n >= 1<<15
	taken := n
	if limit < float32(math.Inf(1)) {
		counts := slices.Grow(s.listCount[:0], len(lists))[:len(lists)]
		s.listCount = counts
		eachList(par, len(lists), func(j int) {
			k := 0
			for _, c := range lists[j] {
				if c.cost <= limit {
					k++
				}
			}
			counts[j] = k
		})
		taken = 0
		for _, k := range counts {
			taken += k
		}
	}
	// On several cores, in batches that cannot reach the target (most
	// candidates fail or are locked, so a batch leaves room for the
	// next): near the target, the order of the last collapses decides
	// which ones happen, so they run on one core, after those left near
	// the slabs' cuts.
	var slab, near []uint8
	k := 1 // slabs
	if workers := runtime.GOMAXPROCS(0); workers > 1 && min(taken, room(s.live)) >= simplifyParMin {
		k = min(slabsPerCore*workers, maxSlabs)
		slab, near = s.cutSlabs(k, lists, limit)
	}
	slabOf := func(v int32) int {
		if k == 1 {
			return 0
		}
		return int(slab[v])
	}
	const bands = rankBands
	band := slices.Grow(s.bandBuf[:0], n)[:n]
	s.bandBuf = band
	// Per list: where its candidates start in band, and how many of them
	// each band has in each slab (then: where they go in spread).
	first := slices.Grow(s.listFirst[:0], len(lists))[:len(lists)]
	s.listFirst = first
	i := 0
	for j, l := range lists {
		first[j] = i
		i += len(l)
	}
	listAt := slices.Grow(s.listAt[:0], len(lists))[:len(lists)]
	s.listAt = listAt
	eachList(par, len(lists), func(j int) {
		cnt := &listAt[j]
		*cnt = [bands][maxSlabs]int{}
		i := first[j]
		for _, c := range lists[j] {
			band[i] = bands // not taken
			if c.cost <= limit {
				b := uint8(min(int(hist[bucket(c)])*bands/taken, bands-1))
				band[i] = b
				cnt[b][slabOf(c.from)]++
			}
			i++
		}
	})
	// Each band in vertex order, so that consecutive collapses touch
	// nearby memory, and with the slabs' shares interleaved, so that any
	// batch, a prefix, gives every core its share (the last batch of a
	// pass, in vertex order, had fallen a tenth to one slab).
	var count [bands][maxSlabs]int
	next := 0
	for b := range bands {
		for r := range k {
			for j := range listAt {
				c := listAt[j][b][r]
				listAt[j][b][r] = next // where list j's share of band b in slab r goes
				next += c
				count[b][r] += c
			}
		}
	}
	sorted := slices.Grow(s.sortedBuf[:0], taken)[:taken]
	spread := sorted
	if k > 1 {
		spread = slices.Grow(s.spreadBuf[:0], taken)[:taken]
		s.spreadBuf = spread
	}
	eachList(par, len(lists), func(j int) {
		at := &listAt[j]
		i := first[j]
		for _, c := range lists[j] {
			if b := band[i]; b < bands {
				r := slabOf(c.from)
				spread[at[b][r]] = c
				at[b][r]++
			}
			i++
		}
	})
	if k > 1 {
		interleave(sorted, spread, count[:], k)
	}
	s.sortedBuf = sorted
	cands := sorted
	done := 0
	if k > 1 {
		rest := s.restBuf[:0]
		for par := min(len(cands), room(s.live)); par >= simplifyParMin; par = min(len(cands), room(s.live)) {
			n, r, err := s.collapseInSlabs(ctx, cands[:par], k, slab, near, rest)
			done += n
			rest = r
			if err != nil {
				return done, err
			}
			cands = cands[par:]
		}
		cands = append(rest, cands...)
		s.restBuf = cands
	}
	for i, c := range cands {
		if i&1023 == 0 && ctx.Err() != nil {
			return done, ctx.Err()
		}
		if s.opt.TargetTriangles > 0 && s.live <= s.opt.TargetTriangles {
			break
		}
		if s.locked[c.from] != 0 || s.locked[c.to] != 0 {
			continue
		}
		if s.collapse(c.from, c.to) {
			s.locked[c.from], s.locked[c.to] = c.to+1, c.from+1
			done++
		} else {
			s.refuse(c.from, c.to)
		}
	}
	return done, nil
}

// failSlots is how many refused collapses each vertex remembers: a vertex
// proposes about three collapses (half its edges), and one that was
// refused is refused again in every pass until something near it changes.
const failSlots = 4

// refusal is a collapse to vertex to that was refused in pass at (a slot
// with at 0 is free: passes count from 1).
type refusal struct{ to, at int32 }

// refuse notes that the collapse v→u was refused in this pass.
func (s *simplifier) refuse(v, u int32) {
	slots := &s.failed[v]
	oldest := 0
	for i, r := range slots {
		if r.at == 0 || r.to == u || r.at <= s.vtx[v].changed {
			oldest = i // free, the same, or stale: v has changed since
			break
		}
		if r.at < slots[oldest].at {
			oldest = i
		}
	}
	slots[oldest] = refusal{u, s.passNo}
}

// refusedBefore says whether v→u was refused in a pass after which nothing
// around v or u changed: the same checks would refuse it again.
func (s *simplifier) refusedBefore(v, u int32) bool {
	for _, r := range s.failed[v] {
		if r.to == u && r.at > 0 {
			return r.at > s.vtx[v].changed && r.at > s.vtx[u].changed
		}
	}
	return false
}

// mayMove says whether vertex v may move onto its neighbour u.
func (s *simplifier) mayMove(v, u int32, boundaryEdge bool) bool {
	switch s.kind[v] {
	case kindInterior:
		return true
	case kindBoundary:
		return boundaryEdge && s.kind[u] != kindInterior
	}
	return false
}

func (s *simplifier) facesOf(v int32) []int32 { return s.adj.of(v) }

// collapse moves v onto u if every check passes, and reports whether it did.
func (s *simplifier) collapse(v, u int32) bool {
	p := s.pos[u]
	// v's live facets: those with u go away, the others change.
	s.ring, s.uFaces = s.ring[:0], s.uFaces[:0]
	removed := 0
	s.nbrV = s.nbrV[:0]
	for _, f := range s.facesOf(v) {
		t := s.f[f].t
		if t[0] < 0 || !has(t, v) {
			continue
		}
		if has(t, u) {
			removed++
		}
		s.ring = append(s.ring, f)
		for _, w := range t {
			if w != v {
				s.nbrV = append(s.nbrV, w)
			}
		}
	}
	s.nbrU = s.nbrU[:0]
	for _, f := range s.facesOf(u) {
		t := s.f[f].t
		if t[0] < 0 || !has(t, u) || has(t, v) {
			continue
		}
		s.uFaces = append(s.uFaces, f)
		for _, w := range t {
			if w != u {
				s.nbrU = append(s.nbrU, w)
			}
		}
	}
	// Link condition: v and u share exactly the vertices opposite their edge.
	want := 2
	if s.kind[v] == kindBoundary {
		want = 1
	}
	if removed != want {
		return false
	}
	slices.Sort(s.nbrV)
	s.nbrV = slices.Compact(s.nbrV)
	common := 0
	for _, w := range s.nbrV {
		if w != u && slices.Contains(s.nbrU, w) {
			common++
		}
	}
	if common != want {
		return false
	}
	// Changed facets: no fold, no flip, no duplicate of one of u's.
	s.newN = s.newN[:0]
	s.moved = s.moved[:0]
	for _, f := range s.ring {
		t := s.f[f].t
		if has(t, u) {
			continue // removed by the collapse
		}
		a, b, c := s.corners(t, v, p)
		n := cross(sub(b, a), sub(c, a))
		l := norm(n)
		if l == 0 {
			return false
		}
		n = v64{n.x / l, n.y / l, n.z / l}
		if dot(n, s.f[f].n) < 0 {
			return false // flipped
		}
		for _, g := range s.uFaces {
			if sameVertexSet(s.f[g].t, t, v, u) {
				return false
			}
		}
		s.moved = append(s.moved, f)
		s.newN = append(s.newN, n)
	}
	if len(s.moved) == 0 {
		return false
	}
	if s.fitsVertical(v, u) {
		return s.commitTracked(v, u)
	}
	if s.overBound || s.opt.provenOnly {
		return false // measuring costs far more, and would rarely accept it
	}
	if s.fitsMoved(v, u) {
		if !s.commitTracked(v, u) {
			return false
		}
		s.movedProofs++
		return true
	}
	if s.origS == nil {
		s.spheres()
	}
	// Every sample of the changed and removed facets must find a facet of
	// the new neighbourhood within the bounds. Most measured collapses
	// that fail (at tight bounds, nine in ten from the fifth pass on) fail
	// here, after placing a third of the samples on average; the ones
	// that fail are those nearest the bound, and the same ones fail again
	// for the next collapse tried around them. So each facet's first
	// sample is placed before the others, and a sample that does not fit
	// goes to the front of its facet's list.
	s.assign, s.samples = s.assign[:0], s.samples[:0]
	for _, f := range s.ring {
		if smp := s.f[f].head; smp >= 0 && !s.placeSample(smp, f, v, u, p) {
			return false
		}
	}
	for _, f := range s.ring {
		prev := s.f[f].head
		if prev < 0 {
			continue
		}
		for smp := s.next[prev]; smp >= 0; prev, smp = smp, s.next[smp] {
			if !s.placeSample(smp, f, v, u, p) {
				s.toFront(f, prev, smp)
				return false
			}
		}
	}
	// And the changed facets must stay near the input facets they cover.
	for _, f := range s.moved {
		if !s.coveredBy(s.f[f].t, v, p) {
			return false
		}
	}
	if s.folds(v, u) || s.crossesNearby(v, u) {
		return false
	}
	s.commit(v, u)
	for _, f := range s.ring {
		s.f[f].head = -1
	}
	// The moved facets were checked at points against 80 % of the bound:
	// later collapses count them as that far from the input, which leaves
	// little room, and their input normals are the attached ones'. So do
	// u's facets that took input facets over: a later proven collapse
	// carries those along with them, and a bound kept from before would
	// not cover them.
	measured := up32(measuredShare * s.hard)
	for _, f := range s.moved {
		s.f[f].dev, s.f[f].cone = measured, emptyCone
	}
	for _, a := range s.assign {
		s.f[a.face].dev = max(s.f[a.face].dev, measured)
		if s.f[a.face].head < 0 {
			s.f[a.face].tail = a.sample
		}
		s.next[a.sample] = s.f[a.face].head
		s.f[a.face].head = a.sample
		s.f[a.face].cone = unionCone(s.f[a.face].cone, s.sampleCone(a.sample))
	}
	return true
}

// commitTracked applies the collapse v→u that fitsVertical or fitsMoved
// bounded, unless it folds a fan or (for fans across a sharp edge, whose
// cones were checked by overlap, and those fitsMoved bounded) a moved
// facet crosses one a ring out, and reports whether it did.
func (s *simplifier) commitTracked(v, u int32) bool {
	if s.folds(v, u) || s.bAcross && s.crossesNearby(v, u) {
		return false
	}
	s.commit(v, u)
	for i, f := range s.moved {
		s.f[f].dev, s.f[f].cone = s.bDev, s.bCones[i]
	}
	for _, mg := range s.bMerge {
		s.splice(s.moved[mg[1]], mg[0])
	}
	return true
}

// commit applies the collapse v→u checked by collapse: the ring's facets
// with u go away, the moved ones take u, and the ring's samples are
// detached (the caller re-attaches them).
func (s *simplifier) commit(v, u int32) {
	for _, f := range s.ring {
		if has(s.f[f].t, u) {
			s.f[f].t[0] = -1
			s.live--
		}
	}
	for i, f := range s.moved {
		t := &s.f[f].t
		for k := range t {
			if t[k] == v {
				t[k] = u
			}
		}
		s.f[f].n = s.newN[i]
	}
	s.quad[u].add(&s.quad[v])
	s.self[u] = s.quad[u].eval(s.pos[u])
	for _, w := range s.unvouched {
		s.vtx[w].dir = [3]int16{}
	}
	for _, w := range s.nbrV {
		s.vtx[w].changed = s.passNo
	}
	s.vtx[u].changed = s.passNo
}

// placeSample places input facet smp (attached to facet from) for the
// collapse v→u, noting where; it reports whether smp fits.
func (s *simplifier) placeSample(smp, from, v, u int32, p v64) bool {
	g := s.place(smp, from, v, u, p)
	if g < 0 {
		return false
	}
	s.assign = append(s.assign, sampleAssign{smp, g})
	s.samples = append(s.samples, smp)
	return true
}

// toFront moves sample smp, which follows prev in facet f's list, to the
// front of the list.
func (s *simplifier) toFront(f, prev, smp int32) {
	s.next[prev] = s.next[smp]
	if s.f[f].tail == smp {
		s.f[f].tail = prev
	}
	s.next[smp] = s.f[f].head
	s.f[f].head = smp
}

func has(t [3]int32, w int32) bool { return t[0] == w || t[1] == w || t[2] == w }

// sameVertexSet reports whether facet g (of u) has the vertices facet t
// will have once v becomes u.
func sameVertexSet(g, t [3]int32, v, u int32) bool {
	for _, w := range t {
		if w == v {
			w = u
		}
		if g[0] != w && g[1] != w && g[2] != w {
			return false
		}
	}
	return true
}

// corners returns facet f's corner positions with v moved to p.
func (s *simplifier) corners(t [3]int32, v int32, p v64) (a, b, c v64) {
	get := func(w int32) v64 {
		if w == v {
			return p
		}
		return s.pos[w]
	}
	return get(t[0]), get(t[1]), get(t[2])
}

// place finds a facet of the new neighbourhood for input facet smp (now
// on facet from) and checks that the input facet stays near the new
// neighbourhood: its corners, edge midpoints and centroid must each be
// within the bound of one of the new facets, and the facet it is attached
// to (the first within the bound of its centroid: its own, the other
// changed ones, then u's) must be within MaxAngle of its normal. It
// returns -1 if the input facet does not fit.
func (s *simplifier) place(smp, from, v, u int32, p v64) int32 {
	t := s.orig[smp]
	a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
	on := s.origN[smp]
	n := v64{float64(on[0]), float64(on[1]), float64(on[2])}
	degenerate := dot(n, n) < 0.5
	near := func(pt v64, f int32) bool {
		x, y, z := s.corners(s.f[f].t, v, p)
		if dist2(pt, x) <= s.eps2 || dist2(pt, y) <= s.eps2 || dist2(pt, z) <= s.eps2 {
			return true // near a corner: no need for the closest point
		}
		return dist2(pt, closestOnTriangle(pt, x, y, z)) <= s.eps2
	}
	normalOf := func(f int32) v64 {
		if i := slices.Index(s.moved, f); i >= 0 {
			return s.newN[i]
		}
		return s.f[f].n
	}
	// The candidates in order of preference.
	cands := s.cands[:0]
	if slices.Contains(s.moved, from) {
		cands = append(cands, from)
	}
	for _, f := range s.moved {
		if f != from {
			cands = append(cands, f)
		}
	}
	cands = append(cands, s.uFaces...)
	s.cands = cands
	centroid := v64{(a.x + b.x + c.x) / 3, (a.y + b.y + c.y) / 3, (a.z + b.z + c.z) / 3}
	home := int32(-1)
	for _, f := range cands {
		if (degenerate || dot(n, normalOf(f)) >= s.cosMax) && near(centroid, f) {
			home = f
			break
		}
	}
	if home < 0 {
		return -1
	}
	// Distance to one facet is convex: corners within the bound of home put
	// the whole input facet within it. Otherwise each corner and edge
	// midpoint must find some new facet.
	if near(a, home) && near(b, home) && near(c, home) {
		return home
	}
	for _, pt := range [6]v64{a, b, c, mid(a, b), mid(b, c), mid(c, a)} {
		if near(pt, home) {
			continue
		}
		found := false
		for _, f := range cands {
			if f != home && near(pt, f) {
				found = true
				break
			}
		}
		if !found {
			return -1
		}
	}
	return home
}

// coveredBy checks that the edge midpoints and centroid of facet t (with v
// at p) are within the bound of the input facets sampled in s.samples or
// attached to u's other facets.
func (s *simplifier) coveredBy(t [3]int32, v int32, p v64) bool {
	a, b, c := s.corners(t, v, p)
	s.lastHit = -1
	for _, pt := range facetPoints(a, b, c) {
		if !s.nearInput(pt) {
			return false
		}
	}
	return true
}

func mid(a, b v64) v64 { return v64{(a.x + b.x) / 2, (a.y + b.y) / 2, (a.z + b.z) / 2} }

// facetPoints are the points where a new facet must be near the input: a
// barycentric grid with 4 subdivisions per edge, less the corners (which
// are input vertices); the centroid region first, where a facet is
// farthest from its corners.
func facetPoints(a, b, c v64) [12]v64 {
	at := func(i, j int) v64 {
		u, v := float64(i)/4, float64(j)/4
		w := 1 - u - v
		return v64{w*a.x + u*b.x + v*c.x, w*a.y + u*b.y + v*c.y, w*a.z + u*b.z + v*c.z}
	}
	return [12]v64{at(1, 1), at(2, 1), at(1, 2), at(2, 0), at(0, 2), at(2, 2),
		at(1, 0), at(3, 0), at(0, 1), at(0, 3), at(3, 1), at(1, 3)}
}

func (s *simplifier) nearInput(pt v64) bool {
	within := func(smp int32) bool {
		sp := &s.origS[smp]
		dx, dy, dz := pt.x-float64(sp[0]), pt.y-float64(sp[1]), pt.z-float64(sp[2])
		if r := math.Sqrt(dx*dx+dy*dy+dz*dz) - float64(sp[3]); r > 0 && r*r > s.eps2 {
			return false // the facet's bounding sphere is too far
		}
		t := s.orig[smp]
		a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
		if dist2(pt, a) <= s.eps2 || dist2(pt, b) <= s.eps2 || dist2(pt, c) <= s.eps2 || dist2(pt, closestOnTriangle(pt, a, b, c)) <= s.eps2 {
			s.lastHit = smp
			return true
		}
		return false
	}
	if s.lastHit >= 0 && within(s.lastHit) {
		return true
	}
	for _, smp := range s.samples {
		if within(smp) {
			return true
		}
	}
	for _, f := range s.uFaces {
		for smp := s.f[f].head; smp >= 0; smp = s.next[smp] {
			if within(smp) {
				return true
			}
		}
	}
	// The input facets under the point may hang on facets outside the
	// neighbourhood: ask the whole input.
	return s.bvh().Within(s.in, pt, s.eps2)
}

func dist2(a, b v64) float64 {
	d := sub(a, b)
	return dot(d, d)
}

// result compacts the live facets and their vertices into a new mesh.
func (s *simplifier) result() *Mesh {
	remap := make([]int32, len(s.pos))
	for i := range remap {
		remap[i] = -1
	}
	out := &Mesh{Triangles: make([][3]uint32, 0, s.live)}
	for i := range s.f {
		t := s.f[i].t
		if t[0] < 0 {
			continue
		}
		var nt [3]uint32
		for k, v := range t {
			if remap[v] < 0 {
				remap[v] = int32(len(out.Vertices))
				p := s.pos[v]
				out.Vertices = append(out.Vertices, Vec3{float32(p.x), float32(p.y), float32(p.z)})
			}
			nt[k] = uint32(remap[v])
		}
		out.Triangles = append(out.Triangles, nt)
	}
	return out
}

// measure computes the stats' deviations with Deviation's sampling (every
// input vertex against the output; a grid with 3 subdivisions per edge on
// every output facet against the input), refined where the output's peak
// may be (see peaks), and the normal deviation from the attachments. A
// point goes to a BVH only when nearby facets do not already show it
// within the worst distance found so far (measureBand of it, for the
// output's points), which cannot change the maximum and skips almost
// every query. Nearby, for an input vertex, are the output facets its
// input facets are attached to, then those around their corners; for a
// point of an output facet, the input facets attached to it and those
// around its corners (input vertices: half-edge collapses never move
// one), then those around the attached ones' corners. The second rings
// took igea's BVH queries at 10 % from 89,000 to 1,900 (a twelfth of the
// measurement's time): an attachment is only within the bound, often not
// the nearest facet.
func (s *simplifier) measure(ctx context.Context, in, out *Mesh) (dev, angle float64, err error) {
	owner := make([]int32, len(s.orig))
	for f := range s.f {
		for smp := s.f[f].head; smp >= 0; smp = s.next[smp] {
			owner[smp] = int32(f)
		}
	}
	var star vertexStar
	star.build(len(s.pos), len(s.orig), func(i int) ([3]int32, bool) {
		t := s.orig[i]
		return [3]int32{int32(t[0]), int32(t[1]), int32(t[2])}, true
	})
	if s.origS == nil {
		s.spheres()
	}
	s.buildAdjacency() // the output's facets by vertex
	outBVH, inBVH := NewBVH(out), s.bvh()
	live := make([]int32, 0, len(out.Triangles))
	for f := range s.f {
		if s.f[f].t[0] >= 0 {
			live = append(live, int32(f))
		}
	}
	workers := runtime.GOMAXPROCS(0)
	worst, minCos := make([]float64, workers), make([]float64, workers)
	near := make([][]nearPeak, workers)
	// The work goes in chunks to whichever core is free (halves by index
	// took one core a quarter longer than the other), and the cores share
	// the worst distance found, so each skips what another has shown.
	const chunk = 1 << 12
	nv, nf, ni := len(s.pos), len(s.f), len(s.orig)
	vc, fc, ic := (nv+chunk-1)/chunk, (nf+chunk-1)/chunk, (ni+chunk-1)/chunk
	var next atomic.Int64
	var shared atomic.Uint64 // math.Float64bits of the worst distance (non-negative: ordered as the floats)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := &measurer{s: s, in: in, out: out, inBVH: inBVH, outBVH: outBVH, owner: owner, star: star, outStar: s.adj, liveFacets: live, minCos: 1, last: -1}
			for c := int(next.Add(1) - 1); c < vc+fc+ic && ctx.Err() == nil; c = int(next.Add(1) - 1) {
				m.worst = max(m.worst, math.Float64frombits(shared.Load()))
				switch {
				case c < vc:
					m.vertices(ctx, c*chunk, min((c+1)*chunk, nv))
				case c < vc+fc:
					c -= vc
					m.facets(ctx, c*chunk, min((c+1)*chunk, nf))
				default:
					c -= vc + fc
					m.inFacets(ctx, c*chunk, min((c+1)*chunk, ni))
				}
				raiseShared(&shared, m.worst)
			}
			worst[w], minCos[w] = m.worst, m.minCos
			near[w] = m.near
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	dev = s.peaks(ctx, in, inBVH, slices.Concat(near...), slices.Max(worst))
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return dev, math.Acos(max(-1, min(1, slices.Min(minCos)))) * 180 / math.Pi, nil
}

// Refining the output's peaks. On CAD parts, whose output facets are
// large, the 3-subdivision grid reported 13 to 17 % under the distance
// DeviationBounds brackets (the extruder body at 10 %: 0.632 against
// 0.759–0.763 mm): the peak lies inside a facet, where an input groove
// was bridged. So the grid's points are checked against measureBand of
// the worst distance instead of all of it, and a facet with a point
// beyond that is near a peak: up to refineFacets of those, the nearest
// to the worst, are measured on a grid of refineGrid subdivisions, and
// the best point of each facet whose grid comes within climbBand of the
// worst climbs in the facet (six directions, the step halved when none
// is higher). At 10 % that reports 0.759 mm on the extruder body,
// 3DBenchy 0.0330 (bracketed 0.0330–0.0334) and igea 0.0386 (0.0384–0.0388,
// where a full grid of 8 on every facet found 0.0371), for a few
// hundred facets refined.
const (
	measureBand  = 0.75
	refineFacets = 256
	refineGrid   = 8
	climbBand    = 0.9
)

// nearPeak is an output facet with a point whose distance to the input
// was measured beyond measureBand of the worst at the time.
type nearPeak struct {
	f    int32
	dist float64
}

// peaks refines the output facets in near (see measureBand) against the
// input and returns the worst distance, at least worst.
func (s *simplifier) peaks(ctx context.Context, in *Mesh, inBVH *BVH, near []nearPeak, worst float64) float64 {
	slices.SortFunc(near, func(a, b nearPeak) int { return cmp.Compare(b.dist, a.dist) })
	var facets []int32
	for _, c := range near {
		if c.dist < measureBand*worst || len(facets) == refineFacets {
			break
		}
		if !slices.Contains(facets, c.f) {
			facets = append(facets, c.f)
		}
	}
	at := func(t [3]int32, u, v float64) v64 {
		a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
		w := 1 - u - v
		return v64{u*a.x + v*b.x + w*c.x, u*a.y + v*b.y + w*c.y, u*a.z + v*b.z + w*c.z}
	}
	dist := func(p v64) float64 {
		d2, _ := inBVH.Nearest(in, p, math.Inf(1))
		return math.Sqrt(d2)
	}
	type best struct{ u, v, d float64 }
	grid := make([]best, len(facets))
	eachList(len(facets) > 16, len(facets), func(i int) {
		if ctx.Err() != nil {
			return
		}
		t, b := s.f[facets[i]].t, best{d: -1}
		for j := 0; j <= refineGrid; j++ {
			for k := 0; j+k <= refineGrid; k++ {
				u, v := float64(j)/refineGrid, float64(k)/refineGrid
				if d := dist(at(t, u, v)); d > b.d {
					b = best{u, v, d}
				}
			}
		}
		grid[i] = b
	})
	for _, b := range grid {
		worst = max(worst, b.d)
	}
	eachList(len(facets) > 16, len(facets), func(i int) {
		b := grid[i]
		if b.d < climbBand*worst || ctx.Err() != nil {
			return
		}
		t := s.f[facets[i]].t
		for step := 1.0 / refineGrid; step > 1.0/(refineGrid<<7); {
			higher := false
			for _, dir := range [6][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, -1}, {-1, 1}} {
				u, v := b.u+dir[0]*step, b.v+dir[1]*step
				if u < 0 || v < 0 || u+v > 1 {
					continue
				}
				if d := dist(at(t, u, v)); d > b.d {
					b, higher = best{u, v, d}, true
				}
			}
			if !higher {
				step /= 2
			}
		}
		grid[i] = b
	})
	for _, b := range grid {
		worst = max(worst, b.d)
	}
	return worst
}

// vertexStar lists the facets around each vertex (CSR).
type vertexStar struct {
	start, faces []int32
	counts       [][]int32 // per share of the facets: counts, then cursors (kept for the next build)
}

// build indexes the n facets that tri returns with ok, reusing st's
// memory. Each core (one, for small sets) counts and then files a
// contiguous share of the facets, after the shares before it, so every
// vertex lists its facets in facet order.
func (st *vertexStar) build(nv, n int, tri func(i int) (t [3]int32, ok bool)) {
	chunks := runtime.GOMAXPROCS(0)
	if n < 1<<16 {
		chunks = 1
	}
	if len(st.counts) != chunks {
		st.counts = make([][]int32, chunks)
	}
	share := func(c int) (int, int) { return c * n / chunks, (c + 1) * n / chunks }
	each := func(fn func(c int)) {
		if chunks == 1 {
			fn(0)
			return
		}
		var wg sync.WaitGroup
		for c := range chunks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(c)
			}()
		}
		wg.Wait()
	}
	each(func(c int) {
		cnt := slices.Grow(st.counts[c][:0], nv)[:nv]
		clear(cnt)
		lo, hi := share(c)
		for i := lo; i < hi; i++ {
			if t, ok := tri(i); ok {
				cnt[t[0]]++
				cnt[t[1]]++
				cnt[t[2]]++
			}
		}
		st.counts[c] = cnt
	})
	// counts[c][v] becomes where chunk c files its first facet around v.
	st.start = slices.Grow(st.start[:0], nv+1)[:nv+1]
	at := int32(0)
	for v := range nv {
		st.start[v] = at
		for c := range chunks {
			k := st.counts[c][v]
			st.counts[c][v] = at
			at += k
		}
	}
	st.start[nv] = at
	st.faces = slices.Grow(st.faces[:0], int(at))[:at]
	each(func(c int) {
		cur := st.counts[c]
		lo, hi := share(c)
		for i := lo; i < hi; i++ {
			if t, ok := tri(i); ok {
				for _, v := range t {
					st.faces[cur[v]] = int32(i)
					cur[v]++
				}
			}
		}
	})
}

func (st vertexStar) of(v int32) []int32 { return st.faces[st.start[v]:st.start[v+1]] }

// measurer is one worker of measure.
type measurer struct {
	s             *simplifier
	in, out       *Mesh
	inBVH, outBVH *BVH
	owner         []int32    // input facet → the live facet it is attached to
	star          vertexStar // input vertex → input facets
	outStar       vertexStar // vertex → live facets
	last          int32      // the input facet that was near the last point
	worst, minCos float64
	near          []nearPeak // output facets near a peak (see measureBand)
	liveFacets    []int32    // the live facets in the output's order
	cells         []coverCell
	cover         []coverPiece
}

// vertices measures input vertices lo..hi against the output.
func (m *measurer) vertices(ctx context.Context, lo, hi int) {
	s := m.s
outer:
	for x := lo; x < hi; x++ {
		if x&4095 == 0 && ctx.Err() != nil {
			return
		}
		p := s.pos[x]
		w2 := m.worst*m.worst + 1e-30
		within := func(t [3]int32) bool {
			return dist2(p, closestOnTriangle(p, s.pos[t[0]], s.pos[t[1]], s.pos[t[2]])) < w2
		}
		for _, g := range m.star.of(int32(x)) {
			if t := s.f[m.owner[g]].t; t[0] >= 0 && within(t) {
				continue outer
			}
		}
		for _, g := range m.star.of(int32(x)) {
			if t := s.f[m.owner[g]].t; t[0] >= 0 {
				for _, c := range t {
					for _, h := range m.outStar.of(c) {
						if within(s.f[h].t) {
							continue outer
						}
					}
				}
			}
		}
		if len(m.star.of(int32(x))) > 0 {
			m.worst = max(m.worst, beyond(m.outBVH, m.out, p, w2))
		}
	}
}

// inFacets checks the insides of input facets lo..hi against the bound
// (see simplify_cover.go), raising the worst distance with any point it
// finds beyond it.
func (m *measurer) inFacets(ctx context.Context, lo, hi int) {
	s := m.s
	lim2 := s.hard * s.hard
	for g := lo; g < hi; g++ {
		if g&1023 == 0 && ctx.Err() != nil {
			return
		}
		o := s.orig[g]
		A, B, C := s.pos[o[0]], s.pos[o[1]], s.pos[o[2]]
		if !m.covered(A, B, C, m.owner[g], lim2) {
			m.refineCover(ctx, A, B, C, lim2)
		}
	}
}

// facets measures the live facets among lo..hi against the input (the
// points inside each facet, and those on each edge by the lower-numbered
// facet on it), and their attached input normals against theirs.
func (m *measurer) facets(ctx context.Context, lo, hi int) {
	s := m.s
	var across []int32
	for f := lo; f < hi; f++ {
		if f&1023 == 0 && ctx.Err() != nil {
			return
		}
		t := s.f[f].t
		if t[0] < 0 {
			continue
		}
		fn := s.f[f].n
		for smp := s.f[f].head; smp >= 0; smp = s.next[smp] {
			if n := s.origN[smp]; n[0]*n[0]+n[1]*n[1]+n[2]*n[2] > 0.5 { // degenerate input facets have no normal
				m.minCos = min(m.minCos, float64(n[0])*fn.x+float64(n[1])*fn.y+float64(n[2])*fn.z)
			}
		}
		x, y, z := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
		if d := m.point(v64{(x.x + y.x + z.x) / 3, (x.y + y.y + z.y) / 3, (x.z + y.z + z.z) / 3}, t, int32(f)); d >= 0 {
			m.near = append(m.near, nearPeak{int32(f), d})
		}
		for k := range 3 {
			a, b := t[k], t[(k+1)%3]
			across = across[:0]
			first := true
			for _, g := range m.outStar.of(a) {
				if g != int32(f) && has(s.f[g].t, b) {
					across = append(across, g)
					first = first && g > int32(f)
				}
			}
			if !first {
				continue
			}
			pa, pb := s.pos[a], s.pos[b]
			for _, w := range [2]float64{1.0 / 3, 2.0 / 3} {
				pt := v64{pa.x + w*(pb.x-pa.x), pa.y + w*(pb.y-pa.y), pa.z + w*(pb.z-pa.z)}
				on := append(across, int32(f)) // the facets on the edge
				if d := m.point(pt, [3]int32{a, b, -1}, on...); d >= 0 {
					for _, g := range on {
						m.near = append(m.near, nearPeak{g, d})
					}
				}
			}
		}
	}
}

// point measures pt, a point of the output facets, against the input:
// within measureBand of the worst distance, it is settled by the last
// input facet that was near, those attached to facets, those around the
// vertices in corners (-1 for none), those around the attached ones'
// corners, or the BVH, and point returns -1. Otherwise it returns the
// distance the BVH finds, and raises the worst to it.
func (m *measurer) point(pt v64, corners [3]int32, facets ...int32) float64 {
	s := m.s
	w := measureBand * m.worst
	w2 := w*w + 1e-30
	if m.last >= 0 && s.sampleWithin(m.last, pt, w2) {
		return -1
	}
	for _, f := range facets {
		for smp := s.f[f].head; smp >= 0; smp = s.next[smp] {
			if s.sampleWithin(smp, pt, w2) {
				m.last = smp
				return -1
			}
		}
	}
	for _, c := range corners {
		if c < 0 {
			continue
		}
		if m.aroundWithin(uint32(c), pt, w2) {
			return -1
		}
	}
	for _, f := range facets {
		for smp := s.f[f].head; smp >= 0; smp = s.next[smp] {
			for _, c := range s.orig[smp] {
				if m.aroundWithin(c, pt, w2) {
					return -1
				}
			}
		}
	}
	d := beyond(m.inBVH, m.in, pt, w2)
	m.worst = max(m.worst, d)
	return d
}

// beyond returns p's distance to the surface h indexes if no facet is
// closer than sqrt(w2), and -1 if one is.
func beyond(h *BVH, mesh *Mesh, p v64, w2 float64) float64 {
	if h.Within(mesh, p, w2) {
		return -1
	}
	d2, _ := h.Nearest(mesh, p, math.Inf(1))
	return math.Sqrt(d2)
}

// aroundWithin says whether an input facet around input vertex c is closer
// to pt than sqrt(w2), and makes it the last one found.
func (m *measurer) aroundWithin(c uint32, pt v64, w2 float64) bool {
	for _, g := range m.star.of(int32(c)) {
		if m.s.sampleWithin(g, pt, w2) {
			m.last = g
			return true
		}
	}
	return false
}

// sampleWithin says whether input facet smp is closer to p than sqrt(w2).
func (s *simplifier) sampleWithin(smp int32, p v64, w2 float64) bool {
	if sp := &s.origS[smp]; true {
		dx, dy, dz := p.x-float64(sp[0]), p.y-float64(sp[1]), p.z-float64(sp[2])
		if r := float64(sp[3]); dx*dx+dy*dy+dz*dz > w2+2*r*math.Sqrt(w2)+r*r {
			return false // outside the bounding sphere grown by sqrt(w2)
		}
	}
	t := s.orig[smp]
	a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
	return dist2(p, a) < w2 || dist2(p, b) < w2 || dist2(p, c) < w2 || dist2(p, closestOnTriangle(p, a, b, c)) < w2
}

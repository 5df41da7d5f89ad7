package geometry

import (
	"math"
	"slices"
)

// Folds. A collapse must not make a facet cross another one: checked, as
// in every self-intersection the corpus's reductions made, around the
// corners of the moved facets (the flip and vertical-map checks leave room
// for such folds where the surface is creased, and measured collapses
// have no map). Testing every pair of facets there took longer than the
// rest of the collapse: the facets a ring beyond it are all cache misses.
// So each interior vertex w keeps dir[w] (in vertexState), a direction
// over which its fan is a height field winding once around it: its facets
// all face dir (by more than fanFacing) and project without overlap. Such
// a fan cannot fold: two of its facets that share only w meet only at w.
//
// Around a neighbour a of v other than u, the collapse replaces v by u in
// a's link: the wedges x→v→b (or, if a is also u's neighbour, u→v→b)
// become x→u→b (u→b). If the new facets face dir[a], each wedge turns
// less than π, so the pair's projected angle is still the one in (0, 2π)
// that the old pair had: the fan still winds once, and dir[a] still
// holds. Around u, see fanWindsOnce. Only where these fail are the facets
// compared pair by pair, and dir voided until the next pass finds a new
// one. Reducing a million-triangle scan, fewer than 4 checks in 10,000
// fail, and the checks add about a tenth to the CPU time.
const fanFacing = 1e-3

// fanDir returns the mean normal of the live facets around interior
// vertex w (as adj lists them), encoded, if the fan is a height field over
// it winding once; zero otherwise.
func (s *simplifier) fanDir(w int32) [3]int16 {
	var d v64
	for _, f := range s.adj.of(w) {
		if t := s.f[f].t; t[0] >= 0 && has(t, w) {
			n := s.f[f].n
			d = v64{d.x + n.x, d.y + n.y, d.z + n.z}
		}
	}
	l := norm(d)
	if l == 0 {
		return [3]int16{}
	}
	code := encodeDir(v64{d.x / l, d.y / l, d.z / l})
	wc := s.windings(w, decodeDir(code))
	for _, f := range s.adj.of(w) {
		if t := s.f[f].t; t[0] >= 0 && has(t, w) && !wc.add(s, t, s.f[f].n) {
			return [3]int16{}
		}
	}
	if wc.crossings != 1 {
		return [3]int16{}
	}
	return code
}

// vertexState is what the simplifier keeps per vertex beside its
// position and quadric.
type vertexState struct {
	changed int32    // the last pass that changed the vertex's neighbourhood
	dir     [3]int16 // encodeDir of a direction over which its fan is a height field, or zero
}

// encodeDir rounds a unit vector to 16 bits per coordinate, never all
// zero. Only decodeDir's value is ever used, so the rounding costs no
// exactness.
func encodeDir(d v64) [3]int16 {
	return [3]int16{int16(math.Round(d.x * 32767)), int16(math.Round(d.y * 32767)), int16(math.Round(d.z * 32767))}
}

// decodeDir returns the vector (within 1e-4 of unit length) encodeDir
// rounded to.
func decodeDir(c [3]int16) v64 {
	return v64{float64(c[0]) / 32767, float64(c[1]) / 32767, float64(c[2]) / 32767}
}

// windingCount counts how many times a fan around w winds around it in
// the plane across d, from facets that all face d: each then turns
// counter-clockwise about w, and the winding number is how many of them
// cross the ray from w along the plane's x axis going up (the heights
// along y alone tell).
type windingCount struct {
	w         int32
	d, y, pw  v64
	crossings int
}

func (s *simplifier) windings(w int32, d v64) windingCount {
	y := cross(d, v64{1, 0, 0})
	if norm(y) < 0.5 {
		y = cross(d, v64{0, 1, 0})
	}
	return windingCount{w: w, d: d, y: y, pw: s.pos[w]}
}

// add counts facet t (normal n, with corner w), and reports whether it
// faces d.
func (c *windingCount) add(s *simplifier, t [3]int32, n v64) bool {
	if dot(n, c.d) <= fanFacing {
		return false
	}
	k := 0
	for t[k] != c.w {
		k++
	}
	if dot(c.y, sub(s.pos[t[(k+1)%3]], c.pw)) < 0 && dot(c.y, sub(s.pos[t[(k+2)%3]], c.pw)) >= 0 {
		c.crossings++
	}
	return true
}

// folds says whether the collapse v→u (ring, moved, newN and uFaces
// filled by collapse) would make a moved facet cross a facet it shares
// one corner with, and lists in unvouched the vertices whose dir the
// collapse voids.
func (s *simplifier) folds(v, u int32) bool {
	s.unvouched = s.unvouched[:0]
	// Around u.
	if !s.fanWindsOnce(v, u) {
		for i, f := range s.moved {
			tf := replace(s.f[f].t, v, u)
			for j, g := range s.moved[i+1:] {
				if s.cross(tf, s.newN[i], replace(s.f[g].t, v, u), s.newN[i+1+j]) {
					return true
				}
			}
			for _, g := range s.uFaces {
				if s.cross(tf, s.newN[i], s.f[g].t, s.f[g].n) {
					return true
				}
			}
		}
		s.unvouched = append(s.unvouched, u)
	}
	// Around v's other neighbours.
	for _, a := range s.nbrV {
		if a == u {
			continue
		}
		code := s.vtx[a].dir
		vouched := code != [3]int16{}
		if vouched {
			d := decodeDir(code)
			for i, f := range s.moved {
				if has(s.f[f].t, a) && dot(s.newN[i], d) <= fanFacing {
					vouched = false
					break
				}
			}
		}
		if vouched {
			continue
		}
		for i, f := range s.moved {
			if !has(s.f[f].t, a) {
				continue
			}
			tf := replace(s.f[f].t, v, u)
			own, took := s.fanLists(a)
			if s.fanCrosses(a, tf, s.newN[i], own) || s.fanCrosses(a, tf, s.newN[i], took) {
				return true
			}
		}
		s.unvouched = append(s.unvouched, a)
	}
	return false
}

// fanWindsOnce says whether u's fan after the collapse v→u is still a
// height field over dir[u] winding once. In u's link, v gives way to v's
// other neighbours, from a1 to a2 (the facets (u, a1, v) and (u, v, a2)
// go): the wedges a1→v→a2, which turned less than 2π, become the moved
// facets' chain a1→…→a2. If the moved facets face dir[u], each link
// of the chain turns less than π, and the chain turns as far as the old
// wedges did unless it goes all the way round: crosses, going up, the
// ray from u through a1. Only v's neighbours are looked at.
func (s *simplifier) fanWindsOnce(v, u int32) bool {
	code := s.vtx[u].dir
	if code == [3]int16{} {
		return false
	}
	d := decodeDir(code)
	for i := range s.moved {
		if dot(s.newN[i], d) <= fanFacing {
			return false
		}
	}
	a1 := int32(-1)
	for _, f := range s.ring {
		if t := s.f[f].t; has(t, u) {
			k := 0
			for t[k] != u {
				k++
			}
			if t[(k+2)%3] == v {
				a1 = t[(k+1)%3]
			}
		}
	}
	if a1 < 0 {
		return false
	}
	pu := s.pos[u]
	y := cross(d, sub(s.pos[a1], pu))
	for _, f := range s.moved {
		t := replace(s.f[f].t, v, u)
		k := 0
		for t[k] != u {
			k++
		}
		p, q := t[(k+1)%3], t[(k+2)%3]
		if p != a1 && dot(y, sub(s.pos[p], pu)) < 0 && dot(y, sub(s.pos[q], pu)) >= 0 {
			return false
		}
	}
	return true
}

// fanLists returns the lists adj has of the facets around live vertex w:
// its own, and, if w took a collapse this pass, those of the vertex it
// took them from (adj is built once a pass; facets that now have w may be
// listed there). Either may hold facets without w.
func (s *simplifier) fanLists(w int32) (own, took []int32) {
	if x := s.locked[w]; x != 0 {
		took = s.adj.of(x - 1)
	}
	return s.adj.of(w), took
}

// replace returns t with corner v replaced by u.
func replace(t [3]int32, v, u int32) [3]int32 {
	for k := range t {
		if t[k] == v {
			t[k] = u
		}
	}
	return t
}

// fanCrosses says whether facet tf (normal nf) crosses one of the live
// facets among fan that have corner w and are not in the collapse's ring.
func (s *simplifier) fanCrosses(w int32, tf [3]int32, nf v64, fan []int32) bool {
	for _, g := range fan {
		tg := s.f[g].t
		if tg[0] < 0 || !has(tg, w) || slices.Contains(s.ring, g) {
			continue
		}
		if s.cross(tf, nf, tg, s.f[g].n) {
			return true
		}
	}
	return false
}

// cross says whether facets tf and tg (unit normals nf and ng), which
// share at least one corner, cross (trianglesCross, as the analysis
// counts them). Sharing an edge, they are neighbours. Sharing one corner,
// they cross only if each has its other two corners on both sides of the
// other's plane, or all of them on it (coplanar facets overlapping): two
// dot products each rule out almost every pair.
func (s *simplifier) cross(tf [3]int32, nf v64, tg [3]int32, ng v64) bool {
	var c int32 = -1
	shared := 0
	for _, w := range tf {
		if has(tg, w) {
			c = w
			shared++
		}
	}
	if shared != 1 {
		return false
	}
	pc := s.pos[c]
	var d [2][2]float64 // d[0]: tf's other corners above tg's plane; d[1]: tg's above tf's
	spoke2 := 0.0
	for i, t := range [2][3]int32{tf, tg} {
		n := ng
		if i == 1 {
			n = nf
		}
		j := 0
		for _, w := range t {
			if w != c {
				e := sub(s.pos[w], pc)
				d[i][j] = dot(n, e)
				spoke2 = max(spoke2, dot(e, e))
				j++
			}
		}
	}
	// A corner counts as on the other plane (trianglesCross snaps
	// distances under a billionth of the longest edge, which is under
	// twice the longest spoke from c) only if it is that close.
	tiny2 := 1e-16 * spoke2
	for _, p := range d {
		if p[0]*p[1] > 0 && min(p[0]*p[0], p[1]*p[1]) > tiny2 {
			return false // both on one side
		}
	}
	return trianglesCross64(s.pos[tf[0]], s.pos[tf[1]], s.pos[tf[2]], s.pos[tg[0]], s.pos[tg[1]], s.pos[tg[2]])
}

// crossesNearby says whether a facet moved by the collapse v→u (measured,
// or proven across a sharp edge) would cross a live facet around a vertex
// next to one of its corners: facets one edge apart, which folds do not
// cover. Measured collapses (open borders, fans that fold over their
// plane, at large bounds most of a CAD part's last collapses) made every
// such crossing the corpus's reductions had (a tray at 10 mm: 0 → 4
// intersecting triangles), and proven ones across sharp edges made them
// as soon as they skipped this check (the counter: 503 → 864); both are
// few and dear anyway, so the facets around v's neighbours'
// neighbours are compared with the moved ones pair by pair, after their
// boxes (on 3DBenchy, 16k measured collapses, a fifth more time). A
// worker that does not own all of those facets (one spans a slabs' cut)
// reports a crossing and sets deferred: the candidate goes to one core.
func (s *simplifier) crossesNearby(v, u int32) bool {
	// The vertices next to the corners, then the facets around them, each
	// once.
	if s.near2 == nil {
		s.near2 = new([2]markSet)
	}
	verts, near := &s.near2[0], &s.near2[1]
	verts.reset(len(s.pos))
	for _, c := range s.nbrV { // the moved facets' corners: u and v's other neighbours
		own, took := s.fanLists(c)
		for _, l := range [2][]int32{own, took} {
			for _, g := range l {
				if t := s.f[g].t; t[0] >= 0 {
					verts.add(t[0])
					verts.add(t[1])
					verts.add(t[2])
				}
			}
		}
	}
	// A worker owns the facets two rings around v; those around the
	// vertices two edges away are its own only if none spans a cut.
	if s.nearMarks != nil {
		for _, x := range verts.list {
			if s.nearMarks[x] == 1 {
				s.deferred = true
				return true
			}
		}
	}
	near.reset(len(s.f))
	for _, x := range verts.list {
		if x == v {
			continue
		}
		own, took := s.fanLists(x)
		for _, l := range [2][]int32{own, took} {
			for _, g := range l {
				near.add(g)
			}
		}
	}
	// The moved facets as they will be, with their boxes and the box of
	// them all.
	var all box
	all.reset()
	s.movedBox = s.movedBox[:0]
	for _, f := range s.moved {
		tf := replace(s.f[f].t, v, u)
		b := s.facetBox(tf)
		all.union(&b)
		s.movedBox = append(s.movedBox, boxedFacet{tf, b})
	}
	for _, g := range near.list {
		tg := s.f[g].t
		if tg[0] < 0 || has(tg, v) || slices.Contains(s.ring, g) {
			continue
		}
		gb := s.facetBox(tg)
		if !overlaps(&gb.min, &gb.max, &all.min, &all.max) {
			continue
		}
		for i := range s.movedBox {
			m := &s.movedBox[i]
			tf := m.t
			if has(tf, tg[0]) || has(tf, tg[1]) || has(tf, tg[2]) {
				continue // around a shared corner: folds has ruled it out
			}
			if !overlaps(&gb.min, &gb.max, &m.b.min, &m.b.max) {
				continue
			}
			if trianglesCross64(s.pos[tf[0]], s.pos[tf[1]], s.pos[tf[2]], s.pos[tg[0]], s.pos[tg[1]], s.pos[tg[2]]) {
				return true
			}
		}
	}
	return false
}

// boxedFacet is a facet's corners and their box.
type boxedFacet struct {
	t [3]int32
	b box
}

// facetBox is the box of facet t's corners (positions are float32
// values, so exactly).
func (s *simplifier) facetBox(t [3]int32) box {
	a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
	return box{
		min: [3]float32{float32(min(a.x, b.x, c.x)), float32(min(a.y, b.y, c.y)), float32(min(a.z, b.z, c.z))},
		max: [3]float32{float32(max(a.x, b.x, c.x)), float32(max(a.y, b.y, c.y)), float32(max(a.z, b.z, c.z))},
	}
}

// markSet is a set of vertex or facet numbers, in insertion order, emptied
// in constant time: members carry the current epoch (a hash set's probing
// and clearing had cost a quarter of crossesNearby).
type markSet struct {
	mark  []uint16
	epoch uint16
	list  []int32
}

// reset empties the set for numbers below n.
func (h *markSet) reset(n int) {
	if len(h.mark) < n {
		h.mark, h.epoch = make([]uint16, n), 0
	}
	if h.epoch++; h.epoch == 0 { // wrapped: old marks would match again
		clear(h.mark)
		h.epoch = 1
	}
	h.list = h.list[:0]
}

// add puts x in the set.
func (h *markSet) add(x int32) {
	if h.mark[x] != h.epoch {
		h.mark[x] = h.epoch
		h.list = append(h.list, x)
	}
}

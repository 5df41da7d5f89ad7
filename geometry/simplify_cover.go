package geometry

import (
	"context"
	"math"
)

// The input side of the final measurement. Samples at input vertices miss
// peaks inside input facets (a 7 mm sliver of the x-end idler was 0.6 %
// over 0.1 mm between its corners), and the distance to the output is not
// convex, but the distance to one output facet is: on a convex piece of
// an input facet it peaks at a corner. An input facet that crosses output
// edges is cut into pieces by a plane through each edge it crosses, each
// piece checked against the facet on its side: that settles nearly every
// input facet with a few point-to-triangle distances and no search.

// coverCell is a piece of an input facet that refineCover has split off,
// and how many times it was split.
type coverCell struct {
	c     [3]v64
	depth int
}

// coverDepth caps refineCover's splits: the x-end idler's peak 0.6 % over
// 0.1 mm inside a 7 mm sliver needed pieces a 64th of its size.
const coverDepth = 6

// refineCover checks an input facet that covered could not settle from
// its attachment: each piece is measured at its centre (the BVH's nearest
// output facet, raising the worst distance) and settled by covered from
// that facet, or split in four, down to coverDepth. It stops at a point
// beyond the bound: that alone makes Simplify reduce again. A facet can
// take up to 4^coverDepth pieces, so it checks ctx as it goes.
func (m *measurer) refineCover(ctx context.Context, A, B, C v64, lim2 float64) {
	m.cells = append(m.cells[:0], coverCell{[3]v64{A, B, C}, 0})
	for i := 0; len(m.cells) > 0; i++ {
		if i&255 == 255 && ctx.Err() != nil {
			return
		}
		cl := m.cells[len(m.cells)-1]
		m.cells = m.cells[:len(m.cells)-1]
		A, B, C := cl.c[0], cl.c[1], cl.c[2]
		g := v64{(A.x + B.x + C.x) / 3, (A.y + B.y + C.y) / 3, (A.z + B.z + C.z) / 3}
		_, tri, d2, ok := m.outBVH.NearestFacing(m.out, nil, nil, g, math.Inf(1), v64{}, 0)
		if !ok {
			return
		}
		m.worst = max(m.worst, math.Sqrt(d2))
		if d2 > lim2 {
			return
		}
		if cl.depth == coverDepth || m.covered(A, B, C, m.liveFacets[tri], lim2) {
			continue
		}
		ab, bc, ca := mid(A, B), mid(B, C), mid(C, A)
		d := cl.depth + 1
		m.cells = append(m.cells, coverCell{[3]v64{A, ab, ca}, d}, coverCell{[3]v64{ab, B, bc}, d}, coverCell{[3]v64{ca, bc, C}, d}, coverCell{[3]v64{ab, bc, ca}, d})
	}
}

// coverPoly is a convex polygon, a piece of an input facet; full says it
// had more corners than it holds, and so is not the piece any more.
type coverPoly struct {
	p    [coverMaxCorners]v64
	n    int
	full bool
}

// coverMaxPieces caps the pieces of one input facet, and coverMaxCorners
// a piece's corners (a triangle gains at most one per cut: a piece that
// would need more is given up).
const (
	coverMaxPieces  = 12
	coverMaxCorners = 12
)

// coverPiece is a piece and the output facet it is checked against.
type coverPiece struct {
	poly coverPoly
	f    int32
}

// split cuts q by the plane through a with normal n into the parts on its
// positive side (in) and the other (out).
func (q *coverPoly) split(a, n v64, in, out *coverPoly) {
	in.n, out.n = 0, 0
	in.full, out.full = q.full, q.full
	for i := 0; i < q.n; i++ {
		p, r := q.p[i], q.p[(i+1)%q.n]
		dp, dr := dot(sub(p, a), n), dot(sub(r, a), n)
		if dp >= 0 {
			in.add(p)
		} else {
			out.add(p)
		}
		if (dp >= 0) != (dr >= 0) {
			t := dp / (dp - dr)
			x := v64{p.x + t*(r.x-p.x), p.y + t*(r.y-p.y), p.z + t*(r.z-p.z)}
			in.add(x)
			out.add(x)
		}
	}
}

func (q *coverPoly) add(p v64) {
	if q.n == len(q.p) {
		q.full = true
		return
	}
	q.p[q.n] = p
	q.n++
}

// covered says whether every point of the triangle A, B, C lies within
// sqrt(lim2) of the live facets, starting from facet f: a piece all of
// whose corners are within that of the facet it is checked against is
// settled; otherwise each edge of that facet with a neighbour across it
// cuts off the part beyond it (by the plane through the edge halfway
// between the two facets) for the neighbour to check. It gives up (false)
// on a part beyond an open border or a non-manifold edge, at a fold, on a
// piece that is all on its facet's side and still too far, on a piece
// with too many corners, or after coverMaxPieces pieces.
func (m *measurer) covered(A, B, C v64, f int32, lim2 float64) bool {
	s := m.s
	m.cover = append(m.cover[:0], coverPiece{coverPoly{p: [coverMaxCorners]v64{A, B, C}, n: 3}, f})
	var in, out coverPoly
	for pieces := 0; len(m.cover) > 0; pieces++ {
		if pieces == coverMaxPieces {
			return false
		}
		pc := m.cover[len(m.cover)-1]
		m.cover = m.cover[:len(m.cover)-1]
		t := s.f[pc.f].t
		if t[0] < 0 || pc.poly.full {
			return false
		}
		a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
		within := func(q *coverPoly) bool {
			for _, p := range q.p[:q.n] {
				// A corner of the facet bounds the distance to it: at
				// loose bounds that settles nearly every point at once.
				if dist2(p, a) > lim2 && dist2(p, closestOnTriangle(p, a, b, c)) > lim2 {
					return false
				}
			}
			return true
		}
		if within(&pc.poly) {
			continue
		}
		q, cut := pc.poly, false
		for k := range 3 {
			e0, e1, opp := t[k], t[(k+1)%3], t[(k+2)%3]
			g, other := m.across(pc.f, e0, e1), int32(-1)
			if g >= 0 {
				tg := s.f[g].t
				other = tg[0] + tg[1] + tg[2] - e0 - e1
			}
			n, ok := s.edgePlane(e0, e1, opp, other)
			if !ok {
				return false
			}
			q.split(s.pos[e0], n, &in, &out)
			if out.n >= 3 {
				if g < 0 {
					return false // beyond an open border or a non-manifold edge
				}
				m.cover = append(m.cover, coverPiece{out, g})
				cut = true
			}
			if in.n < 3 {
				q.n = 0
				break
			}
			q = in
		}
		if q.n >= 3 && (q.full || !cut || !within(&q)) {
			return false
		}
	}
	return true
}

// across is the live facet other than f on the edge a, b (-1 if none or
// more than one).
func (m *measurer) across(f, a, b int32) int32 {
	g := int32(-1)
	for _, h := range m.outStar.of(a) {
		if h != f && m.s.f[h].t[0] >= 0 && has(m.s.f[h].t, b) {
			if g >= 0 {
				return -1
			}
			g = h
		}
	}
	return g
}

// edgePlane is the normal of the plane through the edge e0, e1 halfway
// between the facet with opposite corner p and the one with q, pointing
// to p's side: the difference of the two facets' directions away from the
// edge (across a flat edge, the plane square to both). With no facet
// across (q < 0) it is the plane square to p's facet.
func (s *simplifier) edgePlane(e0, e1, p, q int32) (v64, bool) {
	a := s.pos[e0]
	e := sub(s.pos[e1], a)
	l := norm(e)
	if l == 0 {
		return v64{}, false
	}
	e = v64{e.x / l, e.y / l, e.z / l}
	away := func(w int32) (v64, bool) {
		d := sub(s.pos[w], a)
		d = sub(d, v64{e.x * dot(d, e), e.y * dot(d, e), e.z * dot(d, e)})
		l := norm(d)
		return v64{d.x / l, d.y / l, d.z / l}, l > 0
	}
	tp, ok1 := away(p)
	if q < 0 {
		return tp, ok1
	}
	tq, ok2 := away(q)
	n := sub(tp, tq)
	if !ok1 || !ok2 || dot(n, n) < 1e-12 {
		return v64{}, false
	}
	return n, true
}

package geometry

import "math"

// Tracked bounds let most collapses skip measurement. Each live facet f
// carries ein (every point of every input facet attached to f is within
// ein of f), eout (every point of f is within eout of the input) and a cone
// holding the normals of its attached input facets.
//
// A half-edge collapse v→u turns facet (a, b, v) into (a, b, u). The
// distance to a triangle is convex, so the farthest point of the old facet
// from the new one is a corner, and only v can be off it: h(old→new) =
// d(v, new), and likewise h(new→old) = d(u, old). By the triangle
// inequality ein grows by the first and eout by the second. A removed facet
// (v, u, w) folds onto the segment uw, which is an edge of the moved facet
// that shared its edge vw, so its samples join that facet with their bound
// grown by d(v, uw). All of it is exact arithmetic on the two positions,
// with no sampling: a collapse whose grown bounds stay within MaxDeviation
// and whose cones stay within MaxAngle of the new normals is accepted
// without measurement. Others fall back to the measured check.

// cone is an axis and a half-angle in radians; a negative half-angle is
// the empty cone (no input normal yet, or only degenerate facets).
type cone [4]float32

var emptyCone = cone{-1, 0, 0, 0}

func (c cone) half() float64 { return float64(c[0]) }
func (c cone) axis() v64     { return v64{float64(c[1]), float64(c[2]), float64(c[3])} }

func makeCone(axis v64, half float64) cone {
	return cone{float32(half), float32(axis[0]), float32(axis[1]), float32(axis[2])}
}

// up32 rounds a non-negative bound up to a float32 that is not below it.
func up32(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, math.MaxFloat32)
	}
	return f
}

func angleBetween(a, b v64) float64 { return math.Acos(max(-1, min(1, dot(a, b)))) }

// unionCone returns a cone holding both (slightly widened for float32
// storage).
func unionCone(a, b cone) cone {
	if a.half() < 0 {
		return b
	}
	if b.half() < 0 {
		return a
	}
	const slack = 1e-6
	aa, ba := a.axis(), b.axis()
	th := angleBetween(aa, ba)
	if th+b.half() <= a.half() {
		return a
	}
	if th+a.half() <= b.half() {
		return b
	}
	h := (th + a.half() + b.half()) / 2
	st := math.Sin(th)
	if h >= math.Pi || st < 1e-9 {
		return makeCone(aa, math.Pi)
	}
	// Rotate a's axis towards b's by h - a.half.
	c := math.Cos(th)
	perp := v64{(ba[0] - aa[0]*c) / st, (ba[1] - aa[1]*c) / st, (ba[2] - aa[2]*c) / st}
	phi := h - a.half()
	cp, sp := math.Cos(phi), math.Sin(phi)
	ax := v64{aa[0]*cp + perp[0]*sp, aa[1]*cp + perp[1]*sp, aa[2]*cp + perp[2]*sp}
	if l := norm(ax); l > 0 {
		ax = v64{ax[0] / l, ax[1] / l, ax[2] / l}
	}
	return makeCone(ax, h+slack)
}

// sampleCone is the cone of input facet smp's normal (empty if degenerate).
func (s *simplifier) sampleCone(smp int32) cone {
	n := s.origN[smp]
	if n[0]*n[0]+n[1]*n[1]+n[2]*n[2] < 0.5 {
		return emptyCone
	}
	return makeCone(v64{float64(n[0]), float64(n[1]), float64(n[2])}, 0)
}

// coneFits says whether every normal in c is within MaxAngle of n.
func (s *simplifier) coneFits(c cone, n v64) bool {
	return c.half() < 0 || angleBetween(c.axis(), n)+c.half() <= s.maxAngle
}

// sampleDist is the largest distance from input facet smp to live facet f:
// at a corner, the distance to a triangle being convex.
func (s *simplifier) sampleDist(smp, f int32) float64 {
	t, g := s.orig[smp], s.tris[f]
	x, y, z := s.pos[g[0]], s.pos[g[1]], s.pos[g[2]]
	d := 0.0
	for _, w := range t {
		p := s.pos[w]
		d = max(d, dist2(p, closestOnTriangle(p, x, y, z)))
	}
	return math.Sqrt(d)
}

// fitsBound checks the collapse v→u (ring, moved and newN filled by
// collapse) against the tracked bounds alone, leaving the grown bounds in
// bIn, bOut, bCone (by moved index) and the sample moves in bMerge.
func (s *simplifier) fitsBound(v, u int32) bool {
	pv, pu := s.pos[v], s.pos[u]
	s.bIn, s.bOut, s.bCone, s.bMerge = s.bIn[:0], s.bOut[:0], s.bCone[:0], s.bMerge[:0]
	for _, f := range s.moved {
		var o [2]v64
		k := 0
		for _, w := range s.tris[f] {
			if w != v {
				o[k] = s.pos[w]
				k++
			}
		}
		in := float64(s.ein[f]) + math.Sqrt(dist2(pv, closestOnTriangle(pv, o[0], o[1], pu)))
		out := float64(s.eout[f]) + math.Sqrt(dist2(pu, closestOnTriangle(pu, o[0], o[1], pv)))
		if in > s.hard || out > s.hard {
			return false
		}
		s.bIn, s.bOut, s.bCone = append(s.bIn, in), append(s.bOut, out), append(s.bCone, s.cone[f])
	}
	for _, r := range s.ring {
		t := s.tris[r]
		if !has(t, u) {
			continue
		}
		w := t[0] + t[1] + t[2] - v - u
		j := -1
		for i, f := range s.moved {
			if has(s.tris[f], w) {
				j = i
				break
			}
		}
		if j < 0 {
			return false
		}
		in := float64(s.ein[r]) + math.Sqrt(dist2(pv, closestOnSegment(pv, pu, s.pos[w])))
		if in > s.hard {
			return false
		}
		s.bIn[j] = max(s.bIn[j], in)
		s.bCone[j] = unionCone(s.bCone[j], s.cone[r])
		s.bMerge = append(s.bMerge, [2]int32{r, int32(j)})
	}
	for i, c := range s.bCone {
		if !s.coneFits(c, s.newN[i]) {
			return false
		}
	}
	return true
}

// splice moves the samples of facet r to the end of facet f's list.
func (s *simplifier) splice(f, r int32) {
	if s.head[r] < 0 {
		return
	}
	if s.head[f] < 0 {
		s.head[f] = s.head[r]
	} else {
		s.next[s.tail[f]] = s.head[r]
	}
	s.tail[f] = s.tail[r]
	s.head[r] = -1
}

func closestOnSegment(p, a, b v64) v64 {
	ab := sub(b, a)
	l2 := dot(ab, ab)
	if l2 == 0 {
		return a
	}
	t := max(0, min(1, dot(sub(p, a), ab)/l2))
	return v64{a[0] + t*ab[0], a[1] + t*ab[1], a[2] + t*ab[2]}
}

// spheres computes the input facets' bounding spheres, which the measured
// check uses to skip far facets.
func (s *simplifier) spheres() {
	s.origS = make([][4]float32, len(s.orig))
	for i, t := range s.orig {
		a, b, c := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
		cen := v64{(a[0] + b[0] + c[0]) / 3, (a[1] + b[1] + c[1]) / 3, (a[2] + b[2] + c[2]) / 3}
		r := math.Sqrt(max(dist2(cen, a), dist2(cen, b), dist2(cen, c)))
		s.origS[i] = [4]float32{float32(cen[0]), float32(cen[1]), float32(cen[2]), float32(r*(1+1e-6) + 1e-9)}
	}
}

// bvh waits for the input BVH.
func (s *simplifier) bvh() *BVH {
	<-s.bvhDone
	return s.inBVH
}

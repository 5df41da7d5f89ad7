package geometry

import (
	"math"
	"slices"
)

// Tracked bounds let most collapses skip measurement. A collapse v→u
// replaces the fan of facets around v by a fan around u over the same link
// polygon. Where both fans are height fields over one plane (every facet of
// both faces the plane's normal, and the old fan winds once around v),
// moving each point along the normal maps the old fan onto the new one,
// one to one. Both fans are linear on the cells of their overlay, so the
// largest move D is at an overlay vertex: v, or a crossing of an old spoke
// (v, w) with a new one (u, w'). Chaining these maps from the input to the
// output pairs every input point with an output point and back; each live
// facet carries dev, a bound on how far the points now on it have moved,
// and a cone holding the input normals they came from. A collapse is
// accepted without measurement when max(dev over the old fan) + D stays
// within MaxDeviation (a two-sided bound, with no sampling) and every new
// facet's normal is within MaxAngle of the fan's cones. Others (boundary
// vertices, folded fans) fall back to the measured check.

// cone is an axis and a half-angle in radians; a negative half-angle is
// the empty cone (no input normal yet, or only degenerate facets).
type cone struct{ h, x, y, z float32 }

var emptyCone = cone{-1, 0, 0, 0}

func (c cone) half() float64 { return float64(c.h) }
func (c cone) axis() v64     { return v64{float64(c.x), float64(c.y), float64(c.z)} }

func makeCone(axis v64, half float64) cone {
	return cone{float32(half), float32(axis.x), float32(axis.y), float32(axis.z)}
}

// up32 rounds a non-negative bound up to a float32 that is not below it.
func up32(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, math.MaxFloat32)
	}
	return f
}

// unionCone returns a cone holding both (slightly widened for float32
// storage). The angle between the axes takes one arccosine; its cosine
// is their dot product and its sine follows from that, so the rotation
// of a's axis needs one more sine-cosine pair, not four calls.
func unionCone(a, b cone) cone {
	if a.half() < 0 {
		return b
	}
	if b.half() < 0 || a == b {
		return a
	}
	const slack = 1e-6
	aa, ba := a.axis(), b.axis()
	c := max(-1, min(1, dot(aa, ba)))
	th := math.Acos(c)
	if th+b.half() <= a.half() {
		return a
	}
	if th+a.half() <= b.half() {
		return b
	}
	h := (th + a.half() + b.half()) / 2
	st := math.Sqrt(1 - c*c)
	if h >= math.Pi || st < 1e-9 {
		return makeCone(aa, math.Pi)
	}
	// Rotate a's axis towards b's by h - a.half.
	perp := v64{(ba.x - aa.x*c) / st, (ba.y - aa.y*c) / st, (ba.z - aa.z*c) / st}
	sp, cp := math.Sincos(h - a.half())
	ax := v64{aa.x*cp + perp.x*sp, aa.y*cp + perp.y*sp, aa.z*cp + perp.z*sp}
	if l := norm(ax); l > 0 {
		ax = v64{ax.x / l, ax.y / l, ax.z / l}
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

// fitsVertical checks the collapse v→u (ring, moved, newN and nbrV
// filled by collapse) against the tracked bounds, leaving the new facets'
// bound in bDev and their cones in bCones (bAcross if the fan needed
// conesByOverlap), and the sample moves in bMerge.
func (s *simplifier) fitsVertical(v, u int32) bool {
	s.overBound = false
	if s.kind[v] != kindInterior {
		return false
	}
	pv, pu := s.pos[v], s.pos[u]
	// The plane: the area-weighted mean normal of the old fan.
	var n0 v64
	dev := 0.0
	for _, f := range s.ring {
		t := s.f[f].t
		a, b, cc := s.pos[t[0]], s.pos[t[1]], s.pos[t[2]]
		n := cross(sub(b, a), sub(cc, a))
		n0 = v64{n0.x + n.x, n0.y + n.y, n0.z + n.z}
		dev = max(dev, float64(s.f[f].dev))
	}
	l := norm(n0)
	if l == 0 {
		return false
	}
	if dev > s.hard {
		s.overBound = true
		return false
	}
	n0 = v64{n0.x / l, n0.y / l, n0.z / l}
	const facing = 1e-3
	for _, f := range s.ring {
		if dot(s.f[f].n, n0) <= facing {
			return false
		}
	}
	for _, n := range s.newN {
		if dot(n, n0) <= facing {
			return false
		}
	}
	// Every input normal on the old fan stays within MaxAngle of every new
	// facet's: checked cone by cone (tighter than against their union, and
	// one cosine per cone instead of the union's trigonometry, which only
	// an accepted collapse needs). Where that fails (a fan across a sharp
	// edge of a CAD part: four in five of the collapses measured on
	// 3DBenchy), pairs is checked once the fan is in plane coordinates.
	s.bLimit = s.bLimit[:0]
	pairs := false
	for _, f := range s.ring {
		c := s.f[f].cone
		if c.half() < 0 {
			s.bLimit = append(s.bLimit, 2)
			continue
		}
		rest := s.maxAngle - c.half()
		if rest < 0 {
			// A cone wider than MaxAngle (merged ones widen): only
			// its samples can tell.
			s.bLimit = append(s.bLimit, 2)
			pairs = true
			continue
		}
		limit, axis := math.Cos(rest), c.axis()
		s.bLimit = append(s.bLimit, limit)
		for _, n := range s.newN {
			if !pairs && dot(axis, n) < limit {
				pairs = true
			}
		}
	}
	// Plane coordinates (x, y) and height h along n0, of v, u and v's
	// other neighbours (nbrV, sorted; nbrP[i] is nbrV[i]'s).
	e1 := cross(n0, v64{1, 0, 0})
	if norm(e1) < 0.5 {
		e1 = cross(n0, v64{0, 1, 0})
	}
	l = norm(e1)
	e1 = v64{e1.x / l, e1.y / l, e1.z / l}
	e2 := cross(n0, e1)
	proj := func(p v64) planePoint { return planePoint{dot(p, e1), dot(p, e2), dot(p, n0)} }
	V, U := proj(pv), proj(pu)
	s.nbrP = s.nbrP[:0]
	for _, w := range s.nbrV {
		s.nbrP = append(s.nbrP, proj(s.pos[w]))
	}
	at := func(w int32) planePoint {
		i, _ := slices.BinarySearch(s.nbrV, w)
		return s.nbrP[i]
	}
	// The old fan winds once around v. Its facets all face the plane, so
	// each turns counter-clockwise about V there, and the winding number is
	// how many of them cross the ray from V along +x (going up).
	crossings := 0
	for _, f := range s.ring {
		t := s.f[f].t
		k := 0
		for t[k] != v {
			k++
		}
		a, b := at(t[(k+1)%3]), at(t[(k+2)%3])
		if a.y < V.y && b.y >= V.y {
			crossings++
		}
	}
	if crossings != 1 {
		return false
	}
	// v's height on the new fan.
	D := -1.0
	for _, f := range s.moved {
		t := s.f[f].t
		var o [2]planePoint
		j := 0
		for _, w := range t {
			if w != v {
				o[j] = at(w)
				j++
			}
		}
		// Barycentric coordinates of V in (o0, o1, U).
		d := (o[1].y-U.y)*(o[0].x-U.x) + (U.x-o[1].x)*(o[0].y-U.y)
		if d == 0 {
			continue
		}
		l0 := ((o[1].y-U.y)*(V.x-U.x) + (U.x-o[1].x)*(V.y-U.y)) / d
		l1 := ((U.y-o[0].y)*(V.x-U.x) + (o[0].x-U.x)*(V.y-U.y)) / d
		l2 := 1 - l0 - l1
		if l0 >= -1e-9 && l1 >= -1e-9 && l2 >= -1e-9 {
			D = math.Abs(l0*o[0].h + l1*o[1].h + l2*U.h - V.h)
			break
		}
	}
	if D < 0 {
		return false
	}
	// Half the collapses a wrap's reduction tries fail the bound: each
	// stops as soon as a height shows it.
	if dev+D > s.hard {
		s.overBound = !pairs
		return false
	}
	// Crossings of old spokes (v, w) with new ones (u, w').
	for i, w := range s.nbrV {
		if w == u {
			continue
		}
		W := s.nbrP[i]
		rx, ry := W.x-V.x, W.y-V.y
		for j, w2 := range s.nbrV {
			if w2 == u || w2 == w {
				continue
			}
			W2 := s.nbrP[j]
			// V + a(W - V) = U + b(W2 - U)
			qx, qy := W2.x-U.x, W2.y-U.y
			den := rx*qy - ry*qx
			if den == 0 {
				continue
			}
			ux, uy := U.x-V.x, U.y-V.y
			a := (ux*qy - uy*qx) / den
			b := (ux*ry - uy*rx) / den
			if a <= 0 || a >= 1 || b <= 0 || b >= 1 {
				continue
			}
			D = max(D, math.Abs((V.h+a*(W.h-V.h))-(U.h+b*(W2.h-U.h))))
		}
		if dev+D > s.hard {
			s.overBound = !pairs
			return false
		}
	}
	s.bDev = up32(dev + D)
	s.mergeRemoved(v, u)
	s.bAcross = pairs
	if pairs {
		return s.conesByOverlap(v, V, U, at)
	}
	c := emptyCone
	for _, f := range s.ring {
		c = unionCone(c, s.f[f].cone)
	}
	s.bCones = s.bCones[:0]
	for range s.moved {
		s.bCones = append(s.bCones, c)
	}
	return true
}

// mergeRemoved fills bMerge: each removed facet (v, u, w) goes to the
// moved facet with w, which takes its samples (both maps, vertical and
// barycentric, carry the removed facet's points onto their common edge).
func (s *simplifier) mergeRemoved(v, u int32) {
	s.bMerge = s.bMerge[:0]
	for _, r := range s.ring {
		t := s.f[r].t
		if !has(t, u) {
			continue
		}
		w := t[0] + t[1] + t[2] - v - u
		j := 0
		for i, f := range s.moved {
			if has(s.f[f].t, w) {
				j = i
				break
			}
		}
		s.bMerge = append(s.bMerge, [2]int32{r, int32(j)})
	}
}

// fitsMoved is the tracked bound of a collapse v→u whose fan fitsVertical
// could not map (it folds over every plane, or v's projection misses the
// new fan), which would otherwise be measured. The map that keeps each
// point's barycentric coordinates in its facet while v moves to u carries
// the old fan onto the new one and the removed facets onto their edges,
// and moves no point farther than |u − v|: so max(dev over the old fan) +
// |u − v| bounds the new facets, two-sided, with no sampling, and each new
// facet holds the input normals of its old self and of the removed facets
// it takes (bMerge). It accepts bounds up to measuredShare of the hard
// bound, the bound a measured collapse leaves, so later collapses never
// have less room than after measuring; that needs moves well under the
// bound, which at large bounds is most of a CAD part's measured collapses.
// The caller still checks folds and the facets one edge apart, as for a
// measured collapse. It leaves the same fields as fitsVertical.
func (s *simplifier) fitsMoved(v, u int32) bool {
	if s.kind[v] != kindInterior {
		return false
	}
	dev := 0.0
	for _, f := range s.ring {
		dev = max(dev, float64(s.f[f].dev))
	}
	d := dev + math.Sqrt(dist2(s.pos[v], s.pos[u]))
	if d > measuredShare*s.hard {
		return false
	}
	s.mergeRemoved(v, u)
	s.bCones = s.bCones[:0]
	for j, f := range s.moved {
		n, c := s.newN[j], emptyCone
		holds := func(r int32) bool {
			rc := s.f[r].cone
			if rc.half() < 0 {
				return true
			}
			if rest := s.maxAngle - rc.half(); (rest < 0 || dot(rc.axis(), n) < math.Cos(rest)) && !s.samplesFacing(r, n) {
				return false
			}
			c = unionCone(c, rc)
			return true
		}
		if !holds(f) {
			return false
		}
		for _, mg := range s.bMerge {
			if mg[1] == int32(j) && !holds(mg[0]) {
				return false
			}
		}
		s.bCones = append(s.bCones, c)
	}
	s.bDev, s.bAcross = up32(d), true
	return true
}

// conesByOverlap is fitsVertical's angle check for a fan whose cones are
// not all within MaxAngle of every new facet. The vertical map carries
// the points of an old facet onto the new facets its plane triangle
// overlaps, so each new facet need only hold the cones of those, of its
// own old self (whose samples it keeps) and of the removed facets whose
// samples it takes (bMerge). It leaves each moved facet's cone in bCones.
func (s *simplifier) conesByOverlap(v int32, V, U planePoint, at func(int32) planePoint) bool {
	plane := func(t [3]int32, vAt planePoint) [3]planePoint {
		var p [3]planePoint
		for k, w := range t {
			if w == v {
				p[k] = vAt
			} else {
				p[k] = at(w)
			}
		}
		return p
	}
	s.ringP = s.ringP[:0] // the old fan in plane coordinates, once
	for _, r := range s.ring {
		s.ringP = append(s.ringP, plane(s.f[r].t, V))
	}
	s.bCones = s.bCones[:0]
	for j, f := range s.moved {
		now := plane(s.f[f].t, U) // the moved facet's corners with u for v
		n := s.newN[j]
		c := emptyCone
		for i, r := range s.ring {
			takes := r == f
			for _, mg := range s.bMerge {
				takes = takes || mg[0] == r && mg[1] == int32(j)
			}
			if !takes && !overlap2(s.ringP[i], now) {
				continue
			}
			rc := s.f[r].cone
			if rc.half() < 0 {
				continue
			}
			if dot(rc.axis(), n) < s.bLimit[i] && !s.samplesFacing(r, n) {
				return false
			}
			if takes {
				c = unionCone(c, rc)
			}
		}
		s.bCones = append(s.bCones, c)
	}
	return true
}

// samplesFacing reports whether the normal of every sample on facet f is
// within MaxAngle of n (cones widen as they merge: a facet's may fail where
// its normals do not).
func (s *simplifier) samplesFacing(f int32, n v64) bool {
	for smp := s.f[f].head; smp >= 0; smp = s.next[smp] {
		if m := s.origN[smp]; m[0]*m[0]+m[1]*m[1]+m[2]*m[2] > 0.5 && float64(m[0])*n.x+float64(m[1])*n.y+float64(m[2])*n.z < s.cosMax-1e-9 {
			return false
		}
	}
	return true
}

// overlap2 reports whether plane triangles a and b overlap in more than
// an edge or a corner: no edge line of either has the other on its outer
// side or on the line. A degenerate triangle's edges separate nothing, so
// only the other's can tell it apart (the check errs towards overlap).
func overlap2(a, b [3]planePoint) bool {
	return !outside2(a, b) && !outside2(b, a)
}

// outside2 reports whether an edge line of a has all of b on or beyond it.
func outside2(a, b [3]planePoint) bool {
	turn := (a[1].x-a[0].x)*(a[2].y-a[0].y) - (a[1].y-a[0].y)*(a[2].x-a[0].x)
	if turn == 0 {
		return false
	}
	for k := range 3 {
		p, q := a[k], a[(k+1)%3]
		ex, ey := q.x-p.x, q.y-p.y
		out := true
		for _, x := range b {
			if c := ex*(x.y-p.y) - ey*(x.x-p.x); c > 0 && turn > 0 || c < 0 && turn < 0 {
				out = false // on a's inner side
				break
			}
		}
		if out {
			return true
		}
	}
	return false
}

// planePoint is a point in fitsVertical's plane coordinates: x, y in the
// plane and h, the height along its normal.
type planePoint struct{ x, y, h float64 }

// splice moves the samples of facet r to the end of facet f's list.
func (s *simplifier) splice(f, r int32) {
	if s.f[r].head < 0 {
		return
	}
	if s.f[f].head < 0 {
		s.f[f].head = s.f[r].head
	} else {
		s.next[s.f[f].tail] = s.f[r].head
	}
	s.f[f].tail = s.f[r].tail
	s.f[r].head = -1
}

// sphereOf computes the input facets' bounding spheres, which the
// measured check uses to skip far facets.
func sphereOf(pos []v64, orig [][3]uint32) [][4]float32 {
	out := make([][4]float32, len(orig))
	for i, t := range orig {
		a, b, c := pos[t[0]], pos[t[1]], pos[t[2]]
		cen := v64{(a.x + b.x + c.x) / 3, (a.y + b.y + c.y) / 3, (a.z + b.z + c.z) / 3}
		r := math.Sqrt(max(dist2(cen, a), dist2(cen, b), dist2(cen, c)))
		out[i] = [4]float32{float32(cen.x), float32(cen.y), float32(cen.z), float32(r*(1+1e-6) + 1e-9)}
	}
	return out
}

// spheres waits for the input facets' bounding spheres (made in the
// background with the input BVH, first) and keeps them in s.origS.
func (s *simplifier) spheres() {
	<-s.inTree.spheresDone
	s.origS = s.inTree.spheres
}

// bvh waits for the input BVH.
func (s *simplifier) bvh() *BVH {
	<-s.inTree.done
	return s.inTree.h
}

// inputTree is the input's BVH, shared by a simplifier and its workers
// (which copy the simplifier before the tree may be ready).
type inputTree struct {
	done chan struct{} // closed once h is built
	h    *BVH
	// The input facets' bounding spheres, made before the tree.
	spheresDone chan struct{}
	spheres     [][4]float32
}

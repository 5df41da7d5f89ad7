package geometry

import (
	"math"
)

// Ray queries and nearest-point queries on a BVH, in float64. Both take a
// skip function so callers can ignore their own triangle and its
// neighbours, or surfaces facing the wrong way.

// RayHit is the nearest intersection along a ray.
type RayHit struct {
	Tri  uint32
	Dist float64
}

// Raycast returns the nearest triangle hit by the ray origin + t·dir
// (t > 0, dir need not be unit; Dist is in units of |dir|) that skip does
// not reject, or ok = false.
func (h *BVH) Raycast(m *Mesh, origin, dir v64, skip func(tri uint32, dist float64) bool) (RayHit, bool) {
	var st traversal
	return h.raycast(&st, m, nil, nil, origin, dir, skip)
}

// RaycastLeaving is Raycast restricted to triangles the ray leaves through
// (dot(normal, dir) > 0), pruning whole nodes by their normal cones. From
// inside a closed, consistently oriented solid the first surface hit is
// always one the ray leaves through, so there it finds what Raycast finds,
// without testing the surface around the origin that faces the other way.
func (h *BVH) RaycastLeaving(m *Mesh, cones []normalCone, normals []v64, origin, dir v64, skip func(tri uint32, dist float64) bool) (RayHit, bool) {
	var st traversal
	return h.raycast(&st, m, cones, normals, origin, dir, skip)
}

// traversal is the stacks of the tree walks. Go clears a local array on
// every call (3 KiB in all, about 1 % of a wall-thickness run): a
// caller running many queries keeps one and passes it in.
type traversal struct {
	ray  [64]rayEntry
	near [128]nearEntry
}

type rayEntry struct {
	node uint32
	t    float64
}

type nearEntry struct {
	node uint32
	d2   float64
}

func (h *BVH) raycast(st *traversal, m *Mesh, cones []normalCone, normals []v64, origin, dir v64, skip func(tri uint32, dist float64) bool) (RayHit, bool) {
	best := RayHit{Dist: math.Inf(1)}
	if len(h.nodes) == 0 {
		return best, false
	}
	var inv, back [3]float64
	length := norm(dir)
	for k := range 3 {
		// An axis-parallel ray gets a huge finite inverse instead of ±Inf,
		// so the slab test never meets 0·Inf.
		d := dir.at(k)
		if math.Abs(d) < 1e-300 {
			d = math.Copysign(1e-300, d)
		}
		inv[k] = 1 / d
		back[k] = -dir.at(k) / length
	}
	// A node may hold a surface the ray leaves through if some normal n in
	// it has dot(n, −dir) ≤ 0.
	bk := vec(back)
	leaving := func(n uint32) bool { return cones == nil || cones[n].mayFace(bk, 0) }
	// Nearer child first, so the first hits found prune the rest.
	type entry = rayEntry
	stack := &st.ray
	sl := newSlab(origin, vec(inv))
	t0, ok := sl.hit(&h.nodes[0], best.Dist)
	if !ok || !leaving(0) {
		return best, false
	}
	stack[0] = entry{0, t0}
	sp := 1
	for sp > 0 {
		sp--
		e := stack[sp]
		if e.t > best.Dist {
			continue
		}
		nd := &h.nodes[e.node]
		if nd.count > 0 {
			for _, t := range h.tris[nd.first : nd.first+nd.count] {
				if normals != nil && dot(normals[t], dir) <= 0 {
					continue
				}
				a, b, c := m.Triangle(int(t))
				if d, ok := rayTriangle(origin, dir, to64(a), to64(b), to64(c)); ok && d < best.Dist && (skip == nil || !skip(t, d)) {
					best = RayHit{Tri: t, Dist: d}
				}
			}
			continue
		}
		l, r := nd.first, nd.first+1
		tl, okl := sl.hit(&h.nodes[l], best.Dist)
		tr, okr := sl.hit(&h.nodes[r], best.Dist)
		okl = okl && leaving(l)
		okr = okr && leaving(r)
		switch {
		case okl && okr:
			if tl <= tr {
				stack[sp], stack[sp+1] = entry{r, tr}, entry{l, tl}
			} else {
				stack[sp], stack[sp+1] = entry{l, tl}, entry{r, tr}
			}
			sp += 2
		case okl:
			stack[sp] = entry{l, tl}
			sp++
		case okr:
			stack[sp] = entry{r, tr}
			sp++
		}
	}
	return best, !math.IsInf(best.Dist, 1)
}

// slab is a ray prepared for the slab test: the origin and the inverse
// direction, unrolled so that a node's test is twelve flops and branch-free
// min/max.
type slab struct {
	ox, oy, oz, ix, iy, iz float64
}

func newSlab(o, inv v64) slab {
	return slab{o.x, o.y, o.z, inv.x, inv.y, inv.z}
}

// hit is the slab test on a node's box, for hits nearer than limit; it
// returns where the ray enters the box (0 if it starts inside).
func (s *slab) hit(nd *bvhNode, limit float64) (float64, bool) {
	ax := (float64(nd.min[0]) - s.ox) * s.ix
	bx := (float64(nd.max[0]) - s.ox) * s.ix
	ay := (float64(nd.min[1]) - s.oy) * s.iy
	by := (float64(nd.max[1]) - s.oy) * s.iy
	az := (float64(nd.min[2]) - s.oz) * s.iz
	bz := (float64(nd.max[2]) - s.oz) * s.iz
	t0 := max(min(ax, bx), min(ay, by), min(az, bz), 0)
	t1 := min(max(ax, bx), max(ay, by), max(az, bz), limit)
	return t0, t0 <= t1
}

// rayTriangle is Möller–Trumbore, both sides, t > 0.
func rayTriangle(o, d, a, b, c v64) (float64, bool) {
	e1, e2 := sub(b, a), sub(c, a)
	p := cross(d, e2)
	det := dot(e1, p)
	if det == 0 {
		return 0, false
	}
	inv := 1 / det
	s := sub(o, a)
	u := dot(s, p) * inv
	if u < 0 || u > 1 {
		return 0, false
	}
	q := cross(s, e1)
	v := dot(d, q) * inv
	if v < 0 || u+v > 1 {
		return 0, false
	}
	t := dot(e2, q) * inv
	return t, t > 0
}

func boxDist2(p v64, lo, hi [3]float32) float64 {
	// Branch-free: the gap on each axis is the larger of the distances
	// below the box and above it, or 0 inside.
	dx := max(float64(lo[0])-p.x, p.x-float64(hi[0]), 0)
	dy := max(float64(lo[1])-p.y, p.y-float64(hi[1]), 0)
	dz := max(float64(lo[2])-p.z, p.z-float64(hi[2]), 0)
	return dx*dx + dy*dy + dz*dz
}

// closestOnTriangle is the point of triangle abc nearest to p (Ericson,
// Real-Time Collision Detection, 5.1.5).
func closestOnTriangle(p, a, b, c v64) v64 {
	ab, ac, ap := sub(b, a), sub(c, a), sub(p, a)
	d1, d2 := dot(ab, ap), dot(ac, ap)
	if d1 <= 0 && d2 <= 0 {
		return a
	}
	bp := sub(p, b)
	d3, d4 := dot(ab, bp), dot(ac, bp)
	if d3 >= 0 && d4 <= d3 {
		return b
	}
	vc := d1*d4 - d3*d2
	if vc <= 0 && d1 >= 0 && d3 <= 0 {
		v := d1 / (d1 - d3)
		return v64{a.x + v*ab.x, a.y + v*ab.y, a.z + v*ab.z}
	}
	cp := sub(p, c)
	d5, d6 := dot(ab, cp), dot(ac, cp)
	if d6 >= 0 && d5 <= d6 {
		return c
	}
	vb := d5*d2 - d1*d6
	if vb <= 0 && d2 >= 0 && d6 <= 0 {
		w := d2 / (d2 - d6)
		return v64{a.x + w*ac.x, a.y + w*ac.y, a.z + w*ac.z}
	}
	va := d3*d6 - d5*d4
	if va <= 0 && d4-d3 >= 0 && d5-d6 >= 0 {
		w := (d4 - d3) / ((d4 - d3) + (d5 - d6))
		bc := sub(c, b)
		return v64{b.x + w*bc.x, b.y + w*bc.y, b.z + w*bc.z}
	}
	denom := 1 / (va + vb + vc)
	v, w := vb*denom, vc*denom
	return v64{a.x + ab.x*v + ac.x*w, a.y + ab.y*v + ac.y*w, a.z + ab.z*v + ac.z*w}
}

// normalCone bounds the unit normals of a node's triangles: each is within
// the half-angle of axis. cosHalf/sinHalf are precomputed; wide (half-angle
// ≥ 90°) cones never prune.
type normalCone struct {
	axis             v64
	cosHalf, sinHalf float64
	wide             bool
}

// NormalCones bounds each node's triangle normals (built once per BVH for
// queries that only want surfaces facing a given way). No arc cosines: a
// leaf's half-angle has the cosine of its widest normal, and a child cone
// at angle a from the parent's axis with half-angle h reaches a + h, whose
// cosine and sine follow from the sum formulas. A cone reaching 90° is wide
// (mayFace always says yes), so only angles below 90° need be exact, and
// every cosine is lowered by a hair to keep the bound on the safe side.
func (h *BVH) NormalCones(normals []v64) []normalCone {
	const slack = 1e-12
	cones := make([]normalCone, len(h.nodes))
	for i := len(h.nodes) - 1; i >= 0; i-- { // children come after parents
		nd := &h.nodes[i]
		var sum v64
		if nd.count > 0 {
			for _, t := range h.tris[nd.first : nd.first+nd.count] {
				n := normals[t]
				sum = v64{sum.x + n.x, sum.y + n.y, sum.z + n.z}
			}
		} else {
			for _, c := range cones[nd.first : nd.first+2] {
				sum = v64{sum.x + c.axis.x, sum.y + c.axis.y, sum.z + c.axis.z}
			}
		}
		l := norm(sum)
		if l < 1e-9 {
			cones[i] = normalCone{wide: true}
			continue
		}
		axis := v64{sum.x / l, sum.y / l, sum.z / l}
		cosHalf := 1.0
		if nd.count > 0 {
			for _, t := range h.tris[nd.first : nd.first+nd.count] {
				if n := normals[t]; n != (v64{}) {
					cosHalf = min(cosHalf, dot(axis, n))
				}
			}
		} else {
			for _, c := range cones[nd.first : nd.first+2] {
				if c.wide {
					cosHalf = -1
					break
				}
				ca := max(-1, min(1, dot(axis, c.axis)))
				sa := math.Sqrt(1 - ca*ca)
				cosHalf = min(cosHalf, ca*c.cosHalf-sa*c.sinHalf) // cos(a + h)
			}
		}
		cosHalf = max(-1, min(1, cosHalf)-slack)
		cones[i] = normalCone{axis: axis, cosHalf: cosHalf, sinHalf: math.Sqrt(1 - cosHalf*cosHalf), wide: cosHalf <= 0}
	}
	return cones
}

// mayFace reports whether a node's cone can hold a normal n with
// dot(n, dir) ≤ maxDot, i.e. angle(n, dir) ≥ acos(maxDot): true unless every
// normal in the cone is closer to dir than that. With a = angle(axis, dir)
// and h the half-angle, the farthest normal is at a + h; it reaches the
// limit when cos(a + h) = cos a·cos h − sin a·sin h ≤ maxDot.
func (c *normalCone) mayFace(dir v64, maxDot float64) bool {
	if c.wide {
		return true
	}
	// ca·cos h − sa·sin h ≤ maxDot with sa = √(1 − ca²), squared to skip
	// the root (sin h ≥ 0 for h < 90°).
	ca := dot(c.axis, dir)
	l := ca*c.cosHalf - maxDot
	return l <= 0 || l*l <= (1-ca*ca)*c.sinHalf*c.sinHalf
}

// NearestFacing is Nearest restricted to triangles with dot(normal, dir) ≤
// maxDot, pruning whole nodes by their normal cones: the search for an
// opposing wall skips the surface around the query that faces the same way.
// Nil cones (and normals) lift the restriction.
func (h *BVH) NearestFacing(m *Mesh, cones []normalCone, normals []v64, p v64, within2 float64, dir v64, maxDot float64) (q v64, tri uint32, dist2 float64, ok bool) {
	var st traversal
	return h.nearestFacing(&st, m, cones, normals, p, within2, dir, maxDot)
}

func (h *BVH) nearestFacing(st *traversal, m *Mesh, cones []normalCone, normals []v64, p v64, within2 float64, dir v64, maxDot float64) (q v64, tri uint32, dist2 float64, ok bool) {
	dist2 = within2
	facing := func(n uint32) bool { return cones == nil || cones[n].mayFace(dir, maxDot) }
	if len(h.nodes) == 0 || !facing(0) {
		return
	}
	type entry = nearEntry
	stack := &st.near
	sp := 1
	stack[0] = entry{0, boxDist2(p, h.nodes[0].min, h.nodes[0].max)}
	for sp > 0 {
		sp--
		e := stack[sp]
		if e.d2 >= dist2 {
			continue
		}
		nd := &h.nodes[e.node]
		if nd.count > 0 {
			for i := nd.first; i < nd.first+nd.count; i++ {
				t := h.tris[i]
				if normals != nil && dot(normals[t], dir) > maxDot || boxDist2(p, h.boxes[i].min, h.boxes[i].max) >= dist2 {
					continue
				}
				a, b, c := m.Triangle(int(t))
				c0 := closestOnTriangle(p, to64(a), to64(b), to64(c))
				dd := sub(c0, p)
				if d2 := dot(dd, dd); d2 < dist2 {
					q, tri, dist2, ok = c0, t, d2, true
				}
			}
			continue
		}
		if sp+2 > len(stack) {
			continue
		}
		l, r := nd.first, nd.first+1
		dl, dr := math.Inf(1), math.Inf(1)
		if d := boxDist2(p, h.nodes[l].min, h.nodes[l].max); d < dist2 && facing(l) {
			dl = d
		}
		if d := boxDist2(p, h.nodes[r].min, h.nodes[r].max); d < dist2 && facing(r) {
			dr = d
		}
		// Nearer child on top; a pruned child (+Inf) is not pushed.
		if dr < dl {
			dl, dr, l, r = dr, dl, r, l
		}
		if !math.IsInf(dr, 1) {
			stack[sp] = entry{r, dr}
			sp++
		}
		if !math.IsInf(dl, 1) {
			stack[sp] = entry{l, dl}
			sp++
		}
	}
	return
}

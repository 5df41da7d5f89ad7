package geometry

import (
	"context"
	"math"
	"runtime"
)

// CountIntersectingTriangles counts triangles that pass through another
// triangle of the mesh: each has corners strictly on both sides of the
// other's plane and they share a segment of positive length (or, coplanar,
// they overlap with positive area). Triangles sharing an edge are adjacent,
// not intersecting; triangles sharing one vertex count only if they cross
// beyond it (a fold). Touching, at a point or along an edge resting on a
// face, does not count. Uses a BVH and all cores.
func CountIntersectingTriangles(ctx context.Context, m *Mesh) (int, error) {
	n := len(m.Triangles)
	if n < 2 {
		return 0, nil
	}
	bvh := NewBVH(m)
	workers := min(runtime.GOMAXPROCS(0), 8)
	marks := make([][]bool, workers) // per worker: no shared writes
	for w := range marks {
		marks[w] = make([]bool, n)
	}
	ok := bvh.SelfPairs(workers, func() bool { return ctx.Err() != nil }, func(w int, i, j uint32) {
		ti, tj := m.Triangles[i], m.Triangles[j]
		if sharedVertices(ti, tj) >= 2 {
			return
		}
		a, b, c := m.Triangle(int(i))
		d, e, f := m.Triangle(int(j))
		if trianglesCross(a, b, c, d, e, f) {
			marks[w][i], marks[w][j] = true, true
		}
	})
	if !ok {
		return 0, ctx.Err()
	}
	count := 0
	for i := range n {
		for w := range workers {
			if marks[w][i] {
				count++
				break
			}
		}
	}
	return count, nil
}

func sharedVertices(a, b [3]uint32) int {
	n := 0
	for _, x := range a {
		if x == b[0] || x == b[1] || x == b[2] {
			n++
		}
	}
	return n
}

// v64 is a point or vector in float64. A struct, not an array: the
// compiler keeps a struct's fields in registers, and an array of three in
// memory, which made the geometry's arithmetic several times slower.
type v64 struct{ x, y, z float64 }

// at is component k (0, 1, 2: x, y, z).
func (a v64) at(k int) float64 {
	switch k {
	case 0:
		return a.x
	case 1:
		return a.y
	}
	return a.z
}

// arr and vec convert to and from the arrays of the public API.
func (a v64) arr() [3]float64 { return [3]float64{a.x, a.y, a.z} }
func vec(a [3]float64) v64    { return v64{a[0], a[1], a[2]} }

func to64(v Vec3) v64      { return v64{float64(v[0]), float64(v[1]), float64(v[2])} }
func sub(a, b v64) v64     { return v64{a.x - b.x, a.y - b.y, a.z - b.z} }
func dot(a, b v64) float64 { return a.x*b.x + a.y*b.y + a.z*b.z }
func cross(a, b v64) v64 {
	return v64{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x}
}
func norm(a v64) float64 { return math.Sqrt(dot(a, a)) }

// trianglesCross is Möller's interval test in float64 with a relative
// tolerance: plane distances within tol of zero count as zero, and the two
// triangles' intervals on the planes' intersection line must overlap by more
// than tol.
func trianglesCross(a, b, c, d, e, f Vec3) bool {
	return trianglesCross64(to64(a), to64(b), to64(c), to64(d), to64(e), to64(f))
}

// trianglesCross64 is trianglesCross on float64 corners.
func trianglesCross64(A, B, C, D, E, F v64) bool {
	// The second triangle's plane first: most candidate pairs (neighbours
	// sharing a vertex) are rejected by it alone. Its tolerance uses only the
	// second triangle's edges; rejecting under a smaller tolerance implies
	// rejecting under the full one (fewer distances snap to zero).
	de, df := sub(E, D), sub(F, D)
	n2 := cross(de, df)
	l2s := dot(n2, n2)
	if l2s == 0 {
		return false // degenerate triangles cross nothing
	}
	du := v64{dot(n2, sub(A, D)), dot(n2, sub(B, D)), dot(n2, sub(C, D))}
	if pre := snap(du, 1e-18*max(dot(de, de), dot(df, df))*l2s); pre != (v64{}) && !straddles(pre) {
		return false
	}
	ab, ac := sub(B, A), sub(C, A)
	n1 := cross(ab, ac)
	l1s := dot(n1, n1)
	if l1s == 0 {
		return false
	}
	// tol = 1e-9 × the longest edge, compared squared: a distance to a plane
	// with normal n is dot(n, p−q)/|n|, so |d| < tol ⇔ dot² < tol²·|n|².
	tol2 := 1e-18 * max(dot(ab, ab), dot(ac, ac), dot(de, de), dot(df, df))
	du = snap(du, tol2*l2s)
	if du == (v64{}) {
		return coplanarOverlap(n1, [3]v64{A, B, C}, [3]v64{D, E, F}, math.Sqrt(tol2))
	}
	// A proper crossing needs each triangle to have corners strictly on both
	// sides of the other's plane; otherwise they at most touch (at a point,
	// or along an edge resting on a face).
	if !straddles(du) {
		return false
	}
	dv := snap(v64{dot(n1, sub(D, A)), dot(n1, sub(E, A)), dot(n1, sub(F, A))}, tol2*l1s)
	if !straddles(dv) {
		return false
	}
	tol := math.Sqrt(tol2)
	dir := cross(n1, n2)
	ax := 0
	for k := 1; k < 3; k++ {
		if math.Abs(dir.at(k)) > math.Abs(dir.at(ax)) {
			ax = k
		}
	}
	lo1, hi1, ok1 := interval(v64{A.at(ax), B.at(ax), C.at(ax)}, du)
	lo2, hi2, ok2 := interval(v64{D.at(ax), E.at(ax), F.at(ax)}, dv)
	if !ok1 || !ok2 {
		return false
	}
	// Interval lengths are along one axis of dir: rescale tol accordingly.
	t := tol * math.Abs(dir.at(ax)) / norm(dir)
	return min(hi1, hi2)-max(lo1, lo2) > t
}

// snap sets the three plane distances in d whose square is below lim to
// exactly zero.
func snap(d v64, lim float64) v64 {
	if d.x*d.x < lim {
		d.x = 0
	}
	if d.y*d.y < lim {
		d.y = 0
	}
	if d.z*d.z < lim {
		d.z = 0
	}
	return d
}

// straddles reports distances strictly on both sides of a plane.
func straddles(d v64) bool {
	return (d.x > 0 || d.y > 0 || d.z > 0) && (d.x < 0 || d.y < 0 || d.z < 0)
}

// interval returns where the triangle (corner projections p, plane
// distances d) meets the other plane, as an interval of the projection.
func interval(p, d v64) (lo, hi float64, ok bool) {
	var pts []float64
	for i := range 3 {
		j := (i + 1) % 3
		di, dj, pi, pj := d.at(i), d.at(j), p.at(i), p.at(j)
		if di == 0 {
			pts = append(pts, pi)
		}
		if (di < 0 && dj > 0) || (di > 0 && dj < 0) {
			pts = append(pts, pi+(pj-pi)*di/(di-dj))
		}
	}
	if len(pts) == 0 {
		return 0, 0, false
	}
	lo, hi = pts[0], pts[0]
	for _, x := range pts[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi, true
}

// coplanarOverlap tests two coplanar triangles for overlap of positive
// area: an edge of one properly crossing an edge of the other, or a corner
// strictly inside the other.
func coplanarOverlap(n v64, t1, t2 [3]v64, tol float64) bool {
	// Project on the plane most perpendicular to the normal.
	i, j := 1, 2
	if math.Abs(n.y) > math.Abs(n.x) && math.Abs(n.y) >= math.Abs(n.z) {
		i, j = 0, 2
	} else if math.Abs(n.z) > math.Abs(n.x) && math.Abs(n.z) > math.Abs(n.y) {
		i, j = 0, 1
	}
	var p, q [3][2]float64
	for k := range 3 {
		p[k] = [2]float64{t1[k].at(i), t1[k].at(j)}
		q[k] = [2]float64{t2[k].at(i), t2[k].at(j)}
	}
	eps := tol * tol
	for a := range 3 {
		for b := range 3 {
			if segmentsCross(p[a], p[(a+1)%3], q[b], q[(b+1)%3], eps) {
				return true
			}
		}
	}
	return strictlyInside(p[0], q, eps) || strictlyInside(p[1], q, eps) || strictlyInside(p[2], q, eps) ||
		strictlyInside(q[0], p, eps) || strictlyInside(q[1], p, eps) || strictlyInside(q[2], p, eps)
}

func orient2(a, b, c [2]float64) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// segmentsCross reports a proper crossing (interiors meet at one point).
func segmentsCross(a, b, c, d [2]float64, eps float64) bool {
	o1, o2 := orient2(a, b, c), orient2(a, b, d)
	o3, o4 := orient2(c, d, a), orient2(c, d, b)
	return ((o1 > eps && o2 < -eps) || (o1 < -eps && o2 > eps)) && ((o3 > eps && o4 < -eps) || (o3 < -eps && o4 > eps))
}

func strictlyInside(p [2]float64, t [3][2]float64, eps float64) bool {
	s := orient2(t[0], t[1], t[2])
	if math.Abs(s) <= eps {
		return false
	}
	d1, d2, d3 := orient2(t[0], t[1], p)*s, orient2(t[1], t[2], p)*s, orient2(t[2], t[0], p)*s
	return d1 > eps && d2 > eps && d3 > eps
}

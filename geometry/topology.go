package geometry

import "slices"

// edgeIndex groups the half-edges of a mesh by undirected edge in O(n): a
// counting sort by the lower endpoint, then a short sort of each vertex's
// list. Triangles with a repeated vertex index are left out (they have no
// proper edges), as in the reference analysis.
type edgeIndex struct {
	start []uint32  // per vertex: first entry in uses (len vertices+1)
	uses  []edgeUse // grouped by lower endpoint, then by upper endpoint
}

// edgeUse is one triangle's use of an edge: half-edge k of triangle tri
// runs from its corner k to corner k+1 (mod 3).
type edgeUse struct {
	hi      uint32 // the upper endpoint
	tri     uint32
	third   uint32 // the triangle's vertex opposite the edge
	k       uint8
	forward bool // the triangle runs lo → hi
}

// loCorner and hiCorner are the corner numbers (3·tri + k) of the edge's
// lower and upper endpoints in this triangle.
func (u edgeUse) loCorner() uint32 {
	if u.forward {
		return 3*u.tri + uint32(u.k)
	}
	return 3*u.tri + uint32(u.k+1)%3
}

func (u edgeUse) hiCorner() uint32 {
	if u.forward {
		return 3*u.tri + uint32(u.k+1)%3
	}
	return 3*u.tri + uint32(u.k)
}

// halfEdge k of triangle t runs from corner k to corner k+1.
func newEdgeIndex(m *Mesh) *edgeIndex {
	nv := len(m.Vertices)
	e := &edgeIndex{start: make([]uint32, nv+2)}
	valid := func(t [3]uint32) bool { return t[0] != t[1] && t[1] != t[2] && t[0] != t[2] }
	for _, t := range m.Triangles {
		if !valid(t) {
			continue
		}
		e.start[min(t[0], t[1])+2]++
		e.start[min(t[1], t[2])+2]++
		e.start[min(t[2], t[0])+2]++
	}
	for i := 2; i < len(e.start); i++ {
		e.start[i] += e.start[i-1]
	}
	e.uses = make([]edgeUse, e.start[nv+1])
	AdviseHuge(e.uses)
	for ti, t := range m.Triangles {
		if !valid(t) {
			continue
		}
		for k := range 3 {
			a, b := t[k], t[(k+1)%3]
			lo, hi, fwd := a, b, true
			if b < a {
				lo, hi, fwd = b, a, false
			}
			p := &e.start[lo+1]
			e.uses[*p] = edgeUse{hi: hi, tri: uint32(ti), third: t[(k+2)%3], k: uint8(k), forward: fwd}
			*p++
		}
	}
	e.start = e.start[:nv+1]
	for v := range nv {
		if s := e.uses[e.start[v]:e.start[v+1]]; len(s) > 1 {
			slices.SortFunc(s, func(x, y edgeUse) int { return int(x.hi) - int(y.hi) })
		}
	}
	return e
}

// each calls fn for every undirected edge lo–hi with the uses of it.
func (e *edgeIndex) each(fn func(lo uint32, uses []edgeUse)) {
	for v := 0; v+1 < len(e.start); v++ {
		s := e.uses[e.start[v]:e.start[v+1]]
		for i := 0; i < len(s); {
			j := i + 1
			for j < len(s) && s[j].hi == s[i].hi {
				j++
			}
			fn(uint32(v), s[i:j])
			i = j
		}
	}
}

// unionFind is a disjoint-set forest with path halving; linking the larger
// index under the smaller keeps it simple and, with halving, fast in practice.
type unionFind struct {
	parent []uint32
}

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]uint32, n)}
	AdviseHuge(u.parent)
	for i := range u.parent {
		u.parent[i] = uint32(i)
	}
	return u
}

func (u *unionFind) find(x uint32) uint32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *unionFind) union(a, b uint32) {
	a, b = u.find(a), u.find(b)
	if a == b {
		return
	}
	if a > b {
		a, b = b, a
	}
	u.parent[b] = a
}

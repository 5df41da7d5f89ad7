package geometry

// FillHoles closes boundary loops of at most maxEdges edges (0: any),
// returning how many loops it closed and how many triangles it added.
// A loop is triangulated by ear clipping in its best-fit (Newell) plane,
// which handles planar and gently curved holes; if the loop does not project
// to a simple polygon, it is closed by a fan around a new vertex at its
// centroid. New triangles wind so that the edges they share with the mesh
// are used once each way, so a consistently oriented mesh stays so.
func FillHoles(m *Mesh, maxEdges int) (holes, added int) {
	loops := boundaryLoops(m)
	// Edges already in the mesh between loop vertices: an ear must not
	// create one again (that edge would then have three uses).
	onLoop := map[uint32]bool{}
	for _, l := range loops {
		for _, v := range l {
			onLoop[v] = true
		}
	}
	existing := map[[2]uint32]bool{}
	addEdge := func(a, b uint32) { existing[[2]uint32{min(a, b), max(a, b)}] = true }
	for _, t := range m.Triangles {
		for k := range 3 {
			if a, b := t[k], t[(k+1)%3]; onLoop[a] && onLoop[b] {
				addEdge(a, b)
			}
		}
	}
	has := func(a, b uint32) bool { return existing[[2]uint32{min(a, b), max(a, b)}] }
	for _, loop := range loops {
		if len(loop) < 3 || (maxEdges > 0 && len(loop) > maxEdges) {
			continue
		}
		before := len(m.Triangles)
		if earClip(m, loop, has) {
			for _, t := range m.Triangles[before:] {
				addEdge(t[0], t[1])
				addEdge(t[1], t[2])
				addEdge(t[2], t[0])
			}
		} else {
			m.Triangles = m.Triangles[:before]
			fanFill(m, loop)
		}
		holes++
		added += len(m.Triangles) - before
	}
	return holes, added
}

// boundaryLoops returns the loops of boundary edges, each as the vertex
// sequence in the direction the mesh's triangles traverse them.
func boundaryLoops(m *Mesh) [][]uint32 {
	next := map[uint32][]uint32{} // boundary half-edge a→b, keyed by a
	edges := newEdgeIndex(m)
	edges.each(func(lo uint32, uses []edgeUse) {
		if len(uses) != 1 {
			return
		}
		a, b := lo, uses[0].hi
		if !uses[0].forward {
			a, b = b, a
		}
		next[a] = append(next[a], b)
	})
	var loops [][]uint32
	for {
		var start uint32
		found := false
		for a, outs := range next {
			if len(outs) > 0 {
				start, found = a, true
				break
			}
		}
		if !found {
			return loops
		}
		// Trace, cutting off a simple loop whenever a vertex repeats (a
		// boundary pinched at a vertex is several holes, not one).
		loop := []uint32{start}
		pos := map[uint32]int{start: 0}
		cur := start
		for {
			outs := next[cur]
			if len(outs) == 0 {
				break // an open chain (non-manifold boundary): keep what we have
			}
			nxt := outs[len(outs)-1]
			next[cur] = outs[:len(outs)-1]
			if nxt == start {
				break
			}
			if p, seen := pos[nxt]; seen {
				sub := append([]uint32(nil), loop[p:]...)
				loops = append(loops, sub)
				for _, v := range loop[p+1:] {
					delete(pos, v)
				}
				loop = loop[:p+1]
				cur = nxt
				continue
			}
			pos[nxt] = len(loop)
			loop = append(loop, nxt)
			cur = nxt
		}
		loops = append(loops, loop)
	}
}

// earClip triangulates the loop in its Newell plane; false if it cannot.
func earClip(m *Mesh, loop []uint32, hasEdge func(a, b uint32) bool) bool {
	// Newell normal of the loop as traversed by the mesh; the hole's own
	// polygon runs the other way, so clip with the reversed normal.
	var n v64
	for i := range loop {
		p, q := to64(m.Vertices[loop[i]]), to64(m.Vertices[loop[(i+1)%len(loop)]])
		n.x += (p.y - q.y) * (p.z + q.z)
		n.y += (p.z - q.z) * (p.x + q.x)
		n.z += (p.x - q.x) * (p.y + q.y)
	}
	l := norm(n)
	if l == 0 {
		return false
	}
	n = v64{-n.x / l, -n.y / l, -n.z / l}
	// A 2D frame (u, w) in the plane with u × w = n.
	u := cross(n, v64{1, 0, 0})
	if norm(u) < 0.5 {
		u = cross(n, v64{0, 1, 0})
	}
	lu := norm(u)
	u = v64{u.x / lu, u.y / lu, u.z / lu}
	w := cross(n, u)
	// The hole polygon runs opposite to the mesh's boundary traversal.
	poly := make([]uint32, len(loop))
	for i := range loop {
		poly[i] = loop[len(loop)-1-i]
	}
	pts := make([][2]float64, len(poly))
	for i, v := range poly {
		p := to64(m.Vertices[v])
		pts[i] = [2]float64{dot(p, u), dot(p, w)}
	}
	idx := make([]int, len(poly))
	for i := range idx {
		idx[i] = i
	}
	for guard := 0; len(idx) > 3; guard++ {
		if guard > len(poly)*len(poly) {
			return false
		}
		clipped := false
		for k := range idx {
			a, b, c := idx[(k+len(idx)-1)%len(idx)], idx[k], idx[(k+1)%len(idx)]
			if orient2(pts[a], pts[b], pts[c]) <= 0 {
				continue // reflex or flat corner
			}
			if len(idx) > 3 && hasEdge(poly[a], poly[c]) {
				continue // the diagonal exists already
			}
			ear := true
			for _, o := range idx {
				if o != a && o != b && o != c && pointInTriangle(pts[o], pts[a], pts[b], pts[c]) {
					ear = false
					break
				}
			}
			if !ear {
				continue
			}
			m.Triangles = append(m.Triangles, [3]uint32{poly[a], poly[b], poly[c]})
			idx = append(idx[:k], idx[k+1:]...)
			clipped = true
			break
		}
		if !clipped {
			return false
		}
	}
	a, b, c := idx[0], idx[1], idx[2]
	if orient2(pts[a], pts[b], pts[c]) <= 0 {
		return false
	}
	m.Triangles = append(m.Triangles, [3]uint32{poly[a], poly[b], poly[c]})
	return true
}

func pointInTriangle(p, a, b, c [2]float64) bool {
	return orient2(a, b, p) >= 0 && orient2(b, c, p) >= 0 && orient2(c, a, p) >= 0
}

// fanFill closes the loop with triangles around a new centroid vertex.
func fanFill(m *Mesh, loop []uint32) {
	var c v64
	for _, v := range loop {
		p := to64(m.Vertices[v])
		c.x, c.y, c.z = c.x+p.x, c.y+p.y, c.z+p.z
	}
	k := 1 / float64(len(loop))
	center := uint32(len(m.Vertices))
	m.Vertices = append(m.Vertices, Vec3{float32(c.x * k), float32(c.y * k), float32(c.z * k)})
	for i := range loop {
		a, b := loop[i], loop[(i+1)%len(loop)]
		m.Triangles = append(m.Triangles, [3]uint32{b, a, center})
	}
}

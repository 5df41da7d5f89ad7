package geometry

import (
	"math"
)

// The repair building blocks change a mesh in place and say how much they
// changed; the repair operation chains them.

// WeldTolerance merges vertices closer than tol (Euclidean), keeping the
// first of each cluster, with a uniform grid of cell size tol (expected
// O(n)). It joins edges that only meet approximately, as in CAD exports
// written with too few digits. Triangles that collapse are left for
// RemoveDegenerate. It returns how many vertices were merged away.
func WeldTolerance(m *Mesh, tol float32) int {
	if tol <= 0 || len(m.Vertices) == 0 {
		return 0
	}
	type cell [3]int32
	key := func(v Vec3) cell {
		return cell{int32(math.Floor(float64(v[0] / tol))), int32(math.Floor(float64(v[1] / tol))), int32(math.Floor(float64(v[2] / tol)))}
	}
	grid := make(map[cell][]uint32, len(m.Vertices))
	remap := make([]uint32, len(m.Vertices))
	var kept []Vec3
	merged := 0
	tol2 := float64(tol) * float64(tol)
	for i, v := range m.Vertices {
		c := key(v)
		found := -1
		best := tol2
		for dx := int32(-1); dx <= 1; dx++ {
			for dy := int32(-1); dy <= 1; dy++ {
				for dz := int32(-1); dz <= 1; dz++ {
					for _, k := range grid[cell{c[0] + dx, c[1] + dy, c[2] + dz}] {
						w := kept[k]
						d := sub(to64(v), to64(w))
						if d2 := dot(d, d); d2 <= best {
							best, found = d2, int(k)
						}
					}
				}
			}
		}
		if found >= 0 {
			remap[i] = uint32(found)
			merged++
			continue
		}
		remap[i] = uint32(len(kept))
		grid[c] = append(grid[c], uint32(len(kept)))
		kept = append(kept, v)
	}
	for i, t := range m.Triangles {
		m.Triangles[i] = [3]uint32{remap[t[0]], remap[t[1]], remap[t[2]]}
	}
	m.Vertices = kept
	return merged
}

// RemoveDegenerate drops triangles with a repeated vertex or an area below
// minArea, returning how many it dropped.
func RemoveDegenerate(m *Mesh, minArea float64) int {
	out := m.Triangles[:0]
	for i, t := range m.Triangles {
		if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
			continue
		}
		a, b, c := m.Triangle(i)
		if 0.5*norm(cross(sub(to64(b), to64(a)), sub(to64(c), to64(a)))) < minArea {
			continue
		}
		out = append(out, t)
	}
	n := len(m.Triangles) - len(out)
	m.Triangles = out
	return n
}

// RemoveDuplicates drops triangles over the same three vertices as an
// earlier one (whatever their winding), returning how many it dropped.
func RemoveDuplicates(m *Mesh) int {
	seen := make(map[[3]uint32]struct{}, len(m.Triangles))
	out := m.Triangles[:0]
	for _, t := range m.Triangles {
		k := t
		if k[0] > k[1] {
			k[0], k[1] = k[1], k[0]
		}
		if k[1] > k[2] {
			k[1], k[2] = k[2], k[1]
		}
		if k[0] > k[1] {
			k[0], k[1] = k[1], k[0]
		}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, t)
	}
	n := len(m.Triangles) - len(out)
	m.Triangles = out
	return n
}

// OrientConsistently makes the winding agree across every manifold edge
// (a breadth-first walk of each edge-connected shell), then turns each
// shell outward: a closed shell by the sign of its volume, an open one so
// that its normals point away from its centroid on (area-weighted) average.
// It returns how many triangles it flipped. Shells that cannot be oriented
// (a Möbius-like twist) keep their misoriented edges.
func OrientConsistently(m *Mesh) int {
	n := len(m.Triangles)
	edges := newEdgeIndex(m)
	// Adjacency through manifold edges: for each triangle, its neighbours
	// and whether the pair already agrees.
	type link struct {
		other uint32
		agree bool // the two uses run opposite ways (consistent)
	}
	start := make([]uint32, n+1)
	edges.each(func(_ uint32, uses []edgeUse) {
		if len(uses) == 2 {
			start[uses[0].tri+1]++
			start[uses[1].tri+1]++
		}
	})
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	links := make([]link, start[n])
	fill := append([]uint32(nil), start[:n]...)
	edges.each(func(_ uint32, uses []edgeUse) {
		if len(uses) == 2 {
			a, b := uses[0], uses[1]
			agree := a.forward != b.forward
			links[fill[a.tri]] = link{b.tri, agree}
			fill[a.tri]++
			links[fill[b.tri]] = link{a.tri, agree}
			fill[b.tri]++
		}
	})
	const unseen = 0
	state := make([]uint8, n) // 0 unseen, 1 kept, 2 flipped
	flipped := 0
	queue := make([]uint32, 0, 1024)
	var shell []uint32
	for seed := range n {
		if state[seed] != unseen {
			continue
		}
		state[seed] = 1
		queue = append(queue[:0], uint32(seed))
		shell = shell[:0]
		for len(queue) > 0 {
			t := queue[0]
			queue = queue[1:]
			shell = append(shell, t)
			for _, l := range links[start[t]:start[t+1]] {
				if state[l.other] != unseen {
					continue
				}
				// Flipping t flips its relation with every neighbour.
				same := l.agree == (state[t] == 1)
				if same {
					state[l.other] = 1
				} else {
					state[l.other] = 2
				}
				queue = append(queue, l.other)
			}
		}
		for _, t := range shell {
			if state[t] == 2 {
				tr := m.Triangles[t]
				m.Triangles[t] = [3]uint32{tr[0], tr[2], tr[1]}
				flipped++
			}
		}
		if shellFacesInward(m, shell) {
			for _, t := range shell {
				tr := m.Triangles[t]
				m.Triangles[t] = [3]uint32{tr[0], tr[2], tr[1]}
				if state[t] == 2 {
					flipped--
				} else {
					flipped++
				}
			}
		}
	}
	return flipped
}

// shellFacesInward measures the signed volume of the shell about its own
// centroid: negative means its normals point inward (for an open shell,
// on average).
func shellFacesInward(m *Mesh, shell []uint32) bool {
	var c v64
	for _, t := range shell {
		a, b, cc := m.Triangle(int(t))
		for _, p := range []Vec3{a, b, cc} {
			c.x += float64(p[0])
			c.y += float64(p[1])
			c.z += float64(p[2])
		}
	}
	k := 1 / float64(3*len(shell))
	c = v64{c.x * k, c.y * k, c.z * k}
	var vol float64
	for _, t := range shell {
		a, b, cc := m.Triangle(int(t))
		A, B, C := sub(to64(a), c), sub(to64(b), c), sub(to64(cc), c)
		vol += dot(A, cross(B, C))
	}
	return vol < 0
}

// CompactVertices drops vertices no triangle uses, keeping order.
func CompactVertices(m *Mesh) int {
	used := make([]uint32, len(m.Vertices))
	for _, t := range m.Triangles {
		used[t[0]], used[t[1]], used[t[2]] = 1, 1, 1
	}
	var kept []Vec3
	for i, u := range used {
		if u != 0 {
			used[i] = uint32(len(kept))
			kept = append(kept, m.Vertices[i])
		}
	}
	for i, t := range m.Triangles {
		m.Triangles[i] = [3]uint32{used[t[0]], used[t[1]], used[t[2]]}
	}
	n := len(m.Vertices) - len(kept)
	m.Vertices = kept
	return n
}

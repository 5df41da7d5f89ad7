package geometry

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRaycastAndNearest(t *testing.T) {
	m := cube(Vec3{}, 10)
	h := NewBVH(m)
	hit, ok := h.Raycast(m, v64{5, 5, 20}, v64{0, 0, -1}, nil)
	if !ok || math.Abs(hit.Dist-10) > 1e-9 {
		t.Errorf("down onto the top: %+v %v", hit, ok)
	}
	hit, ok = h.Raycast(m, v64{5, 5, 5}, v64{1, 0, 0}, nil)
	if !ok || math.Abs(hit.Dist-5) > 1e-9 {
		t.Errorf("from inside to +x: %+v %v", hit, ok)
	}
	if _, ok := h.Raycast(m, v64{5, 5, 20}, v64{0, 0, 1}, nil); ok {
		t.Error("ray away from the cube hit it")
	}
	// Nearest point facing any way (maxDot 2 accepts every normal).
	normals := make([]v64, len(m.Triangles))
	for i := range m.Triangles {
		n := m.normal(i)
		normals[i] = v64{float64(n[0]), float64(n[1]), float64(n[2])}
	}
	cones := h.NormalCones(normals)
	up := v64{0, 0, 1}
	q, _, d2, ok := h.NearestFacing(m, cones, normals, v64{5, 5, 13}, math.Inf(1), up, 2)
	if !ok || math.Abs(d2-9) > 1e-9 || q.z != 10 {
		t.Errorf("nearest above the top: %v %v", q, d2)
	}
	var tri uint32
	q, _, d2, _ = h.NearestFacing(m, cones, normals, v64{12, 13, 5}, math.Inf(1), up, 2)
	if math.Abs(d2-(4+9)) > 1e-9 || q != (v64{10, 10, 5}) {
		t.Errorf("nearest to an edge: %v %v", q, d2)
	}
	// Only surfaces facing down (the bottom): from inside, near the top.
	q, tri, _, _ = h.NearestFacing(m, cones, normals, v64{5, 5, 9}, math.Inf(1), up, -0.9)
	if q.z != 0 || normals[tri].z > -0.9 {
		t.Errorf("facing filter ignored: %v", q)
	}
	// Nothing closer than the bound.
	if _, _, _, ok := h.NearestFacing(m, cones, normals, v64{5, 5, 13}, 4, up, 2); ok {
		t.Error("found a point farther than the bound")
	}
}

// The SAH tree is another shape of the same index: every triangle in
// exactly one leaf, every box holding its children, and every query
// answered as the Morton tree answers it.
func TestBVHSAHMatchesMorton(t *testing.T) {
	meshes := map[string]*Mesh{"extruder": readCorpusSTL(t, "prusa_extruder-body.stl"), "cube": cube(Vec3{}, 10)}
	// Every centroid at one point: the median fallback.
	meshes["stack"] = &Mesh{Vertices: []Vec3{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, Triangles: make([][3]uint32, 50)}
	for i := range 50 {
		meshes["stack"].Triangles[i] = [3]uint32{0, 1, 2}
	}
	for name, m := range meshes {
		a, b := NewBVH(m), NewBVHSAH(m)
		seen := make([]int, len(m.Triangles))
		for i, nd := range b.nodes {
			if nd.count > 0 {
				for _, tr := range b.tris[nd.first : nd.first+nd.count] {
					seen[tr]++
				}
				continue
			}
			for _, c := range b.nodes[nd.first : nd.first+2] {
				if nd.first <= uint32(i) {
					t.Fatalf("%s: node %d has children before it", name, i)
				}
				for k := range 3 {
					if c.min[k] < nd.min[k] || c.max[k] > nd.max[k] {
						t.Fatalf("%s: node %d's box does not hold its child", name, i)
					}
				}
			}
		}
		for tr, c := range seen {
			if c != 1 {
				t.Fatalf("%s: triangle %d in %d leaves", name, tr, c)
			}
		}
		normals := make([]v64, len(m.Triangles))
		for i := range m.Triangles {
			n := m.normal(i)
			normals[i] = v64{float64(n[0]), float64(n[1]), float64(n[2])}
		}
		ca, cb := a.NormalCones(normals), b.NormalCones(normals)
		lo, hi := m.Bounds()
		rng := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			var pArr, dArr [3]float64
			for k := range 3 {
				pArr[k] = float64(lo[k]) + rng.Float64()*float64(hi[k]-lo[k])
				dArr[k] = rng.NormFloat64()
			}
			p, d := vec(pArr), vec(dArr)
			ha, oka := a.Raycast(m, p, d, nil)
			hb, okb := b.Raycast(m, p, d, nil)
			if oka != okb || ha.Dist != hb.Dist {
				t.Fatalf("%s: ray from %v: Morton %v %v, SAH %v %v", name, p, ha, oka, hb, okb)
			}
			l := math.Sqrt(d.x*d.x + d.y*d.y + d.z*d.z)
			d = v64{d.x / l, d.y / l, d.z / l}
			_, _, da, oka := a.NearestFacing(m, ca, normals, p, math.Inf(1), d, -0.1)
			_, _, db, okb := b.NearestFacing(m, cb, normals, p, math.Inf(1), d, -0.1)
			if oka != okb || da != db {
				t.Fatalf("%s: nearest to %v: Morton %v %v, SAH %v %v", name, p, da, oka, db, okb)
			}
		}
	}
}

// From a closed solid's surface, inward, the first surface hit is one the
// ray leaves through: RaycastLeaving finds what Raycast finds once the
// surfaces the ray enters are skipped, on both trees.
func TestRaycastLeavingOnSolids(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for name, m := range map[string]*Mesh{"extruder": readCorpusSTL(t, "prusa_extruder-body.stl"), "torus": torus(40, 24, 10, 3, 0.02, rng)} {
		normals := make([]v64, len(m.Triangles))
		for i := range m.Triangles {
			n := m.normal(i)
			normals[i] = v64{float64(n[0]), float64(n[1]), float64(n[2])}
		}
		for _, h := range []*BVH{NewBVH(m), NewBVHSAH(m)} {
			cones := h.NormalCones(normals)
			hits := 0
			for i := range 3000 {
				tri := i * 7919 % len(m.Triangles)
				a, b, c := m.Triangle(tri)
				u, v := rng.Float64(), rng.Float64()
				if u+v > 1 {
					u, v = 1-u, 1-v
				}
				var pArr [3]float64
				for k := range 3 {
					pArr[k] = float64(a[k]) + u*float64(b[k]-a[k]) + v*float64(c[k]-a[k])
				}
				n := normals[tri]
				p, d := vec(pArr), v64{-n.x, -n.y, -n.z}
				want, okw := h.Raycast(m, p, d, func(tr uint32, dist float64) bool { return dist < 1e-6 || dot(normals[tr], d) <= 0 })
				got, okg := h.RaycastLeaving(m, cones, normals, p, d, func(tr uint32, dist float64) bool { return dist < 1e-6 })
				if okw != okg || okw && math.Abs(want.Dist-got.Dist) > 1e-9 {
					t.Fatalf("%s: ray %d: Raycast %v %v, RaycastLeaving %v %v", name, i, want, okw, got, okg)
				}
				if okg {
					hits++
				}
			}
			if hits < 2900 {
				t.Errorf("%s: only %d of 3000 inward rays hit", name, hits)
			}
		}
	}
}

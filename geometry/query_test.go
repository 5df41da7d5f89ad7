package geometry

import (
	"math"
	"testing"
)

func TestRaycastAndNearest(t *testing.T) {
	m := cube(Vec3{}, 10)
	h := NewBVH(m)
	hit, ok := h.Raycast(m, [3]float64{5, 5, 20}, [3]float64{0, 0, -1}, nil)
	if !ok || math.Abs(hit.Dist-10) > 1e-9 {
		t.Errorf("down onto the top: %+v %v", hit, ok)
	}
	hit, ok = h.Raycast(m, [3]float64{5, 5, 5}, [3]float64{1, 0, 0}, nil)
	if !ok || math.Abs(hit.Dist-5) > 1e-9 {
		t.Errorf("from inside to +x: %+v %v", hit, ok)
	}
	if _, ok := h.Raycast(m, [3]float64{5, 5, 20}, [3]float64{0, 0, 1}, nil); ok {
		t.Error("ray away from the cube hit it")
	}
	// Nearest point facing any way (maxDot 2 accepts every normal).
	normals := make([][3]float64, len(m.Triangles))
	for i := range m.Triangles {
		n := m.normal(i)
		normals[i] = [3]float64{float64(n[0]), float64(n[1]), float64(n[2])}
	}
	cones := h.NormalCones(normals)
	up := [3]float64{0, 0, 1}
	q, _, d2, ok := h.NearestFacing(m, cones, normals, [3]float64{5, 5, 13}, math.Inf(1), up, 2)
	if !ok || math.Abs(d2-9) > 1e-9 || q[2] != 10 {
		t.Errorf("nearest above the top: %v %v", q, d2)
	}
	var tri uint32
	q, _, d2, _ = h.NearestFacing(m, cones, normals, [3]float64{12, 13, 5}, math.Inf(1), up, 2)
	if math.Abs(d2-(4+9)) > 1e-9 || q != [3]float64{10, 10, 5} {
		t.Errorf("nearest to an edge: %v %v", q, d2)
	}
	// Only surfaces facing down (the bottom): from inside, near the top.
	q, tri, _, _ = h.NearestFacing(m, cones, normals, [3]float64{5, 5, 9}, math.Inf(1), up, -0.9)
	if q[2] != 0 || normals[tri][2] > -0.9 {
		t.Errorf("facing filter ignored: %v", q)
	}
	// Nothing closer than the bound.
	if _, _, _, ok := h.NearestFacing(m, cones, normals, [3]float64{5, 5, 13}, 4, up, 2); ok {
		t.Error("found a point farther than the bound")
	}
}

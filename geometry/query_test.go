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
	q, _, d2, ok := h.Nearest(m, [3]float64{5, 5, 13}, math.Inf(1), nil)
	if !ok || math.Abs(d2-9) > 1e-9 || q[2] != 10 {
		t.Errorf("nearest above the top: %v %v", q, d2)
	}
	q, _, d2, _ = h.Nearest(m, [3]float64{12, 13, 5}, math.Inf(1), nil)
	if math.Abs(d2-(4+9)) > 1e-9 || q != [3]float64{10, 10, 5} {
		t.Errorf("nearest to an edge: %v %v", q, d2)
	}
	// Skipping every face but the bottom.
	_, tri, _, _ := h.Nearest(m, [3]float64{5, 5, 9}, math.Inf(1), func(t uint32) bool { return t > 1 })
	if tri > 1 {
		t.Errorf("skip ignored: %d", tri)
	}
}

func TestNearestWithin(t *testing.T) {
	m := cube(Vec3{}, 10)
	h := NewBVH(m)
	if _, _, _, ok := h.Nearest(m, [3]float64{5, 5, 13}, 4, nil); ok {
		t.Error("found a point farther than the bound")
	}
	if _, _, d2, ok := h.Nearest(m, [3]float64{5, 5, 13}, 10, nil); !ok || d2 != 9 {
		t.Errorf("within the bound: %v %v", d2, ok)
	}
}

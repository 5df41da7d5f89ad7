package geometry

import (
	"bytes"
	"errors"
	"math"
	"os"
	"testing"
)

// TestGuardedHschendelAgrees reads corpus STLs with both readers: the
// triangles must be identical.
func TestGuardedHschendelAgrees(t *testing.T) {
	for _, name := range []string{"prusa_extruder-body.stl", "spider_ascii.stl", "two_objects_mixed_case_names.stl", "bad-stl-tardis.stl", "prusa_spool-holder.stl", "adis16480.stl"} {
		data, err := os.ReadFile(corpusPath(t, name))
		if err != nil {
			t.Fatal(err)
		}
		ours, _, err := ReadSTL(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := ReadSTLGuarded(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameTriangles(t, name, ours, theirs)
	}
}

// TestGuardedHschendelWeakSpots pins each guarded weak spot of the library.
func TestGuardedHschendelWeakSpots(t *testing.T) {
	good := binarySTL("solid but binary", unitTri, unitTri)
	nan := float32(math.NaN())
	cases := []struct {
		name string
		data []byte
		want error
		says string
	}{
		{"truncated binary with a solid header", good[:len(good)-1], ErrNotSTL, "declares 2 facets"},
		{"NaN vertex", binarySTL("x", [9]float32{nan, 0, 0, 1, 0, 0, 0, 1, 0}), ErrNotSTL, "non-finite"},
		{"Inf vertex in ASCII", []byte("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex +Inf 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid x\n"), ErrNotSTL, "non-finite"},
		{"empty", nil, ErrNoTriangles, "empty"},
	}
	for _, tc := range cases {
		_, err := ReadSTLGuarded(bytes.NewReader(tc.data), int64(len(tc.data)))
		if !errors.Is(err, tc.want) || !containsStr(err.Error(), tc.says) {
			t.Errorf("%s: got %v, want %v saying %q", tc.name, err, tc.want, tc.says)
		}
	}
	if m, err := ReadSTLGuarded(bytes.NewReader(good), int64(len(good))); err != nil || len(m.Triangles) != 2 {
		t.Errorf("binary with a solid header: %v", err)
	}
}

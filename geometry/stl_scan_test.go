package geometry

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

// binarySTL builds a binary STL with the given header text and triangles.
func binarySTL(header string, tris ...[9]float32) []byte {
	var b bytes.Buffer
	h := make([]byte, 80)
	copy(h, header)
	b.Write(h)
	binary.Write(&b, binary.LittleEndian, uint32(len(tris)))
	for _, t := range tris {
		binary.Write(&b, binary.LittleEndian, [3]float32{})
		binary.Write(&b, binary.LittleEndian, t)
		b.Write([]byte{0, 0})
	}
	return b.Bytes()
}

var unitTri = [9]float32{0, 0, 0, 1, 0, 0, 0, 1, 0}

func scanAll(data []byte, chunk int) (STLSummary, error) {
	s := NewSTLScanner(STLUnknown, nil)
	for len(data) > 0 {
		n := min(chunk, len(data))
		s.Write(data[:n])
		data = data[n:]
	}
	return s.Finish()
}

func TestSTLScanner(t *testing.T) {
	nan := float32(math.NaN())
	good := binarySTL("meshops test", unitTri, [9]float32{0, 0, 1, 2, 0, 1, 0, 3, 1})
	asciiTwo := "solid a\r\n facet normal 0 0 1\r\n  outer loop\r\n   vertex 0 0 0\r\n   vertex 1 0 0\r\n   vertex 0 1 0\r\n  endloop\r\n endfacet\r\nendsolid a\r\n" +
		"SOLID b\n\tFACET NORMAL 0 0 1 OUTER LOOP VERTEX 1e0 0 0 vertex 2E+0 0.0 0 vertex -1.5e-1 +1 .5 endloop endfacet endsolid"
	cases := []struct {
		name      string
		data      []byte
		kind      STLKind
		tris      int64
		empty     bool   // error wraps ErrNoTriangles
		errSubstr string // error wraps ErrNotSTL and says this
	}{
		{name: "binary", data: good, kind: STLBinary, tris: 2},
		{name: "binary header starting with solid", data: binarySTL("solid fooled you", unitTri), kind: STLBinary, tris: 1},
		{name: "binary all-zero header", data: binarySTL("", unitTri), kind: STLBinary, tris: 1},
		{name: "ascii two solids crlf exponents", data: []byte(asciiTwo), kind: STLASCII, tris: 2},
		{name: "ascii facet without normal", data: []byte("solid\nfacet outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid\n"), kind: STLASCII, tris: 1},
		{name: "empty", data: nil, empty: true},
		{name: "header only zero facets", data: binarySTL("x"), empty: true},
		{name: "ascii no facets", data: []byte("solid empty\nendsolid empty\n"), empty: true},
		{name: "truncated by one byte", data: good[:len(good)-1], errSubstr: "truncated"},
		{name: "solid header truncated", data: binarySTL("solid x", unitTri)[:100], errSubstr: "declares 1 facets"},
		{name: "extra bytes", data: append(append([]byte{}, good...), 0), errSubstr: "extra bytes"},
		{name: "header claims more", data: good[:84], errSubstr: "declares 2 facets"},
		{name: "garbage", data: []byte("hello, this is not a mesh at all"), errSubstr: "too short"},
		{name: "binary NaN vertex", data: binarySTL("x", [9]float32{0, nan, 0, 1, 0, 0, 0, 1, 0}), errSubstr: "non-finite"},
		{name: "binary Inf vertex", data: binarySTL("x", unitTri, [9]float32{0, float32(math.Inf(1)), 0, 1, 0, 0, 0, 1, 0}), errSubstr: "facet 1"},
		{name: "ascii NaN vertex", data: []byte("solid\nfacet normal 0 0 1 outer loop vertex nan 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid\n"), errSubstr: "not a finite"},
		{name: "ascii huge vertex", data: []byte("solid\nfacet normal 0 0 1 outer loop vertex 1e39 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet\nendsolid\n"), errSubstr: "expected a number"},
		{name: "ascii truncated", data: []byte(asciiTwo[:len(asciiTwo)-40]), errSubstr: "unexpected end of file"},
		{name: "ascii four vertices", data: []byte("solid\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 vertex 1 1 0 endloop endfacet\nendsolid\n"), errSubstr: "line 2: expected 'endloop'"},
		{name: "ascii bad keyword", data: []byte("solid x\nfacet normal 0 0 1\nouter loop\nvertx 0 0 0\n"), errSubstr: "line 4: expected 'vertex'"},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 7, 50, 1 << 20} {
			sum, err := scanAll(tc.data, chunk)
			switch {
			case tc.empty:
				if !errors.Is(err, ErrNoTriangles) {
					t.Errorf("%s/chunk %d: want ErrNoTriangles, got %v", tc.name, chunk, err)
				}
			case tc.errSubstr != "":
				if !errors.Is(err, ErrNotSTL) || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Errorf("%s/chunk %d: want ErrNotSTL saying %q, got %v", tc.name, chunk, tc.errSubstr, err)
				}
			default:
				if err != nil {
					t.Errorf("%s/chunk %d: %v", tc.name, chunk, err)
					continue
				}
				if sum.Kind != tc.kind || sum.Triangles != tc.tris || sum.Bytes != int64(len(tc.data)) {
					t.Errorf("%s/chunk %d: got %+v, want kind %v, %d triangles", tc.name, chunk, sum, tc.kind, tc.tris)
				}
			}
		}
	}
}

func TestSTLScannerBBox(t *testing.T) {
	sum, err := scanAll(binarySTL("", unitTri, [9]float32{-1, 2, 3, 4, -5, 6, 0, 0, -7}), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Min != [3]float32{-1, -5, -7} || sum.Max != [3]float32{4, 2, 6} {
		t.Errorf("bbox %v %v", sum.Min, sum.Max)
	}
}

// TestSTLScannerCorpus checks the scanner against the triangle counts that
// SOURCES.md lists for every STL file of the corpus.
func TestSTLScannerCorpus(t *testing.T) {
	want := map[string]struct {
		kind STLKind
		tris int64
	}{
		"triangle.stl": {STLASCII, 1}, "nonmanifold.stl": {STLASCII, 11}, "large_block.stl": {STLBinary, 12},
		"unit_cube.stl": {STLBinary, 12}, "issue1580-zero-area-triangle.stl": {STLASCII, 14},
		"two_objects_mixed_case_names.stl": {STLASCII, 24}, "cubes-touching.stl": {STLASCII, 24},
		"multibody.stl": {STLASCII, 32}, "soup.stl": {STLBinary, 100}, "20mm-xyz-cube.stl": {STLBinary, 260},
		"spherewithhole.stl": {STLASCII, 285}, "voron_filament_card.stl": {STLBinary, 802},
		"teapot.stl": {STLBinary, 894}, "spider_ascii.stl": {STLASCII, 1368}, "prusa_einsy-doors.stl": {STLASCII, 2416},
		"octagonal_pocket.stl": {STLBinary, 3262}, "featuretype.stl": {STLBinary, 3476}, "bad-stl-tardis.stl": {STLBinary, 3636},
		"wuson.stl": {STLBinary, 3732}, "busted.stl": {STLBinary, 3878}, "1002_tray_bottom.stl": {STLASCII, 4520},
		"voron_exhaust_filter_grill.stl": {STLBinary, 4840}, "prusa_x-end-idler.stl": {STLASCII, 5944},
		"adis16480.stl": {STLASCII, 7436}, "prusa_spool-holder.stl": {STLBinary, 10320},
		"voron_front_skirt_b_300.stl": {STLBinary, 15464}, "prusa_extruder-body.stl": {STLBinary, 21464},
		"voron_octopus_bracket_set.stl": {STLBinary, 32524}, "voron_a_drive_frame_lower.stl": {STLBinary, 35520},
		"3dbenchy_gunwale.stl": {STLBinary, 55484}, "voron_thread_test_1_x1_rev1.stl": {STLBinary, 79822},
		"counter.unitsmm.stl": {STLBinary, 83750}, "3dbenchy.stl": {STLBinary, 225154}, "igea_loop1.stl": {STLBinary, 1074744},
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(corpusPath(t, name))
			if err != nil {
				t.Fatal(err)
			}
			sum, err := scanAll(data, 64<<10)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Kind != w.kind || sum.Triangles != w.tris {
				t.Errorf("got %v %d triangles, want %v %d", sum.Kind, sum.Triangles, w.kind, w.tris)
			}
		})
	}
}

func FuzzSTLScanner(f *testing.F) {
	f.Add(binarySTL("solid x", unitTri), 7)
	f.Add([]byte("solid a\nfacet normal 0 0 1 outer loop vertex 0 0 0 vertex 1 0 0 vertex 0 1 0 endloop endfacet endsolid\n"), 3)
	f.Add([]byte{}, 1)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		if chunk <= 0 {
			chunk = 1
		}
		a, errA := scanAll(data, chunk)
		b, errB := scanAll(data, len(data)+1)
		// Chunking must never change the verdict.
		if (errA == nil) != (errB == nil) || a != b {
			t.Fatalf("chunk %d: %+v %v vs whole: %+v %v", chunk, a, errA, b, errB)
		}
		if errA == nil && a.Triangles == 0 {
			t.Fatal("valid STL with zero triangles")
		}
		if errA != nil && !errors.Is(errA, ErrNotSTL) && !errors.Is(errA, ErrNoTriangles) {
			t.Fatalf("unclassified error %v", errA)
		}
	})
}

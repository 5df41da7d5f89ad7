package geometry

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	hstl "github.com/hschendel/stl"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// sameTriangles checks that b has a's triangles with bit-identical corner
// coordinates, in order (vertex numbering may differ).
func sameTriangles(t *testing.T, what string, a, b *Mesh) {
	t.Helper()
	if len(a.Triangles) != len(b.Triangles) {
		t.Fatalf("%s: %d triangles, want %d", what, len(b.Triangles), len(a.Triangles))
	}
	for i := range a.Triangles {
		x1, y1, z1 := a.Triangle(i)
		x2, y2, z2 := b.Triangle(i)
		if x1 != x2 || y1 != y2 || z1 != z2 {
			t.Fatalf("%s: triangle %d is %v %v %v, want %v %v %v", what, i, x2, y2, z2, x1, y1, z1)
		}
	}
}

func roundTrip(t *testing.T, m *Mesh, f Format) *Mesh {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteModel(&buf, m, f, "part"); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModel(bytes.NewReader(buf.Bytes()), int64(buf.Len()), f, Limits{})
	if err != nil {
		t.Fatalf("reading back %s: %v", f, err)
	}
	if f == Format3MF && got.MillimetresPerUnit != 1 {
		t.Errorf("3mf unit %v", got.MillimetresPerUnit)
	}
	return got.Mesh
}

var writeFormats = []Format{FormatSTL, FormatOBJ, FormatPLY, FormatOFF, Format3MF, FormatGLB, FormatGLTF}

func TestWriteRoundTrip(t *testing.T) {
	for _, name := range []string{"prusa_extruder-body.stl", "spider_ascii.stl", "featuretype.3mf"} {
		var m *Mesh
		if f, _ := FormatForName(name); f == FormatSTL {
			m = readCorpusSTL(t, name)
		} else {
			m = readCorpusModel(t, name).Mesh
		}
		for _, f := range writeFormats {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				sameTriangles(t, string(f), m, roundTrip(t, m, f))
			})
		}
		t.Run(name+"/stl-ascii", func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSTLASCII(&buf, m, "part"); err != nil {
				t.Fatal(err)
			}
			got, _, err := ReadSTL(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			sameTriangles(t, "stl-ascii", m, got)
		})
	}
}

// TestSTLWritersAgainstHschendel reads our STL output with the independent
// github.com/hschendel/stl reader.
func TestSTLWritersAgainstHschendel(t *testing.T) {
	m := readCorpusSTL(t, "voron_filament_card.stl")
	for _, ascii := range []bool{false, true} {
		var buf bytes.Buffer
		if ascii {
			WriteSTLASCII(&buf, m, "card\nwith a newline")
		} else {
			WriteSTLBinary(&buf, m, "card")
		}
		solid, err := hstl.ReadAll(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("ascii=%v: hschendel/stl cannot read our output: %v", ascii, err)
		}
		if len(solid.Triangles) != len(m.Triangles) || solid.IsAscii != ascii {
			t.Fatalf("ascii=%v: %d triangles", ascii, len(solid.Triangles))
		}
		for i, tr := range solid.Triangles {
			a, b, c := m.Triangle(i)
			if Vec3(tr.Vertices[0]) != a || Vec3(tr.Vertices[1]) != b || Vec3(tr.Vertices[2]) != c {
				t.Fatalf("ascii=%v: triangle %d differs", ascii, i)
			}
		}
	}
}

// TestGoldenWriters pins the exact bytes of every writer for a unit cube;
// run with -update after a deliberate format change.
func TestGoldenWriters(t *testing.T) {
	m := cube(Vec3{-0.5, 0, 1e-7}, 1.25)
	outs := map[string]func(*bytes.Buffer) error{
		"cube.stl":       func(b *bytes.Buffer) error { return WriteSTLBinary(b, m, "cube") },
		"cube.ascii.stl": func(b *bytes.Buffer) error { return WriteSTLASCII(b, m, "cube") },
		"cube.obj":       func(b *bytes.Buffer) error { return WriteOBJ(b, m) },
		"cube.ply":       func(b *bytes.Buffer) error { return WritePLY(b, m) },
		"cube.off":       func(b *bytes.Buffer) error { return WriteOFF(b, m) },
		"cube.glb":       func(b *bytes.Buffer) error { return WriteGLB(b, m) },
		"cube.gltf":      func(b *bytes.Buffer) error { return WriteGLTF(b, m) },
	}
	for name, write := range outs {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", name)
		if *update {
			os.WriteFile(path, buf.Bytes(), 0o644)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./geometry -run TestGoldenWriters -update)", err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s differs from its golden file", name)
		}
	}
	// 3MF (a zip with timestamps) is checked by content instead.
	got := roundTrip(t, m, Format3MF)
	sameTriangles(t, "3mf", m, got)
}

package geometry

import (
	"context"
	"errors"
	"testing"
)

func readCorpusModel(tb testing.TB, name string) *Model {
	tb.Helper()
	m, err := ReadModelFile(corpusPath(tb, name), Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestReadCorpusFormats checks every non-STL corpus file against
// SOURCES.md. Where our reading differs from the reference it says why.
func TestReadCorpusFormats(t *testing.T) {
	cases := map[string]corpusTopology{
		"comments.off":    {12, 1, 0, 0, 0, 0, true},
		"featuretype.3mf": {2208, 2, 18, 0, 0, 0, false},
		// SOURCES.md lists 3172 triangles, 3 shells, 27 non-manifold edges:
		// the reference reads each <mesh> once in object coordinates and
		// ignores the build. The build places 12 parts (object 1 three
		// times, 2–4 once, the composed part 7 = objects 5 + 6 three times)
		// at distinct positions: 12 closed shells, as a slicer would see them.
		"pyramids.3mf":       {3276, 12, 0, 0, 0, 0, true},
		"cycloidal.ply":      {43368, 112, 0, 242, 0, 0, false},
		"stanford-bunny.obj": {69451, 1, 223, 0, 0, 0, false},
		"nefertiti.obj":      {99938, 1, 0, 0, 0, 0, true},
		"ogre.obj":           {124008, 44, 200, 0, 0, 4, false},
		"3dbenchy.3mf":       {225154, 1, 0, 0, 0, 19, true},
		"igea.ply":           {268686, 1, 0, 0, 0, 0, true},
	}
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			m := readCorpusModel(t, name)
			r, err := Analyze(context.Background(), m.Mesh, AnalyzeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkTopology(t, r, w)
		})
	}
	if mm := readCorpusModel(t, "featuretype.3mf").MillimetresPerUnit; mm != 25.4 {
		t.Errorf("featuretype.3mf declares inches, got %v mm per unit", mm)
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		format Format
		data   string
		want   error
		says   string
	}{
		{FormatOBJ, "v 0 0 0\nv 1 0 0\nf 1 2 3\n", ErrMalformed, "line 3: face refers to vertex 3"},
		{FormatOBJ, "v 0 0 nan\n", ErrMalformed, "line 1"},
		{FormatOBJ, "v 0 0 0\n", ErrNoTriangles, "no faces"},
		{FormatOFF, "OFF\n3 1 0\n0 0 0\n1 0 0\n", ErrMalformed, "unexpected end of file"},
		{FormatOFF, "OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n", ErrMalformed, "face index"},
		{FormatOFF, "PLY\n", ErrMalformed, "starts with 'OFF'"},
		{FormatPLY, "ply\nformat binary_little_endian 1.0\nelement vertex 2000000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n\x00\x00", ErrMalformed, "vertex 0 of 2000000000"},
		{FormatPLY, "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 5\n", ErrMalformed, "index 5"},
		{FormatPLY, "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", nil, ""},
		{Format3MF, "PK not really", ErrMalformed, "not a zip"},
		{FormatGLB, "glTF\x01\x00\x00\x00\x0c\x00\x00\x00", ErrMalformed, "version 1"},
		{FormatGLTF, `{"asset":{"version":"2.0"},"buffers":[{"uri":"mesh.bin","byteLength":4}]}`, ErrMalformed, "external file"},
		{FormatGLTF, `{"asset":{"version":"2.0"}}`, ErrNoTriangles, "no triangle"},
		{FormatSTL, "solid x\nendsolid x\n", ErrNoTriangles, "no facets"},
	}
	for _, tc := range cases {
		_, err := ReadModel(stringsReaderAt(tc.data), int64(len(tc.data)), tc.format, Limits{})
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s %q: %v", tc.format, tc.data, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) || !containsStr(err.Error(), tc.says) {
			t.Errorf("%s %.40q: got %v, want %v saying %q", tc.format, tc.data, err, tc.want, tc.says)
		}
	}
}

package geometry

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The writers stream: they hold only the mesh and a write buffer, and
// write coordinates in the shortest decimal form that reads back to the
// same float32, so text formats round-trip exactly.

// WriteModel writes m in format f (STL is binary; see WriteSTLASCII).
// name is used where the format has a name field (STL header, 3MF object).
func WriteModel(w io.Writer, m *Mesh, f Format, name string) error {
	switch f {
	case FormatSTL:
		return WriteSTLBinary(w, m, name)
	case FormatOBJ:
		return WriteOBJ(w, m)
	case FormatPLY:
		return WritePLY(w, m)
	case FormatOFF:
		return WriteOFF(w, m)
	case Format3MF:
		return Write3MF(w, m, name)
	case FormatGLB:
		return WriteGLB(w, m)
	case FormatGLTF:
		return WriteGLTF(w, m)
	}
	return fmt.Errorf("cannot write format %q", f)
}

// normal is the unit normal of triangle i by the right-hand rule (zero for
// a degenerate triangle).
func (m *Mesh) normal(i int) Vec3 {
	a, b, c := m.Triangle(i)
	n := cross(sub(to64(b), to64(a)), sub(to64(c), to64(a)))
	l := norm(n)
	if l == 0 {
		return Vec3{}
	}
	return Vec3{float32(n.x / l), float32(n.y / l), float32(n.z / l)}
}

// WriteSTLBinary writes binary STL with recomputed facet normals. The
// 80-byte header holds name (cut to fit, never starting with "solid").
func WriteSTLBinary(w io.Writer, m *Mesh, name string) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var hdr [84]byte
	h := "meshops " + name
	copy(hdr[:80], h)
	binary.LittleEndian.PutUint32(hdr[80:], uint32(len(m.Triangles)))
	bw.Write(hdr[:])
	writeRecords(bw, len(m.Triangles), 50, func(b []byte, i int) []byte {
		t := m.Triangles[i]
		b = appendBinVec(b, m.normal(i))
		b = appendBinVec(appendBinVec(appendBinVec(b, m.Vertices[t[0]]), m.Vertices[t[1]]), m.Vertices[t[2]])
		return append(b, 0, 0)
	})
	return bw.Flush()
}

func appendFloat(b []byte, f float32) []byte { return strconv.AppendFloat(b, float64(f), 'g', -1, 32) }

func appendVec(b []byte, v Vec3) []byte {
	b = appendFloat(b, v[0])
	b = append(b, ' ')
	b = appendFloat(b, v[1])
	b = append(b, ' ')
	return appendFloat(b, v[2])
}

// safeName keeps a name on one line of printable ASCII.
func safeName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, name)
}

// WriteSTLASCII writes ASCII STL with recomputed facet normals.
func WriteSTLASCII(w io.Writer, m *Mesh, name string) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	name = safeName(name)
	bw.WriteString("solid " + name + "\n")
	b := make([]byte, 0, 256)
	for i, t := range m.Triangles {
		b = append(b[:0], "facet normal "...)
		b = appendVec(b, m.normal(i))
		b = append(b, "\n outer loop\n"...)
		for _, v := range t {
			b = append(b, "  vertex "...)
			b = appendVec(b, m.Vertices[v])
			b = append(b, '\n')
		}
		b = append(b, " endloop\nendfacet\n"...)
		bw.Write(b)
	}
	bw.WriteString("endsolid " + name + "\n")
	return bw.Flush()
}

// WriteOBJ writes "v" and "f" lines (1-based indices).
func WriteOBJ(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("# meshops\n")
	b := make([]byte, 0, 128)
	for _, v := range m.Vertices {
		b = append(b[:0], "v "...)
		b = appendVec(b, v)
		bw.Write(append(b, '\n'))
	}
	for _, t := range m.Triangles {
		b = append(b[:0], "f "...)
		b = strconv.AppendUint(b, uint64(t[0])+1, 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(t[1])+1, 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(t[2])+1, 10)
		bw.Write(append(b, '\n'))
	}
	return bw.Flush()
}

// WriteOFF writes an OFF file.
func WriteOFF(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "OFF\n%d %d 0\n", len(m.Vertices), len(m.Triangles))
	b := make([]byte, 0, 128)
	for _, v := range m.Vertices {
		b = appendVec(b[:0], v)
		bw.Write(append(b, '\n'))
	}
	for _, t := range m.Triangles {
		b = append(b[:0], "3 "...)
		b = strconv.AppendUint(b, uint64(t[0]), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(t[1]), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(t[2]), 10)
		bw.Write(append(b, '\n'))
	}
	return bw.Flush()
}

// WritePLY writes binary little-endian PLY: float x y z, uchar/int faces.
func WritePLY(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "ply\nformat binary_little_endian 1.0\ncomment meshops\nelement vertex %d\nproperty float x\nproperty float y\nproperty float z\nelement face %d\nproperty list uchar int vertex_indices\nend_header\n",
		len(m.Vertices), len(m.Triangles))
	writeVertices(bw, m)
	writePLYFaces(bw, m)
	return bw.Flush()
}

// writeRecords writes n records of at most size bytes, each appended by
// rec, straight into bw's buffer: a Write per record cost a third of a
// PLY export of igea.
func writeRecords(bw *bufio.Writer, n, size int, rec func(b []byte, i int) []byte) {
	b := bw.AvailableBuffer()
	for i := range n {
		if cap(b)-len(b) < size {
			bw.Write(b)
			if b = bw.AvailableBuffer(); cap(b) < size {
				b = make([]byte, 0, size) // only with a buffer smaller than a record
			}
		}
		b = rec(b, i)
	}
	bw.Write(b)
}

// appendBinVec appends v as three little-endian float32.
func appendBinVec(b []byte, v Vec3) []byte {
	le := binary.LittleEndian
	return le.AppendUint32(le.AppendUint32(le.AppendUint32(b, math.Float32bits(v[0])), math.Float32bits(v[1])), math.Float32bits(v[2]))
}

// appendBinTri appends t as three little-endian uint32.
func appendBinTri(b []byte, t [3]uint32) []byte {
	le := binary.LittleEndian
	return le.AppendUint32(le.AppendUint32(le.AppendUint32(b, t[0]), t[1]), t[2])
}

// writeVertices writes the vertices as three little-endian float32 each.
func writeVertices(bw *bufio.Writer, m *Mesh) {
	writeRecords(bw, len(m.Vertices), 12, func(b []byte, i int) []byte { return appendBinVec(b, m.Vertices[i]) })
}

// writePLYFaces writes the face element of binary little-endian PLY as
// "list uchar int vertex_indices".
func writePLYFaces(bw *bufio.Writer, m *Mesh) {
	writeRecords(bw, len(m.Triangles), 13, func(b []byte, i int) []byte { return appendBinTri(append(b, 3), m.Triangles[i]) })
}

const (
	threeMFContentTypes = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>`
	threeMFRels = `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>`
)

// Write3MF writes a 3MF package in millimetres with one object and one
// build item, deflated at the fastest level (the XML compresses well even
// so). Coordinates are written in full: 30.999983 stays 30.999983.
func Write3MF(w io.Writer, m *Mesh, name string) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, part := range []struct{ name, body string }{{"[Content_Types].xml", threeMFContentTypes}, {"_rels/.rels", threeMFRels}} {
		f, err := zw.Create(part.name)
		if err != nil {
			return err
		}
		io.WriteString(f, part.body)
	}
	f, err := zw.Create("3D/3dmodel.model")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var esc strings.Builder
	xmlEscape(&esc, name)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
<resources><object id="1" type="model" name="` + esc.String() + `"><mesh><vertices>
`)
	b := make([]byte, 0, 128)
	for _, v := range m.Vertices {
		b = append(b[:0], `<vertex x="`...)
		b = appendFloat(b, v[0])
		b = append(b, `" y="`...)
		b = appendFloat(b, v[1])
		b = append(b, `" z="`...)
		b = appendFloat(b, v[2])
		bw.Write(append(b, "\"/>\n"...))
	}
	bw.WriteString("</vertices><triangles>\n")
	for _, t := range m.Triangles {
		b = append(b[:0], `<triangle v1="`...)
		b = strconv.AppendUint(b, uint64(t[0]), 10)
		b = append(b, `" v2="`...)
		b = strconv.AppendUint(b, uint64(t[1]), 10)
		b = append(b, `" v3="`...)
		b = strconv.AppendUint(b, uint64(t[2]), 10)
		bw.Write(append(b, "\"/>\n"...))
	}
	bw.WriteString("</triangles></mesh></object></resources>\n<build><item objectid=\"1\"/></build>\n</model>\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

func xmlEscape(sb *strings.Builder, s string) {
	for _, r := range safeName(s) {
		switch r {
		case '&':
			sb.WriteString("&amp;")
		case '<':
			sb.WriteString("&lt;")
		case '>':
			sb.WriteString("&gt;")
		case '"':
			sb.WriteString("&quot;")
		default:
			sb.WriteRune(r)
		}
	}
}

// gltfJSON is the document describing the one mesh of WriteGLB/WriteGLTF;
// uri is "" for GLB (the BIN chunk) or a marker replaced by the data URI.
func gltfJSON(m *Mesh, uri string) ([]byte, int) {
	lo, hi := m.Bounds()
	if len(m.Vertices) == 0 {
		lo, hi = Vec3{}, Vec3{}
	}
	posBytes, idxBytes := 12*len(m.Vertices), 12*len(m.Triangles)
	buffer := map[string]any{"byteLength": posBytes + idxBytes}
	if uri != "" {
		buffer["uri"] = uri
	}
	doc := map[string]any{
		"asset":  map[string]any{"version": "2.0", "generator": "meshops"},
		"scene":  0,
		"scenes": []any{map[string]any{"nodes": []int{0}}},
		"nodes":  []any{map[string]any{"mesh": 0}},
		"meshes": []any{map[string]any{"primitives": []any{map[string]any{"attributes": map[string]int{"POSITION": 0}, "indices": 1, "mode": 4}}}},
		"accessors": []any{
			map[string]any{"bufferView": 0, "componentType": 5126, "count": len(m.Vertices), "type": "VEC3", "min": lo, "max": hi},
			map[string]any{"bufferView": 1, "componentType": 5125, "count": 3 * len(m.Triangles), "type": "SCALAR"},
		},
		"bufferViews": []any{
			map[string]any{"buffer": 0, "byteOffset": 0, "byteLength": posBytes, "target": 34962},
			map[string]any{"buffer": 0, "byteOffset": posBytes, "byteLength": idxBytes, "target": 34963},
		},
		"buffers": []any{buffer},
	}
	b, _ := json.Marshal(doc)
	return b, posBytes + idxBytes
}

// writeGLTFBuffer streams positions then indices, little endian.
func writeGLTFBuffer(w io.Writer, m *Mesh) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	writeVertices(bw, m)
	writeRecords(bw, len(m.Triangles), 12, func(b []byte, i int) []byte { return appendBinTri(b, m.Triangles[i]) })
	return bw.Flush()
}

// WriteGLB writes binary glTF 2.0: one node, one triangle primitive with
// float positions and uint32 indices.
func WriteGLB(w io.Writer, m *Mesh) error {
	js, binLen := gltfJSON(m, "")
	for len(js)%4 != 0 {
		js = append(js, ' ')
	}
	pad := (4 - binLen%4) % 4
	total := 12 + 8 + len(js) + 8 + binLen + pad
	var h [12]byte
	copy(h[:4], "glTF")
	binary.LittleEndian.PutUint32(h[4:], 2)
	binary.LittleEndian.PutUint32(h[8:], uint32(total))
	var ch [8]byte
	binary.LittleEndian.PutUint32(ch[:4], uint32(len(js)))
	binary.LittleEndian.PutUint32(ch[4:], 0x4E4F534A)
	if _, err := w.Write(append(append(h[:], ch[:]...), js...)); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(ch[:4], uint32(binLen+pad))
	binary.LittleEndian.PutUint32(ch[4:], 0x004E4942)
	if _, err := w.Write(ch[:]); err != nil {
		return err
	}
	if err := writeGLTFBuffer(w, m); err != nil {
		return err
	}
	_, err := w.Write(make([]byte, pad))
	return err
}

// WriteGLTF writes glTF 2.0 JSON with the buffer embedded as a base64 data
// URI, streamed (never holding the encoded buffer).
func WriteGLTF(w io.Writer, m *Mesh) error {
	const marker = "@@MESHOPS_BUFFER@@"
	js, _ := gltfJSON(m, marker)
	before, after, _ := strings.Cut(string(js), marker)
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(before + "data:application/octet-stream;base64,")
	enc := base64.NewEncoder(base64.StdEncoding, bw)
	if err := writeGLTFBuffer(enc, m); err != nil {
		return err
	}
	enc.Close()
	bw.WriteString(after + "\n")
	return bw.Flush()
}

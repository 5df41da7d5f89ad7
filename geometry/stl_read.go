package geometry

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// ReadSTL reads a binary or ASCII STL of size bytes into a welded mesh,
// streaming: only the mesh is held, never the file. Which encoding it is
// comes from the size (binary files are 84 + 50·n bytes) and the start of
// the file (ASCII starts with "solid" and reads as text), so a binary file
// whose header begins with "solid" is read as binary. Errors wrap ErrNotSTL
// or ErrNoTriangles.
func ReadSTL(r io.Reader, size int64) (*Mesh, STLSummary, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, _ := br.Peek(512)
	kind := sniffSTL(head, size)
	hint := 1024
	if kind == STLBinary {
		hint = int(binary.LittleEndian.Uint32(head[80:84]))
	} else if size > 0 {
		hint = int(size / 250) // ASCII facets are about 250 bytes
	}
	// Bound the hint by what the bytes can hold: never trust a header.
	hint = min(hint, int(max(size, 0)/stlFacetBytes)+1)
	b := NewMeshBuilder(hint)
	s := NewSTLScanner(kind, b.AddTriangle)
	if _, err := br.WriteTo(s); err != nil {
		return nil, STLSummary{}, fmt.Errorf("reading STL: %w", err)
	}
	sum, err := s.Finish()
	if err != nil {
		return nil, sum, err
	}
	return b.Mesh(), sum, nil
}

// sniffSTL decides the encoding from the first bytes and the total size.
func sniffSTL(head []byte, size int64) STLKind {
	text := bytes.TrimLeft(head, " \t\r\n")
	startsSolid := len(text) >= 5 && keyword(text[:5], "solid")
	if size >= stlHeaderBytes && len(head) >= stlHeaderBytes {
		n := int64(binary.LittleEndian.Uint32(head[80:84]))
		if size == stlHeaderBytes+stlFacetBytes*n && !(startsSolid && looksLikeText(head)) {
			return STLBinary
		}
	}
	if startsSolid {
		return STLASCII
	}
	return STLBinary
}

func looksLikeText(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f || (c < 0x20 && !asciiSpace[c]) {
			return false
		}
	}
	return true
}

// ReadSTLUnwelded reads an STL as a triangle soup: three fresh vertices
// per facet, no welding. Topology is lost, so it is only for consumers that
// need none (rendering), which then skip the weld's hash table entirely.
func ReadSTLUnwelded(r io.Reader, size int64) (*Mesh, STLSummary, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, _ := br.Peek(512)
	kind := sniffSTL(head, size)
	hint := int(max(size, 0)/stlFacetBytes) + 1
	if kind == STLASCII {
		hint = int(max(size, 0)/250) + 1
	}
	m := &Mesh{Vertices: make([]Vec3, 0, 3*hint), Triangles: make([][3]uint32, 0, hint)}
	AdviseHuge(m.Vertices)
	AdviseHuge(m.Triangles)
	s := NewSTLScanner(kind, func(t *[9]float32) {
		n := uint32(len(m.Vertices))
		m.Vertices = append(m.Vertices, Vec3{t[0], t[1], t[2]}, Vec3{t[3], t[4], t[5]}, Vec3{t[6], t[7], t[8]})
		m.Triangles = append(m.Triangles, [3]uint32{n, n + 1, n + 2})
	})
	if _, err := br.WriteTo(s); err != nil {
		return nil, STLSummary{}, fmt.Errorf("reading STL: %w", err)
	}
	sum, err := s.Finish()
	if err != nil {
		return nil, sum, err
	}
	return m, sum, nil
}

package geometry

import (
	"bytes"
	"fmt"
	"io"
)

// ReadOFF reads an Object File Format file: a header ("OFF", or a variant
// such as "COFF"/"NOFF" whose extra per-vertex values are ignored), the
// vertex, face and edge counts (on the header line or the next), vertices,
// then faces as "n i1 … in" (fan-triangulated; trailing colour values are
// ignored). "#" starts a comment anywhere. The counts are checked, never
// used to allocate.
func ReadOFF(r io.Reader, lim Limits) (*Mesh, error) {
	lr := newLineReader(r)
	s := newMeshSink(lim)
	var toks [][]byte
	bad := func(format string, args ...any) error {
		return &FormatError{Format: "off", Where: fmt.Sprintf("line %d", lr.line), Msg: fmt.Sprintf(format, args...)}
	}
	// nextFields returns the next non-empty, comment-free line's fields.
	nextFields := func() ([][]byte, error) {
		for {
			line, err := lr.next()
			if err == io.EOF {
				return nil, bad("unexpected end of file")
			}
			if err != nil {
				return nil, &FormatError{Format: "off", Msg: err.Error()}
			}
			if i := bytes.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			if toks = fields(toks, line); len(toks) > 0 {
				return toks, nil
			}
		}
	}
	f, err := nextFields()
	if err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(f[0], []byte("OFF")) {
		return nil, bad("an OFF file starts with 'OFF', found %q", f[0])
	}
	if len(f) == 1 {
		if f, err = nextFields(); err != nil {
			return nil, err
		}
	} else {
		f = f[1:]
	}
	if len(f) < 2 {
		return nil, bad("expected the vertex and face counts")
	}
	nv, err1 := atoi(f[0])
	nf, err2 := atoi(f[1])
	if err1 != nil || err2 != nil || nv < 0 || nf < 0 {
		return nil, bad("vertex and face counts must be whole numbers")
	}
	for i := range nv {
		f, err := nextFields()
		if err != nil {
			return nil, fmt.Errorf("%w (vertex %d of %d)", err, i+1, nv)
		}
		if len(f) < 3 {
			return nil, bad("a vertex needs x, y and z")
		}
		var v Vec3
		for k := range 3 {
			c, ok := finite32(f[k])
			if !ok {
				return nil, bad("vertex coordinate %q is not a finite number", f[k])
			}
			v[k] = c
		}
		s.vertex(v)
	}
	var poly []int
	for i := range nf {
		f, err := nextFields()
		if err != nil {
			return nil, fmt.Errorf("%w (face %d of %d)", err, i+1, nf)
		}
		n, err := atoi(f[0])
		if err != nil || n < 3 || len(f) < 1+n {
			return nil, bad("a face is 'n i1 … in' with n ≥ 3")
		}
		poly = poly[:0]
		for _, t := range f[1 : 1+n] {
			k, err := atoi(t)
			if err != nil || k < 0 || k >= nv {
				return nil, bad("face index %q is not one of the %d vertices", t, nv)
			}
			poly = append(poly, k)
		}
		if err := s.polygon(poly); err != nil {
			return nil, err
		}
	}
	return s.mesh("off")
}

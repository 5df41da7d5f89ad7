package geometry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ReadOBJ reads the geometry of a Wavefront OBJ file: "v" positions and "f"
// faces (any polygon, fan-triangulated; v, v/vt, v//vn and v/vt/vn forms;
// negative indices count back from the latest vertex). Groups ("o", "g"),
// materials, texture coordinates and normals are accepted and ignored; lines
// ending in a backslash continue on the next.
func ReadOBJ(r io.Reader, lim Limits) (*Mesh, error) {
	lr := newLineReader(r)
	s := newMeshSink(lim)
	var toks [][]byte
	var poly []int
	var cont []byte
	bad := func(format string, args ...any) error {
		return &FormatError{Format: "obj", Where: fmt.Sprintf("line %d", lr.line), Msg: fmt.Sprintf(format, args...)}
	}
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &FormatError{Format: "obj", Msg: err.Error()}
		}
		if bytes.HasSuffix(line, []byte("\\")) { // continuation
			cont = append(cont, line[:len(line)-1]...)
			cont = append(cont, ' ')
			continue
		}
		if len(cont) > 0 {
			line = append(cont, line...)
			cont = cont[:0]
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		toks = fields(toks, line)
		if len(toks) == 0 {
			continue
		}
		switch string(toks[0]) {
		case "v":
			if len(toks) < 4 {
				return nil, bad("a vertex needs x, y and z")
			}
			var v Vec3
			for k := range 3 {
				f, ok := finite32(toks[1+k])
				if !ok {
					return nil, bad("vertex coordinate %q is not a finite number", toks[1+k])
				}
				v[k] = f
			}
			s.vertex(v)
		case "f", "fo":
			if len(toks) < 4 {
				return nil, bad("a face needs at least three vertices")
			}
			poly = poly[:0]
			for _, t := range toks[1:] {
				if i := bytes.IndexByte(t, '/'); i >= 0 {
					t = t[:i]
				}
				n, err := atoi(t)
				switch {
				case err != nil || n == 0:
					return nil, bad("face index %q is not a vertex number", t)
				case n < 0:
					n += len(s.remap)
				default:
					n--
				}
				if n < 0 || n >= len(s.remap) {
					return nil, bad("face refers to vertex %s but only %d are defined so far", t, len(s.remap))
				}
				poly = append(poly, n)
			}
			if err := s.polygon(poly); err != nil {
				return nil, err
			}
		}
	}
	m, err := s.mesh("obj")
	if err != nil && errors.Is(err, ErrNoTriangles) && len(s.remap) > 0 {
		return nil, fmt.Errorf("%w: obj file has %d vertices but no faces (a point cloud?)", ErrNoTriangles, len(s.remap))
	}
	return m, err
}

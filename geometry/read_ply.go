package geometry

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"
)

// ReadPLY reads a PLY file (ASCII, binary little- or big-endian): vertex
// positions from the x, y, z properties of the "vertex" element (other
// properties such as colours are read past), and faces from a "face"
// element's vertex_indices (or vertex_index) list, fan-triangulated, or from
// a "tristrips" element (strips separated by −1, alternating winding,
// degenerate stitching triangles dropped). Other elements are skipped.
// Header counts are checked against the data, never used to allocate.
func ReadPLY(r io.Reader, lim Limits) (*Mesh, error) {
	m, _, err := ReadPLYColours(r, lim)
	return m, err
}

// ReadPLYColours is ReadPLY that also returns per-vertex colours from red,
// green and blue properties (uchar, or float in 0…1), nil if there are none.
// Vertices merged by welding keep the last colour read.
func ReadPLYColours(r io.Reader, lim Limits) (*Mesh, [][3]uint8, error) {
	return readPLY(r, lim, true)
}

// ReadPLYUnwelded reads a PLY keeping every file vertex (and its colour)
// as it is: for rendering per-face colours, never for topology.
func ReadPLYUnwelded(r io.Reader, lim Limits) (*Mesh, [][3]uint8, error) {
	return readPLY(r, lim, false)
}

func readPLY(r io.Reader, lim Limits, weld bool) (*Mesh, [][3]uint8, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	h, err := readPLYHeader(br)
	if err != nil {
		return nil, nil, err
	}
	s := newMeshSink(lim)
	s.noWeld = !weld
	dec := plyDecoder{r: br, order: h.order, ascii: h.ascii}
	for _, el := range h.elements {
		switch el.name {
		case "vertex":
			err = readPLYVertices(&dec, el, s)
		case "face", "tristrips":
			err = readPLYFaces(&dec, el, s)
		default:
			err = skipPLYElement(&dec, el)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	m, err := s.mesh("ply")
	if err != nil {
		return nil, nil, err
	}
	var colours [][3]uint8
	if s.colours != nil {
		colours = make([][3]uint8, len(m.Vertices))
		for i, c := range s.colours {
			colours[s.remap[i]] = c
		}
	}
	return m, colours, nil
}

type plyProperty struct {
	name      string
	typ       string // scalar type, or the item type of a list
	countType string // list count type; "" for scalars
}

type plyElement struct {
	name  string
	count int
	props []plyProperty
}

type plyHeader struct {
	ascii    bool
	order    binary.ByteOrder
	elements []plyElement
}

var plyTypeSize = map[string]int{
	"char": 1, "uchar": 1, "int8": 1, "uint8": 1, "short": 2, "ushort": 2, "int16": 2, "uint16": 2,
	"int": 4, "uint": 4, "int32": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8,
}

func plyErr(where, format string, args ...any) error {
	return &FormatError{Format: "ply", Where: where, Msg: fmt.Sprintf(format, args...)}
}

func readPLYHeader(br *bufio.Reader) (*plyHeader, error) {
	h := &plyHeader{}
	lr := &lineReader{r: br}
	first, err := lr.next()
	if err != nil || string(bytes.TrimSpace(first)) != "ply" {
		return nil, plyErr("line 1", "a PLY file starts with 'ply'")
	}
	var toks [][]byte
	for {
		line, err := lr.next()
		if err != nil {
			return nil, plyErr(fmt.Sprintf("line %d", lr.line), "the header has no end_header")
		}
		if lr.line > 10000 {
			return nil, plyErr("header", "more than 10000 header lines")
		}
		toks = fields(toks, line)
		if len(toks) == 0 {
			continue
		}
		where := fmt.Sprintf("line %d", lr.line)
		switch string(toks[0]) {
		case "format":
			if len(toks) < 2 {
				return nil, plyErr(where, "format needs a value")
			}
			switch string(toks[1]) {
			case "ascii":
				h.ascii = true
			case "binary_little_endian":
				h.order = binary.LittleEndian
			case "binary_big_endian":
				h.order = binary.BigEndian
			default:
				return nil, plyErr(where, "unknown format %q", toks[1])
			}
		case "element":
			if len(toks) != 3 {
				return nil, plyErr(where, "element needs a name and a count")
			}
			n, err := atoi(toks[2])
			if err != nil || n < 0 {
				return nil, plyErr(where, "element count %q is not a whole number", toks[2])
			}
			h.elements = append(h.elements, plyElement{name: string(toks[1]), count: n})
		case "property":
			if len(h.elements) == 0 {
				return nil, plyErr(where, "property before any element")
			}
			el := &h.elements[len(h.elements)-1]
			var p plyProperty
			if len(toks) == 5 && string(toks[1]) == "list" {
				p = plyProperty{name: string(toks[4]), typ: string(toks[3]), countType: string(toks[2])}
			} else if len(toks) == 3 {
				p = plyProperty{name: string(toks[2]), typ: string(toks[1])}
			} else {
				return nil, plyErr(where, "malformed property line")
			}
			if plyTypeSize[p.typ] == 0 || (p.countType != "" && plyTypeSize[p.countType] == 0) {
				return nil, plyErr(where, "unknown property type in %q", line)
			}
			el.props = append(el.props, p)
		case "end_header":
			if !h.ascii && h.order == nil {
				return nil, plyErr("header", "no format line")
			}
			return h, nil
		case "comment", "obj_info":
		default:
			return nil, plyErr(where, "unknown header keyword %q", toks[0])
		}
	}
}

// plyDecoder reads scalar values of either encoding.
type plyDecoder struct {
	r     *bufio.Reader
	order binary.ByteOrder
	ascii bool
	line  []byte // ASCII: the rest of the current line's tokens
	toks  [][]byte
	tline int
	buf   [8]byte
}

// value reads one value of type typ as float64.
func (d *plyDecoder) value(typ string) (float64, error) {
	if d.ascii {
		for len(d.toks) == 0 {
			line, err := d.r.ReadSlice('\n')
			if len(line) == 0 && err != nil {
				return 0, io.ErrUnexpectedEOF
			}
			if err != nil && err != io.EOF {
				return 0, err
			}
			d.tline++
			d.toks = fields(d.toks[:0], line)
		}
		tok := d.toks[0]
		d.toks = d.toks[1:]
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 64)
		if err != nil {
			return 0, fmt.Errorf("line %d: %q is not a number", d.tline, tok)
		}
		return f, nil
	}
	n := plyTypeSize[typ]
	if _, err := io.ReadFull(d.r, d.buf[:n]); err != nil {
		return 0, io.ErrUnexpectedEOF
	}
	b := d.buf[:n]
	switch typ {
	case "char", "int8":
		return float64(int8(b[0])), nil
	case "uchar", "uint8":
		return float64(b[0]), nil
	case "short", "int16":
		return float64(int16(d.order.Uint16(b))), nil
	case "ushort", "uint16":
		return float64(d.order.Uint16(b)), nil
	case "int", "int32":
		return float64(int32(d.order.Uint32(b))), nil
	case "uint", "uint32":
		return float64(d.order.Uint32(b)), nil
	case "float", "float32":
		return float64(math.Float32frombits(d.order.Uint32(b))), nil
	default:
		return math.Float64frombits(d.order.Uint64(b)), nil
	}
}

// endRecord drops what is left of an ASCII line (some writers add values).
func (d *plyDecoder) endRecord() { d.toks = d.toks[:0] }

func readPLYVertices(d *plyDecoder, el plyElement, s *meshSink) error {
	xyz := [3]int{-1, -1, -1}
	for i, p := range el.props {
		for k, name := range []string{"x", "y", "z"} {
			if p.name == name && p.countType == "" {
				xyz[k] = i
			}
		}
	}
	if xyz[0] < 0 || xyz[1] < 0 || xyz[2] < 0 {
		return plyErr("header", "the vertex element has no x, y and z properties")
	}
	rgb := [3]int{-1, -1, -1}
	for i, p := range el.props {
		for k, name := range []string{"red", "green", "blue"} {
			if p.name == name && p.countType == "" {
				rgb[k] = i
			}
		}
	}
	hasColour := rgb[0] >= 0 && rgb[1] >= 0 && rgb[2] >= 0
	vals := make([]float64, len(el.props))
	for i := range el.count {
		for j, p := range el.props {
			if p.countType != "" {
				if err := skipPLYList(d, p); err != nil {
					return plyErr(fmt.Sprintf("vertex %d", i), "%v", err)
				}
				continue
			}
			v, err := d.value(p.typ)
			if err != nil {
				return plyErr(fmt.Sprintf("vertex %d of %d", i, el.count), "%v", err)
			}
			vals[j] = v
		}
		var v Vec3
		for k := range 3 {
			f := vals[xyz[k]]
			if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > maxFloat32 {
				return plyErr(fmt.Sprintf("vertex %d", i), "coordinate is not a finite number")
			}
			v[k] = float32(f)
		}
		s.vertex(v)
		if hasColour {
			var c [3]uint8
			for k := range 3 {
				x := vals[rgb[k]]
				if t := el.props[rgb[k]].typ; t == "float" || t == "float32" || t == "double" || t == "float64" {
					x *= 255
				}
				c[k] = uint8(math.Max(0, math.Min(255, x)))
			}
			s.colours = append(s.colours, c)
		}
		d.endRecord()
	}
	return nil
}

func readPLYFaces(d *plyDecoder, el plyElement, s *meshSink) error {
	strips := el.name == "tristrips"
	var idx []int
	for i := range el.count {
		for _, p := range el.props {
			if p.countType == "" {
				if _, err := d.value(p.typ); err != nil {
					return plyErr(fmt.Sprintf("%s %d", el.name, i), "%v", err)
				}
				continue
			}
			if p.name != "vertex_indices" && p.name != "vertex_index" {
				if err := skipPLYList(d, p); err != nil {
					return plyErr(fmt.Sprintf("%s %d", el.name, i), "%v", err)
				}
				continue
			}
			n, err := d.value(p.countType)
			if err != nil || n < 0 || n != math.Trunc(n) {
				return plyErr(fmt.Sprintf("%s %d", el.name, i), "bad list length")
			}
			idx = idx[:0]
			for j := 0; j < int(n); j++ {
				v, err := d.value(p.typ)
				if err != nil {
					return plyErr(fmt.Sprintf("%s %d", el.name, i), "%v", err)
				}
				k := int(v)
				if (k < 0 && !(strips && k == -1)) || k >= len(s.remap) {
					return plyErr(fmt.Sprintf("%s %d", el.name, i), "index %d is not one of the %d vertices", k, len(s.remap))
				}
				idx = append(idx, k)
			}
			if strips {
				if err := stripTriangles(idx, s); err != nil {
					return err
				}
			} else if len(idx) >= 3 {
				if err := s.polygon(idx); err != nil {
					return err
				}
			}
		}
		d.endRecord()
	}
	return nil
}

// stripTriangles decodes triangle strips separated by −1: triangle i of a
// strip is (s[i], s[i+1], s[i+2]) for even i and (s[i+1], s[i], s[i+2]) for
// odd i, so all keep one winding; triangles with a repeated vertex (used to
// stitch strips) are dropped.
func stripTriangles(idx []int, s *meshSink) error {
	start := 0
	for i := 0; i <= len(idx); i++ {
		if i < len(idx) && idx[i] >= 0 {
			continue
		}
		run := idx[start:i]
		for k := 0; k+2 < len(run); k++ {
			a, b, c := run[k], run[k+1], run[k+2]
			if k%2 == 1 {
				a, b = b, a
			}
			if a != b && b != c && a != c {
				if err := s.triangle(a, b, c); err != nil {
					return err
				}
			}
		}
		start = i + 1
	}
	return nil
}

func skipPLYList(d *plyDecoder, p plyProperty) error {
	n, err := d.value(p.countType)
	if err != nil || n < 0 {
		return fmt.Errorf("bad list length")
	}
	for range int(n) {
		if _, err := d.value(p.typ); err != nil {
			return err
		}
	}
	return nil
}

func skipPLYElement(d *plyDecoder, el plyElement) error {
	for i := range el.count {
		for _, p := range el.props {
			var err error
			if p.countType != "" {
				err = skipPLYList(d, p)
			} else {
				_, err = d.value(p.typ)
			}
			if err != nil {
				return plyErr(fmt.Sprintf("%s %d", el.name, i), "%v", err)
			}
		}
		d.endRecord()
	}
	return nil
}

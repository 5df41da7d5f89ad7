package geometry

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unsafe"
)

// ErrMalformed is wrapped by every *FormatError: the bytes are not a valid
// file of the format they claim.
var ErrMalformed = errors.New("malformed model file")

// ErrTooManyTriangles is returned when a model exceeds Limits.MaxTriangles;
// readers stop as soon as they know, without building the rest.
var ErrTooManyTriangles = errors.New("too many triangles")

// FormatError says what is wrong with a model file and where.
type FormatError struct {
	Format string // "obj", "ply", …
	Where  string // "line 12", "byte 4096", "3D/3dmodel.model" …
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Where == "" {
		return e.Format + ": " + e.Msg
	}
	return e.Format + ": " + e.Where + ": " + e.Msg
}

func (e *FormatError) Unwrap() error { return ErrMalformed }

// Limits bound what a reader may build. Zero values mean no limit.
type Limits struct {
	MaxTriangles int   // ErrTooManyTriangles beyond this
	MaxBytes     int64 // for compressed containers (3MF): uncompressed bytes read
}

// meshSink builds a welded mesh from indexed input: file vertex i becomes
// welded vertex remap[i], and triangles are checked against the limit.
type meshSink struct {
	b       *MeshBuilder
	remap   []uint32
	colours [][3]uint8 // per file vertex, when the format has them
	noWeld  bool
	lim     Limits
	tris    int
}

func newMeshSink(lim Limits) *meshSink { return &meshSink{b: NewMeshBuilder(1024), lim: lim} }

// vertex adds file vertex v, welded unless s.noWeld (attribute-carrying
// data for rendering, where equal positions may differ in colour).
func (s *meshSink) vertex(v Vec3) {
	if s.noWeld {
		s.remap = append(s.remap, uint32(len(s.b.mesh.Vertices)))
		s.b.mesh.Vertices = append(s.b.mesh.Vertices, v)
		return
	}
	s.remap = append(s.remap, s.b.Vertex(v))
}

// triangle adds file vertices i, j, k (already range-checked).
func (s *meshSink) triangle(i, j, k int) error {
	s.tris++
	if s.lim.MaxTriangles > 0 && s.tris > s.lim.MaxTriangles {
		return fmt.Errorf("%w: more than %d", ErrTooManyTriangles, s.lim.MaxTriangles)
	}
	s.b.AddIndexed(s.remap[i], s.remap[j], s.remap[k])
	return nil
}

// polygon fan-triangulates the file vertices idx (already range-checked).
func (s *meshSink) polygon(idx []int) error {
	for i := 1; i+1 < len(idx); i++ {
		if err := s.triangle(idx[0], idx[i], idx[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (s *meshSink) mesh(format string) (*Mesh, error) {
	m := s.b.Mesh()
	if len(m.Triangles) == 0 {
		return nil, fmt.Errorf("%w: %s file has no faces", ErrNoTriangles, format)
	}
	return m, nil
}

// lineReader yields lines without their end, counting them, with a cap on
// line length so a file without newlines cannot exhaust memory.
type lineReader struct {
	r    *bufio.Reader
	line int
	long []byte
}

const maxLineBytes = 1 << 20

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: bufio.NewReaderSize(r, 256<<10)} }

// next returns the next line (valid until the next call), or io.EOF.
func (l *lineReader) next() ([]byte, error) {
	l.line++
	b, err := l.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(l.long) > maxLineBytes {
				return nil, fmt.Errorf("line %d is longer than %d bytes", l.line, maxLineBytes)
			}
			b, err = l.r.ReadSlice('\n')
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	if err == io.EOF && len(b) > 0 {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(b, "\r\n"), nil
}

// fields splits b on ASCII white space into dst (reused).
func fields(dst [][]byte, b []byte) [][]byte {
	dst = dst[:0]
	for i := 0; i < len(b); {
		for i < len(b) && asciiSpace[b[i]] {
			i++
		}
		j := i
		for j < len(b) && !asciiSpace[b[j]] {
			j++
		}
		if j > i {
			dst = append(dst, b[i:j])
		}
		i = j
	}
	return dst
}

// finite32 parses a finite float32 coordinate.
func finite32(tok []byte) (float32, bool) {
	f, err := parseFloat32(tok)
	if err != nil || f != f || f > maxFloat32 || f < -maxFloat32 {
		return 0, false
	}
	return f, true
}

const maxFloat32 = 3.4028234663852886e38

func atoi(tok []byte) (int, error) {
	return strconv.Atoi(unsafe.String(unsafe.SliceData(tok), len(tok)))
}

package geometry

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// STLKind says which of the two STL encodings a file uses.
type STLKind int

// The STL encodings.
const (
	STLUnknown STLKind = iota
	STLBinary
	STLASCII
)

func (k STLKind) String() string {
	switch k {
	case STLBinary:
		return "binary"
	case STLASCII:
		return "ascii"
	}
	return "unknown"
}

// ErrNoTriangles is wrapped by errors about STL input that is well formed but
// holds no facets (or no bytes at all).
var ErrNoTriangles = errors.New("no triangles")

// ErrNotSTL is wrapped by errors about input that is not a valid STL file.
var ErrNotSTL = errors.New("not a valid STL file")

// STLSummary is what a scan learns of a valid STL file.
type STLSummary struct {
	Kind      STLKind
	Triangles int64
	Bytes     int64
	Min, Max  [3]float32 // bounding box of all vertices
}

const (
	stlHeaderBytes = 84
	stlFacetBytes  = 50
)

// STLScanner validates an STL stream as it is written to it, in constant
// memory: it never holds more than one token or one facet record. Both
// encodings are tracked at once because which one a stream is can only be
// decided at its end (a binary file is exactly 84 + 50·n bytes, and its
// 80-byte header may itself start with "solid").
//
// Write never fails; Finish reports whether the bytes were a valid STL.
type STLScanner struct {
	bytes  int64
	header [stlHeaderBytes]byte
	bin    binarySTLDecoder
	asc    asciiSTLParser
	only   STLKind
}

// NewSTLScanner returns a scanner. emit, if not nil, receives every triangle
// (9 coordinates: three xyz vertices) as it is decoded; the array is reused.
// only selects one encoding (STLBinary or STLASCII) when the caller already
// knows it; STLUnknown tracks both, which is what upload validation needs, and
// then emit must be nil because the encoding is only known at the end.
func NewSTLScanner(only STLKind, emit func(tri *[9]float32)) *STLScanner {
	s := &STLScanner{only: only}
	if only == STLUnknown {
		emit = nil
	}
	s.bin.emit = emit
	s.bin.box.reset()
	s.bin.badFacet = -1
	s.asc.emit = emit
	s.asc.box.reset()
	s.asc.line = 1
	s.asc.alive = only != STLBinary
	return s
}

// Write feeds the next bytes of the stream. It always consumes all of p.
func (s *STLScanner) Write(p []byte) (int, error) {
	if s.asc.alive {
		s.asc.feed(p)
	}
	if s.only != STLASCII {
		q := p
		if s.bytes < stlHeaderBytes {
			q = q[copy(s.header[s.bytes:], q):]
		}
		s.bin.feed(q)
	}
	s.bytes += int64(len(p))
	return len(p), nil
}

// Finish decides whether the stream was a valid STL and returns its summary.
// Errors wrap ErrNoTriangles (empty input, zero facets) or ErrNotSTL.
func (s *STLScanner) Finish() (STLSummary, error) {
	size := s.bytes
	if size == 0 {
		return STLSummary{}, fmt.Errorf("%w: the file is empty (0 bytes)", ErrNoTriangles)
	}
	if s.asc.alive && s.asc.finish() {
		if s.asc.facets == 0 {
			return STLSummary{}, fmt.Errorf("%w: ASCII STL with no facets", ErrNoTriangles)
		}
		return s.asc.summary(size), nil
	}
	declared := int64(-1)
	if size >= stlHeaderBytes {
		declared = int64(binary.LittleEndian.Uint32(s.header[80:84]))
	}
	if s.only != STLASCII && declared >= 0 && size == stlHeaderBytes+stlFacetBytes*declared {
		if declared == 0 {
			return STLSummary{}, fmt.Errorf("%w: binary STL whose header declares 0 facets", ErrNoTriangles)
		}
		if s.bin.badFacet >= 0 {
			return STLSummary{}, fmt.Errorf("%w: binary STL facet %d has a non-finite vertex coordinate (NaN or infinity)", ErrNotSTL, s.bin.badFacet)
		}
		return s.bin.summary(size), nil
	}
	// Neither encoding fits. Say what the input most looks like, so that a
	// truncated binary file is not reported as an ASCII syntax error.
	if s.asc.started && !s.asc.binaryLooking && s.only != STLBinary && (s.asc.tokens > 1 || declared < 0) {
		return STLSummary{}, fmt.Errorf("%w: %s", ErrNotSTL, s.asc.err)
	}
	if declared < 0 {
		return STLSummary{}, fmt.Errorf("%w: %d bytes is too short for a binary STL (84-byte header) and it is not ASCII STL (which starts with 'solid')", ErrNotSTL, size)
	}
	want := stlHeaderBytes + stlFacetBytes*declared
	what := "truncated"
	if size > want {
		what = "has extra bytes"
	}
	return STLSummary{}, fmt.Errorf("%w: binary STL header declares %d facets (%d bytes) but the file has %d bytes (%s); it is not ASCII STL either",
		ErrNotSTL, declared, want, size, what)
}

// box is an axis-aligned bounding box accumulated in float32.
type box struct{ min, max [3]float32 }

func (b *box) reset() {
	for i := range 3 {
		b.min[i] = float32(math.Inf(1))
		b.max[i] = float32(math.Inf(-1))
	}
}

func (b *box) add(x, y, z float32) {
	b.min[0], b.max[0] = widen(b.min[0], b.max[0], x)
	b.min[1], b.max[1] = widen(b.min[1], b.max[1], y)
	b.min[2], b.max[2] = widen(b.min[2], b.max[2], z)
}

// widen grows the range lo..hi to hold x (by comparison: an equal value,
// -0 against 0, leaves it as it is).
func widen(lo, hi, x float32) (float32, float32) {
	if x < lo {
		lo = x
	}
	if x > hi {
		hi = x
	}
	return lo, hi
}

// binarySTLDecoder decodes 50-byte facet records (the bytes after the header).
type binarySTLDecoder struct {
	carry    [stlFacetBytes]byte
	carryN   int
	facets   int64
	badFacet int64 // index of the first facet with a non-finite vertex, or -1
	box      box
	tri      [9]float32
	emit     func(*[9]float32)
}

func (d *binarySTLDecoder) feed(p []byte) {
	if d.carryN > 0 {
		k := copy(d.carry[d.carryN:], p)
		d.carryN += k
		p = p[k:]
		if d.carryN < stlFacetBytes {
			return
		}
		d.records(d.carry[:])
		d.carryN = 0
	}
	d.carryN = copy(d.carry[:], d.records(p))
}

const float32ExpMask = 0x7f800000

// records decodes the whole facets at the start of p and returns the
// rest. A facet is 12 bytes of normal (ignored: normals are recomputed
// from the winding), 36 bytes of vertices, 2 attribute bytes. The box is
// grown in scalars, which stay in registers (its arrays live in memory):
// uploads validate a sixth faster.
func (d *binarySTLDecoder) records(p []byte) []byte {
	lx, ly, lz := d.box.min[0], d.box.min[1], d.box.min[2]
	hx, hy, hz := d.box.max[0], d.box.max[1], d.box.max[2]
	grow := func(x, y, z float32) {
		lx, hx = widen(lx, hx, x)
		ly, hy = widen(ly, hy, y)
		lz, hz = widen(lz, hz, z)
	}
	for ; len(p) >= stlFacetBytes; p = p[stlFacetBytes:] {
		r := p[:stlFacetBytes]
		var bad uint32
		for i := range 9 {
			b := binary.LittleEndian.Uint32(r[12+4*i:])
			if b&float32ExpMask == float32ExpMask {
				bad = 1
			}
			d.tri[i] = math.Float32frombits(b)
		}
		if bad != 0 {
			if d.badFacet < 0 {
				d.badFacet = d.facets
			}
		} else {
			t := &d.tri
			grow(t[0], t[1], t[2])
			grow(t[3], t[4], t[5])
			grow(t[6], t[7], t[8])
			if d.emit != nil {
				d.emit(t)
			}
		}
		d.facets++
	}
	d.box = box{min: [3]float32{lx, ly, lz}, max: [3]float32{hx, hy, hz}}
	return p
}

func (d *binarySTLDecoder) summary(size int64) STLSummary {
	return STLSummary{Kind: STLBinary, Triangles: d.facets, Bytes: size, Min: d.box.min, Max: d.box.max}
}

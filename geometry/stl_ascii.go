package geometry

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// asciiSTLParser is a push parser for ASCII STL: one or more blocks of
//
//	solid [name]
//	  facet [normal nx ny nz]
//	    outer loop
//	      vertex x y z   (three times)
//	    endloop
//	  endfacet
//	endsolid [name]
//
// Keywords are matched without regard to case, any ASCII white space (CRLF
// included) separates tokens, and numbers take Go's float syntax (exponents
// too). It keeps at most one token across Write boundaries.
type asciiSTLParser struct {
	alive         bool // still a candidate: no error yet
	started       bool // the first token was "solid"
	binaryLooking bool // failed on bytes that are not text
	err           string

	state   asciiState
	skipEOL bool // inside a solid/endsolid name: skip to the end of the line
	tok     []byte
	line    int64
	num     int // which coordinate of the current vertex or normal
	vert    int // which vertex of the current facet
	solids  int
	facets  int64
	tokens  int64 // tokens accepted so far
	tri     [9]float32
	box     box
	emit    func(*[9]float32)
}

type asciiState uint8

const (
	stSolid     asciiState = iota // expect "solid" (or the end, after one solid)
	stFacet                       // expect "facet" or "endsolid"
	stNormalKw                    // expect "normal" or "outer"
	stNormalNum                   // three numbers
	stOuter                       // expect "outer"
	stLoop                        // expect "loop"
	stVertexKw                    // expect "vertex", or "endloop" after three
	stVertexNum                   // three numbers
	stEndfacet                    // expect "endfacet"
)

const maxASCIIToken = 256

var asciiSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '\v': true, '\f': true}

func (a *asciiSTLParser) feed(p []byte) {
	for i := 0; i < len(p) && a.alive; {
		if a.skipEOL {
			j := bytes.IndexByte(p[i:], '\n')
			if j < 0 {
				return
			}
			i += j + 1
			a.line++
			a.skipEOL = false
			continue
		}
		c := p[i]
		if asciiSpace[c] {
			if len(a.tok) > 0 { // a token carried over from the last Write ends here
				a.token(a.tok)
				a.tok = a.tok[:0]
				continue // c again, now maybe as the end of a skipped name line
			}
			if c == '\n' {
				a.line++
			}
			i++
			continue
		}
		j := i + 1
		for j < len(p) && !asciiSpace[p[j]] {
			j++
		}
		if j == len(p) { // the token may go on in the next Write
			if len(a.tok)+j-i > maxASCIIToken {
				a.fail(p[i:j], "a token longer than %d bytes", maxASCIIToken)
				return
			}
			a.tok = append(a.tok, p[i:j]...)
			return
		}
		if len(a.tok) > 0 {
			a.tok = append(a.tok, p[i:j]...)
			a.token(a.tok)
			a.tok = a.tok[:0]
		} else {
			a.token(p[i:j])
		}
		i = j
	}
}

// finish handles a final token without trailing white space and reports
// whether the input was complete, valid ASCII STL.
func (a *asciiSTLParser) finish() bool {
	if !a.alive {
		return false
	}
	if len(a.tok) > 0 {
		a.token(a.tok)
		a.tok = a.tok[:0]
		if !a.alive {
			return false
		}
	}
	if a.state == stSolid && a.solids > 0 {
		return true
	}
	a.alive = false
	if !a.started {
		a.err = "not ASCII STL (it must start with 'solid')"
	} else {
		a.err = fmt.Sprintf("line %d: unexpected end of file inside a solid (truncated?)", a.line)
	}
	return false
}

func keyword(tok []byte, kw string) bool {
	if len(tok) != len(kw) {
		return false
	}
	for i := range len(kw) {
		if tok[i]|0x20 != kw[i] {
			return false
		}
	}
	return true
}

func (a *asciiSTLParser) fail(tok []byte, format string, args ...any) {
	a.alive = false
	for _, c := range tok {
		if (c < 0x20 && !asciiSpace[c]) || c >= 0x7f {
			a.binaryLooking = true
			break
		}
	}
	if len(tok) > 40 {
		tok = tok[:40]
	}
	a.err = fmt.Sprintf("line %d: %s, found %q", a.line, fmt.Sprintf(format, args...), tok)
}

func (a *asciiSTLParser) token(tok []byte) {
	a.tokens++
	switch a.state {
	case stSolid:
		if !keyword(tok, "solid") {
			if a.solids == 0 {
				a.fail(tok, "ASCII STL must start with 'solid'")
			} else {
				a.fail(tok, "expected 'solid' or the end of the file after 'endsolid'")
			}
			return
		}
		a.started = true
		a.solids++
		a.state = stFacet
		a.skipEOL = true
	case stFacet:
		switch {
		case keyword(tok, "facet"):
			a.state = stNormalKw
		case keyword(tok, "endsolid"):
			a.state = stSolid
			a.skipEOL = true
		default:
			a.fail(tok, "expected 'facet' or 'endsolid'")
		}
	case stNormalKw:
		switch {
		case keyword(tok, "normal"):
			a.state, a.num = stNormalNum, 0
		case keyword(tok, "outer"):
			a.state = stLoop
		default:
			a.fail(tok, "expected 'normal' or 'outer'")
		}
	case stNormalNum:
		// Normals are recomputed from the winding; only their syntax matters.
		if _, err := parseFloat32(tok); err != nil {
			a.fail(tok, "expected a number in the facet normal")
			return
		}
		if a.num++; a.num == 3 {
			a.state = stOuter
		}
	case stOuter:
		if !keyword(tok, "outer") {
			a.fail(tok, "expected 'outer'")
			return
		}
		a.state = stLoop
	case stLoop:
		if !keyword(tok, "loop") {
			a.fail(tok, "expected 'loop'")
			return
		}
		a.state, a.vert = stVertexKw, 0
	case stVertexKw:
		if a.vert == 3 {
			if !keyword(tok, "endloop") {
				a.fail(tok, "expected 'endloop' after three vertices")
				return
			}
			a.state = stEndfacet
			return
		}
		if !keyword(tok, "vertex") {
			a.fail(tok, "expected 'vertex' (a facet has exactly three)")
			return
		}
		a.state, a.num = stVertexNum, 0
	case stVertexNum:
		f, err := parseFloat32(tok)
		if err != nil {
			a.fail(tok, "expected a number in vertex %d", a.vert+1)
			return
		}
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			a.fail(tok, "vertex coordinate is not a finite number")
			return
		}
		a.tri[a.vert*3+a.num] = f
		if a.num++; a.num == 3 {
			a.state = stVertexKw
			a.vert++
		}
	case stEndfacet:
		if !keyword(tok, "endfacet") {
			a.fail(tok, "expected 'endfacet'")
			return
		}
		t := &a.tri
		a.box.add(t[0], t[1], t[2])
		a.box.add(t[3], t[4], t[5])
		a.box.add(t[6], t[7], t[8])
		if a.emit != nil {
			a.emit(t)
		}
		a.facets++
		a.state = stFacet
	}
}

// parseFloat32 parses tok without copying it. Out-of-range values are errors
// (strconv reports them with ±Inf), so a coordinate is always finite or NaN.
func parseFloat32(tok []byte) (float32, error) {
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 32)
	return float32(f), err
}

func (a *asciiSTLParser) summary(size int64) STLSummary {
	return STLSummary{Kind: STLASCII, Triangles: a.facets, Bytes: size, Min: a.box.min, Max: a.box.max}
}

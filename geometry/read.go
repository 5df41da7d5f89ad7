package geometry

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Format names a mesh file format.
type Format string

// The formats ReadModel reads.
const (
	FormatSTL  Format = "stl"
	FormatOBJ  Format = "obj"
	FormatPLY  Format = "ply"
	FormatOFF  Format = "off"
	Format3MF  Format = "3mf"
	FormatGLB  Format = "glb"
	FormatGLTF Format = "gltf"
)

// FormatForName returns the format implied by a file name's extension.
func FormatForName(name string) (Format, bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", false
	}
	switch f := Format(strings.ToLower(name[i+1:])); f {
	case FormatSTL, FormatOBJ, FormatPLY, FormatOFF, Format3MF, FormatGLB, FormatGLTF:
		return f, true
	}
	return "", false
}

// Model is a mesh read from a file, with the unit the file declares.
type Model struct {
	Mesh *Mesh
	// MillimetresPerUnit is the file's own unit (3MF's unit attribute);
	// 0 when the format carries none and the caller must say.
	MillimetresPerUnit float64
	// Colours are per-vertex RGB colours (PLY), nil when the file has none.
	Colours [][3]uint8
}

// ReadModel reads a model of format f from r (size bytes). Errors wrap
// ErrMalformed (with a *FormatError saying what and where), ErrNotSTL,
// ErrNoTriangles or ErrTooManyTriangles.
func ReadModel(r io.ReaderAt, size int64, f Format, lim Limits) (*Model, error) {
	sr := io.NewSectionReader(r, 0, size)
	var m *Mesh
	var err error
	var colours [][3]uint8
	mm := 0.0
	switch f {
	case FormatSTL:
		if lim.MaxTriangles > 0 && size > 84+50*int64(lim.MaxTriangles) && size > 1<<20 {
			// Binary STL facets are 50 bytes; ASCII ones far more.
			head := make([]byte, 84)
			if _, herr := r.ReadAt(head, 0); herr == nil && sniffSTL(head, size) == STLBinary {
				return nil, fmt.Errorf("%w: more than %d", ErrTooManyTriangles, lim.MaxTriangles)
			}
		}
		m, _, err = ReadSTL(sr, size)
		if err == nil && lim.MaxTriangles > 0 && len(m.Triangles) > lim.MaxTriangles {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyTriangles, lim.MaxTriangles)
		}
	case FormatOBJ:
		m, err = ReadOBJ(sr, lim)
	case FormatPLY:
		m, colours, err = ReadPLYColours(sr, lim)
	case FormatOFF:
		m, err = ReadOFF(sr, lim)
	case Format3MF:
		m, mm, err = Read3MF(r, size, lim)
	case FormatGLB:
		m, err = ReadGLB(sr, lim)
	case FormatGLTF:
		m, err = ReadGLTF(sr, lim)
	default:
		return nil, fmt.Errorf("unknown format %q", f)
	}
	if err != nil {
		return nil, err
	}
	return &Model{Mesh: m, MillimetresPerUnit: mm, Colours: colours}, nil
}

// ReadModelFile reads the model file at path, its format from the name.
func ReadModelFile(path string, lim Limits) (*Model, error) {
	format, ok := FormatForName(path)
	if !ok {
		return nil, fmt.Errorf("%s: not a model file name (.stl .obj .ply .off .3mf .glb .gltf)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return ReadModel(f, st.Size(), format, lim)
}

// SeekerReaderAt adapts an io.ReadSeeker (a blob, a file) to io.ReaderAt
// for readers that need random access (3MF's zip); calls are serialised.
type SeekerReaderAt struct {
	mu sync.Mutex
	R  io.ReadSeeker
}

// ReadAt reads len(p) bytes at off.
func (s *SeekerReaderAt) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.R.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.R, p)
}

package operations

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// Job is what a worker sees of one run: the operation, its source file and
// the means to read it, report progress and store outputs. The engine backs
// it with the blob store; `meshops run` backs it with local files.
type Job struct {
	Op     *meshops.Operation
	Source *meshops.File
	// Open returns the source bytes.
	Open func(ctx context.Context) (meshops.Blob, error)
	// Report records progress (0–100); the engine keeps it monotonic.
	Report func(pct float64)
	// Store writes an output file owned by the caller, atomically.
	Store func(ctx context.Context, out Output) (*meshops.File, error)
	// MaxTriangles bounds conversions (201 beyond it).
	MaxTriangles int
}

// Output is a file an operation produces.
type Output struct {
	Name   string
	Format meshops.Format
	Units  meshops.Units
	Write  func(w io.Writer) error
}

// Progress reports pct (0–100) if the engine listens.
func (j *Job) Progress(pct float64) {
	if j.Report != nil {
		j.Report(pct)
	}
}

// LoadModel reads the source file into a mesh, mapping what goes wrong to
// the catalogue: corrupt or empty geometry → 202, too many triangles or not
// a model at all → 201.
func (j *Job) LoadModel(ctx context.Context) (*geometry.Model, error) { return j.load(ctx, true) }

// LoadSoup is LoadModel without welding STL vertices (each facet keeps
// its own three): for rendering, which needs no topology.
func (j *Job) LoadSoup(ctx context.Context) (*geometry.Model, error) { return j.load(ctx, false) }

func (j *Job) load(ctx context.Context, weld bool) (*geometry.Model, error) {
	b, err := j.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	format := geometry.FormatSTL
	if !j.Source.Format.IsSTL() {
		f, ok := geometry.FormatForName("x." + string(j.Source.Format))
		if !ok {
			return nil, meshops.Errorf(meshops.CodeNotConvertible, "File %s (%s) is not a 3D model.", j.Source.ID, j.Source.Format)
		}
		format = f
	}
	ra := &geometry.SeekerReaderAt{R: b}
	head := make([]byte, 16)
	if n, _ := ra.ReadAt(head, 0); n > 0 {
		if kind := notAModel(head[:n]); kind != "" {
			return nil, meshops.Errorf(meshops.CodeNotConvertible, "%s is %s, not a 3D model.", j.Source.Name, kind)
		}
	}
	var m *geometry.Model
	switch {
	case !weld && format == geometry.FormatSTL:
		var mesh *geometry.Mesh
		mesh, _, err = geometry.ReadSTLUnwelded(io.NewSectionReader(ra, 0, b.Size()), b.Size())
		m = &geometry.Model{Mesh: mesh}
	case !weld && format == geometry.FormatPLY:
		var mesh *geometry.Mesh
		var colours [][3]uint8
		mesh, colours, err = geometry.ReadPLYUnwelded(io.NewSectionReader(ra, 0, b.Size()), geometry.Limits{MaxTriangles: j.MaxTriangles})
		m = &geometry.Model{Mesh: mesh, Colours: colours}
	default:
		m, err = geometry.ReadModel(ra, b.Size(), format, geometry.Limits{MaxTriangles: j.MaxTriangles})
	}
	switch {
	case err == nil:
		return m, nil
	case errors.Is(err, geometry.ErrTooManyTriangles):
		return nil, meshops.Errorf(meshops.CodeNotConvertible, "The model has more than %d triangles, the most this server converts.", j.MaxTriangles)
	case errors.Is(err, geometry.ErrMalformed), errors.Is(err, geometry.ErrNotSTL), errors.Is(err, geometry.ErrNoTriangles):
		return nil, meshops.Errorf(meshops.CodeNoGeometry, "No valid 3D geometry in %s: %v.", j.Source.Name, err)
	default:
		return nil, fmt.Errorf("reading %s: %w", j.Source.ID, err)
	}
}

// StoreMesh writes m as an output file of format f (STL formats are binary
// or ASCII STL).
func (j *Job) StoreMesh(ctx context.Context, m *geometry.Mesh, name string, f meshops.Format, units meshops.Units) (*meshops.File, error) {
	write := func(w io.Writer) error { return geometry.WriteSTLBinary(w, m, name) }
	switch f {
	case meshops.FormatSTLASCII:
		write = func(w io.Writer) error { return geometry.WriteSTLASCII(w, m, name) }
	case meshops.FormatSTLBinary:
	default:
		gf, _ := geometry.FormatForName("x." + string(f))
		write = func(w io.Writer) error { return geometry.WriteModel(w, m, gf, name) }
	}
	return j.Store(ctx, Output{Name: name, Format: f, Units: units, Write: write})
}

// notAModel names well-known non-model content (images, documents) from
// its first bytes, or returns "".
func notAModel(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG")):
		return "a PNG image"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "a JPEG image"
	case bytes.HasPrefix(head, []byte("GIF8")):
		return "a GIF image"
	case bytes.HasPrefix(head, []byte("RIFF")) && len(head) >= 12 && string(head[8:12]) == "WEBP":
		return "a WebP image"
	case bytes.HasPrefix(head, []byte("BM")) && len(head) >= 14:
		return "a BMP image"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "a TIFF image"
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "a PDF document"
	}
	return ""
}

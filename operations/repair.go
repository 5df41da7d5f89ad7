package operations

import (
	"context"
	"math"
	"strings"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// RepairParams: repair takes no parameters.
type RepairParams struct{}

// Validate accepts everything.
func (p *RepairParams) Validate(*meshops.File) error { return nil }

// Fixed counts what repair changed.
type Fixed struct {
	WeldedVertices      int `json:"weldedVertices"`
	RemovedDegenerate   int `json:"removedDegenerate"`
	RemovedDuplicate    int `json:"removedDuplicate"`
	FlippedTriangles    int `json:"flippedTriangles"`
	HolesFilled         int `json:"holesFilled"`
	TrianglesAdded      int `json:"trianglesAdded"`
	RemovedUnreferenced int `json:"removedUnreferencedVertices"`
}

// RepairResult is repair's result.
type RepairResult struct {
	FileID string  `json:"fileId"`
	Before *Report `json:"before"`
	After  *Report `json:"after"`
	Fixed  Fixed   `json:"fixed"`
}

// Run repairs in the order that lets each step help the next: weld edges
// that only meet within 1e-6 of the model's size, drop degenerate and
// duplicate facets, fill holes, then make the winding consistent and
// outward. Normals are recomputed when the STL is written.
func (p *RepairParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m := model.Mesh
	before, err := geometry.Analyze(ctx, m, geometry.AnalyzeOptions{Intersections: true})
	if err != nil {
		return nil, err
	}
	job.Progress(30)
	var fx Fixed
	d := before.Dimensions()
	diag := math.Sqrt(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])
	if before.BoundaryEdges > 0 {
		fx.WeldedVertices = geometry.WeldTolerance(m, float32(1e-6*diag))
	}
	fx.RemovedDegenerate = geometry.RemoveDegenerate(m, 1e-12*diag*diag)
	fx.RemovedDuplicate = geometry.RemoveDuplicates(m)
	job.Progress(50)
	fx.FlippedTriangles = geometry.OrientConsistently(m)
	fx.HolesFilled, fx.TrianglesAdded = geometry.FillHoles(m, 0)
	if fx.HolesFilled > 0 {
		fx.FlippedTriangles += geometry.OrientConsistently(m)
	}
	fx.RemovedUnreferenced = geometry.CompactVertices(m)
	job.Progress(70)
	after, err := geometry.Analyze(ctx, m, geometry.AnalyzeOptions{Intersections: true})
	if err != nil {
		return nil, err
	}
	job.Progress(85)
	out, err := job.StoreMesh(ctx, m, outputName(job.Source.Name, "repaired", "stl"), meshops.FormatSTLBinary, job.Source.Units)
	if err != nil {
		return nil, err
	}
	return &RepairResult{FileID: out.ID, Before: newReport(before, job.Source.Units), After: newReport(after, job.Source.Units), Fixed: fx}, nil
}

// outputName derives an output file name: part.stl → part-repaired.stl.
func outputName(src, suffix, ext string) string {
	base := src
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base + "-" + suffix + "." + ext
}

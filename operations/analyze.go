package operations

import (
	"context"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// AnalyzeParams: analyze takes no parameters.
type AnalyzeParams struct{}

// Validate accepts everything.
func (p *AnalyzeParams) Validate(*meshops.File) error { return nil }

// AnalyzeResult is analyze's result.
type AnalyzeResult struct {
	Report *Report `json:"report"`
}

// Run reads the mesh and reports on it, self-intersections included.
func (p *AnalyzeParams) Run(ctx context.Context, job *Job) (any, error) {
	m, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	job.Progress(40)
	r, err := geometry.Analyze(ctx, m.Mesh, geometry.AnalyzeOptions{Intersections: true})
	if err != nil {
		return nil, err
	}
	return &AnalyzeResult{Report: newReport(r, job.Source.Units)}, nil
}

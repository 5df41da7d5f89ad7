package operations

import (
	"context"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// ReduceParams: accuracyMm 0…10 (700, required), maxAngle whole degrees
// 0…90 (701, default 30), numberOfIterations 1…1000 (702, default 10),
// optional targetTriangles (at least 4).
type ReduceParams struct {
	AccuracyMm         *float64 `json:"accuracyMm"`
	MaxAngle           *float64 `json:"maxAngle"`
	NumberOfIterations *float64 `json:"numberOfIterations"`
	TargetTriangles    *float64 `json:"targetTriangles"`
}

func newReduceParams() *ReduceParams {
	angle, iters := 30.0, 10.0
	return &ReduceParams{MaxAngle: &angle, NumberOfIterations: &iters}
}

// Validate applies the rules.
func (p *ReduceParams) Validate(*meshops.File) error {
	if p.AccuracyMm == nil {
		return required("accuracyMm", "the largest allowed deviation in mm (0 to 10)")
	}
	if err := inRange(meshops.CodeReduceAccuracy, "accuracyMm", *p.AccuracyMm, 0, 10, "Accuracy (mm)"); err != nil {
		return err
	}
	if err := intInRange(meshops.CodeReduceMaxAngle, "maxAngle", *p.MaxAngle, 0, 90, "Max angle (degrees)"); err != nil {
		return err
	}
	if err := intInRange(meshops.CodeReduceIterations, "numberOfIterations", *p.NumberOfIterations, 1, 1000, "Number of iterations"); err != nil {
		return err
	}
	if t := p.TargetTriangles; t != nil && (*t != float64(int64(*t)) || *t < 4) {
		return meshops.InvalidParam("targetTriangles", "It must be a whole number of at least 4.")
	}
	return nil
}

// ReduceResult is reduce-triangles' result.
type ReduceResult struct {
	FileID             string  `json:"fileId"`
	TrianglesBefore    int     `json:"trianglesBefore"`
	TrianglesAfter     int     `json:"trianglesAfter"`
	MaxDeviationMm     float64 `json:"maxDeviationMm"`
	MaxNormalDeviation float64 `json:"maxNormalDeviation"`
	WatertightBefore   bool    `json:"watertightBefore"`
	WatertightAfter    bool    `json:"watertightAfter"`
	Passes             int     `json:"passes"`
}

// Run simplifies within the bounds (geometry.Simplify) and measures the
// result: deviation both ways through BVHs, and the watertightness.
func (p *ReduceParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m := model.Mesh
	job.Progress(10)
	k := job.Source.Units.MillimetresPer()
	opt := geometry.SimplifyOptions{
		MaxDeviation: *p.AccuracyMm / k, MaxAngle: *p.MaxAngle, Passes: int(*p.NumberOfIterations),
		Progress: func(f float64) { job.Progress(10 + 75*f) },
	}
	if p.TargetTriangles != nil {
		opt.TargetTriangles = int(*p.TargetTriangles)
	}
	// The input's watertightness comes from the simplifier, which
	// classifies every edge anyway: analysing the input as well cost a
	// fifth of a second and 75 MB on a million triangles.
	out, st, err := geometry.Simplify(ctx, m, opt)
	if err != nil {
		return nil, err
	}
	after, err := geometry.Analyze(ctx, out, geometry.AnalyzeOptions{})
	if err != nil {
		return nil, err
	}
	job.Progress(90)
	f, err := job.StoreMesh(ctx, out, outputName(job.Source.Name, "reduced", "stl"), meshops.FormatSTLBinary, job.Source.Units)
	if err != nil {
		return nil, err
	}
	return &ReduceResult{FileID: f.ID, TrianglesBefore: st.TrianglesBefore, TrianglesAfter: st.TrianglesAfter,
		MaxDeviationMm: round6(st.MaxDeviation * k), MaxNormalDeviation: round6(st.MaxNormalDeviation),
		WatertightBefore: st.InputWatertight, WatertightAfter: after.Watertight, Passes: st.Passes}, nil
}

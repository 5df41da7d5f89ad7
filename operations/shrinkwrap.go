package operations

import (
	"context"
	"math"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// ShrinkwrapParams: accuracy Rough | Smooth (default) | Detailed (600).
type ShrinkwrapParams struct {
	Accuracy string `json:"accuracy"`
}

// Validate applies the rule.
func (p *ShrinkwrapParams) Validate(*meshops.File) error {
	return oneOf(meshops.CodeShrinkwrapAccuracy, "accuracy", p.Accuracy, "Rough", "Smooth", "Detailed")
}

// wrapDivisions is the voxel of each accuracy as a fraction of the bounding
// box diagonal. The closing radius is wrapClosing voxels and the wrap lies
// one voxel outside the surface.
var wrapDivisions = map[string]float64{"Rough": 128, "Smooth": 256, "Detailed": 512}

const wrapClosing = 4

// ShrinkwrapResult is shrinkwrap-repair's result.
type ShrinkwrapResult struct {
	FileID              string  `json:"fileId"`
	Before              *Report `json:"before"`
	After               *Report `json:"after"`
	VolumeChangePercent float64 `json:"volumeChangePercent"`
	VoxelMm             float64 `json:"voxelMm"`
	ClosingRadiusMm     float64 `json:"closingRadiusMm"`
	OffsetMm            float64 `json:"offsetMm"`
	Bridges             int     `json:"bridges"`
}

// Run wraps the input in one closed shell, whatever state its triangles
// are in.
func (p *ShrinkwrapParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m := model.Mesh
	before, err := geometry.Analyze(ctx, m, geometry.AnalyzeOptions{})
	if err != nil {
		return nil, err
	}
	job.Progress(10)
	d := before.Dimensions()
	diag := math.Sqrt(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])
	if diag == 0 {
		return nil, meshops.Errorf(meshops.CodeNoGeometry, "The model has no extent to wrap.")
	}
	voxel := diag / wrapDivisions[p.Accuracy]
	out, st, err := geometry.Shrinkwrap(ctx, m, geometry.WrapOptions{
		Voxel: voxel, Closing: wrapClosing * voxel, Offset: voxel, Closed: before.Watertight,
		Progress: func(f float64) { job.Progress(10 + 70*f) },
	})
	if err != nil {
		return nil, err
	}
	after, err := geometry.Analyze(ctx, out, geometry.AnalyzeOptions{})
	if err != nil {
		return nil, err
	}
	job.Progress(90)
	f, err := job.StoreMesh(ctx, out, outputName(job.Source.Name, "wrapped", "stl"), meshops.FormatSTLBinary, job.Source.Units)
	if err != nil {
		return nil, err
	}
	k := job.Source.Units.MillimetresPer()
	res := &ShrinkwrapResult{FileID: f.ID, Before: newReport(before, job.Source.Units), After: newReport(after, job.Source.Units),
		VoxelMm: round6(st.Voxel * k), ClosingRadiusMm: round6(wrapClosing * st.Voxel * k), OffsetMm: round6(st.Voxel * k), Bridges: st.Bridges}
	if v := math.Abs(before.Volume); v > 0 {
		res.VolumeChangePercent = math.Round((after.Volume-v)/v*1e4) / 100
	}
	return res, nil
}

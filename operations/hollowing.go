package operations

import (
	"context"
	"math"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// HollowingParams: wallThicknessMm 1…20 (800, required).
type HollowingParams struct {
	WallThicknessMm *float64 `json:"wallThicknessMm"`
}

// Validate applies the rule.
func (p *HollowingParams) Validate(*meshops.File) error {
	if p.WallThicknessMm == nil {
		return required("wallThicknessMm", "the wall to keep, in mm (1 to 20)")
	}
	return inRange(meshops.CodeHollowWall, "wallThicknessMm", *p.WallThicknessMm, 1, 20, "Wall thickness (mm)")
}

// HollowingResult is hollowing's result.
type HollowingResult struct {
	FileID          string  `json:"fileId"`
	VolumeBeforeMm3 float64 `json:"volumeBeforeMm3"`
	VolumeAfterMm3  float64 `json:"volumeAfterMm3"`
	MinWallMm       float64 `json:"minWallMm"`
	Shells          int     `json:"shells"`
	Cavities        int     `json:"cavities"`
	DroppedCavities int     `json:"droppedCavities"`
	VoxelMm         float64 `json:"voxelMm"`
}

// Run hollows a closed model. An open one fails with 202: its inside is
// not defined, and guessing it would hollow the wrong region; the message
// says to run shrinkwrap-repair (or repair) first.
func (p *HollowingParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m := model.Mesh
	before, err := geometry.Analyze(ctx, m, geometry.AnalyzeOptions{})
	if err != nil {
		return nil, err
	}
	if !before.Watertight {
		return nil, meshops.Errorf(meshops.CodeNoGeometry,
			"The model is not closed (%d boundary edges, %d non-manifold edges), so it has no inside to hollow. Run repair or shrinkwrap-repair on it first and hollow the result.",
			before.BoundaryEdges, before.NonManifoldEdges)
	}
	job.Progress(10)
	k := job.Source.Units.MillimetresPer()
	wall := *p.WallThicknessMm / k
	out, st, err := geometry.Hollow(ctx, m, geometry.HollowOptions{
		Wall: wall, Progress: func(f float64) { job.Progress(10 + 75*f) },
	})
	if err != nil {
		return nil, err
	}
	// The outer surface is the input's and the cavities are disjoint closed
	// shells inside it, so volume and shells follow without a second
	// analysis (the tests check them against one).
	job.Progress(90)
	f, err := job.StoreMesh(ctx, out, outputName(job.Source.Name, "hollowed", "stl"), meshops.FormatSTLBinary, job.Source.Units)
	if err != nil {
		return nil, err
	}
	k3 := k * k * k
	vol := math.Abs(before.Volume)
	return &HollowingResult{FileID: f.ID, VolumeBeforeMm3: round6(vol * k3), VolumeAfterMm3: round6((vol - st.CavityVolume) * k3),
		MinWallMm: round6(st.MinWall * k), Shells: before.Shells + st.Cavities, Cavities: st.Cavities, DroppedCavities: st.Dropped, VoxelMm: round6(st.Voxel * k)}, nil
}

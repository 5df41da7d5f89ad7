package operations

import (
	"context"

	"github.com/meshops/meshops"
)

// ScaleParams: either factor (0.01…10000, code 400) with an optional single
// axis (X, Y or Z, 401), or axis + targetSizeMm, a uniform scale making the
// extent along axis equal the target (implied factor checked against 400).
// Exactly one of factor and targetSizeMm (13).
type ScaleParams struct {
	Factor       *float64 `json:"factor"`
	Axis         *string  `json:"axis"`
	TargetSizeMm *float64 `json:"targetSizeMm"`
}

const (
	minScale = 0.01
	maxScale = 10000
)

// Validate applies the rules, computing the implied factor from the stored
// dimensions.
func (p *ScaleParams) Validate(src *meshops.File) error {
	if (p.Factor == nil) == (p.TargetSizeMm == nil) {
		return meshops.InvalidParam("factor", "Send exactly one of factor and targetSizeMm.")
	}
	axis := -1
	if p.Axis != nil {
		if err := oneOf(meshops.CodeScaleAxis, "axis", *p.Axis, "X", "Y", "Z"); err != nil {
			return err
		}
		axis = int((*p.Axis)[0] - 'X')
	}
	if p.Factor != nil {
		return inRange(meshops.CodeScaleFactor, "factor", *p.Factor, minScale, maxScale, "Scale factor")
	}
	if axis < 0 {
		return required("axis", "targetSizeMm scales so that the extent along this axis (X, Y or Z) becomes the target")
	}
	d, ok := dimensionsMm(src)
	if !ok || d[axis] <= 0 {
		return meshops.ParamErrorf(meshops.CodeScaleFactor, "targetSizeMm", "The model has no extent along %s, so no factor reaches %s mm.", *p.Axis, num(*p.TargetSizeMm))
	}
	f := *p.TargetSizeMm / d[axis]
	if f < minScale || f > maxScale || f != f {
		return meshops.ParamErrorf(meshops.CodeScaleFactor, "targetSizeMm", "Scaling %s mm along %s to %s mm needs a factor of %s, outside 0.01 to 10000.", num(d[axis]), *p.Axis, num(*p.TargetSizeMm), num(f))
	}
	return nil
}

// ScaleResult is scale's result.
type ScaleResult struct {
	FileID       string `json:"fileId"`
	Factors      XYZ    `json:"factors"`
	DimensionsMm XYZ    `json:"dimensionsMm"`
}

// Run scales about the origin, in float64, and writes binary STL in the
// source's units. A negative-determinant scale cannot happen (factors > 0),
// so winding and closedness are kept.
func (p *ScaleParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m := model.Mesh
	f := [3]float64{1, 1, 1}
	switch {
	case p.Factor != nil && p.Axis != nil:
		f[(*p.Axis)[0]-'X'] = *p.Factor
	case p.Factor != nil:
		f = [3]float64{*p.Factor, *p.Factor, *p.Factor}
	default:
		d, _ := dimensionsMm(job.Source)
		k := *p.TargetSizeMm / d[(*p.Axis)[0]-'X']
		f = [3]float64{k, k, k}
	}
	for i, v := range m.Vertices {
		for a := range 3 {
			m.Vertices[i][a] = float32(float64(v[a]) * f[a])
		}
	}
	job.Progress(60)
	out, err := job.StoreMesh(ctx, m, outputName(job.Source.Name, "scaled", "stl"), meshops.FormatSTLBinary, job.Source.Units)
	if err != nil {
		return nil, err
	}
	d, _ := dimensionsMm(out)
	return &ScaleResult{FileID: out.ID, Factors: XYZ{f[0], f[1], f[2]}, DimensionsMm: XYZ{round6(d[0]), round6(d[1]), round6(d[2])}}, nil
}

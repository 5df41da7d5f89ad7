package operations

import (
	"github.com/meshops/meshops"
)

// WallThicknessParams: minWallThicknessMm 0.1…20 (300), accuracy Low |
// Medium | High (301), and no model dimension over 500 mm (302, checked from
// the stored dimensions before queueing).
type WallThicknessParams struct {
	MinWallThicknessMm *float64 `json:"minWallThicknessMm"`
	Accuracy           string   `json:"accuracy"`
}

// Validate applies the rules.
func (p *WallThicknessParams) Validate(src *meshops.File) error {
	if p.MinWallThicknessMm == nil {
		return required("minWallThicknessMm", "the thinnest wall to accept, in mm (0.1 to 20)")
	}
	if err := inRange(meshops.CodeWallThickness, "minWallThicknessMm", *p.MinWallThicknessMm, 0.1, 20, "Minimal wall thickness (mm)"); err != nil {
		return err
	}
	if err := oneOf(meshops.CodeWallAccuracy, "accuracy", p.Accuracy, "Low", "Medium", "High"); err != nil {
		return err
	}
	if d, ok := dimensionsMm(src); ok {
		for i, axis := range []string{"x", "y", "z"} {
			if d[i] > 500 {
				return meshops.ParamErrorf(meshops.CodeModelTooBig, "fileId", "The model is %s mm along %s; no dimension may exceed 500 mm for wall-thickness analysis (scale it down first).", num(d[i]), axis)
			}
		}
	}
	return nil
}

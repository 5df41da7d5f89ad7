package operations

import "github.com/meshops/meshops"

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

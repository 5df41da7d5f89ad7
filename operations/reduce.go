package operations

import (
	"github.com/meshops/meshops"
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

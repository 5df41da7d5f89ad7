package operations

import "github.com/meshops/meshops"

// ShrinkwrapParams: accuracy Rough | Smooth (default) | Detailed (600).
type ShrinkwrapParams struct {
	Accuracy string `json:"accuracy"`
}

// Validate applies the rule.
func (p *ShrinkwrapParams) Validate(*meshops.File) error {
	return oneOf(meshops.CodeShrinkwrapAccuracy, "accuracy", p.Accuracy, "Rough", "Smooth", "Detailed")
}

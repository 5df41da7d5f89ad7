package operations

import (
	"context"

	"github.com/meshops/meshops"
)

// ConversionParams: units of the source (mm, cm, m, inch, ft; code 200).
// When omitted: the unit the file declares (3MF), else the upload's units.
type ConversionParams struct {
	Units *string `json:"units"`
}

// Validate applies the rule.
func (p *ConversionParams) Validate(*meshops.File) error {
	if p.Units != nil {
		if _, err := meshops.ParseUnits(*p.Units); err != nil {
			return err
		}
	}
	return nil
}

// ConversionResult is stl-conversion's result.
type ConversionResult struct {
	FileID             string  `json:"fileId"`
	SourceFormat       string  `json:"sourceFormat"`
	MillimetresPerUnit float64 `json:"millimetresPerUnit"`
	Triangles          int     `json:"triangles"`
	DimensionsMm       XYZ     `json:"dimensionsMm"`
}

// Run reads any supported format and writes binary STL in millimetres.
func (p *ConversionParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	k := job.Source.Units.MillimetresPer()
	switch {
	case p.Units != nil:
		u, _ := meshops.ParseUnits(*p.Units)
		k = u.MillimetresPer()
	case model.MillimetresPerUnit > 0:
		k = model.MillimetresPerUnit
	}
	m := model.Mesh
	if k != 1 {
		for i, v := range m.Vertices {
			m.Vertices[i] = [3]float32{float32(float64(v[0]) * k), float32(float64(v[1]) * k), float32(float64(v[2]) * k)}
		}
	}
	job.Progress(60)
	out, err := job.StoreMesh(ctx, m, outputName(job.Source.Name, "converted", "stl"), meshops.FormatSTLBinary, meshops.UnitsMM)
	if err != nil {
		return nil, err
	}
	d, _ := dimensionsMm(out)
	return &ConversionResult{FileID: out.ID, SourceFormat: string(job.Source.Format), MillimetresPerUnit: k,
		Triangles: len(m.Triangles), DimensionsMm: XYZ{round6(d[0]), round6(d[1]), round6(d[2])}}, nil
}

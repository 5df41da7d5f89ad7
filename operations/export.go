package operations

import (
	"context"

	"github.com/meshops/meshops"
)

// ExportParams: format is one of stl, stl-ascii, obj, ply, off, 3mf, glb,
// gltf (900 naming the format otherwise).
type ExportParams struct {
	Format string `json:"format"`
}

var exportFormats = map[string]meshops.Format{
	"stl": meshops.FormatSTLBinary, "stl-ascii": meshops.FormatSTLASCII, "obj": meshops.FormatOBJ, "ply": meshops.FormatPLY,
	"off": meshops.FormatOFF, "3mf": meshops.Format3MF, "glb": meshops.FormatGLB, "gltf": meshops.FormatGLTF,
}

// Validate applies the rule.
func (p *ExportParams) Validate(*meshops.File) error {
	if p.Format == "" {
		return required("format", "one of stl, stl-ascii, obj, ply, off, 3mf, glb, gltf")
	}
	if _, ok := exportFormats[p.Format]; !ok {
		return meshops.ParamErrorf(meshops.CodeExportFormat, "format", "Export format '%s' is not supported: use stl, stl-ascii, obj, ply, off, 3mf, glb or gltf.", p.Format)
	}
	return nil
}

// ExportResult is export's result.
type ExportResult struct {
	FileID    string `json:"fileId"`
	Format    string `json:"format"`
	SizeBytes int64  `json:"sizeBytes"`
}

// Run writes the mesh in the asked format. 3MF carries a unit: the mesh is
// written in millimetres, so models in other units are converted for it.
func (p *ExportParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m := model.Mesh
	units := job.Source.Units
	f := exportFormats[p.Format]
	if f == meshops.Format3MF && units != meshops.UnitsMM {
		k := units.MillimetresPer()
		for i, v := range m.Vertices {
			m.Vertices[i] = [3]float32{float32(float64(v[0]) * k), float32(float64(v[1]) * k), float32(float64(v[2]) * k)}
		}
		units = meshops.UnitsMM
	}
	job.Progress(50)
	ext := p.Format
	if ext == "stl-ascii" {
		ext = "stl"
	}
	out, err := job.StoreMesh(ctx, m, outputName(job.Source.Name, "export", ext), f, units)
	if err != nil {
		return nil, err
	}
	return &ExportResult{FileID: out.ID, Format: p.Format, SizeBytes: out.SizeBytes}, nil
}

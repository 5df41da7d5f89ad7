package operations

import (
	"context"
	"io"
	"math"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
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

// wallSamples is how many surface samples each accuracy measures, spread
// evenly over the area (spacing ≈ √(area / samples)).
var wallSamples = map[string]int{"Low": 5_000, "Medium": 20_000, "High": 100_000}

// WallThicknessResult is wall-thickness-analysis's result (lengths in mm).
type WallThicknessResult struct {
	HasThinWalls      bool         `json:"hasThinWalls"`
	MinThicknessMm    float64      `json:"minThicknessMm"`
	ThinAreaMm2       float64      `json:"thinAreaMm2"`
	ThinAreaPercent   float64      `json:"thinAreaPercent"`
	ThinRegions       []ThinRegion `json:"thinRegions"`
	Histogram         Histogram    `json:"histogram"`
	FileID            string       `json:"fileId"`
	Samples           int          `json:"samples"`
	SampleSpacingMm   float64      `json:"sampleSpacingMm"`
	UnmeasuredSamples int          `json:"unmeasuredSamples"`
}

// ThinRegion is a connected patch thinner than minWallThicknessMm.
type ThinRegion struct {
	BBoxMm         BBox    `json:"bboxMm"`
	AreaMm2        float64 `json:"areaMm2"`
	MinThicknessMm float64 `json:"minThicknessMm"`
	Triangles      int     `json:"triangles"`
}

// Histogram is the measured area by thickness: ten bins from 0 to twice
// the minimum wall, and the area above.
type Histogram struct {
	BinEdgesMm   []float64 `json:"binEdgesMm"`
	AreaMm2      []float64 `json:"areaMm2"`
	AboveAreaMm2 float64   `json:"aboveAreaMm2"`
}

// Run measures the walls and stores a PLY whose vertices carry their
// thickness (property "thickness", mm) and a colour: red below the minimum
// wall, through yellow to green at twice it; grey where not measured.
func (p *WallThicknessParams) Run(ctx context.Context, job *Job) (any, error) {
	model, err := job.LoadModel(ctx)
	if err != nil {
		return nil, err
	}
	m := model.Mesh
	k := job.Source.Units.MillimetresPer()
	wall := *p.MinWallThicknessMm
	job.Progress(10)
	// The ball only needs to resolve walls up to twice the minimum (the top
	// of the histogram and of the colour scale), so its radius stops at the
	// minimum wall; thicker ones are measured by the ray alone.
	th, err := geometry.WallThickness(ctx, m, wallSamples[p.Accuracy], wall/k, func(f float64) { job.Progress(10 + 70*f) })
	if err != nil {
		return nil, err
	}
	res := &WallThicknessResult{Samples: len(th.Samples), SampleSpacingMm: round6(math.Sqrt(th.SampleArea) * k), MinThicknessMm: math.Inf(1)}
	areaMm2 := th.SampleArea * k * k
	res.Histogram.AreaMm2 = make([]float64, 10)
	for i := range 11 {
		res.Histogram.BinEdgesMm = append(res.Histogram.BinEdgesMm, round6(2*wall*float64(i)/10))
	}
	var measuredArea float64
	for _, s := range th.Samples {
		t := s.Thickness * k
		if math.IsNaN(t) {
			res.UnmeasuredSamples++
			continue
		}
		measuredArea += areaMm2
		res.MinThicknessMm = math.Min(res.MinThicknessMm, t)
		if t < wall {
			res.ThinAreaMm2 += areaMm2
		}
		if bin := int(t / (2 * wall) * 10); bin < 10 {
			res.Histogram.AreaMm2[bin] += areaMm2
		} else {
			res.Histogram.AboveAreaMm2 += areaMm2
		}
	}
	if math.IsInf(res.MinThicknessMm, 1) {
		res.MinThicknessMm = 0
	}
	res.HasThinWalls = res.ThinAreaMm2 > 0
	if measuredArea > 0 {
		res.ThinAreaPercent = round6(100 * res.ThinAreaMm2 / measuredArea)
	}
	res.MinThicknessMm, res.ThinAreaMm2 = round6(res.MinThicknessMm), round6(res.ThinAreaMm2)
	for i := range res.Histogram.AreaMm2 {
		res.Histogram.AreaMm2[i] = round6(res.Histogram.AreaMm2[i])
	}
	res.Histogram.AboveAreaMm2 = round6(res.Histogram.AboveAreaMm2)
	regions := th.ThinRegions(m, wall/k)
	res.ThinRegions = []ThinRegion{}
	for _, r := range regions[:min(len(regions), 100)] {
		tr := ThinRegion{AreaMm2: round6(r.Area * k * k), MinThicknessMm: round6(r.MinThickness * k), Triangles: r.Triangles}
		for i := range 3 {
			tr.BBoxMm.Min[i], tr.BBoxMm.Max[i] = round6(r.Min[i]*k), round6(r.Max[i]*k)
		}
		res.ThinRegions = append(res.ThinRegions, tr)
	}
	job.Progress(85)
	// Each triangle gets its own three vertices carrying its value, so large
	// CAD facets show their own thickness instead of blending with every
	// neighbour's at shared vertices. (Very large scans keep shared vertices.)
	write := func(w io.Writer) error {
		return geometry.WritePLYFacetScalars(w, m, "thickness", func(tri int) (float32, [3]uint8) {
			t := float64(th.PerTri[tri]) * k
			return float32(t), thicknessColour(t, wall)
		})
	}
	if len(m.Triangles) > 2_000_000 {
		scalar := make([]float32, len(th.PerVertex))
		colours := make([][3]uint8, len(th.PerVertex))
		for i, t := range th.PerVertex {
			scalar[i] = float32(float64(t) * k)
			colours[i] = thicknessColour(float64(t)*k, wall)
		}
		write = func(w io.Writer) error { return geometry.WritePLYScalars(w, m, "thickness", scalar, colours) }
	}
	out, err := job.Store(ctx, Output{Name: outputName(job.Source.Name, "thickness", "ply"), Format: meshops.FormatPLY, Units: job.Source.Units, Write: write})
	if err != nil {
		return nil, err
	}
	res.FileID = out.ID
	return res, nil
}

// thicknessColour maps a thickness to red (below the wall), yellow (at it)
// and green (twice it or more); grey if unknown.
func thicknessColour(t, wall float64) [3]uint8 {
	if math.IsNaN(t) {
		return [3]uint8{150, 150, 150}
	}
	x := t / wall
	switch {
	case x < 1:
		return [3]uint8{220, uint8(40 + 120*x), 40}
	case x < 2:
		f := x - 1
		return [3]uint8{uint8(230 - 170*f), uint8(200 - 20*f), 50}
	}
	return [3]uint8{60, 180, 75}
}

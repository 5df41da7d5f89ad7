package operations

import (
	"math"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// Report is the analysis report of API.md, lengths in millimetres.
type Report struct {
	Triangles             int     `json:"triangles"`
	Vertices              int     `json:"vertices"`
	Shells                int     `json:"shells"`
	VolumeMm3             float64 `json:"volumeMm3"`
	SurfaceAreaMm2        float64 `json:"surfaceAreaMm2"`
	DimensionsMm          XYZ     `json:"dimensionsMm"`
	BBoxMm                BBox    `json:"bboxMm"`
	Watertight            bool    `json:"watertight"`
	BoundaryEdges         int     `json:"boundaryEdges"`
	Holes                 int     `json:"holes"`
	NonManifoldEdges      int     `json:"nonManifoldEdges"`
	NonManifoldVertices   int     `json:"nonManifoldVertices"`
	DegenerateTriangles   int     `json:"degenerateTriangles"`
	DuplicateTriangles    int     `json:"duplicateTriangles"`
	MisorientedEdges      int     `json:"misorientedEdges"`
	InvertedNormals       int     `json:"invertedNormals"`
	IntersectingTriangles int     `json:"intersectingTriangles"`
	Units                 string  `json:"units"` // the source file's declared units
}

// XYZ is a vector in mm.
type XYZ struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	Z float64 `json:"z"`
}

// BBox is a box in mm.
type BBox struct {
	Min [3]float64 `json:"min"`
	Max [3]float64 `json:"max"`
}

// round6 keeps reports readable: 6 significant decimals in mm is 1 nm.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func newReport(r *geometry.Report, units meshops.Units) *Report {
	k := units.MillimetresPer()
	d := r.Dimensions()
	out := &Report{
		Triangles: r.Triangles, Vertices: r.Vertices, Shells: r.Shells,
		VolumeMm3: round6(r.Volume * k * k * k), SurfaceAreaMm2: round6(r.SurfaceArea * k * k),
		DimensionsMm: XYZ{round6(d[0] * k), round6(d[1] * k), round6(d[2] * k)},
		Watertight:   r.Watertight, BoundaryEdges: r.BoundaryEdges, Holes: r.Holes,
		NonManifoldEdges: r.NonManifoldEdges, NonManifoldVertices: r.NonManifoldVertices,
		DegenerateTriangles: r.DegenerateTriangles, DuplicateTriangles: r.DuplicateTriangles,
		MisorientedEdges: r.MisorientedEdges, InvertedNormals: r.InvertedNormals,
		IntersectingTriangles: r.IntersectingTriangles, Units: string(units),
	}
	for i := range 3 {
		out.BBoxMm.Min[i], out.BBoxMm.Max[i] = round6(r.Min[i]*k), round6(r.Max[i]*k)
	}
	return out
}

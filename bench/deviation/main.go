// Command deviation compares a reduced mesh with its original the same way
// for every tool: the two-sided distance, bracketed by
// geometry.DeviationBounds to within 0.5 % (deviationMm is the upper end,
// deviationLowMm the lower; a fixed sampling grid had missed peaks by up to
// a quarter), and the topology of the reduced mesh.
//
//	go run ./bench/deviation ORIGINAL REDUCED
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/meshops/meshops/geometry"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: deviation ORIGINAL REDUCED")
		os.Exit(2)
	}
	ctx := context.Background()
	read := func(p string) *geometry.Mesh {
		m, err := geometry.ReadModelFile(p, geometry.Limits{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return m.Mesh
	}
	in, out := read(os.Args[1]), read(os.Args[2])
	const rel = 0.005
	outInLo, outIn, _ := geometry.DeviationBounds(ctx, out, in, rel)
	inOutLo, inOut, _ := geometry.DeviationBounds(ctx, in, out, rel)
	r, _ := geometry.Analyze(ctx, out, geometry.AnalyzeOptions{Intersections: true})
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"file": os.Args[2], "triangles": len(out.Triangles), "deviationMm": max(outIn, inOut), "deviationLowMm": max(outInLo, inOutLo),
		"outToIn": outIn, "inToOut": inOut, "watertight": r.Watertight, "boundaryEdges": r.BoundaryEdges,
		"nonManifoldEdges": r.NonManifoldEdges, "shells": r.Shells, "intersecting": r.IntersectingTriangles,
	})
}

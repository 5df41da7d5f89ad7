// Command deviation compares a reduced mesh with its original the same way
// for every tool: the two-sided distance by dense BVH sampling (a grid with
// 4 subdivisions per edge on every facet, both ways), and the topology of
// the reduced mesh.
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
	outIn, _ := geometry.Deviation(ctx, out, in, 4)
	inOut, _ := geometry.Deviation(ctx, in, out, 4)
	r, _ := geometry.Analyze(ctx, out, geometry.AnalyzeOptions{Intersections: true})
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"file": os.Args[2], "triangles": len(out.Triangles), "deviationMm": max(outIn, inOut),
		"outToIn": outIn, "inToOut": inOut, "watertight": r.Watertight, "boundaryEdges": r.BoundaryEdges,
		"nonManifoldEdges": r.NonManifoldEdges, "shells": r.Shells, "intersecting": r.IntersectingTriangles,
	})
}

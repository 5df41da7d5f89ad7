// Command meshbench runs one geometry step on a file as a whole command, so
// that scripts can time it against peer tools (admesh, assimp) in one run:
//
//	meshbench analyze [-intersections] FILE     print the analysis as JSON
//	meshbench export FILE OUT                   convert (format from OUT's extension)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/meshops/meshops/geometry"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: meshbench analyze [-intersections] FILE | meshbench export FILE OUT")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	isect := fs.Bool("intersections", false, "also count self-intersecting triangles")
	fs.Parse(os.Args[2:])
	m, err := read(fs.Arg(0))
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "analyze":
		r, err := geometry.Analyze(context.Background(), m, geometry.AnalyzeOptions{Intersections: *isect})
		if err != nil {
			fail(err)
		}
		json.NewEncoder(os.Stdout).Encode(r)
	case "export":
		out := fs.Arg(1)
		f, err := os.Create(out)
		if err != nil {
			fail(err)
		}
		if strings.HasSuffix(out, ".ascii.stl") {
			err = geometry.WriteSTLASCII(f, m, "meshbench")
		} else {
			format, _ := geometry.FormatForName(out)
			err = geometry.WriteModel(f, m, format, "meshbench")
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown step %q", os.Args[1]))
	}
}

func read(path string) (*geometry.Mesh, error) {
	m, err := geometry.ReadModelFile(path, geometry.Limits{})
	if err != nil {
		return nil, err
	}
	return m.Mesh, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "meshbench:", err)
	os.Exit(1)
}

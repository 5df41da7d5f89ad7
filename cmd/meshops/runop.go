package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/internal/hugeheap"
	"github.com/meshops/meshops/operations"
)

// runOperation is `meshops run OPERATION [--param value …] INPUT [-o OUTPUT]`:
// one operation on a local file, through the service's registry and
// validation. Parameter values are read as JSON when they parse (numbers,
// true/false) and as strings otherwise. Exit status: 0 success, 2 a
// parameter error (the numbered error is printed), 1 anything else.
func runOperation(ctx context.Context, args []string, stdout, stderr io.Writer, report func(pct float64)) int {
	if len(args) < 2 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: meshops run OPERATION [--param value …] INPUT [-o OUTPUT] [--input-units mm|cm|m|inch|ft]")
		fmt.Fprintf(stderr, "operations: %s\n", strings.Join(operations.Default().Types(), ", "))
		return exitUsage
	}
	typ := args[0]
	params := map[string]json.RawMessage{}
	var input, output string
	units := meshops.UnitsMM
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "-o" || a == "--output" || a == "--input-units" || strings.HasPrefix(a, "--"):
			if i+1 >= len(rest) {
				fmt.Fprintf(stderr, "meshops run: %s needs a value\n", a)
				return exitUsage
			}
			v := rest[i+1]
			i++
			switch a {
			case "-o", "--output":
				output = v
			case "--input-units":
				u, err := meshops.ParseUnits(v)
				if err != nil {
					return printError(stderr, err)
				}
				units = u
			default:
				if json.Valid([]byte(v)) && !strings.HasPrefix(v, `"`) {
					params[strings.TrimPrefix(a, "--")] = json.RawMessage(v)
				} else {
					b, _ := json.Marshal(v)
					params[strings.TrimPrefix(a, "--")] = b
				}
			}
		case input == "":
			input = a
		default:
			fmt.Fprintf(stderr, "meshops run: unexpected argument %q (one INPUT only)\n", a)
			return exitUsage
		}
	}
	if input == "" {
		fmt.Fprintln(stderr, "meshops run: INPUT file missing")
		return exitUsage
	}
	if reserveHeap {
		// Neither allocation below may set off a collection: the one that
		// did paid for marking the heap first (4 ms).
		gc := debug.SetGCPercent(-1)
		if st, err := os.Stat(input); err == nil {
			if st.Size() <= 8<<20 {
				// A small model's run is short and its heap small: left to
				// itself, the collector would run a dozen times on a heap
				// under 15 MB, a tenth of the run. A ballast it counts as
				// live (never touched, so it takes no memory) lets it
				// start at about 64 MB instead.
				ballast := make([]byte, 32<<20)
				defer runtime.KeepAlive(ballast)
			}
			hugeheap.Reserve(int(min(max(12*st.Size(), 64<<20), 4<<30)))
		}
		debug.SetGCPercent(gc)
	}
	res, err := operations.RunLocal(ctx, operations.Default(), typ, params, input, output, units, report)
	if err != nil {
		return printError(stderr, err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.Encode(res)
	return exitOK
}

// reserveHeap says this is the process's own command (set by main, not by
// tests driving run): the heap it is about to need may be reserved up
// front and backed by huge pages (internal/hugeheap), sized from the input
// (the operations use about a dozen bytes per byte of binary STL).
var reserveHeap bool

// printError prints a numbered error as the API's JSON body and maps it to
// the exit status: 2 for parameter and request errors, 1 otherwise.
func printError(stderr io.Writer, err error) int {
	me, ok := meshops.AsError(err)
	if !ok {
		fmt.Fprintf(stderr, "meshops run: %v\n", err)
		return exitError
	}
	body := map[string]any{"code": int(me.Code), "message": me.Message}
	if me.Param != "" {
		body["parameter"] = me.Param
	}
	b, _ := json.Marshal(map[string]any{"error": body})
	fmt.Fprintln(stderr, string(b))
	switch c := me.Code; {
	case c == meshops.CodeInvalidRequest, c == meshops.CodeUnsupportedUnit, c >= 300 && c <= 999:
		return exitUsage
	}
	return exitError
}

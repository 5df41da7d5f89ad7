package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

const usage = `meshops prepares 3D models for printing.

Usage:
  meshops serve [flags]               run the HTTP API (embedded SQLite + local disk by default)
  meshops keys create --name NAME     create an API key; prints it once, alone on the first line
  meshops keys list                   list keys (never their secrets)
  meshops keys revoke NAME|ID         revoke a key; it stops working on the next request
  meshops run OPERATION [--param value …] INPUT [-o OUTPUT]
                                      run one operation on a local file (exit 0 ok, 2 parameter error, 1 failure)
  meshops help                        this text

Every flag can also be set in the environment as MESHOPS_<FLAG>, e.g.
MESHOPS_ADDR=0.0.0.0:8080 or MESHOPS_DATA_DIR=/var/lib/meshops. Flags win over
the environment. Run 'meshops serve -h' for the serve flags.
`

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run is main without the process: arguments, environment and streams come
// in, an exit status goes out, so that tests can drive every subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[1] {
	case "serve":
		err = serve(ctx, args[2:], getenv, stdout, stderr)
	case "keys":
		err = keys(ctx, args[2:], getenv, stdout, stderr)
	case "run":
		// MESHOPS_CPUPROFILE=FILE writes a CPU profile of the whole
		// command (for `go tool pprof`; see BENCHMARKS.md).
		if path := getenv("MESHOPS_CPUPROFILE"); path != "" {
			if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
				defer f.Close()
				defer pprof.StopCPUProfile()
			}
		}
		// MESHOPS_MEMPROFILE=FILE writes where the command allocated
		// (pprof's alloc_space and inuse_space at the end, sampled every
		// 64 KiB).
		if path := getenv("MESHOPS_MEMPROFILE"); path != "" {
			runtime.MemProfileRate = 64 << 10
			defer func() {
				runtime.GC() // the profile shows allocations up to the last collection
				if f, err := os.Create(path); err == nil {
					pprof.Lookup("allocs").WriteTo(f, 0)
					f.Close()
				}
			}()
		}
		// MESHOPS_PROGRESS=1 prints the operation's progress to stderr,
		// with the time since the command started.
		var report func(float64)
		if getenv("MESHOPS_PROGRESS") != "" {
			start := time.Now()
			report = func(pct float64) {
				fmt.Fprintf(stderr, "progress %5.1f%% at %.3f s\n", pct, time.Since(start).Seconds())
			}
		}
		return runOperation(ctx, args[2:], stdout, stderr, report)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "meshops: unknown command %q\n\n%s", args[1], usage)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "meshops: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "meshops: %v\n", err)
		return exitError
	}
}

type usageError struct{ error }

// parseFlags parses args into fs after taking defaults from MESHOPS_<FLAG>
// environment variables (flag "max-file-bytes" ← MESHOPS_MAX_FILE_BYTES).
// Flags may come before or after positional arguments ("keys revoke NAME
// --data-dir X" works); the positionals are returned in order.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) ([]string, error) {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "MESHOPS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = usageError{fmt.Errorf("%s=%q: %v", name, v, err)}
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// Command meshops is the meshops service and its admin tool: `meshops serve`
// runs the HTTP API, `meshops keys` manages API keys. Run `meshops help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	reserveHeap = true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

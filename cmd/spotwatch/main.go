// Command spotwatch tells whether Spotify's "Error Code 4" or "Error Code 7" is your internet or
// something blocking Spotify, what exactly, and how to fix it. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spotwatch/spotwatch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

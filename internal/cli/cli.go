// Package cli implements spotwatch's commands: it parses flags, loads the configuration and wires
// the other packages together. It holds no logic of its own beyond presentation.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/monitor"
)

// Exit statuses besides the Spotify error codes a check returns.
const (
	exitOK       = 0
	exitInternal = 1
	exitUsage    = 2
)

const usage = `spotwatch tells whether Spotify's "Error Code 4" or "Error Code 7" is your internet or
something blocking Spotify, what exactly, and how to fix it.

Usage:
  spotwatch check [--json] [--config FILE]   run one check and print the diagnosis
  spotwatch daemon [--config FILE]           run the monitor and its local status API (what the service runs)
  spotwatch status [--json] [--history]      ask the running daemon for the state
  spotwatch run [--config FILE]              monitor with tray icon and notifications, in one process
  spotwatch tray [--config FILE]             tray icon and notifications for the daemon (checks itself if none)
  spotwatch install [--user|--system]        install and start the service and the tray's autostart
  spotwatch uninstall [--user|--system] [--purge]   remove them (the history stays without --purge)
  spotwatch start|stop|restart [--user|--system]    control the installed service
  spotwatch version                          print the version
  spotwatch help                             show this help

Exit status of check: 0 Spotify reachable, 4 no internet (Spotify's Code 4),
7 something blocks Spotify (Code 7), 1 internal error, 2 usage or configuration error.
Run 'spotwatch COMMAND --help' for a command's flags.
`

// Main runs the command in args and returns the process exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "daemon":
		return runDaemon(ctx, args[1:], stderr)
	case "status":
		return runStatus(ctx, args[1:], stdout, stderr)
	case "install", "uninstall", "start", "stop", "restart":
		return runService(ctx, args[0], args[1:], stdout, stderr)
	case "tray":
		return runTray(ctx, args[1:], stderr)
	case "run":
		return runRun(ctx, args[1:], stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "spotwatch %s\n", monitor.Version)
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "spotwatch: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

// parseArgs parses a command's flags. It returns ok=false with the exit status when the command
// must not run: --help (0), a bad flag or an unexpected argument (2, said on stderr).
func parseArgs(fs *flag.FlagSet, args []string, stderr io.Writer) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spotwatch %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return 0, true
}

// loadConfig reads the file given with --config, or else the per-user file if there is one,
// or else the defaults.
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	cfg, _, err := config.LoadDefault()
	return cfg, err
}

// newLogger logs to stderr at the configured level, as text or JSON.
func newLogger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// isTerminal reports whether w is a terminal that colour can be used on.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

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
	"github.com/spotwatch/spotwatch/internal/version"
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
  spotwatch help [COMMAND]                   show this help, or a command's help and flags

Exit status of check: 0 Spotify reachable, 4 no internet (Spotify's Code 4),
7 something blocks Spotify (Code 7), 1 internal error, 2 usage or configuration error.
Run 'spotwatch help COMMAND' (or 'spotwatch COMMAND --help') for a command's flags.
`

// command is one of spotwatch's commands. Run with the single argument "--help", a command
// prints its help on its stderr writer, returns 0 and does nothing else: `help COMMAND` relies
// on that.
type command struct {
	name string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists every command, in the order of the general help.
func commands() []command {
	service := func(action string) command {
		return command{action, func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return runService(ctx, action, args, stdout, stderr)
		}}
	}
	return []command{
		{"check", runCheck},
		{"daemon", func(ctx context.Context, args []string, _, stderr io.Writer) int { return runDaemon(ctx, args, stderr) }},
		{"status", runStatus},
		{"run", func(ctx context.Context, args []string, _, stderr io.Writer) int { return runRun(ctx, args, stderr) }},
		{"tray", func(ctx context.Context, args []string, _, stderr io.Writer) int { return runTray(ctx, args, stderr) }},
		service("install"),
		service("uninstall"),
		service("start"),
		service("stop"),
		service("restart"),
		{"version", runVersion},
		{"help", runHelp},
	}
}

// findCommand returns the command called name.
func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Main runs the command in args and returns the process exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "--version", "-version":
		name = "version"
	case "-h", "--help", "-help":
		name = "help"
	}
	c, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "spotwatch: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

// runVersion is `spotwatch version`.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: spotwatch version\n\nPrints spotwatch's version.\n")
	}
	if status, ok := parseArgs(fs, args, stderr); !ok {
		return status
	}
	fmt.Fprintf(stdout, "spotwatch %s\n", version.Version)
	return exitOK
}

// runHelp is `spotwatch help [COMMAND]`: the general help, or COMMAND's own help and flags,
// on stdout.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("help", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: spotwatch help [COMMAND]\n\nPrints the general help, or COMMAND's help and flags.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "spotwatch help: unexpected argument %q\n", fs.Arg(1))
		return exitUsage
	}
	c, ok := findCommand(fs.Arg(0))
	if !ok {
		fmt.Fprintf(stderr, "spotwatch help: unknown command %q; the commands are: %s\n", fs.Arg(0), commandNames())
		return exitUsage
	}
	return c.run(ctx, []string{"--help"}, stdout, stdout)
}

// commandNames is the commands' names, comma-separated.
func commandNames() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
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

// printFlags lists fs's flags on its output, spelled as the usage lines and the README spell
// them: with two dashes (the flag package accepts one or two).
func printFlags(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintln(w, "Flags:")
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		synopsis := "--" + f.Name
		if arg != "" {
			synopsis += " " + arg
		}
		fmt.Fprintf(w, "  %s\n        %s", synopsis, text)
		switch f.DefValue {
		case "", "false", "0":
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
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

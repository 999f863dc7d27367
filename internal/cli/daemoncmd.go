package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/daemon"
)

// daemonProcs is the parallelism a background monitor needs. Setting it explicitly also stops
// the Go runtime's periodic re-reading of the cgroup CPU limit, which would otherwise wake an
// idle daemon every second.
const daemonProcs = 2

// daemonFlags are the flags of `spotwatch daemon`.
type daemonFlags struct {
	configPath string
	system     bool
}

func parseDaemonFlags(name string, args []string, stderr io.Writer) (daemonFlags, int, bool) {
	var f daemonFlags
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.configPath, "config", "", "configuration `FILE` (default: the per-user config file if present, else built-in defaults)")
	fs.BoolVar(&f.system, "system", false, "run as the system-wide service (system paths for the socket and history)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spotwatch %s [--config FILE] [--system]\n\nRuns the monitor in the foreground with the local status API (what the OS service runs).\nSIGHUP reloads the configuration; an invalid new configuration is logged and the old one kept.\n\n", name)
		printFlags(fs)
	}
	status, ok := parseArgs(fs, args, stderr)
	return f, status, ok
}

// runDaemon is `spotwatch daemon`: the flags and the configuration for daemon.Run, which runs
// until SIGINT or SIGTERM.
func runDaemon(ctx context.Context, args []string, stderr io.Writer) int {
	flags, status, ok := parseDaemonFlags("daemon", args, stderr)
	if !ok {
		return status
	}
	cfg, cfgPath, err := loadConfigPath(flags.configPath)
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return exitUsage
	}
	runtime.GOMAXPROCS(min(daemonProcs, runtime.NumCPU()))
	err = daemon.Run(ctx, daemon.Options{Config: cfg, ConfigPath: cfgPath, System: flags.system, Stderr: stderr})
	var cfgErr *daemon.ConfigError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &cfgErr):
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return exitInternal
	}
}

// loadConfigPath is loadConfig, also returning the file's path ("" for the defaults).
func loadConfigPath(path string) (*config.Config, string, error) {
	if path != "" {
		cfg, err := config.Load(path)
		return cfg, path, err
	}
	return config.LoadDefault()
}

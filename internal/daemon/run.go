// Package daemon assembles `spotwatch daemon`, what the OS service runs: the monitor with its
// durable history (whose lock keeps a second daemon off the same state directory), the local
// status API on its socket, optional metrics, re-checks on network changes, and reloading the
// configuration on SIGHUP or when its file changes, until the context ends. It draws nothing
// and notifies no one: a Windows service lives in session 0 and a Linux system service has no
// user D-Bus; the tray is a client of the status API.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/netwatch"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/probe"
	"github.com/spotwatch/spotwatch/svc"
)

// Options are what a daemon runs with. Config is required; the zero value of every other field
// is what `spotwatch daemon` uses.
type Options struct {
	Config     *config.Config // the configuration to start with
	ConfigPath string         // its file, reloaded on SIGHUP and when it changes; "" = built-in defaults, nothing to reload
	System     bool           // the system-wide service: system paths, and a configuration only administrators may change

	Stderr io.Writer    // where the log goes (besides log.file); nil = os.Stderr
	Logger *slog.Logger // nil = a logger per the configuration's log settings on Stderr and log.file

	HistoryPath string        // the history file, whose directory is the state directory; "" = history.DefaultPath(System)
	Check       probe.Options // how checks are made (tests: the loopback world's roots, a clean environment); Logger is set by Run
	ConfigPoll  time.Duration // how often the config file is looked at for changes; 0 = every 5 s
}

// ConfigError is an error in what Run was given rather than a failure of the daemon: a system
// daemon's configuration others may change, a log file that cannot be opened. A command exits
// with a usage status (2) for it.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// errServiceManager is Run's error when the service manager could not be joined (said on
// standard error by svc.RunDaemon).
var errServiceManager = errors.New("the daemon did not run under the service manager")

// Run runs the daemon until ctx ends, then stops it: the socket is closed and removed, the
// history written and its lock released before Run returns. A second daemon on the same
// state directory is refused with an error naming the lock and the running daemon. Under the
// Windows service manager it answers its start and stop requests, and the log also goes where
// the service manager collects it (the Event Log; syslog under SysV init and OpenRC).
func Run(ctx context.Context, opts Options) error {
	if opts.Config == nil {
		return &ConfigError{errors.New("daemon: no configuration")}
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if err := refuseUnsafeConfig(opts.System, opts.ConfigPath); err != nil {
		return &ConfigError{err}
	}
	log := opts.Logger
	if log == nil {
		l, closeLog, err := NewLogger(opts.Config, opts.Stderr)
		if err != nil {
			return &ConfigError{err}
		}
		defer closeLog()
		log = l
	}
	var startErr error
	code := serviceDaemon(ctx, opts.Config, log, func(ctx context.Context, log *slog.Logger) int {
		d, err := start(ctx, opts, log)
		if err != nil {
			log.Error("starting the daemon", "err", err)
			startErr = err
			return 1
		}
		d.wait()
		return 0
	})
	switch {
	case startErr != nil:
		return startErr
	case code != 0:
		return errServiceManager
	}
	return nil
}

// refuseUnsafeConfig is why a system daemon must refuse its configuration file, or nil: users
// other than administrators could change the file (they could point its log file, socket and
// checks anywhere). Checked before anything is opened.
func refuseUnsafeConfig(system bool, cfgPath string) error {
	if !system || cfgPath == "" {
		return nil
	}
	if err := svc.CheckFile(cfgPath); err != nil {
		return fmt.Errorf("refusing the configuration of a system daemon: %w", err)
	}
	return nil
}

// serviceDaemon runs the daemon the way the service manager that started it expects: the log
// also goes to the service logger where the manager does not collect standard error (the
// Windows Event Log; syslog under SysV init and OpenRC), and under the Windows SCM the start
// and stop requests are answered. run starts the daemon and blocks until ctx ends.
func serviceDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger, run func(context.Context, *slog.Logger) int) int {
	h, closeHandler, err := svc.ServiceLogHandler(cfg.Log.SlogLevel())
	switch {
	case err != nil:
		log.Warn("logging to standard error only", "err", err.Error())
	case h != nil:
		defer closeHandler()
		log = slog.New(slog.NewMultiHandler(log.Handler(), h))
	}
	return svc.RunDaemon(ctx, func(ctx context.Context) int { return run(ctx, log) })
}

// newLogger logs to w at the configured level, as text or JSON.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Log.SlogLevel()}
	if strings.EqualFold(cfg.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// WatchNetwork re-checks m on route, address and power changes; where the OS offers no events
// it polls.
func WatchNetwork(ctx context.Context, m *monitor.Monitor, log *slog.Logger) {
	onChange := func(c netwatch.Change) {
		log.Debug("network changed", "reason", c.Reason)
		m.NetworkChanged()
	}
	err := netwatch.Watch(ctx, onChange, log)
	if err == nil || ctx.Err() != nil {
		return
	}
	log.Warn("network events unavailable, polling instead", "err", err)
	if err := netwatch.NewPoller(10*time.Second).Watch(ctx, onChange, log); err != nil && ctx.Err() == nil {
		log.Error("network polling stopped", "err", err)
	}
}

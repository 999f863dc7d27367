package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/daemon"
	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/probe"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/svc"
	"github.com/spotwatch/spotwatch/tray"
)

// daemonProbeTimeout bounds asking a socket whether a daemon answers on it.
const daemonProbeTimeout = 3 * time.Second

// localHistory is how many state changes an in-process monitor keeps for "Open history".
const localHistory = 1000

// parseUIFlags parses the flags of `spotwatch tray` and `spotwatch run`.
func parseUIFlags(name, what string, args []string, stderr io.Writer) (configPath string, status int, ok bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&configPath, "config", "", "configuration `FILE` (default: the per-user config file if present, else built-in defaults)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spotwatch %s [--config FILE]\n\n%s\n\n", name, what)
		printFlags(fs)
	}
	status, ok = parseArgs(fs, args, stderr)
	return configPath, status, ok
}

// runTray is `spotwatch tray`: the tray icon and notifications of the running daemon
// (following it across restarts), or, with no daemon, of a monitor in this process.
func runTray(ctx context.Context, args []string, stderr io.Writer) int {
	path, status, ok := parseUIFlags("tray", "Shows the tray icon, its menu and desktop notifications for the running spotwatch daemon\n"+
		"(reconnecting when it restarts); with no daemon running, checks in this process instead.", args, stderr)
	if !ok {
		return status
	}
	cfg, log, closeLog, status := uiSetup(path, stderr)
	if cfg == nil {
		return status
	}
	defer closeLog()
	if client, socket := findDaemon(ctx, cfg, log); client != nil {
		log.Info("spotwatch tray started: following the daemon", "version", version.Version, "socket", socket)
		return trayExit(tray.Run(ctx, tray.Options{Source: client, History: client, Notify: cfg.Notify, Logger: log, Autostart: trayAutostart(log),
			Started: func() { daemon.ReleaseMemory(log) }}), log)
	}
	log.Info("no spotwatch daemon answers: checking in this process")
	return runLocal(ctx, cfg, log)
}

// runRun is `spotwatch run`: a monitor and the tray in one foreground process.
func runRun(ctx context.Context, args []string, stderr io.Writer) int {
	path, status, ok := parseUIFlags("run", "Runs the monitor and the tray icon with its notifications in one foreground process.", args, stderr)
	if !ok {
		return status
	}
	cfg, log, closeLog, status := uiSetup(path, stderr)
	if cfg == nil {
		return status
	}
	defer closeLog()
	return runLocal(ctx, cfg, log)
}

// uiSetup loads the configuration and opens the log.
func uiSetup(path string, stderr io.Writer) (*config.Config, *slog.Logger, func(), int) {
	cfg, _, err := loadConfigPath(path)
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return nil, nil, nil, exitUsage
	}
	log, closeLog, err := daemon.NewLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return nil, nil, nil, exitUsage
	}
	return cfg, log, closeLog, 0
}

// findDaemon returns a client of the daemon that answers: on api.socket if set, else on the
// per-user socket, then the system one.
func findDaemon(ctx context.Context, cfg *config.Config, log *slog.Logger) (*statusapi.Client, string) {
	var sockets []string
	if cfg.API.Socket != "" {
		sockets = []string{cfg.API.Socket}
	} else {
		for _, system := range []bool{false, true} {
			if paths, err := statusapi.SocketPaths(system); err == nil {
				sockets = append(sockets, paths...)
			}
		}
	}
	for _, s := range sockets {
		client := statusapi.NewClient(s)
		probe, cancel := context.WithTimeout(ctx, daemonProbeTimeout)
		_, err := client.Status(probe)
		cancel()
		if err == nil {
			return client, s
		}
		if errors.Is(err, statusapi.ErrUntrustedSocket) {
			log.Warn("refused an untrusted socket", "socket", s, "err", err.Error())
			continue
		}
		log.Debug("no daemon on this socket", "socket", s, "err", err.Error())
	}
	return nil, ""
}

// runLocal runs a monitor in this process (with network-change re-checks and an in-memory
// history) and the tray on it, until ctx ends or the user quits.
func runLocal(ctx context.Context, cfg *config.Config, log *slog.Logger) int {
	checker, err := probe.New(cfg, probe.Options{Logger: log})
	if err != nil {
		log.Error("starting the checks", "err", err)
		return exitInternal
	}
	hist := tray.NewMemoryHistory(localHistory)
	// The daemon's check: light while all is well, and memory released after a full one.
	m := monitor.New(monitor.SettingsFrom(cfg), daemon.CheckFunc(checker, log), monitor.Options{Logger: log, History: hist})
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		m.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		daemon.WatchNetwork(ctx, m, log)
	}()
	go func() {
		defer wg.Done()
		daemon.WatchApp(ctx, m, cfg.Spotify.AppExecutables, log)
	}()
	go func() {
		defer wg.Done()
		daemon.WatchMetered(ctx, m, log)
	}()
	log.Info("spotwatch started: monitor and tray in this process", "version", version.Version)
	err = tray.Run(ctx, tray.Options{Source: tray.Local{Monitor: m}, History: hist, Notify: cfg.Notify, Logger: log, Autostart: trayAutostart(log),
		Started: func() { daemon.ReleaseMemory(log) }})
	cancel()
	wg.Wait()
	return trayExit(err, log)
}

// trayAutostart is the tray's "Start at login" entry for this user, or nil (the menu item then
// shows disabled) where it cannot be found.
func trayAutostart(log *slog.Logger) tray.Autostart {
	a, err := svc.NewTrayAutostart()
	if err != nil {
		log.Warn("start at login is unavailable", "err", err)
		return nil
	}
	return a
}

func trayExit(err error, log *slog.Logger) int {
	if err != nil {
		log.Error("tray", "err", err)
		return exitInternal
	}
	log.Info("spotwatch tray stopped")
	return exitOK
}

//go:build unix

package svc

import (
	"context"
	"fmt"
	"log/slog"
	"log/syslog"
	"os"
)

// RunDaemon runs the daemon, run, the way the service manager that started this process
// expects. Unix service managers only need the process to stop on SIGTERM, which run's context
// carries, so run is called directly; see runner_windows.go for the SCM.
func RunDaemon(ctx context.Context, run func(context.Context) int) int {
	return run(ctx)
}

// ServiceLogHandler returns a handler for the service manager's logger when this process runs
// as a service whose manager does not already collect its standard error: syslog (facility
// daemon, tag spotwatch) under SysV init and OpenRC, whose scripts also append standard error
// to a file. Under systemd (journald reads standard error) and launchd (StandardErrorPath), and
// outside a service, it returns a nil handler. close releases the logger.
func ServiceLogHandler(level slog.Leveler) (h slog.Handler, close func() error, err error) {
	switch os.Getenv(ServiceEnv) {
	case PlatformSysV, PlatformOpenRC:
	default:
		return nil, func() error { return nil }, nil
	}
	w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, Name)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to syslog: %w", err)
	}
	write := func(l slog.Level, line string) error {
		switch {
		case l >= slog.LevelError:
			return w.Err(line)
		case l >= slog.LevelWarn:
			return w.Warning(line)
		case l >= slog.LevelInfo:
			return w.Info(line)
		}
		return w.Debug(line)
	}
	return newLineHandler(level, write), w.Close, nil
}

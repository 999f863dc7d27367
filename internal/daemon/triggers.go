package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spotwatch/spotwatch/internal/apptrigger"
	"github.com/spotwatch/spotwatch/internal/netstate"
	"github.com/spotwatch/spotwatch/monitor"
)

// WatchApp checks m at once when the Spotify app starts and when its own connections stall
// (internal/apptrigger); executables are the configuration's spotify.app_executables, read at
// start.
func WatchApp(ctx context.Context, m *monitor.Monitor, executables []string, log *slog.Logger) {
	err := apptrigger.Watch(ctx, func(e apptrigger.Event) { m.AppTriggered(e.Reason, e.Detail) }, apptrigger.Options{Logger: log, Executables: executables})
	if err != nil && ctx.Err() == nil {
		log.Error("watching the Spotify app stopped", "err", err)
	}
}

// meteredRetry is how long the daemon waits before asking again after the OS's metered flag
// could not be read (on Linux: the system bus or NetworkManager went away, a restart of either,
// or there is none); each failure in a row doubles the wait, up to meteredRetryMax, so a machine
// without NetworkManager is not asked every minute for ever. A watch that ran for a while
// starts again from meteredRetry.
const (
	meteredRetry    = time.Minute
	meteredRetryMax = 16 * time.Minute
)

// WatchMetered tells m whether the connection is metered, as the OS says and as it changes
// (netstate.WatchMetered: NetworkManager's Metered property on Linux, the connectivity hint's
// cost on Windows, an expensive or constrained path on macOS). Where it cannot be read (no
// NetworkManager, Windows before 10 2004, another OS) the connection counts as not metered and
// that is logged once.
func WatchMetered(ctx context.Context, m *monitor.Monitor, log *slog.Logger) {
	logged := false
	wait := meteredRetry
	for {
		began := time.Now()
		err := netstate.WatchMetered(ctx, "", func(v netstate.Metered) {
			log.Debug("the connection's metered flag", "value", v.String())
			m.SetMetered(v.IsMetered())
		})
		if ctx.Err() != nil {
			return
		}
		m.SetMetered(false)
		if errors.Is(err, errors.ErrUnsupported) {
			log.Debug("whether the connection is metered is not read here", "err", err)
			return
		}
		if !logged {
			log.Info("whether the connection is metered is unknown; checking at the usual interval", "err", err)
			logged = true
		}
		if time.Since(began) > meteredRetryMax {
			wait = meteredRetry // it worked for a while: a restart, try again soon
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, meteredRetryMax)
	}
}

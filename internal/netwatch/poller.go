package netwatch

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/netstate"
)

// Poller is the fallback watcher: it compares a fingerprint of the network configuration (the
// interfaces' names, flags and addresses, and on Linux the default routes as internal/netstate
// reads them for a check's facts) every interval.
type Poller struct {
	interval time.Duration
}

// NewPoller returns a Poller that compares the fingerprint every interval.
func NewPoller(interval time.Duration) *Poller {
	return &Poller{interval: interval}
}

// Watch works like the package's Watch, with polling in place of OS events: it calls onChange
// with Reason "poll" when the fingerprint differs from the previous one, and "resume" after
// sleep. It returns an error if it cannot read the fingerprint at all.
func (p *Poller) Watch(ctx context.Context, onChange func(Change), logger *slog.Logger) error {
	logger = orDiscard(logger)
	return watch(ctx, onChange, logger, p.runner(logger), defaultResume())
}

// runner polls on the calling goroutine, so in its network namespace.
func (p *Poller) runner(logger *slog.Logger) runFunc {
	return func(ctx context.Context, emit func(Change)) error {
		prev, err := fingerprint()
		if err != nil {
			return fmt.Errorf("reading the network fingerprint: %w", err)
		}
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			cur, err := fingerprint()
			if err != nil {
				logger.Warn("reading the network fingerprint", "err", err)
				continue
			}
			if cur != prev {
				prev = cur
				emit(Change{Reason: ReasonPoll})
			}
		}
	}
}

// fingerprint describes the interfaces and default routes; it changes when they do.
func fingerprint() (string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("listing interfaces: %w", err)
	}
	var b strings.Builder
	for _, ifi := range ifaces {
		addrs, err := ifi.Addrs()
		if err != nil {
			return "", fmt.Errorf("listing addresses of %s: %w", ifi.Name, err)
		}
		fmt.Fprintf(&b, "%d %s %v", ifi.Index, ifi.Name, ifi.Flags)
		for _, a := range addrs {
			b.WriteString(" " + a.String())
		}
		b.WriteByte('\n')
	}
	routes, _, err := netstate.DefaultRoutes()
	if err != nil {
		return "", fmt.Errorf("listing default routes: %w", err)
	}
	for _, r := range routes {
		fmt.Fprintf(&b, "default %s dev %s via %s\n", r.Family, r.Interface, r.Gateway)
	}
	return b.String(), nil
}

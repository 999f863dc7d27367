//go:build nometrics

package statusapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// errNoMetrics is what the metrics functions return in a binary built with the nometrics tag,
// which leaves out github.com/prometheus/client_golang (about 4.4 MB of a linux/amd64 binary).
var errNoMetrics = errors.New("this spotwatch was built without Prometheus metrics (build tag nometrics); unset metrics.listen and metrics.textfile")

// ServeMetrics returns an error: this binary has no metrics.
func ServeMetrics(_ context.Context, listen string, _ Source, _ *slog.Logger) error {
	_, err := ListenMetrics(listen)
	return err
}

// ListenMetrics checks listen and returns an error: this binary has no metrics.
func ListenMetrics(listen string) (net.Listener, error) {
	if _, err := loopbackAddr(listen); err != nil {
		return nil, err
	}
	return nil, errNoMetrics
}

// ServeMetricsOn closes ln and returns an error: this binary has no metrics.
func ServeMetricsOn(_ context.Context, ln net.Listener, _ Source, _ *slog.Logger) error {
	ln.Close()
	return errNoMetrics
}

// WriteMetricsFile returns an error: this binary has no metrics.
func WriteMetricsFile(_ context.Context, path string, _ Source, _ *slog.Logger) error {
	return fmt.Errorf("metrics.textfile %q: %w", path, errNoMetrics)
}

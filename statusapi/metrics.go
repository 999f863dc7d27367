//go:build !nometrics

package statusapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// checkBuckets are the bounds of spotwatch_check_duration_seconds: a check takes tens of
// milliseconds when all is well and up to its timeout (default 5 s) when something is dropped.
var checkBuckets = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// metricsShutdownTimeout bounds how long ServeMetrics waits for scrapes in progress.
const metricsShutdownTimeout = 5 * time.Second

// ServeMetrics serves Prometheus metrics of src at http://listen/metrics until ctx is done,
// then returns nil. listen must be a loopback address with a port ("127.0.0.1:9109",
// "[::1]:9109", "localhost:9109"): spotwatch never exposes a listener to the network. Fleets
// scrape it with a local agent (Prometheus in agent mode, Grafana Alloy, the OpenTelemetry
// collector) that forwards by remote write, or through an SSH tunnel.
//
// The metrics (the same in the node_exporter textfile of WriteMetricsFile):
//
//	spotwatch_state_code                       the state's Spotify error code (0, 4, 7; -1 checking)
//	spotwatch_state{cause}                     1 for the current cause, 0 for the others
//	spotwatch_state_since_timestamp_seconds    when the current state began
//	spotwatch_paused                           1 while notifications are paused
//	spotwatch_checks_total                     checks run
//	spotwatch_internal_errors_total            checks that failed inside spotwatch (a panic)
//	spotwatch_last_check_timestamp_seconds     when the last check finished (0 before the first)
//	spotwatch_last_check_duration_seconds      how long the last check took
//	spotwatch_check_interval_seconds           the configured interval (from a Source with CheckInterval)
//	spotwatch_check_mode{mode}                 1 for the mode checks run in (full, light), 0 for the other
//	spotwatch_build_info{version}              1, labelled with spotwatch's version
//	spotwatch_check_duration_seconds           histogram of check durations
//	spotwatch_probe_failures_total{kind,failure} failed probes by probe kind and failure string
//	spotwatch_check_results_total{cause}       checks by the cause they found (before hysteresis)
//	spotwatch_state_changes_total{cause}       state changes by the new state's cause
//
// The first eleven are read from src at each scrape; the last four count the events seen
// since the metrics started. No label carries a probe's name or an address: a fleet of
// thousands of desktops stays at about 60 series each (docs/design.md, "The status API").
func ServeMetrics(ctx context.Context, listen string, src Source, logger *slog.Logger) error {
	ln, err := ListenMetrics(listen)
	if err != nil {
		return err
	}
	return ServeMetricsOn(ctx, ln, src, logger)
}

// ListenMetrics opens the metrics listener, refusing any address that is not loopback.
func ListenMetrics(listen string) (net.Listener, error) {
	addr, err := loopbackAddr(listen)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("opening the metrics listener: %w", err)
	}
	return ln, nil
}

// ServeMetricsOn is ServeMetrics on a listener opened with ListenMetrics; it closes ln.
func ServeMetricsOn(ctx context.Context, ln net.Listener, src Source, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := newMetrics(src)
	events, unsubscribe := src.Subscribe()
	var wg sync.WaitGroup
	feedCtx, stopFeed := context.WithCancel(ctx)
	wg.Go(func() { m.feed(feedCtx, events, unsubscribe, src, logger) })
	defer func() {
		stopFeed()
		wg.Wait()
	}()

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler(logger))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("serving Prometheus metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	select {
	case err := <-serveErr:
		return fmt.Errorf("serving metrics: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics: %w", err)
	}
	return nil
}

// metrics is the private registry of one ServeMetrics or WriteMetricsFile.
type metrics struct {
	reg      *prometheus.Registry
	duration prometheus.Histogram
	failures *prometheus.CounterVec
	results  *prometheus.CounterVec
	changes  *prometheus.CounterVec
}

func newMetrics(src Source) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "spotwatch_check_duration_seconds", Help: "How long checks took.", Buckets: checkBuckets,
		}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spotwatch_probe_failures_total", Help: "Failed probes by probe kind and failure string.",
		}, []string{"kind", "failure"}),
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spotwatch_check_results_total", Help: "Checks by the cause they found, before hysteresis.",
		}, []string{"cause"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spotwatch_state_changes_total", Help: "State changes by the cause of the new state.",
		}, []string{"cause"}),
	}
	m.reg.MustRegister(m.duration, m.failures, m.results, m.changes, newStatusCollector(src))
	return m
}

// handler serves the metrics in Prometheus's text format.
func (m *metrics) handler(logger *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// render appends the metrics in Prometheus's text format to buf.
func (m *metrics) render(buf *bytes.Buffer) error {
	families, err := m.reg.Gather()
	if err != nil {
		return fmt.Errorf("gathering the metrics: %w", err)
	}
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(buf, f); err != nil {
			return fmt.Errorf("rendering %s: %w", f.GetName(), err)
		}
	}
	return nil
}

// feed counts the check events; when the monitor drops the subscription (the feed fell
// behind) it subscribes again.
func (m *metrics) feed(ctx context.Context, events <-chan monitor.Event, unsubscribe func(), src Source, logger *slog.Logger) {
	defer func() { unsubscribe() }()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				logger.Warn("metrics fell behind the monitor's events; subscribing again")
				events, unsubscribe = src.Subscribe()
				continue
			}
			m.observe(ev)
		}
	}
}

// observe counts one event.
func (m *metrics) observe(ev monitor.Event) {
	if ev.Type == monitor.EventState && ev.Previous != ev.Status.Cause {
		// A subscription's first event and a pause repeat the state (Previous == Cause).
		m.changes.WithLabelValues(string(ev.Status.Cause)).Inc()
	}
	if ev.Type != monitor.EventCheck || ev.Check == nil {
		return
	}
	m.results.WithLabelValues(string(ev.Check.Cause)).Inc()
	m.duration.Observe(float64(ev.Check.DurationMS) / 1000)
	for _, p := range ev.Check.Probes {
		if !p.OK {
			m.failures.WithLabelValues(string(p.Kind), failureLabel(p.Failure)).Inc()
		}
	}
}

// failureLabel bounds the failure label: "unknown_failure: <error text>" would make a series
// per error text, so the text is dropped.
func failureLabel(f string) string {
	switch {
	case f == "":
		return "none"
	case strings.HasPrefix(f, failure.UnknownPrefix):
		return strings.TrimSuffix(failure.UnknownPrefix, ": ")
	}
	return f
}

// statusCollector reads the state from the source at each scrape.
type statusCollector struct {
	src                        Source
	code, state, since, paused *prometheus.Desc
	checks, internalErrors     *prometheus.Desc
	lastCheck, lastDuration    *prometheus.Desc
	interval, mode, buildInfo  *prometheus.Desc
}

func newStatusCollector(src Source) *statusCollector {
	return &statusCollector{
		src:            src,
		code:           prometheus.NewDesc("spotwatch_state_code", "The state's Spotify error code: 0 reachable, 4 no internet, 7 Spotify blocked, -1 checking.", nil, nil),
		state:          prometheus.NewDesc("spotwatch_state", "1 for the cause of the current state, 0 for the others.", []string{"cause"}, nil),
		since:          prometheus.NewDesc("spotwatch_state_since_timestamp_seconds", "When the current state began, in seconds since the Unix epoch.", nil, nil),
		paused:         prometheus.NewDesc("spotwatch_paused", "1 while notifications are paused.", nil, nil),
		checks:         prometheus.NewDesc("spotwatch_checks_total", "Checks run since the monitor started.", nil, nil),
		internalErrors: prometheus.NewDesc("spotwatch_internal_errors_total", "Checks that failed inside spotwatch (a panic) since the monitor started.", nil, nil),
		lastCheck:      prometheus.NewDesc("spotwatch_last_check_timestamp_seconds", "When the last check finished, in seconds since the Unix epoch; 0 before the first.", nil, nil),
		lastDuration:   prometheus.NewDesc("spotwatch_last_check_duration_seconds", "How long the last check took.", nil, nil),
		interval:       prometheus.NewDesc("spotwatch_check_interval_seconds", "The configured interval between checks while all is well.", nil, nil),
		mode:           prometheus.NewDesc("spotwatch_check_mode", "1 for the mode checks run in (full or light), 0 for the other.", []string{"mode"}, nil),
		buildInfo:      prometheus.NewDesc("spotwatch_build_info", "1, labelled with spotwatch's version.", []string{"version"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.code, c.state, c.since, c.paused, c.checks, c.internalErrors,
		c.lastCheck, c.lastDuration, c.interval, c.mode, c.buildInfo} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Status()
	ch <- prometheus.MustNewConstMetric(c.code, prometheus.GaugeValue, float64(st.Code))
	// Every state the Monitor can be in is always exported (0 or 1), so that a query sees a
	// cause turn off as well as on.
	known := false
	for _, info := range diagnosis.Causes() {
		if !info.MonitorState {
			continue
		}
		v := 0.0
		if info.ID == st.Cause {
			v, known = 1, true
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, string(info.ID))
	}
	if !known && st.Cause != "" {
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, 1, string(st.Cause))
	}
	ch <- prometheus.MustNewConstMetric(c.since, prometheus.GaugeValue, float64(st.Since.UnixMilli())/1000)
	paused := 0.0
	if st.PausedUntil != nil && st.PausedUntil.After(time.Now()) {
		paused = 1
	}
	ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, paused)
	ch <- prometheus.MustNewConstMetric(c.checks, prometheus.CounterValue, float64(st.Checks))
	ch <- prometheus.MustNewConstMetric(c.internalErrors, prometheus.CounterValue, float64(st.InternalErrors))
	last := 0.0
	if !st.LastCheck.IsZero() {
		last = float64(st.LastCheck.UnixMilli()) / 1000
	}
	ch <- prometheus.MustNewConstMetric(c.lastCheck, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(c.lastDuration, prometheus.GaugeValue, float64(st.LastCheckMS)/1000)
	if s, ok := c.src.(CheckScheduler); ok {
		ch <- prometheus.MustNewConstMetric(c.interval, prometheus.GaugeValue, s.CheckInterval().Seconds())
	}
	mode := ModeFull
	if m, ok := c.src.(CheckModer); ok && m.CheckMode() == ModeLight {
		mode = ModeLight
	}
	for _, m := range []string{ModeFull, ModeLight} {
		v := 0.0
		if m == mode {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.mode, prometheus.GaugeValue, v, m)
	}
	ch <- prometheus.MustNewConstMetric(c.buildInfo, prometheus.GaugeValue, 1, version.Version)
}

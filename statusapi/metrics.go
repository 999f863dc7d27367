package statusapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/internal/promtext"
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
	m := newMetrics(src, logger)
	events, unsubscribe := src.Subscribe()
	var wg sync.WaitGroup
	feedCtx, stopFeed := context.WithCancel(ctx)
	wg.Go(func() { m.feed(feedCtx, events, unsubscribe, src, logger) })
	defer func() {
		stopFeed()
		wg.Wait()
	}()

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m) // GET and HEAD; other methods get 405
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      10 * time.Second,
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

// The metric families, in the order ServeMetrics's comment lists them.
var (
	descStateCode      = promtext.Desc{Name: "spotwatch_state_code", Type: promtext.Gauge, Help: "The state's Spotify error code: 0 reachable, 4 no internet, 7 Spotify blocked, -1 checking."}
	descState          = promtext.Desc{Name: "spotwatch_state", Type: promtext.Gauge, Help: "1 for the cause of the current state, 0 for the others."}
	descSince          = promtext.Desc{Name: "spotwatch_state_since_timestamp_seconds", Type: promtext.Gauge, Help: "When the current state began, in seconds since the Unix epoch."}
	descPaused         = promtext.Desc{Name: "spotwatch_paused", Type: promtext.Gauge, Help: "1 while notifications are paused."}
	descChecks         = promtext.Desc{Name: "spotwatch_checks_total", Type: promtext.Counter, Help: "Checks run since the monitor started."}
	descInternalErrors = promtext.Desc{Name: "spotwatch_internal_errors_total", Type: promtext.Counter, Help: "Checks that failed inside spotwatch (a panic) since the monitor started."}
	descLastCheck      = promtext.Desc{Name: "spotwatch_last_check_timestamp_seconds", Type: promtext.Gauge, Help: "When the last check finished, in seconds since the Unix epoch; 0 before the first."}
	descLastDuration   = promtext.Desc{Name: "spotwatch_last_check_duration_seconds", Type: promtext.Gauge, Help: "How long the last check took."}
	descInterval       = promtext.Desc{Name: "spotwatch_check_interval_seconds", Type: promtext.Gauge, Help: "The configured interval between checks while all is well."}
	descMode           = promtext.Desc{Name: "spotwatch_check_mode", Type: promtext.Gauge, Help: "1 for the mode checks run in (full or light), 0 for the other."}
	descBuildInfo      = promtext.Desc{Name: "spotwatch_build_info", Type: promtext.Gauge, Help: "1, labelled with spotwatch's version."}
	descDuration       = promtext.Desc{Name: "spotwatch_check_duration_seconds", Type: promtext.Histogram, Help: "How long checks took."}
	descFailures       = promtext.Desc{Name: "spotwatch_probe_failures_total", Type: promtext.Counter, Help: "Failed probes by probe kind and failure string."}
	descResults        = promtext.Desc{Name: "spotwatch_check_results_total", Type: promtext.Counter, Help: "Checks by the cause they found, before hysteresis."}
	descChanges        = promtext.Desc{Name: "spotwatch_state_changes_total", Type: promtext.Counter, Help: "State changes by the cause of the new state."}
)

// metrics is the state of one ServeMetrics or WriteMetricsFile: the source, read at each
// render, and the counts of its events. It is safe for concurrent use: the feed observes
// events while scrapes render.
type metrics struct {
	src  Source
	log  *slog.Logger
	size atomic.Int64 // the length of the last rendering: the next one's buffer

	mu       sync.Mutex
	duration *promtext.HistogramData
	failures map[probeFailure]uint64
	results  map[diagnosis.Cause]uint64
	changes  map[diagnosis.Cause]uint64
}

// probeFailure is the labels of spotwatch_probe_failures_total.
type probeFailure struct {
	kind    diagnosis.Kind
	failure string
}

// newMetrics returns the metrics of src with nothing counted yet; logger (nil for none) hears
// of a scrape that could not be answered.
func newMetrics(src Source, logger *slog.Logger) *metrics {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	duration, err := promtext.NewHistogram(checkBuckets)
	if err != nil {
		panic(err) // checkBuckets is increasing
	}
	return &metrics{
		src:      src,
		log:      logger,
		duration: duration,
		failures: map[probeFailure]uint64{},
		results:  map[diagnosis.Cause]uint64{},
		changes:  map[diagnosis.Cause]uint64{},
	}
}

// ServeHTTP serves the metrics in the text format 0.0.4, to GET and HEAD (the mux routes only
// those here). The whole body is rendered first, so a scrape gets all of it or an error.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := m.appendText(make([]byte, 0, m.size.Load()+512))
	if err != nil {
		// Only a mistake in this file gets here (a bad name, a series twice).
		m.log.Warn("answering a scrape", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", promtext.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body) // an error is the scraper's: it went away
	}
}

// appendText appends the metrics in the text format to b: the source's state as it is now and
// the events counted so far.
func (m *metrics) appendText(b []byte) ([]byte, error) {
	var e promtext.Exposition
	m.addStatus(&e, m.src.Status())
	m.mu.Lock()
	e.AddHistogram(descDuration, m.duration)
	for f, n := range m.failures {
		e.Add(descFailures, float64(n), promtext.L("kind", string(f.kind)), promtext.L("failure", f.failure))
	}
	for c, n := range m.results {
		e.Add(descResults, float64(n), promtext.L("cause", string(c)))
	}
	for c, n := range m.changes {
		e.Add(descChanges, float64(n), promtext.L("cause", string(c)))
	}
	m.mu.Unlock()
	start := len(b)
	b, err := e.AppendText(b)
	if err != nil {
		return b, fmt.Errorf("rendering the metrics: %w", err)
	}
	m.size.Store(int64(len(b) - start))
	return b, nil
}

// addStatus adds the metrics read from the source's state.
func (m *metrics) addStatus(e *promtext.Exposition, st monitor.Status) {
	e.Add(descStateCode, float64(st.Code))
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
		e.Add(descState, v, promtext.L("cause", string(info.ID)))
	}
	if !known && st.Cause != "" {
		e.Add(descState, 1, promtext.L("cause", string(st.Cause)))
	}
	e.Add(descSince, float64(st.Since.UnixMilli())/1000)
	paused := 0.0
	if st.PausedUntil != nil && st.PausedUntil.After(time.Now()) {
		paused = 1
	}
	e.Add(descPaused, paused)
	e.Add(descChecks, float64(st.Checks))
	e.Add(descInternalErrors, float64(st.InternalErrors))
	last := 0.0
	if !st.LastCheck.IsZero() {
		last = float64(st.LastCheck.UnixMilli()) / 1000
	}
	e.Add(descLastCheck, last)
	e.Add(descLastDuration, float64(st.LastCheckMS)/1000)
	if s, ok := m.src.(CheckScheduler); ok {
		e.Add(descInterval, s.CheckInterval().Seconds())
	}
	mode := ModeFull
	if cm, ok := m.src.(CheckModer); ok && cm.CheckMode() == ModeLight {
		mode = ModeLight
	}
	for _, md := range []string{ModeFull, ModeLight} {
		v := 0.0
		if md == mode {
			v = 1
		}
		e.Add(descMode, v, promtext.L("mode", md))
	}
	e.Add(descBuildInfo, 1, promtext.L("version", version.Version))
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
	m.mu.Lock()
	defer m.mu.Unlock()
	if ev.Type == monitor.EventState && ev.Previous != ev.Status.Cause {
		// A subscription's first event and a pause repeat the state (Previous == Cause).
		m.changes[ev.Status.Cause]++
	}
	if ev.Type != monitor.EventCheck || ev.Check == nil {
		return
	}
	m.results[ev.Check.Cause]++
	m.duration.Observe(float64(ev.Check.DurationMS) / 1000)
	for _, p := range ev.Check.Probes {
		if !p.OK {
			m.failures[probeFailure{p.Kind, failureLabel(p.Failure)}]++
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

package statusapi

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenSource is a Source with a fixed state, a check interval and the light check mode.
type goldenSource struct {
	*fakeSource
}

func (goldenSource) CheckInterval() time.Duration { return 90 * time.Second }
func (goldenSource) CheckMode() string            { return ModeLight }

// goldenMetrics is the metrics of a fixed state after a fixed run of events: every metric,
// every histogram bucket, and failure labels that need escaping. It sets version.Version
// for the test.
func goldenMetrics(t testing.TB) *metrics {
	saved := version.Version
	version.Version = "1.2.3-golden"
	t.Cleanup(func() { version.Version = saved })

	paused := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	src := goldenSource{newFakeSource(diagnosis.CauseDNSFiltered)}
	src.status.Since = time.Date(2026, 11, 24, 19, 0, 0, 123e6, time.UTC)
	src.status.LastCheck = time.Date(2026, 11, 24, 19, 5, 30, 456e6, time.UTC)
	src.status.LastCheckMS = 1234
	src.status.PausedUntil = &paused
	src.status.Checks = 42
	src.status.InternalErrors = 1

	m := newMetrics(src, nil)
	m.observe(monitor.Event{Type: monitor.EventState, Status: src.status, Previous: diagnosis.CauseChecking})
	m.observe(monitor.Event{Type: monitor.EventState, Status: src.status, Previous: src.status.Cause}) // a repeat: not a change
	ok := monitor.Status{Result: result(diagnosis.CauseOK, 10)}
	m.observe(monitor.Event{Type: monitor.EventState, Status: ok, Previous: diagnosis.CauseDNSFiltered})
	for _, ms := range []int64{10, 25, 60, 300, 1500, 1500, 4999, 7000, 45000} {
		r := result(diagnosis.CauseOK, ms)
		m.observe(monitor.Event{Type: monitor.EventCheck, Status: ok, Check: &r})
	}
	blocked := result(diagnosis.CauseDNSFiltered, 2250)
	blocked.Probes = []diagnosis.Probe{
		{Kind: diagnosis.KindDNS, Failure: "dns_bogon"},
		{Kind: diagnosis.KindDNS, Failure: "dns_bogon"},
		{Kind: diagnosis.KindHTTPS, Failure: "unknown_failure: something odd at 0xc000123"},
		{Kind: diagnosis.KindTCP},
		{Kind: diagnosis.KindTCP, Failure: "odd \"quoted\" back\\slash\nnewline"},
		{Kind: diagnosis.KindDoH, OK: true},
	}
	m.observe(monitor.Event{Type: monitor.EventCheck, Status: src.status, Check: &blocked})
	return m
}

// TestMetricsGolden: the whole exposition, rendered for the textfile and served at /metrics,
// is testdata/metrics.prom byte for byte.
func TestMetricsGolden(t *testing.T) {
	m := goldenMetrics(t)
	text, err := m.appendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "metrics.prom", text)

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, httptest.NewRequest(method, "/metrics", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s /metrics: %d %s", method, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
			t.Errorf("%s /metrics: Content-Type %q", method, ct)
		}
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(text)) {
			t.Errorf("%s /metrics: Content-Length %q, want %d", method, cl, len(text))
		}
		want := text
		if method == http.MethodHead {
			want = nil
		}
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("%s /metrics: the body differs from the rendered metrics:\n--- served\n%s\n--- rendered\n%s", method, rec.Body, want)
		}
	}
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (go test ./statusapi -run %s -update writes it): %v", t.Name(), err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what is rendered now (go test ./statusapi -run %s -update rewrites it):\n--- rendered\n%s\n--- %s\n%s", path, t.Name(), got, path, want)
	}
}

// BenchmarkScrape is one scrape of /metrics, without the network.
func BenchmarkScrape(b *testing.B) {
	h := goldenMetrics(b)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		io.Copy(io.Discard, rec.Body)
	}
}

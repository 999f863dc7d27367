package statusapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

func TestMetricsRefusesNonLoopback(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	for _, listen := range []string{"0.0.0.0:9000", "192.0.2.1:9000", "[::]:9000", ":9000", "example.com:9000", "127.0.0.1", "10.0.0.1:9100", "[fe80::1]:9100"} {
		err := ServeMetrics(t.Context(), listen, src, nil)
		if err == nil || !strings.Contains(err.Error(), "metrics.listen") {
			t.Errorf("ServeMetrics(%q) = %v, want a refusal naming metrics.listen", listen, err)
		}
	}
	if n := src.subscribers(); n != 0 {
		t.Errorf("a refused ServeMetrics left %d subscriptions", n)
	}
	for listen, want := range map[string]string{"127.0.0.1:9109": "127.0.0.1:9109", "localhost:0": "127.0.0.1:0", "[::1]:9109": "[::1]:9109", "127.0.0.2:1": "127.0.0.2:1"} {
		if got, err := loopbackAddr(listen); err != nil || got != want {
			t.Errorf("loopbackAddr(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
}

// TestMetrics scrapes a real monitor after scripted checks.
func TestMetrics(t *testing.T) {
	checkNoLeaks(t)
	blocked := result(diagnosis.CauseDNSFiltered, 1500)
	blocked.Probes = []diagnosis.Probe{
		{Kind: diagnosis.KindDNS, Failure: "dns_bogon"},
		{Kind: diagnosis.KindDNS, Failure: "dns_bogon"},
		{Kind: diagnosis.KindHTTPS, Failure: "unknown_failure: something odd at 0xc000123"},
		{Kind: diagnosis.KindDoH, OK: true},
	}
	sc := newScript(blocked, diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Cause: "panic"}})
	// The monitor starts checking at once: subscribe the metrics before it runs.
	m := monitor.New(monitor.Settings{Interval: time.Hour, FailingInterval: time.Hour, Timeout: 5 * time.Second, Fail: 1, Recover: 1},
		sc.check, monitor.Options{})
	ln, err := ListenMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- ServeMetricsOn(ctx, ln, m, nil) }()
	url := "http://" + ln.Addr().String() + "/metrics"

	// Before the first check: checking, code -1, nothing counted.
	body := scrape(t, url, `spotwatch_state{cause="checking"} 1`)
	for _, line := range []string{"spotwatch_state_code -1", "spotwatch_checks_total 0", "spotwatch_check_duration_seconds_count 0"} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("before the first check the metrics lack %q", line)
		}
	}

	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		m.Run(runCtx)
	}()
	defer func() { stopRun(); <-runDone }()

	body = scrape(t, url, "spotwatch_check_duration_seconds_count 1")
	for _, line := range []string{
		"spotwatch_state_code 7",
		`spotwatch_state{cause="dns_filtered"} 1`,
		`spotwatch_state{cause="ok"} 0`,
		`spotwatch_state{cause="checking"} 0`,
		"spotwatch_checks_total 1",
		"spotwatch_internal_errors_total 0",
		"spotwatch_paused 0",
		`spotwatch_check_duration_seconds_bucket{le="1"} 0`,
		`spotwatch_check_duration_seconds_bucket{le="2.5"} 1`,
		"spotwatch_check_duration_seconds_sum 1.5",
		`spotwatch_probe_failures_total{failure="dns_bogon",kind="dns"} 2`,
		`spotwatch_probe_failures_total{failure="unknown_failure",kind="https"} 1`,
		"# TYPE spotwatch_state_since_timestamp_seconds gauge",
		"# TYPE spotwatch_checks_total counter",
		"# TYPE spotwatch_check_duration_seconds histogram",
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("the metrics lack %q", line)
		}
	}
	if strings.Contains(body, `kind="doh"`) || strings.Contains(body, "0xc000") || strings.Contains(body, "go_goroutines") {
		t.Errorf("unexpected series:\n%s", body)
	}

	m.CheckNow() // the script panics: an internal error
	m.Pause(time.Now().Add(time.Hour))
	body = scrape(t, url, "spotwatch_internal_errors_total 1")
	for _, line := range []string{"spotwatch_checks_total 2", "spotwatch_paused 1", "spotwatch_check_duration_seconds_count 1"} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("after a panicking check the metrics lack %q", line)
		}
	}

	// HEAD: the headers of a GET, no body; other methods: 405.
	resp, err := http.Head(url)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" || resp.ContentLength <= 0 || len(head) != 0 {
		t.Errorf("HEAD /metrics: %d, %q, length %d, body %q; want 200, the text format, a length and no body",
			resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength, head)
	}
	resp, err = http.Post(url, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", resp.StatusCode)
	}

	resp, err = http.Get("http://" + ln.Addr().String() + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other: %d, want 404", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("ServeMetricsOn returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeMetricsOn did not return when its context ended")
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the metrics listener is still open")
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestMetricsConcurrentScrapes scrapes while events are counted (run with -race): every scrape
// is a whole exposition, and the last shows every event.
func TestMetricsConcurrentScrapes(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	ln, err := ListenMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- ServeMetricsOn(ctx, ln, src, nil) }()
	url := "http://" + ln.Addr().String() + "/metrics"
	scrape(t, url, "spotwatch_checks_total 1") // subscribed

	const events, scrapers = 200, 3
	stop := make(chan struct{})
	errs := make(chan error, scrapers)
	for range scrapers {
		go func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				resp, err := http.Get(url)
				if err != nil {
					errs <- err
					return
				}
				fams, err := parseMetrics(resp.Body)
				resp.Body.Close()
				if err != nil || fams["spotwatch_state_code"] == nil || fams["spotwatch_check_duration_seconds"] == nil {
					errs <- fmt.Errorf("scrape %d: %v, %d families", n, err, len(fams))
					return
				}
			}
		}()
	}
	for i := range events {
		st := monitor.Status{Result: result(diagnosis.CauseFirewallDrop, int64(i)), Checks: int64(i + 2)}
		src.publish(monitor.Event{Type: monitor.EventCheck, Status: st, Check: &st.Result})
	}
	scrape(t, url, fmt.Sprintf("spotwatch_check_duration_seconds_count %d", events))
	close(stop)
	for range scrapers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("ServeMetricsOn: %v", err)
	}
	http.DefaultClient.CloseIdleConnections()
}

// scrape polls url until the body holds want (a whole line) and returns the body.
func scrape(t *testing.T, url, want string) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
		}
		body = string(b)
		if strings.Contains(body, want+"\n") {
			return body
		}
	}
	t.Fatalf("the metrics never showed %q:\n%s", want, body)
	return ""
}

func TestFailureLabel(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "none",
		"dns_bogon":                        "dns_bogon",
		"http_status_403":                  "http_status_403",
		"unknown_failure: weird error 123": "unknown_failure",
	} {
		if got := failureLabel(in); got != want {
			t.Errorf("failureLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

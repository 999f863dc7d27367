package statusapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// scheduled is a monitor as the daemon hands it to the metrics: with its configured interval.
type scheduled struct {
	*monitor.Monitor
	interval time.Duration
}

func (s scheduled) CheckInterval() time.Duration { return s.interval }

// TestMetricsFile runs a real monitor with WriteMetricsFile and the loopback endpoint side by
// side: the file holds the monitor's state after each check, with exactly the endpoint's
// metric names, types and label names, and no temporary file is left beside it.
func TestMetricsFile(t *testing.T) {
	checkNoLeaks(t)
	blocked := result(diagnosis.CauseDNSFiltered, 1500)
	blocked.Probes = []diagnosis.Probe{{Kind: diagnosis.KindDNS, Failure: "dns_bogon"}}
	sc := newScript(blocked, result(diagnosis.CauseOK, 20))
	m := monitor.New(monitor.Settings{Interval: time.Hour, FailingInterval: time.Hour, Timeout: 5 * time.Second, Fail: 1, Recover: 1},
		sc.check, monitor.Options{})
	src := scheduled{m, 90 * time.Second}
	dir := t.TempDir()
	path := filepath.Join(dir, "spotwatch.prom")

	ctx, cancel := context.WithCancel(t.Context())
	written, served, ln := writeAndServe(t, ctx, path, src)

	// Before the first check: the file exists at once, in the state checking.
	fams := waitFile(t, path, `spotwatch_state{cause="checking"}`, 1)
	if v := value(fams, "spotwatch_last_check_timestamp_seconds", nil); v != 0 {
		t.Errorf("last check before any check: %v, want 0", v)
	}
	// The endpoint answers once it has subscribed: both count every check from here on.
	url := "http://" + ln.Addr().String() + "/metrics"
	scrape(t, url, `spotwatch_state{cause="checking"} 1`)

	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		m.Run(runCtx)
	}()
	defer func() { stopRun(); <-runDone }()

	began := time.Now()
	fams = waitFile(t, path, "spotwatch_checks_total", 1)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"spotwatch_state_code", nil, 7},
		{"spotwatch_state", map[string]string{"cause": "dns_filtered"}, 1},
		{"spotwatch_state", map[string]string{"cause": "ok"}, 0},
		{"spotwatch_check_results_total", map[string]string{"cause": "dns_filtered"}, 1},
		{"spotwatch_state_changes_total", map[string]string{"cause": "dns_filtered"}, 1},
		{"spotwatch_last_check_duration_seconds", nil, 1.5},
		{"spotwatch_check_interval_seconds", nil, 90},
		{"spotwatch_check_mode", map[string]string{"mode": "full"}, 1},
		{"spotwatch_check_mode", map[string]string{"mode": "light"}, 0},
		{"spotwatch_build_info", map[string]string{"version": version.Version}, 1},
		{"spotwatch_probe_failures_total", map[string]string{"kind": "dns", "failure": "dns_bogon"}, 1},
		{"spotwatch_check_duration_seconds", nil, 1}, // the histogram's count
	} {
		if got := value(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if last := value(fams, "spotwatch_last_check_timestamp_seconds", nil); last < float64(began.Add(-time.Minute).Unix()) {
		t.Errorf("last check at %v, want about now", last)
	}

	m.CheckNow() // ok: the second state change
	fams = waitFile(t, path, "spotwatch_checks_total", 2)
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{{map[string]string{"cause": "ok"}, 1}, {map[string]string{"cause": "dns_filtered"}, 1}} {
		if got := value(fams, "spotwatch_state_changes_total", c.labels); got != c.want {
			t.Errorf("state changes %v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := value(fams, "spotwatch_state_code", nil); got != 0 {
		t.Errorf("state code after the ok check: %v, want 0", got)
	}

	// The same metrics as the endpoint: names, types and label names.
	body := scrape(t, url, "spotwatch_checks_total 2")
	served2, err := parseMetrics(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the endpoint's metrics: %v", err)
	}
	if got, want := shape(fams), shape(served2); !slices.Equal(got, want) {
		t.Errorf("the file's metrics differ from the endpoint's:\nfile:     %v\nendpoint: %v", got, want)
	}

	cancel()
	for name, ch := range map[string]chan error{"WriteMetricsFile": written, "ServeMetricsOn": served} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("%s returned %v", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not return when its context ended", name)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "spotwatch.prom" {
		t.Errorf("the textfile directory holds %v, want only spotwatch.prom (kept after the end)", names(entries))
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("the metrics file: %v, %v; want mode 0644 (node_exporter runs as another user)", info, err)
	}
}

// TestMetricsFileAtomic reads the file over and over while events rewrite it: every read is
// a whole, parseable file with every metric family.
func TestMetricsFileAtomic(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	path := filepath.Join(t.TempDir(), "spotwatch.prom")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- WriteMetricsFile(ctx, path, src, nil) }()
	waitFile(t, path, "spotwatch_checks_total", 1) // subscribed
	// One failing check first: the counters by cause and by failure appear with the first
	// check they count.
	first := monitor.Status{Result: result(diagnosis.CauseFirewallDrop, 10), Checks: 2}
	src.publish(monitor.Event{Type: monitor.EventCheck, Status: first, Check: &first.Result})
	firstFams := waitFile(t, path, `spotwatch_check_results_total{cause="firewall_drop"}`, 1)
	want := len(firstFams)

	const events = 300
	readerDone := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		reads := 0
		for {
			select {
			case <-stop:
				if reads == 0 {
					readerDone <- fmt.Errorf("the reader never read the file")
					return
				}
				readerDone <- nil
				return
			default:
			}
			f, err := os.Open(path)
			if err != nil {
				readerDone <- err
				return
			}
			fams, err := parseMetrics(f)
			f.Close()
			if err != nil || len(fams) != want {
				readerDone <- fmt.Errorf("read %d: %d families %v (want %d: %v), %v", reads, len(fams), shape(fams), want, shape(firstFams), err)
				return
			}
			reads++
		}
	}()
	causes := []diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseFirewallDrop, diagnosis.CauseDNSDown}
	for i := range events {
		st := monitor.Status{Result: result(causes[i%len(causes)], 10), Checks: int64(i + 3), LastCheck: time.Now()}
		res := st.Result
		src.publish(monitor.Event{Type: monitor.EventCheck, Status: st, Check: &res})
		if i%16 == 15 {
			// The fake blocks on a full subscription (the monitor drops it instead): let the
			// writer catch up before 32 events are queued.
			waitFile(t, path, `spotwatch_check_results_total{cause="ok"}`, float64(i/3+1))
		}
	}
	waitFile(t, path, "spotwatch_checks_total", events+2)
	close(stop)
	if err := <-readerDone; err != nil {
		t.Error(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("WriteMetricsFile: %v", err)
	}
}

// TestMetricsFileTrouble: a path node_exporter would not read is refused; a directory that is
// missing is logged once, naming the file, and the file is written as soon as it exists.
func TestMetricsFileTrouble(t *testing.T) {
	checkNoLeaks(t)
	for _, path := range []string{"spotwatch.prom", "relative/dir/spotwatch.prom", "/var/lib/prometheus/node-exporter/spotwatch.txt", "/var/lib/prometheus/node-exporter/"} {
		err := WriteMetricsFile(t.Context(), path, newFakeSource(diagnosis.CauseOK), nil)
		if err == nil || !strings.Contains(err.Error(), "metrics.textfile") {
			t.Errorf("WriteMetricsFile(%q) = %v, want a refusal naming metrics.textfile", path, err)
		}
	}

	var logs testutil.LockedBuffer
	dir := filepath.Join(t.TempDir(), "node-exporter")
	path := filepath.Join(dir, "spotwatch.prom")
	src := newFakeSource(diagnosis.CauseOK)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- WriteMetricsFile(ctx, path, src, slog.New(slog.NewTextHandler(&logs, nil))) }()
	for i := range 3 {
		st := monitor.Status{Result: result(diagnosis.CauseOK, 10), Checks: int64(i + 2)}
		src.publish(monitor.Event{Type: monitor.EventCheck, Status: st, Check: &st.Result})
	}
	waitLog(t, &logs, "writing the metrics file")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st := monitor.Status{Result: result(diagnosis.CauseOK, 10), Checks: 9}
	src.publish(monitor.Event{Type: monitor.EventCheck, Status: st, Check: &st.Result})
	waitFile(t, path, "spotwatch_checks_total", 9)
	waitLog(t, &logs, "the metrics file is written again")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("WriteMetricsFile: %v", err)
	}
	text := logs.String()
	if n := strings.Count(text, "writing the metrics file"); n != 1 {
		t.Errorf("the missing directory was logged %d times, want once:\n%s", n, text)
	}
	if !strings.Contains(text, path) || !strings.Contains(text, "no such file or directory") {
		t.Errorf("the log does not name the file and the reason:\n%s", text)
	}
}

func waitLog(t *testing.T, logs *testutil.LockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(logs.String(), want) {
			return
		}
	}
	t.Fatalf("the log never said %q:\n%s", want, logs.String())
}

// waitFile polls the metrics file until the metric name (with labels written in the text
// format, or bare) has value want, and returns the file's families.
func waitFile(t *testing.T, path, metric string, want float64) map[string]*testFamily {
	t.Helper()
	name, labels := splitMetric(metric)
	var last string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		f, err := os.Open(path)
		if err != nil {
			last = err.Error()
			continue
		}
		fams, err := parseMetrics(f)
		f.Close()
		if err != nil {
			t.Fatalf("the metrics file does not parse: %v", err)
		}
		if value(fams, name, labels) == want {
			return fams
		}
		last = fmt.Sprint(value(fams, name, labels))
	}
	t.Fatalf("%s never became %v in %s (last: %s)", metric, want, path, last)
	return nil
}

func splitMetric(s string) (string, map[string]string) {
	name, rest, ok := strings.Cut(s, "{")
	if !ok {
		return s, nil
	}
	labels := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		labels[k] = strings.Trim(v, `"`)
	}
	return name, labels
}

// value is the value of the series of name with exactly these labels (a histogram's count),
// or -1 when there is none.
func value(fams map[string]*testFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	want := ""
	if f.typ == "histogram" {
		want = "_count"
	}
	for _, s := range f.series {
		if s.suffix == want && maps.Equal(s.labels, labels) {
			return s.value
		}
	}
	return -1
}

// shape lists each family as "name type [label names]" (a histogram's without le).
func shape(fams map[string]*testFamily) []string {
	var out []string
	for name, f := range fams {
		seen := map[string]bool{}
		for _, s := range f.series {
			for l := range s.labels {
				if f.typ != "histogram" || l != "le" {
					seen[l] = true
				}
			}
		}
		out = append(out, fmt.Sprintf("%s %s %v", name, f.typ, slices.Sorted(maps.Keys(seen))))
	}
	sort.Strings(out)
	return out
}

func names(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestMetricsPromtool: what the endpoint serves and what the textfile holds, after a check
// whose failure labels need escaping, pass Debian's `promtool check metrics` (the format and
// Prometheus's naming rules) with no finding.
func TestMetricsPromtool(t *testing.T) {
	checkNoLeaks(t)
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is missing (Debian package prometheus; scripts/install-deps.sh installs it): %v", err)
	}
	src := goldenSource{newFakeSource(diagnosis.CauseOK)}
	path := filepath.Join(t.TempDir(), "spotwatch.prom")
	ctx, cancel := context.WithCancel(t.Context())
	written, served, ln := writeAndServe(t, ctx, path, src)
	url := "http://" + ln.Addr().String() + "/metrics"
	waitFile(t, path, "spotwatch_checks_total", 1)
	scrape(t, url, "spotwatch_checks_total 1")

	st := monitor.Status{Result: result(diagnosis.CauseSNIFiltered, 800), Checks: 2, LastCheck: time.Now()}
	st.Probes = []diagnosis.Probe{
		{Kind: diagnosis.KindTLS, Failure: "tls_reset"},
		{Kind: diagnosis.KindHTTPS, Failure: "unknown_failure: read tcp 10.0.0.2:4711: odd"},
		{Kind: diagnosis.KindTCP, Failure: "odd \"quoted\" back\\slash\nnewline \xff"},
	}
	src.publish(monitor.Event{Type: monitor.EventState, Status: st, Previous: diagnosis.CauseOK})
	src.publish(monitor.Event{Type: monitor.EventCheck, Status: st, Check: &st.Result})
	const want = `spotwatch_probe_failures_total{failure="odd \"quoted\" back\\slash\nnewline ` + "\uFFFD" + `",kind="tcp"} 1`
	body := scrape(t, url, want)
	waitFile(t, path, "spotwatch_checks_total", 2)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), want+"\n") {
		t.Errorf("the textfile lacks %s:\n%s", want, text)
	}
	for name, exposition := range map[string][]byte{"the endpoint's": []byte(body), "the textfile's": text} {
		cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(exposition)
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) != 0 {
			t.Errorf("promtool check metrics on %s metrics: %v\n%s\n--- the metrics:\n%s", name, err, out, exposition)
		}
	}

	cancel()
	for _, ch := range []chan error{written, served} {
		if err := <-ch; err != nil {
			t.Error(err)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// writeAndServe runs WriteMetricsFile on path and ServeMetricsOn on a loopback listener, both on
// src until ctx ends; the channels get what each returns.
func writeAndServe(t *testing.T, ctx context.Context, path string, src Source) (written, served chan error, ln net.Listener) {
	t.Helper()
	written, served = make(chan error, 1), make(chan error, 1)
	go func() { written <- WriteMetricsFile(ctx, path, src, nil) }()
	ln, err := ListenMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { served <- ServeMetricsOn(ctx, ln, src, nil) }()
	return written, served, ln
}

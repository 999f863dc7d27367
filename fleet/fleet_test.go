package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
)

// promtool runs Debian's promtool (package prometheus, installed by scripts/install-deps.sh) in
// dir and fails the test with its output when it fails.
func promtool(t *testing.T, dir string, stdin []byte, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is missing (Debian package prometheus; scripts/install-deps.sh installs it): %v", err)
	}
	cmd := exec.CommandContext(t.Context(), path, args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestRulesPromtool: the rules pass `promtool check rules` and their unit tests pass
// `promtool test rules`.
func TestRulesPromtool(t *testing.T) {
	out := promtool(t, "prometheus", nil, "check", "rules", "spotwatch-rules.yml")
	if !strings.Contains(out, "SUCCESS: 3 rules found") {
		t.Errorf("promtool check rules:\n%s", out)
	}
	if out := promtool(t, "prometheus", nil, "test", "rules", "spotwatch-rules.test.yml"); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
	onDisk, err := os.ReadFile(filepath.Join("prometheus", "spotwatch-rules.yml"))
	if err != nil || string(onDisk) != Rules {
		t.Errorf("Rules differs from prometheus/spotwatch-rules.yml (%v)", err)
	}
}

// rendered is the metrics file a daemon writes after one failing check, and the names of its
// series (a histogram's _bucket, _sum and _count).
func rendered(t *testing.T) ([]byte, []string) {
	t.Helper()
	res := diagnosis.Result{
		Diagnosis:  diagnosis.Diagnosis{Code: diagnosis.CodeBlocked, Cause: diagnosis.CauseFirewallDrop, Title: "t", Summary: "s"},
		Probes:     []diagnosis.Probe{{Kind: diagnosis.KindTCP, Failure: "generic_timeout_error"}},
		DurationMS: 1500,
	}
	m := monitor.New(monitor.Settings{Interval: time.Minute, FailingInterval: time.Minute, Timeout: 5 * time.Second, Fail: 1, Recover: 1},
		func(context.Context) diagnosis.Result { return res }, monitor.Options{})
	path := filepath.Join(t.TempDir(), "spotwatch.prom")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		if err := statusapi.WriteMetricsFile(ctx, path, interval{m}, nil); err != nil {
			t.Error(err)
		}
	}()
	// The first write shows the subscription is in place: only then may the check run.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("WriteMetricsFile never wrote its first file")
		}
	}
	go func() {
		defer func() { done <- struct{}{} }()
		m.Run(ctx)
	}()
	defer func() { cancel(); <-done; <-done }()
	var text []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		text, _ = os.ReadFile(path)
		if bytes.Contains(text, []byte("\nspotwatch_checks_total 1\n")) && bytes.Contains(text, []byte("spotwatch_probe_failures_total{")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the metrics file never showed the first check:\n%s", text)
		}
	}
	var names []string
	for line := range strings.SplitSeq(string(text), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(strings.Fields(line)[0], "{")
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return text, names
}

type interval struct{ *monitor.Monitor }

func (interval) CheckInterval() time.Duration { return time.Minute }

// TestMetricsLint: what the daemon writes passes `promtool check metrics` (names, units, help,
// counters' _total) with no finding.
func TestMetricsLint(t *testing.T) {
	text, _ := rendered(t)
	if out := promtool(t, ".", text, "check", "metrics"); strings.TrimSpace(out) != "" {
		t.Errorf("promtool check metrics found:\n%s", out)
	}
}

var metricName = regexp.MustCompile(`\bspotwatch_[a-z_]+\b`)

// TestNamesExist: every metric the rules, their unit tests and the dashboard name is one the
// daemon writes, and every dashboard query parses as PromQL (promtool checks them as recording
// rules).
func TestNamesExist(t *testing.T) {
	_, names := rendered(t)
	tests, err := os.ReadFile(filepath.Join("prometheus", "spotwatch-rules.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	queries, err := DashboardQueries()
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{"spotwatch-rules.yml": Rules, "spotwatch-rules.test.yml": string(tests)}
	for _, q := range queries {
		sources["dashboard panel "+q.Panel+" "+q.RefID] += q.Expr + "\n"
	}
	for src, text := range sources {
		found := metricName.FindAllString(text, -1)
		if len(found) == 0 {
			t.Errorf("%s names no spotwatch metric", src)
		}
		for _, name := range found {
			if !slices.Contains(names, name) {
				t.Errorf("%s names %s, which the daemon does not write (it writes %v)", src, name, names)
			}
		}
	}

	// The dashboard's queries as recording rules: promtool parses each one.
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, q := range queries {
		rules = append(rules, rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: q.Expr})
	}
	doc, err := yaml.Marshal(map[string]any{"groups": []map[string]any{{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.yml"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := promtool(t, dir, nil, "check", "rules", "dashboard.yml"); !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", len(queries))) {
		t.Errorf("promtool on the dashboard's queries:\n%s", out)
	}
}

// TestDashboard: the dashboard is Grafana JSON with the panels the README promises (a fleet
// table by cause, a state timeline, the top causes), unique panel ids, every query on the
// dashboard's Prometheus data source, and a site variable.
func TestDashboard(t *testing.T) {
	var d struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct{ Name, Type string } `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource struct {
				Type, UID string
			} `json:"datasource"`
			Targets []struct {
				Datasource struct{ Type, UID string } `json:"datasource"`
			} `json:"targets"`
		} `json:"panels"`
	}
	dec := json.NewDecoder(strings.NewReader(Dashboard))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("the dashboard does not parse: %v", err)
	}
	onDisk, err := os.ReadFile(filepath.Join("grafana", "spotwatch-fleet.json"))
	if err != nil || string(onDisk) != Dashboard {
		t.Errorf("Dashboard differs from grafana/spotwatch-fleet.json (%v)", err)
	}
	if d.UID == "" {
		t.Error("the dashboard has no uid")
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name+":"+v.Type)
	}
	for _, want := range []string{"datasource:datasource", "site:query"} {
		if !slices.Contains(vars, want) {
			t.Errorf("the dashboard's variables %v lack %s", vars, want)
		}
	}
	ids := map[int]bool{}
	types := map[string]int{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		types[p.Type]++
		for _, ds := range append([]struct{ Type, UID string }{p.Datasource}, func() (out []struct{ Type, UID string }) {
			for _, tg := range p.Targets {
				out = append(out, tg.Datasource)
			}
			return out
		}()...) {
			if ds.Type != "prometheus" || ds.UID != "${datasource}" {
				t.Errorf("panel %q uses data source %+v, want the dashboard's ${datasource}", p.Title, ds)
			}
		}
	}
	for _, want := range []string{"table", "state-timeline", "barchart", "stat"} {
		if types[want] == 0 {
			t.Errorf("the dashboard has no %s panel (it has %v)", want, types)
		}
	}
}

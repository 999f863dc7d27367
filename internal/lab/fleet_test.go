//go:build linux

package lab_test

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/fleet"
	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// The fleet's own servers, beside the world's: a site DNS filter that sinkholes Spotify and a
// resolver that fails Spotify's names.
var (
	filterDNS = netip.MustParseAddr("203.0.113.54")
	failDNS   = netip.MustParseAddr("203.0.113.55")
)

// fleetInterval is each daemon's interval: the shortest a release build accepts (the staleness
// rule waits three of them).
const fleetInterval = 10 * time.Second

// fleetDesktop is one desktop of the simulated fleet: its site, the cause its daemon must
// report, and the fault that makes it so, applied inside its own namespace.
type fleetDesktop struct {
	site  string
	want  diagnosis.Cause
	fault func(t *testing.T, ctx context.Context, d *lab.Desktop, w *labworld.World) (env []string)
}

func healthyDesktop(*testing.T, context.Context, *lab.Desktop, *labworld.World) []string { return nil }

func deskRun(args ...string) func(*testing.T, context.Context, *lab.Desktop, *labworld.World) []string {
	return func(t *testing.T, ctx context.Context, d *lab.Desktop, _ *labworld.World) []string {
		_, err := d.Run(ctx, args[0], args[1:]...)
		labErr(t, fmt.Sprintf("%s in %s", strings.Join(args, " "), d.Name), err)
		return nil
	}
}

func deskResolver(addr netip.Addr) func(*testing.T, context.Context, *lab.Desktop, *labworld.World) []string {
	return func(t *testing.T, _ context.Context, d *lab.Desktop, _ *labworld.World) []string {
		labErr(t, "setting the desktop's resolver", d.SetResolvConf(fmt.Sprintf("nameserver %v\noptions timeout:2 attempts:1\n", addr)))
		return nil
	}
}

func deskHosts(t *testing.T, _ context.Context, d *lab.Desktop, _ *labworld.World) []string {
	labErr(t, "writing the desktop's hosts file", d.SetHosts("127.0.0.1 localhost\n0.0.0.0 apresolve.spotify.com\n0.0.0.0 api.spotify.com\n"))
	return nil
}

func deskProxy(_ *testing.T, _ context.Context, _ *lab.Desktop, w *labworld.World) []string {
	return []string{"HTTPS_PROXY=" + w.ProxyURL()}
}

// theFleet is 22 desktops on two sites. North: 8 fine, 3 blocked (27 %, under the site rule's
// 30 %). South: 8 blocked of 11 (73 %) by five different causes, and 3 without internet.
func theFleet() []fleetDesktop {
	var f []fleetDesktop
	for range 8 {
		f = append(f, fleetDesktop{"north", diagnosis.CauseOK, healthyDesktop})
	}
	drop := deskRun("iptables", "-A", "OUTPUT", "-d", spotifyNet.String(), "-j", "DROP")
	reject := deskRun("iptables", "-A", "OUTPUT", "-p", "tcp", "-d", spotifyNet.String(), "-j", "REJECT", "--reject-with", "tcp-reset")
	return append(f,
		fleetDesktop{"north", diagnosis.CauseFirewallDrop, drop},
		fleetDesktop{"north", diagnosis.CauseFirewallDrop, drop},
		fleetDesktop{"north", diagnosis.CauseFirewallReject, reject},
		fleetDesktop{"south", diagnosis.CauseFirewallReject, reject},
		fleetDesktop{"south", diagnosis.CauseFirewallReject, reject},
		fleetDesktop{"south", diagnosis.CauseHostsFile, deskHosts},
		fleetDesktop{"south", diagnosis.CauseHostsFile, deskHosts},
		fleetDesktop{"south", diagnosis.CauseDNSFiltered, deskResolver(filterDNS)},
		fleetDesktop{"south", diagnosis.CauseDNSFiltered, deskResolver(filterDNS)},
		fleetDesktop{"south", diagnosis.CauseDNSFailure, deskResolver(failDNS)},
		fleetDesktop{"south", diagnosis.CauseProxyBlocked, deskProxy},
		fleetDesktop{"south", diagnosis.CauseNoNetwork, deskRun("ip", "route", "del", "default")},
		fleetDesktop{"south", diagnosis.CauseNoNetwork, deskRun("ip", "route", "del", "default")},
		fleetDesktop{"south", diagnosis.CauseInternetDown, deskRun("iptables", "-A", "OUTPUT", "-d", "203.0.113.0/24", "-j", "DROP")},
	)
}

// TestLabFleet is the fleet view proven with real parts: 22 desktops, each a namespace of the
// lab behind the one router with its own fault, each running the real `spotwatch daemon` with
// metrics.textfile and Debian's prometheus-node-exporter reading that directory on the
// desktop's lab address, and Debian's Prometheus in a namespace of its own scraping them all,
// with the shipped rules (their `for:` shortened to 3 s) and every query of the shipped
// dashboard. Prometheus must list exactly the Code 7 desktops with their causes (and the Code 4
// ones), fire SpotifyBlockedOnDesktop for each blocked one and SpotifyBlockedAcrossSite for
// the south site only, and SpotwatchNotChecking for a daemon that is stopped. It measures the
// cost per desktop (textfile writes and bytes) and the fleet's series count, logged as
// `fleet-…: N` lines.
func TestLabFleet(t *testing.T) {
	began := time.Now()
	ctx := t.Context()
	bin := buildSpotwatch(t)
	l := lab.NewForTest(t, lab.Config{ExtraServerAddrs: []netip.Addr{filterDNS, failDNS}})
	w, err := labworld.Start(ctx, l)
	labErr(t, "starting the lab world", err)
	t.Cleanup(func() { w.Close() })
	_, err = w.StartResolver(filterDNS, testnet.Sinkhole)
	labErr(t, "starting the filtering resolver", err)
	_, err = w.StartResolver(failDNS, testnet.NXDomain)
	labErr(t, "starting the failing resolver", err)

	var desktops []*lab.Desktop
	t.Cleanup(func() { // registered before any process: runs after they are killed
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := lab.RemoveDesktops(cctx, desktops); err != nil {
			t.Errorf("lab error: removing the desktops: %v", err)
		}
	})
	mon, err := l.AddDesktop(ctx, 0)
	labErr(t, "adding the monitoring namespace", err)
	desktops = append(desktops, mon)

	spec := theFleet()
	dir := t.TempDir()
	writes := newRenameCounter(t)
	type running struct {
		d        *lab.Desktop
		spec     fleetDesktop
		instance string
		textfile string
		daemon   *fleetProcess
	}
	var fleetRun []running
	targets := map[string][]string{}
	for i, s := range spec {
		d, err := l.AddDesktop(ctx, i+1)
		labErr(t, "adding a desktop", err)
		desktops = append(desktops, d)
		env := s.fault(t, ctx, d, w)
		home := filepath.Join(dir, fmt.Sprintf("desk%02d", i+1))
		textDir := filepath.Join(home, "node-exporter")
		textfile := filepath.Join(textDir, "spotwatch.prom")
		cfg := filepath.Join(home, "spotwatch.yaml")
		writeFile(t, cfg, w.ConfigYAML()+fmt.Sprintf("interval: %s\nfailing_interval: 5s\nmetrics: {textfile: %q}\n", fleetInterval, textfile))
		writeFile(t, filepath.Join(textDir, ".keep"), "")
		writes.watch(t, textDir)

		cmd := d.Command(ctx, bin, "daemon", "--config", cfg)
		cmd.Env = append(append(cmd.Env, env...), "HOME="+home, "XDG_RUNTIME_DIR="+filepath.Join(home, "run"),
			"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
		writeFile(t, filepath.Join(home, "run", ".keep"), "")
		daemon := startIn(t, d.Name+" spotwatch daemon", cmd)

		listen := lab.Addr(d.Addr, 9100)
		startIn(t, d.Name+" node_exporter", d.Command(ctx, "prometheus-node-exporter",
			"--web.listen-address="+listen, "--collector.disable-defaults", "--collector.textfile",
			"--collector.textfile.directory="+textDir))
		targets[s.site] = append(targets[s.site], listen)
		fleetRun = append(fleetRun, running{d, s, listen, textfile, daemon})
	}

	// Prometheus, scraping every second and evaluating the shipped rules every second.
	promDir := filepath.Join(dir, "prometheus")
	rules, err := fastRules(fleet.Rules, "3s")
	labErr(t, "shortening the rules' for:", err)
	writeFile(t, filepath.Join(promDir, "spotwatch-rules.yml"), string(rules))
	var cfg strings.Builder
	cfg.WriteString("global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}\nrule_files: [spotwatch-rules.yml]\nscrape_configs:\n  - job_name: desktops\n    static_configs:\n")
	for _, site := range slices.Sorted(maps.Keys(targets)) {
		fmt.Fprintf(&cfg, "      - targets: [%s]\n        labels: {site: %s}\n", strings.Join(targets[site], ", "), site)
	}
	writeFile(t, filepath.Join(promDir, "prometheus.yml"), cfg.String())
	startIn(t, "prometheus", mon.Command(ctx, "prometheus",
		"--config.file="+filepath.Join(promDir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(promDir, "data"),
		"--web.listen-address="+lab.Addr(mon.Addr, 9090), "--storage.tsdb.retention.time=1h"))
	prom := newPromAPI(mon, 9090)

	// Every desktop has checked and been scraped.
	waitProm(t, prom, "every desktop reporting a state", 90*time.Second, "spotwatch_state_code != -1", func(s []sample) error {
		if len(s) != len(spec) {
			return fmt.Errorf("%d of %d desktops", len(s), len(spec))
		}
		return nil
	})
	settled := time.Since(began)

	wantBlocked, wantDown := map[string]string{}, map[string]string{}
	for _, r := range fleetRun {
		switch r.spec.want.Code() {
		case diagnosis.CodeBlocked:
			wantBlocked[r.instance] = string(r.spec.want)
		case diagnosis.CodeNoInternet:
			wantDown[r.instance] = string(r.spec.want)
		}
	}
	byInstance := func(s []sample) map[string]string {
		got := map[string]string{}
		for _, x := range s {
			got[x.Metric["instance"]] = x.Metric["cause"]
		}
		return got
	}
	// Exactly the Code 7 desktops with their causes, as an admin's query lists them.
	waitProm(t, prom, "the Code 7 desktops and their causes", 60*time.Second,
		"spotwatch_state == 1 and on(instance, job) spotwatch_state_code == 7", func(s []sample) error {
			return sameMap(byInstance(s), wantBlocked)
		})
	waitProm(t, prom, "the Code 4 desktops and their causes", 30*time.Second,
		"spotwatch_state == 1 and on(instance, job) spotwatch_state_code == 4", func(s []sample) error {
			return sameMap(byInstance(s), wantDown)
		})

	// The rules fire for exactly those desktops and the south site.
	firing := func(alert string) func([]sample) error {
		return func(s []sample) error {
			got := map[string]string{}
			for _, x := range s {
				got[x.Metric["instance"]] = x.Metric["site"]
			}
			want := map[string]string{}
			switch alert {
			case "SpotifyBlockedOnDesktop":
				for _, r := range fleetRun {
					if r.spec.want.Code() == diagnosis.CodeBlocked {
						want[r.instance] = r.spec.site
					}
				}
			case "SpotifyBlockedAcrossSite":
				want[""] = "south"
			}
			return sameMap(got, want)
		}
	}
	for _, alert := range []string{"SpotifyBlockedOnDesktop", "SpotifyBlockedAcrossSite"} {
		waitProm(t, prom, alert+" firing", 60*time.Second, fmt.Sprintf(`ALERTS{alertname=%q, alertstate="firing"}`, alert), firing(alert))
	}
	if s, err := prom.query(ctx, `ALERTS{alertname="SpotwatchNotChecking"}`); err != nil || len(s) != 0 {
		t.Errorf("SpotwatchNotChecking while every daemon checks: %v, %v", s, err)
	}

	// The cost per desktop while the fleet runs: textfile writes (renames into the directory,
	// as node_exporter sees them) against the checks the files count, and bytes.
	costFrom := time.Now()
	startWrites, startChecks := map[string]int{}, map[string]float64{}
	for _, r := range fleetRun {
		startWrites[r.textfile] = writes.count(filepath.Dir(r.textfile))
		startChecks[r.textfile] = fileChecks(r.textfile)
	}

	// A daemon stops (SIGTERM): its textfile stays, and the staleness rule names it alone.
	stopped := fleetRun[7]
	stopped.daemon.stop(t)
	stoppedAt := time.Now()
	waitProm(t, prom, "SpotwatchNotChecking firing for the stopped daemon", 3*fleetInterval+30*time.Second,
		`ALERTS{alertname="SpotwatchNotChecking", alertstate="firing"}`, func(s []sample) error {
			got := map[string]string{}
			for _, x := range s {
				got[x.Metric["instance"]] = x.Metric["site"]
			}
			return sameMap(got, map[string]string{stopped.instance: stopped.spec.site})
		})
	t.Logf("fleet-stale-alert-after-stop-s: %.1f (3 intervals of %v + for: 3s + scrape and evaluation)", time.Since(stoppedAt).Seconds(), fleetInterval)

	// Every query of the dashboard runs on this Prometheus and shows something.
	queries, err := fleet.DashboardQueries()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		s, err := prom.query(ctx, q.Expr)
		switch {
		case err != nil:
			t.Errorf("dashboard panel %q (%s): %v", q.Panel, q.RefID, err)
		case len(s) == 0:
			t.Errorf("dashboard panel %q (%s) shows nothing for the fleet: %s", q.Panel, q.RefID, q.Expr)
		}
	}

	// The figures.
	elapsed := time.Since(costFrom)
	var totalWrites, totalChecks float64
	var sizes []int64
	for _, r := range fleetRun {
		sizes = append(sizes, fileSize(r.textfile))
		if r.instance == stopped.instance {
			continue
		}
		totalWrites += float64(writes.count(filepath.Dir(r.textfile)) - startWrites[r.textfile])
		totalChecks += fileChecks(r.textfile) - startChecks[r.textfile]
	}
	slices.Sort(sizes)
	live := float64(len(fleetRun) - 1)
	t.Logf("fleet-desktops: %d (%d Code 7, %d Code 4), sites: %d", len(fleetRun), len(wantBlocked), len(wantDown), len(targets))
	t.Logf("fleet-textfile-bytes: min %d, median %d, max %d", sizes[0], sizes[len(sizes)/2], sizes[len(sizes)-1])
	t.Logf("fleet-textfile-writes-per-check: %.2f (%.0f writes for %.0f checks of %d running daemons in %.0f s)",
		totalWrites/max(totalChecks, 1), totalWrites, totalChecks, int(live), elapsed.Seconds())
	// A write can be between its rename and the reading of the counts at either end of the
	// window: one per daemon each way.
	if totalChecks < live || totalWrites < totalChecks-2*live || totalWrites > 2*totalChecks+2*live {
		t.Errorf("%.0f textfile writes for %.0f checks: want one write per check, and at most one more per state change", totalWrites, totalChecks)
	}
	for _, q := range []struct{ name, expr string }{
		{"fleet-series-spotwatch", `count({__name__=~"spotwatch_.+"})`},
		{"fleet-series-per-desktop-max", `max(count by (instance) ({__name__=~"spotwatch_.+"}))`},
		{"fleet-series-per-desktop-min", `min(count by (instance) ({__name__=~"spotwatch_.+"}))`},
		{"fleet-series-all-scraped", `count({job="desktops"})`},
		{"fleet-series-head", `prometheus_tsdb_head_series`},
	} {
		s, err := prom.query(ctx, q.expr)
		if err != nil || len(s) == 0 {
			if q.name == "fleet-series-head" {
				continue // Prometheus does not scrape itself here
			}
			t.Errorf("%s: %v %v", q.name, s, err)
			continue
		}
		t.Logf("%s: %.0f", q.name, s[0].Value)
	}
	var tsdb struct {
		Data struct {
			HeadStats struct {
				NumSeries int `json:"numSeries"`
			} `json:"headStats"`
		} `json:"data"`
	}
	if err := prom.get(ctx, "/api/v1/status/tsdb", &tsdb); err != nil {
		t.Errorf("Prometheus' TSDB status: %v", err)
	} else {
		t.Logf("fleet-series-head: %d (every series Prometheus holds: spotwatch's, node_exporter's own, up and the scrape's)", tsdb.Data.HeadStats.NumSeries)
	}
	t.Logf("fleet-settled-s: %.1f (build, lab, %d desktops and their processes, first checks scraped)", settled.Seconds(), len(fleetRun))
	t.Logf("fleet-test-s: %.1f", time.Since(began).Seconds())
}

// waitProm polls a query until check accepts its result, failing the test with the last
// reason after limit.
func waitProm(t *testing.T, prom *promAPI, what string, limit time.Duration, expr string, check func([]sample) error) {
	t.Helper()
	var last error
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		s, err := prom.query(t.Context(), expr)
		if err == nil {
			err = check(s)
		}
		if err == nil {
			return
		}
		last = err
	}
	t.Fatalf("%s: not within %v: %v\nquery: %s", what, limit, last, expr)
}

// sameMap describes how got differs from want, or is nil.
func sameMap(got, want map[string]string) error {
	var diffs []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("missing %s=%s", k, v))
		} else if g != v {
			diffs = append(diffs, fmt.Sprintf("%s: %s, want %s", k, g, v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected %s=%s", k, v))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	sort.Strings(diffs)
	return fmt.Errorf("%s", strings.Join(diffs, "; "))
}

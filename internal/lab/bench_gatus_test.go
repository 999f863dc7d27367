//go:build linux

package lab_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/internal/testutil"
)

// BenchmarkLabIdleVsGatus measures spotwatch's daemon beside gatus v5.15.0 (issue 17), both in
// the lab's client namespace against the lab's servers, each with the same four probes a round
// (Spotify's HTTPS API, an access point on 4070, a captive-portal URL, a TCP reference by IP):
//
//   - bytes on the wire per healthy round, each alone at a 10 s interval for three rounds (the
//     router's interface counters, both directions);
//   - CPU time (the scheduler's count of every thread, /proc/PID/task/*/schedstat) and RSS, both
//     running side by side at a 60 s interval for BENCH_WINDOW (default 10m), counted from 5 s
//     after start (start-up and spotwatch's first, full, check excluded).
//
// GATUS_BIN names the gatus binary (bench/gatus.sh builds it). Run through `make bench`, or:
// GATUS_BIN=$(bench/gatus.sh) go test ./internal/lab -run '^$' -bench LabIdleVsGatus -benchtime 1x -timeout 60m
func BenchmarkLabIdleVsGatus(b *testing.B) {
	gatus := os.Getenv("GATUS_BIN")
	if gatus == "" {
		b.Fatal("GATUS_BIN is not set: build gatus with bench/gatus.sh and name it there")
	}
	window := 10 * time.Minute
	if s := os.Getenv("BENCH_WINDOW"); s != "" {
		var err error
		if window, err = time.ParseDuration(s); err != nil || window < 30*time.Second {
			b.Fatalf("BENCH_WINDOW=%q: want a duration of at least 30s", s)
		}
	}
	bin := buildSpotwatch(b)
	w := labworld.NewForTest(b)
	ctx := b.Context()
	for b.Loop() {
		swBytes := roundBytes(b, ctx, w, func(ctx context.Context) *exec.Cmd { return spotwatchCmd(b, ctx, w, bin, 10*time.Second) })
		gBytes := roundBytes(b, ctx, w, func(ctx context.Context) *exec.Cmd { return gatusCmd(b, ctx, w, gatus, 10*time.Second, false) })

		sctx, cancel := context.WithCancel(ctx)
		sw, g := spotwatchCmd(b, sctx, w, bin, time.Minute), gatusCmd(b, sctx, w, gatus, time.Minute, false)
		for _, c := range []*exec.Cmd{sw, g} {
			if err := c.Start(); err != nil {
				cancel()
				b.Fatalf("starting %s: %v", c.Args, err)
			}
		}
		time.Sleep(5 * time.Second)
		sw0, g0 := cpuTicksOf(b, sw.Process.Pid), cpuTicksOf(b, g.Process.Pid)
		swNs0, gNs0 := cpuNsOf(b, sw.Process.Pid), cpuNsOf(b, g.Process.Pid)
		time.Sleep(window - 5*time.Second)
		sw1, g1 := cpuTicksOf(b, sw.Process.Pid), cpuTicksOf(b, g.Process.Pid)
		swNs1, gNs1 := cpuNsOf(b, sw.Process.Pid), cpuNsOf(b, g.Process.Pid)
		swRSS, gRSS := rssKBOf(b, sw.Process.Pid), rssKBOf(b, g.Process.Pid)
		cancel()
		sw.Wait()
		g.Wait()

		// The scheduler's own count (ns), and the 10 ms ticks of /proc/PID/stat as a cross-check:
		// at a tenth of a second over ten minutes the ticks are too coarse to compare two figures.
		swCPU, gCPU := float64(swNs1-swNs0)/1e9, float64(gNs1-gNs0)/1e9
		b.ReportMetric(swCPU, "spotwatch-CPU-s")
		b.ReportMetric(gCPU, "gatus-CPU-s")
		b.ReportMetric(float64(sw1-sw0)/100, "spotwatch-CPU-ticks-s") // USER_HZ = 100
		b.ReportMetric(float64(g1-g0)/100, "gatus-CPU-ticks-s")
		b.ReportMetric(swCPU/gCPU, "CPU-ratio")
		b.ReportMetric(float64(swRSS)/1024, "spotwatch-RSS-MB")
		b.ReportMetric(float64(gRSS)/1024, "gatus-RSS-MB")
		b.ReportMetric(swBytes, "spotwatch-bytes/round")
		b.ReportMetric(gBytes, "gatus-bytes/round")
		b.ReportMetric(window.Minutes(), "window-min")
		b.Logf("\n| figure | gatus | spotwatch |\n|---|---|---|\n| CPU over %v at 60 s | %.3f s | %.3f s (%.2f× gatus) |\n| bytes per healthy round | %.0f B | %.0f B |\n| RSS at the end | %.1f MB | %.1f MB |",
			window, gCPU, swCPU, swCPU/max(gCPU, 0.01), gBytes, swBytes, float64(gRSS)/1024, float64(swRSS)/1024)
	}
}

// roundBytes runs one monitor alone at a 10 s interval and returns the bytes on the client's
// link per round over three rounds, once its first rounds are behind it.
func roundBytes(b *testing.B, ctx context.Context, w *labworld.World, cmd func(context.Context) *exec.Cmd) float64 {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := cmd(ctx)
	if err := c.Start(); err != nil {
		b.Fatalf("starting %s: %v", c.Args, err)
	}
	defer c.Wait()
	defer cancel()
	time.Sleep(15 * time.Second)
	before, err := w.Lab.Counters(ctx)
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(30 * time.Second)
	after, err := w.Lab.Counters(ctx)
	if err != nil {
		b.Fatal(err)
	}
	d := after.Sub(before)
	return float64(d.Up.Bytes+d.Down.Bytes) / 3
}

// spotwatchCmd is the daemon in the client namespace at interval, light mode on (the default),
// without a session bus (a system service), on a machine where the Spotify app is installed
// and not running: a stand-in executable (sleep, called spotify) named in
// spotify.app_executables, which the daemon watches for being run. Without one found, the
// daemon would read the process list every 10 s instead (README, "Performance").
func spotwatchCmd(b *testing.B, ctx context.Context, w *labworld.World, bin string, interval time.Duration) *exec.Cmd {
	dir := b.TempDir()
	exe := testutil.InstallStandInApp(b, filepath.Join(dir, "spotify"))
	cfg := filepath.Join(dir, "spotwatch.yaml")
	yaml := w.ConfigYAML() + fmt.Sprintf("interval: %s\nlog: {level: warn}\nspotify: {app_executables: [%q]}\n", interval, exe)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	c := w.Lab.Command(ctx, bin, "daemon", "--config", cfg)
	c.Env = append(c.Env, "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	return c
}

// gatusCmd is gatus in the client namespace with the same four probes a round at interval,
// in-memory storage, its web server on the namespace's loopback. With alert, the two Spotify
// endpoints alert on their first failure through a custom webhook at 127.0.0.1:18081.
func gatusCmd(b *testing.B, ctx context.Context, w *labworld.World, bin string, interval time.Duration, alert bool) *exec.Cmd {
	dir := b.TempDir()
	ref := lab.Addr(w.Plan.TCPRefs[0], 443)
	alerting, alerts := "", ""
	if alert {
		alerting = "alerting: {custom: {url: \"http://127.0.0.1:18081/alert\", method: POST, body: \"[ENDPOINT_NAME] [ALERT_TRIGGERED_OR_RESOLVED]\"}}\n"
		alerts = ", alerts: [{type: custom, failure-threshold: 1, send-on-resolved: false}]"
	}
	yaml := fmt.Sprintf(`storage: {type: memory}
web: {address: 127.0.0.1, port: 18080}
%[3]sendpoints:
  - {name: spotify-api, url: "https://api.spotify.com/v1/me", interval: %[1]s, conditions: ["[STATUS] < 500"]%[4]s}
  - {name: access-point, url: "tcp://ap.spotify.com:4070", interval: %[1]s, conditions: ["[CONNECTED] == true"]%[4]s}
  - {name: portal, url: "http://connectivitycheck.gstatic.com/generate_204", interval: %[1]s, conditions: ["[STATUS] == 204"]}
  - {name: reference, url: "tcp://%[2]s", interval: %[1]s, conditions: ["[CONNECTED] == true"]}
`, interval, ref, alerting, alerts)
	cfg := filepath.Join(dir, "gatus.yaml")
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	c := w.Lab.Command(ctx, bin)
	c.Env = append(c.Env, "GATUS_CONFIG_PATH="+cfg, "HOME="+dir)
	c.Dir = dir
	return c
}

func cpuTicksOf(b *testing.B, pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatalf("reading the CPU time of %d: %v", pid, err)
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}

// cpuNsOf is the CPU time of a process's threads as the scheduler counts it (the first field
// of /proc/PID/task/TID/schedstat, in ns), precise where the 10 ms ticks are not. Threads that
// exited are not counted: a Go program keeps its threads.
func cpuNsOf(b *testing.B, pid int) int64 {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		b.Fatalf("reading the threads of %d: %v", pid, err)
	}
	var total int64
	for _, task := range tasks {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/schedstat")
		if err != nil {
			continue // the thread ended in between
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			total += ns
		}
	}
	return total
}

func rssKBOf(b *testing.B, pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatalf("reading the RSS of %d: %v", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb
		}
	}
	b.Fatalf("no VmRSS for %d", pid)
	return 0
}

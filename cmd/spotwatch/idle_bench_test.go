package main_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

var idleFor = flag.Duration("idle", 10*time.Minute, "how long BenchmarkIdleDaemon lets the daemon idle")

// BenchmarkIdleDaemon runs the real daemon against the loopback world at the default 60 s
// interval with the full probe set, lets it idle, and reports its resident memory and the CPU
// time it used. The Spotify app is installed and not running (a stand-in executable named in
// spotify.app_executables), and there is no session bus: a system daemon on a Spotify user's
// machine. Run: go test ./cmd/spotwatch -run '^$' -bench IdleDaemon -benchtime 1x -idle 10m
func BenchmarkIdleDaemon(b *testing.B) {
	for b.Loop() {
		w := newWorld(b)
		dir := b.TempDir()
		exe := testutil.InstallStandInApp(b, filepath.Join(dir, "spotify"))
		cfg, err := w.WriteConfig(fmt.Sprintf("spotify: {app_executables: [%q]}\n", exe))
		if err != nil {
			b.Fatal(err)
		}
		d := startDaemon(b, w, dir, cfg)
		pid := d.cmd.Process.Pid
		startCPU := cpuTicks(b, pid)
		time.Sleep(5 * time.Second) // the first check, with the system root store's loading
		warmCPU := cpuTicks(b, pid)
		time.Sleep(*idleFor - 5*time.Second)
		endCPU := cpuTicks(b, pid)
		cpu := time.Duration(endCPU-startCPU) * 10 * time.Millisecond // USER_HZ = 100
		b.ReportMetric((time.Duration(warmCPU-startCPU) * 10 * time.Millisecond).Seconds(), "first-check-CPU-s")
		b.ReportMetric((time.Duration(endCPU-warmCPU) * 10 * time.Millisecond).Seconds(), "steady-CPU-s")
		if roll, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup"); err == nil {
			b.Logf("smaps_rollup:\n%s", roll)
		}
		b.ReportMetric(float64(rssKB(b, pid))/1024, "RSS-MB")
		b.ReportMetric(cpu.Seconds(), "CPU-s")
		b.ReportMetric(idleFor.Minutes(), "idle-min")
	}
}

// cpuTicks is utime+stime of a process in clock ticks.
func cpuTicks(b *testing.B, pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}

// rssKB is a process's resident set size in KiB.
func rssKB(b *testing.B, pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

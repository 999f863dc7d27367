//go:build linux

package screentest

import (
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testworld"
)

var trayIdle = flag.Duration("tray-idle", 2*time.Minute, "how long BenchmarkIdleTray samples the idle tray and daemon, after their warm-up")

// trayWarmUp is how long the tray and the daemon run, their icon shown, before the window
// BenchmarkIdleTray measures: the rest of start-up (the tray host's first calls, the daemon's
// first check and its release of memory) is over by then.
const trayWarmUp = 10 * time.Second

// traySample is how often BenchmarkIdleTray reads the two processes' resident sets.
const traySample = 5 * time.Second

// BenchmarkIdleTray measures what `spotwatch tray` costs while nothing happens, beside the
// daemon it follows: a real desktop (startDesktop), the daemon at the default 60 s interval
// with the full probe set against the loopback world, and the tray following it until its ok
// icon is on screen. After trayWarmUp it samples both processes for -tray-idle and reports
// their resident memory at the end (VmRSS; the largest sample as well), the CPU time each used
// over the window (utime+stime), the tray's wake-ups per minute, and logs the tray's
// smaps_rollup (anonymous memory against pages of files). Run:
//
//	go test ./tray/screentest -run '^$' -bench IdleTray -benchtime 1x -tray-idle 2m
func BenchmarkIdleTray(b *testing.B) {
	for b.Loop() {
		s, _ := startDesktop(b)
		w, err := testworld.New(b.TempDir())
		if err != nil {
			b.Fatalf("starting the loopback world: %v", err)
		}
		b.Cleanup(func() { w.Close() })
		sock := filepath.Join(b.TempDir(), "api.sock")
		cfg, err := w.WriteConfig(fmt.Sprintf("api: {socket: %q}\n", sock)) // otherwise the defaults
		if err != nil {
			b.Fatal(err)
		}
		env := "SSL_CERT_FILE=" + w.SystemPEM
		daemon := s.start(b, "daemon", env, "daemon", "--config", cfg)
		// The tray starts once the daemon knows the state, as at a login after the daemon (a
		// service) came up: its first state is ok, not "checking".
		waitLine(b, daemon.log, `msg="state changed"`, "to=ok")
		tr := s.start(b, "tray", env, "tray", "--config", cfg)
		waitLine(b, tr.log, "following the daemon")
		s.waitScreen("the ok icon", func(img image.Image) error { _, err := iconIn(img, okGreen, blockedRed); return err })
		time.Sleep(trayWarmUp)

		trayPID, daemonPID := tr.cmd.Process.Pid, daemon.cmd.Process.Pid
		trayCPU0, daemonCPU0 := cpuTicks(b, trayPID), cpuTicks(b, daemonPID)
		trayWakes0 := wakeups(b, trayPID)
		var trayMax, daemonMax int64
		for end := time.Now().Add(*trayIdle); time.Now().Before(end); {
			time.Sleep(min(traySample, time.Until(end)))
			trayMax, daemonMax = max(trayMax, rssKB(b, trayPID)), max(daemonMax, rssKB(b, daemonPID))
		}
		trayCPU, daemonCPU := ticks(cpuTicks(b, trayPID)-trayCPU0), ticks(cpuTicks(b, daemonPID)-daemonCPU0)
		trayWakes := wakeups(b, trayPID) - trayWakes0
		trayRSS, daemonRSS := rssKB(b, trayPID), rssKB(b, daemonPID)
		logRollup(b, "tray", trayPID)

		b.ReportMetric(mb(trayRSS), "tray-RSS-MB")
		b.ReportMetric(mb(trayMax), "tray-max-RSS-MB")
		b.ReportMetric(trayCPU.Seconds(), "tray-CPU-s")
		b.ReportMetric(float64(trayWakes)/trayIdle.Minutes(), "tray-wakeups/min")
		b.ReportMetric(mb(daemonRSS), "daemon-RSS-MB")
		b.ReportMetric(mb(daemonMax), "daemon-max-RSS-MB")
		b.ReportMetric(daemonCPU.Seconds(), "daemon-CPU-s")
		b.ReportMetric(trayIdle.Minutes(), "idle-min")
	}
}

// mb is KiB in MiB.
func mb(kb int64) float64 { return float64(kb) / 1024 }

// ticks is a count of clock ticks as a duration (USER_HZ = 100 on Linux).
func ticks(n int64) time.Duration { return time.Duration(n) * 10 * time.Millisecond }

// cpuTicks is utime+stime of a process in clock ticks.
func cpuTicks(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}

// wakeups is how many times the threads of a process gave up the CPU to wait (the sum of
// their voluntary context switches): each is a wake-up that follows, a measure of periodic
// work that CPU time in 10 ms ticks is too coarse to show.
func wakeups(b *testing.B, pid int) int64 {
	b.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
	if err != nil || len(tasks) == 0 {
		b.Fatalf("listing the threads of %d: %v", pid, err)
	}
	var n int64
	for _, path := range tasks {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // a thread that ended
		}
		v, _ := kBField(data, "voluntary_ctxt_switches:")
		n += v
	}
	return n
}

// rssKB is a process's resident set size in KiB (VmRSS).
func rssKB(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	kb, ok := kBField(data, "VmRSS:")
	if !ok {
		b.Fatal("no VmRSS")
	}
	return kb
}

// logRollup logs a process's smaps_rollup, and its resident set split into anonymous memory
// (heap, stacks, the Go runtime's) and pages of files (the binary, shared libraries).
func logRollup(b *testing.B, name string, pid int) {
	b.Helper()
	roll, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		b.Logf("%s: %v", name, err)
		return
	}
	rss, _ := kBField(roll, "Rss:")
	anon, _ := kBField(roll, "Anonymous:")
	b.Logf("%s resident: %d kB, of which anonymous %d kB and file-backed %d kB; smaps_rollup:\n%s", name, rss, anon, rss-anon, roll)
}

// kBField is the number after key in /proc's "Key:   value kB" (or "Key: value") lines.
func kBField(data []byte, key string) (int64, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				return n, err == nil
			}
		}
	}
	return 0, false
}

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
// their resident memory at the end (VmRSS; the largest sample as well) and the CPU time each
// used over the window (utime+stime, in 10 ms ticks, and the threads' time on a CPU from
// schedstat, in ms), with the tray's wake-ups per minute and minor page faults (pages it
// mapped again) over the window; it logs the tray's smaps_rollup (anonymous memory against
// pages of files). Run:
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
		tray0, daemon0 := readUsage(b, trayPID), readUsage(b, daemonPID)
		var trayMax, daemonMax int64
		for end := time.Now().Add(*trayIdle); time.Now().Before(end); {
			time.Sleep(min(traySample, time.Until(end)))
			trayMax, daemonMax = max(trayMax, rssKB(b, trayPID)), max(daemonMax, rssKB(b, daemonPID))
		}
		trayUse, daemonUse := readUsage(b, trayPID).since(tray0), readUsage(b, daemonPID).since(daemon0)
		trayRSS, daemonRSS := rssKB(b, trayPID), rssKB(b, daemonPID)
		logRollup(b, "tray", trayPID)
		logRollup(b, "daemon", daemonPID)

		b.ReportMetric(mb(trayRSS), "tray-RSS-MB")
		b.ReportMetric(mb(trayMax), "tray-max-RSS-MB")
		b.ReportMetric(trayUse.cpu().Seconds(), "tray-CPU-s")
		b.ReportMetric(ms(trayUse.onCPU), "tray-CPU-ms")
		b.ReportMetric(float64(trayUse.wakeups)/trayIdle.Minutes(), "tray-wakeups/min")
		b.ReportMetric(float64(trayUse.faults), "tray-minor-faults")
		b.ReportMetric(mb(daemonRSS), "daemon-RSS-MB")
		b.ReportMetric(mb(daemonMax), "daemon-max-RSS-MB")
		b.ReportMetric(daemonUse.cpu().Seconds(), "daemon-CPU-s")
		b.ReportMetric(ms(daemonUse.onCPU), "daemon-CPU-ms")
		b.ReportMetric(trayIdle.Minutes(), "idle-min")
	}
}

// mb is KiB in MiB.
func mb(kb int64) float64 { return float64(kb) / 1024 }

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// usage is what a process has used so far, summed over its threads where /proc counts per
// thread.
type usage struct {
	ticks   int64         // utime+stime in clock ticks (USER_HZ = 100 on Linux)
	onCPU   time.Duration // the time its threads ran (schedstat), to the nanosecond
	faults  int64         // minor page faults: among them, pages of the binary mapped again
	wakeups int64         // voluntary context switches: each a wait, and a wake-up after it
}

// cpu is the ticks as a duration.
func (u usage) cpu() time.Duration { return time.Duration(u.ticks) * 10 * time.Millisecond }

// since is what was used between then and u.
func (u usage) since(then usage) usage {
	return usage{u.ticks - then.ticks, u.onCPU - then.onCPU, u.faults - then.faults, u.wakeups - then.wakeups}
}

// readUsage reads a process's usage from /proc. Threads that ended are not in the sums of
// onCPU and wakeups (a Go program seldom ends a thread).
func readUsage(b *testing.B, pid int) usage {
	b.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	data, err := os.ReadFile(dir + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses and may hold spaces; the
	// first of them is field 3 of proc(5).
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	field := func(n int) int64 { v, _ := strconv.ParseInt(fields[n-3], 10, 64); return v }
	u := usage{ticks: field(14) + field(15), faults: field(10)}
	tasks, err := filepath.Glob(dir + "/task/*")
	if err != nil || len(tasks) == 0 {
		b.Fatalf("listing the threads of %d: %v", pid, err)
	}
	for _, task := range tasks {
		if sched, err := os.ReadFile(task + "/schedstat"); err == nil {
			if f := strings.Fields(string(sched)); len(f) > 0 {
				ns, _ := strconv.ParseInt(f[0], 10, 64)
				u.onCPU += time.Duration(ns)
			}
		}
		if status, err := os.ReadFile(task + "/status"); err == nil {
			v, _ := kBField(status, "voluntary_ctxt_switches:")
			u.wakeups += v
		}
	}
	return u
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

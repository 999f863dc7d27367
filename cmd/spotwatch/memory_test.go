package main_test

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor"
)

// gcGoal is the heap goal in a GODEBUG=gctrace=1 line: "gc 4 @1.2s 0%: …, 3->3->1 MB, 4 MB goal, …".
var gcGoal = regexp.MustCompile(`(?m)^gc \d+ @.* (\d+) MB goal`)

// TestDaemonKeepsASmallHeapInLightMode runs the real daemon in light mode, checking every
// second, and reads the garbage collector's own trace: once light checks run, it collects when
// the heap has grown about 1 MB past the live heap (internal/daemon.collectForLightChecks), a
// 1–2 MB goal instead of the Go runtime's 4 MB minimum, which a daemon with a 1 MB live heap
// would otherwise keep mapped (docs/design.md, "Memory").
func TestDaemonKeepsASmallHeapInLightMode(t *testing.T) {
	w := newWorld(t)
	cfg, err := w.WriteConfig("interval: 1s\nfailing_interval: 1s\ntimeout: 1s\nfull_check_every: 1h\n")
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, w, t.TempDir(), cfg, "GODEBUG=gctrace=1")
	d.waitStatus(t, "light mode", 15*time.Second, func(st monitor.Status) bool { return st.Mode == monitor.ModeLight })
	seen := len(d.logText())
	deadline := time.Now().Add(40 * time.Second)
	for {
		var goals []int
		for _, m := range gcGoal.FindAllStringSubmatch(d.logText()[seen:], -1) {
			goal, _ := strconv.Atoi(m[1])
			goals = append(goals, goal)
		}
		if len(goals) > 0 {
			// 4 MB: the runtime's default target.
			if goal := goals[len(goals)-1]; goal < 1 || goal > 2 {
				t.Fatalf("heap goals in light mode: %v MB, want 1–2 MB: the live heap and 1 MB\n%s", goals, d.logText())
			}
			t.Logf("heap goals in light mode: %v MB", goals)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no garbage collection in 40 s of light checks every second: the heap may grow to the runtime's 4 MB minimum\n%s", d.logText())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

package probe_test

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// soakFaults are faults that can be switched on and off in an instant in the loopback world.
var soakFaults = []struct {
	name  string
	apply func(w *testworld.World)
}{
	{"none", func(w *testworld.World) {}},
	{"dns sinkhole", func(w *testworld.World) { w.Zone.SetModeSuffix("spotify.com", testnet.Sinkhole) }},
	{"dns nxdomain", func(w *testworld.World) { w.Zone.SetModeSuffix("spotify.com", testnet.NXDomain) }},
	{"sni filter", func(w *testworld.World) { w.PointSpotify(testworld.HostSNIFilter, false) }},
	{"interception", func(w *testworld.World) { w.PointSpotify(testworld.HostInterceptor, false) }},
	{"refused", func(w *testworld.World) { w.PointSpotify(testworld.HostNothing, true) }},
	{"503", func(w *testworld.World) { w.PointSpotify(testworld.HostUnavailable, false) }},
}

func resetWorld(w *testworld.World) {
	w.Zone.SetModeSuffix("spotify.com", testnet.Answer)
	w.PointSpotify(testworld.HostSpotify, false)
	w.Zone.SetA("ap.spotify.com", w.Addr(testworld.HostAP1))
	w.Zone.SetA("ap-gae2.spotify.com", w.Addr(testworld.HostAP1))
	w.Zone.SetA("ap-gew1.spotify.com", w.Addr(testworld.HostAP2))
}

type soakFigures struct {
	checks, injected, stateChanges    int
	goroutinesBefore, goroutinesAfter int
	fdsBefore, fdsAfter               int
	heapBefore, heapAfter             uint64
}

// soak runs n checks through a real Monitor (back to back) against the loopback world while
// faults switch at random, and measures what the process holds before and after.
func soak(t testing.TB, n int) soakFigures {
	w := newWorld(t)
	checker, err := probe.New(w.Config(), probe.Options{SystemRoots: w.SystemRoots(), Getenv: func(string) string { return "" }, Facts: probe.FactsSource{PrefsFiles: []string{}}})
	if err != nil {
		t.Fatal(err)
	}
	s := monitor.Settings{Interval: time.Millisecond, FailingInterval: time.Millisecond, Confirm: time.Millisecond, Timeout: 5 * time.Second, Fail: 2, Recover: 1}
	m := monitor.New(s, checker.Diagnose, monitor.Options{})
	events, unsubscribe := m.Subscribe()
	defer unsubscribe()
	<-events // the initial state

	var f soakFigures
	warm := 10
	rng := rand.New(rand.NewPCG(1, 2))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	current := 0
	for f.checks < n+warm {
		ev, ok := <-events
		if !ok {
			t.Fatal("the monitor dropped the soak's subscription")
		}
		switch ev.Type {
		case monitor.EventState:
			if f.checks >= warm {
				f.stateChanges++
			}
		case monitor.EventCheck:
			f.checks++
			if f.checks == warm {
				f.goroutinesBefore, f.fdsBefore, f.heapBefore = quiescentFigures(m, s, checker, events)
			}
			if f.checks > warm && rng.Float64() < 0.05 { // a fault lasts 20 checks on average
				next := rng.IntN(len(soakFaults))
				if soakFaults[next].name != soakFaults[current].name {
					f.injected++
				}
				current = next
				resetWorld(w)
				soakFaults[next].apply(w)
			}
		}
	}
	f.goroutinesAfter, f.fdsAfter, f.heapAfter = quiescentFigures(m, s, checker, events)
	cancel()
	<-done
	f.checks -= warm
	return f
}

// quiescentFigures pauses the monitor's schedule, lets the check in flight finish, measures,
// and resumes: figures taken mid-check would count that check's sockets as leaks.
func quiescentFigures(m *monitor.Monitor, s monitor.Settings, checker *probe.Checker, events <-chan monitor.Event) (int, int, uint64) {
	idle := s
	idle.Interval, idle.FailingInterval, idle.Confirm = time.Hour, time.Hour, time.Hour
	m.Reload(idle, checker.Diagnose)
	for quiet := false; !quiet; {
		select {
		case <-events:
		case <-time.After(300 * time.Millisecond):
			quiet = true
		}
	}
	g, fds, heap := processFigures()
	m.Reload(s, checker.Diagnose)
	m.CheckNow()
	return g, fds, heap
}

// processFigures returns goroutines, open file descriptors and live heap bytes after a GC.
func processFigures() (int, int, uint64) {
	runtime.GC()
	time.Sleep(50 * time.Millisecond) // let closed connections' goroutines finish
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, _ := os.ReadDir("/proc/self/fd")
	return runtime.NumGoroutine(), len(fds), ms.HeapAlloc
}

// TestSoakLeaksNothing runs 1,000 checks with random faults: goroutines and file descriptors
// must come back to where they were, and the state must change no more often than the faults.
func TestSoakLeaksNothing(t *testing.T) {
	f := soak(t, 1000)
	t.Logf("%+v", f)
	if f.goroutinesAfter > f.goroutinesBefore+2 {
		t.Errorf("goroutines %d → %d after %d checks", f.goroutinesBefore, f.goroutinesAfter, f.checks)
	}
	if f.fdsAfter > f.fdsBefore+2 {
		t.Errorf("open files %d → %d after %d checks", f.fdsBefore, f.fdsAfter, f.checks)
	}
	if f.stateChanges > 2*f.injected+1 {
		t.Errorf("%d state changes for %d injected faults: hysteresis is not holding", f.stateChanges, f.injected)
	}
}

// BenchmarkSoak is the 5,000-check soak of issue 4; run it with
// go test ./monitor -run '^$' -bench Soak -benchtime 1x
func BenchmarkSoak(b *testing.B) {
	for b.Loop() {
		f := soak(b, 5000)
		b.ReportMetric(float64(f.goroutinesBefore), "goroutines-before")
		b.ReportMetric(float64(f.goroutinesAfter), "goroutines-after")
		b.ReportMetric(float64(f.fdsBefore), "fds-before")
		b.ReportMetric(float64(f.fdsAfter), "fds-after")
		b.ReportMetric(float64(f.heapBefore)/1024, "heapKB-before")
		b.ReportMetric(float64(f.heapAfter)/1024, "heapKB-after")
		b.ReportMetric(float64(f.injected), "faults-injected")
		b.ReportMetric(float64(f.stateChanges), "state-changes")
	}
}

package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// house is a daemon with what housekeeping uses, on real files in a temporary directory: its
// history (at the default beat interval), a config file, a monitor that is not running, and
// the channels that wake the housekeeping goroutine. Made inside a synctest bubble, whose clock
// the history and the goroutine run on.
type house struct {
	d       *daemon
	log     *testutil.LockedBuffer
	checked chan struct{}
	changed chan struct{}
	alive   string // the history's alive stamp
}

func newHouse(t *testing.T, poll time.Duration) *house {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "spotwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte("interval: 2m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &house{log: &testutil.LockedBuffer{}, checked: make(chan struct{}, 1), changed: make(chan struct{}, 1), alive: filepath.Join(dir, "history.log") + history.AliveSuffix}
	log := slog.New(slog.NewTextHandler(h.log, nil))
	store, err := history.OpenKeeper(filepath.Join(dir, "history.log"), history.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := config.Default()
	checker, err := probe.New(cfg, probe.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.d = &daemon{
		log: log, store: store, cfgPath: cfgPath, cfgPoll: poll, hup: make(chan os.Signal, 1), checked: h.checked,
		monitor: monitor.New(monitor.SettingsFrom(cfg), CheckFunc(checker, log), monitor.Options{Logger: log}),
	}
	h.d.cfgMod, h.d.cfgSize = fileStamp(cfgPath)
	return h
}

// run runs the housekeeping loop, the config file polled every poll (0: file events), until
// the returned stop is called; stop returns the loop's schedule.
func (h *house) run(poll time.Duration) (stop func() *schedule) {
	ctx, cancel := context.WithCancel(context.Background())
	s := h.d.newSchedule(poll)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.d.keepHouse(ctx, h.checked, h.changed, s)
	}()
	return func() *schedule {
		cancel()
		<-done
		return s
	}
}

// check is what afterCheck does when a check ends.
func (h *house) check() {
	select {
	case h.checked <- struct{}{}:
	default:
	}
}

// stamped is the time in the history's alive stamp.
func (h *house) stamped(t *testing.T) time.Time {
	t.Helper()
	b, err := os.ReadFile(h.alive)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		t.Fatalf("alive stamp %q", b)
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("alive stamp %q: %v", b, err)
	}
	return time.Unix(0, ns)
}

// TestHousekeepBeatsWithTheChecks: the history is stamped alive right after checks, and the
// housekeeping goroutine's timer never wakes it while checks come every beat interval (a
// minute) or a little less often; with checks far apart, or none, it still beats every beat
// interval and the slack, and every minute while the config file is polled. Beats never stop
// long enough to count as a sleep, and failing checks every 15 s do not stamp at each check.
func TestHousekeepBeatsWithTheChecks(t *testing.T) {
	const run = 15 * time.Minute
	tests := []struct {
		name       string
		checkEvery time.Duration // 0: no check
		poll       time.Duration // the config file's poll; 0: file events
		ownWakes   int           // the most the timer may wake the goroutine
		atChecks   bool          // every beat is at a check
		maxGap     time.Duration // the longest time between two beats
		maxBeats   int           // the most beats (fsyncs of the stamp) in the run
		minBeats   int
	}{
		{name: "a check a minute", checkEvery: time.Minute, ownWakes: 0, atChecks: true, maxGap: time.Minute, minBeats: 15, maxBeats: 15},
		{name: "a check every 65 s", checkEvery: 65 * time.Second, ownWakes: 0, atChecks: true, maxGap: 65 * time.Second, minBeats: 13, maxBeats: 13},
		{name: "a check every 55 s", checkEvery: 55 * time.Second, ownWakes: 0, atChecks: true, maxGap: 55 * time.Second, minBeats: 16, maxBeats: 16},
		{name: "failing checks every 15 s", checkEvery: 15 * time.Second, ownWakes: 0, atChecks: true, maxGap: 30 * time.Second, minBeats: 30, maxBeats: 30},
		{name: "a 15-minute metered interval", checkEvery: 15 * time.Minute, ownWakes: 12, maxGap: 70 * time.Second, minBeats: 13, maxBeats: 13},
		{name: "no checks", ownWakes: 12, maxGap: 70 * time.Second, minBeats: 12, maxBeats: 12},
		{name: "polled config, a check a minute", checkEvery: time.Minute, poll: 5 * time.Second, ownWakes: int(run / (5 * time.Second)), maxGap: time.Minute, minBeats: 15, maxBeats: 15},
		{name: "polled config, no checks", poll: 5 * time.Second, ownWakes: int(run / (5 * time.Second)), maxGap: time.Minute, minBeats: 15, maxBeats: 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHouse(t, 5*time.Second)
				start := time.Now()
				stop := h.run(tt.poll)
				synctest.Wait()
				if got := h.stamped(t); !got.Equal(start) {
					t.Fatalf("no beat at start: stamped %v, started %v", got, start)
				}
				last, beats, gap := start, 0, time.Duration(0)
				for now := time.Duration(0); now < run; {
					time.Sleep(time.Second)
					now += time.Second
					checked := tt.checkEvery > 0 && now%tt.checkEvery == 0
					if checked {
						h.check()
					}
					synctest.Wait()
					stamp := h.stamped(t)
					if stamp.Equal(last) {
						continue
					}
					if !stamp.Equal(start.Add(now)) {
						t.Fatalf("at %v: stamped %v", now, stamp.Sub(start))
					}
					if tt.atChecks && !checked {
						t.Errorf("at %v: a beat without a check", now)
					}
					beats++
					gap = max(gap, stamp.Sub(last))
					last = stamp
				}
				s := stop()
				if s.ownWakes > tt.ownWakes {
					t.Errorf("the timer woke the goroutine %d times, want at most %d", s.ownWakes, tt.ownWakes)
				}
				if beats < tt.minBeats || beats > tt.maxBeats {
					t.Errorf("%d beats in %v, want %d to %d", beats, run, tt.minBeats, tt.maxBeats)
				}
				if gap > tt.maxGap {
					t.Errorf("beats %v apart, want at most %v", gap, tt.maxGap)
				}
				if strings.Contains(h.log.String(), "did not run") {
					t.Errorf("the history saw a gap:\n%s", h.log.String())
				}
			})
		})
	}
}

// TestHousekeepLooksAtTheConfig: the merged loop reloads the configuration on a file event at
// once, on SIGHUP, on a change no event told of at the first check (or timer) a minute after
// the last look, and by polling once the events stop (the directory went away).
func TestHousekeepLooksAtTheConfig(t *testing.T) {
	const poll = 5 * time.Second
	tests := []struct {
		name       string
		checkEvery time.Duration // 0: no check
		event      bool          // the change comes with a file event
		hup        bool          // SIGHUP, nothing changed
		closeAt    time.Duration // the events stop then (0: never)
		changeAt   time.Duration
		want       time.Duration // when the reload is logged
		trigger    string
	}{
		{name: "a file event", changeAt: 5 * time.Second, event: true, want: 5 * time.Second, trigger: `trigger="file changed"`},
		{name: "SIGHUP", hup: true, changeAt: 7 * time.Second, want: 7 * time.Second, trigger: "trigger=SIGHUP"},
		{name: "no event, a check a minute", checkEvery: time.Minute, changeAt: 5 * time.Second, want: time.Minute, trigger: `trigger="file changed"`},
		{name: "no event, failing checks every 15 s", checkEvery: 15 * time.Second, changeAt: 5 * time.Second, want: time.Minute, trigger: `trigger="file changed"`},
		{name: "no event, no checks", changeAt: 5 * time.Second, want: 70 * time.Second, trigger: `trigger="file changed"`},
		{name: "the events stop: polled", checkEvery: time.Minute, closeAt: 3 * time.Second, changeAt: 11 * time.Second, want: 13 * time.Second, trigger: `trigger="file changed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHouse(t, poll)
				stop := h.run(0)
				defer stop()
				var got time.Duration
				for now := time.Duration(0); now < 3*time.Minute && got == 0; {
					time.Sleep(time.Second)
					now += time.Second
					if now == tt.closeAt {
						close(h.changed)
					}
					if now == tt.changeAt {
						if tt.hup {
							h.d.hup <- syscall.SIGHUP
						} else if err := os.WriteFile(h.d.cfgPath, []byte("interval: 10m\n"), 0o600); err != nil {
							t.Fatal(err)
						}
						if tt.event {
							h.changed <- struct{}{}
						}
					}
					if tt.checkEvery > 0 && now%tt.checkEvery == 0 {
						h.check()
					}
					synctest.Wait()
					if strings.Contains(h.log.String(), "configuration reloaded") {
						got = now
					}
				}
				if got != tt.want {
					t.Errorf("reloaded at %v, want %v\n%s", got, tt.want, h.log.String())
				}
				if !strings.Contains(h.log.String(), tt.trigger) {
					t.Errorf("the reload does not say %s:\n%s", tt.trigger, h.log.String())
				}
			})
		})
	}
}

// TestAfterCheckSignals: each check the monitor runs through afterCheck leaves a token for the
// housekeeping goroutine, one at most while it is not taken, and never waits for it.
func TestAfterCheckSignals(t *testing.T) {
	d := &daemon{checked: make(chan struct{}, 1)}
	calls := 0
	check := d.afterCheck(func(context.Context) (r diagnosis.Result) { calls++; return r })
	check(context.Background())
	check(context.Background()) // the token is not taken: no wait
	if calls != 2 {
		t.Fatalf("the check ran %d times, want 2", calls)
	}
	select {
	case <-d.checked:
	default:
		t.Fatal("no token after a check")
	}
	select {
	case <-d.checked:
		t.Fatal("two tokens")
	default:
	}
}

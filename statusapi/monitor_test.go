package statusapi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// script is a CheckFunc that returns the given results in turn; the cause "panic" panics.
type script struct {
	mu      sync.Mutex
	results []diagnosis.Result
}

func newScript(results ...diagnosis.Result) *script {
	return &script{results: results}
}

func (s *script) check(context.Context) diagnosis.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.results) == 0 {
		panic("the script has run out")
	}
	r := s.results[0]
	s.results = s.results[1:]
	if r.Cause == "panic" {
		panic("a scripted panic")
	}
	return r
}

// TestRealMonitor serves a real Monitor running a scripted check: the client sees its
// events in order, its CheckNow and Pause act on it, and its status matches.
func TestRealMonitor(t *testing.T) {
	checkNoLeaks(t)
	sc := newScript(result(diagnosis.CauseOK, 30), result(diagnosis.CauseDNSFiltered, 200))
	m := monitor.New(monitor.Settings{Interval: time.Hour, FailingInterval: time.Hour, Timeout: 5 * time.Second, Fail: 1, Recover: 1},
		sc.check, monitor.Options{})
	ts := startServer(t, ServerOptions{Source: m}, false)
	c := NewClient(ts.path)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, errs := c.Events(ctx)
	if ev := nextEvent(t, events, errs); ev.Type != monitor.EventState || ev.Status.Cause != diagnosis.CauseChecking {
		t.Fatalf("first event %s %s, want state checking", ev.Type, ev.Status.Cause)
	}

	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		m.Run(runCtx)
	}()
	defer func() { stopRun(); <-runDone }()

	expect := func(typ string, cause diagnosis.Cause) monitor.Event {
		t.Helper()
		ev := nextEvent(t, events, errs)
		if ev.Type != typ || ev.Status.Cause != cause {
			t.Fatalf("event %s %s, want %s %s", ev.Type, ev.Status.Cause, typ, cause)
		}
		return ev
	}
	if ev := expect(monitor.EventState, diagnosis.CauseOK); ev.Previous != diagnosis.CauseChecking {
		t.Errorf("state event's previous %q, want checking", ev.Previous)
	}
	if ev := expect(monitor.EventCheck, diagnosis.CauseOK); ev.Check == nil || ev.Check.DurationMS != 30 {
		t.Errorf("check event carries %+v", ev.Check)
	}

	if err := c.CheckNow(ctx); err != nil {
		t.Fatal(err)
	}
	if ev := expect(monitor.EventState, diagnosis.CauseDNSFiltered); ev.Previous != diagnosis.CauseOK || ev.Status.Code != diagnosis.CodeBlocked {
		t.Errorf("state event %+v", ev)
	}
	expect(monitor.EventCheck, diagnosis.CauseDNSFiltered)

	before := time.Now()
	until, err := c.Pause(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d := until.Sub(before); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("paused until %v, %v from now", until, d)
	}
	if ev := expect(monitor.EventState, diagnosis.CauseDNSFiltered); ev.Status.PausedUntil == nil || !ev.Status.PausedUntil.Equal(until) {
		t.Errorf("pause event's paused_until %v, want %v", ev.Status.PausedUntil, until)
	}

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Cause != diagnosis.CauseDNSFiltered || st.Checks != 2 || st.LastCheckMS != 200 || st.PausedUntil == nil || !st.PausedUntil.Equal(until) {
		t.Errorf("status: cause %s, checks %d, last check %d ms, paused until %v", st.Cause, st.Checks, st.LastCheckMS, st.PausedUntil)
	}
	if _, err := c.Pause(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if ev := expect(monitor.EventState, diagnosis.CauseDNSFiltered); ev.Status.PausedUntil != nil {
		t.Errorf("resume event still paused until %v", ev.Status.PausedUntil)
	}

	ts.shutdown(t)
	for range events {
		t.Error("an event after the shutdown")
	}
	if err := <-errs; !errors.Is(err, ErrStreamEnded) {
		t.Fatalf("stream ended with %v, want ErrStreamEnded", err)
	}
}

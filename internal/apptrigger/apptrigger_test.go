package apptrigger

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestStallDetector feeds readings of the app's connections, one per poll, and checks when an
// event is due.
func TestStallDetector(t *testing.T) {
	stalled := diagnosis.AppConnections{Running: true, Stalled: 1, Remotes: []string{"198.51.100.7:4070"}}
	both := diagnosis.AppConnections{Running: true, Stalled: 2, Established: 1, Remotes: []string{"198.51.100.7:443", "198.51.100.7:4070"}}
	fine := diagnosis.AppConnections{Running: true, Established: 3}
	gone := diagnosis.AppConnections{}
	type step struct {
		c    diagnosis.AppConnections
		at   time.Duration // since the start
		want string        // the event's detail, "" = none
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"one reading is a connection being made", []step{{stalled, 0, ""}, {fine, time.Second, ""}}},
		{"two in a row are a stall", []step{{stalled, 0, ""}, {stalled, 500 * time.Millisecond, "198.51.100.7:4070"}}},
		{"an established connection beside it still counts", []step{{both, 0, ""}, {both, time.Second, "198.51.100.7:443 198.51.100.7:4070"}}},
		{"once per stall", []step{{stalled, 0, ""}, {stalled, time.Second, "198.51.100.7:4070"}, {stalled, 2 * time.Minute, ""}}},
		{"a new stall after the gap", []step{{stalled, 0, ""}, {stalled, time.Second, "198.51.100.7:4070"}, {fine, 2 * time.Second, ""},
			{stalled, 40 * time.Second, ""}, {stalled, 41 * time.Second, "198.51.100.7:4070"}}},
		{"a new stall within the gap waits", []step{{stalled, 0, ""}, {stalled, time.Second, "198.51.100.7:4070"}, {fine, 2 * time.Second, ""},
			{stalled, 3 * time.Second, ""}, {stalled, 4 * time.Second, ""}, {stalled, 31 * time.Second, "198.51.100.7:4070"}}},
		{"the app quit", []step{{stalled, 0, ""}, {gone, time.Second, ""}, {stalled, 2 * time.Second, ""}}},
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := stallDetector{gap: 30 * time.Second}
			for i, s := range tt.steps {
				ev, ok := d.see(s.c, t0.Add(s.at))
				switch {
				case s.want == "" && ok:
					t.Errorf("step %d (%v): event %+v, want none", i, s.at, ev)
				case s.want != "" && (!ok || ev.Reason != ReasonStalled || ev.Detail != s.want):
					t.Errorf("step %d (%v): %+v %v, want a stall with %q", i, s.at, ev, ok, s.want)
				}
			}
		})
	}
}

// TestWatchPolledStartAndStall runs Watch with the process list polled (no session bus) over a
// scripted app: it starts (an event), its connections stall (an event), and nothing else.
func TestWatchPolledStartAndStall(t *testing.T) {
	var phase atomic.Int32 // 0 not running, 1 running fine, 2 stalled
	looked := make(chan struct{})
	var once sync.Once
	find := func() diagnosis.AppConnections {
		switch phase.Load() {
		case 1:
			return diagnosis.AppConnections{Running: true, PIDs: []int{42}, Established: 1}
		case 2:
			return diagnosis.AppConnections{Running: true, PIDs: []int{42}, Stalled: 1, Remotes: []string{"203.0.113.9:4070"}}
		}
		return diagnosis.AppConnections{}
	}
	events := make(chan Event, 8)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, func(e Event) { events <- e }, Options{
			Bus: "none", ProcessPoll: 20 * time.Millisecond, ConnPoll: 10 * time.Millisecond,
			// Only the process-list poll's first look counts as "seen not running": the
			// connection reader may call find first, and the app must not start before
			// the poll has seen it absent, or there is no start to see.
			Present: func() bool {
				running := find().Running
				once.Do(func() { close(looked) })
				return running
			},
			Find: find, Conns: func([]int) diagnosis.AppConnections { return find() },
		})
	}()
	next := func(want string) Event {
		t.Helper()
		select {
		case e := <-events:
			if e.Reason != want {
				t.Fatalf("event %+v, want %q", e, want)
			}
			return e
		case <-time.After(10 * time.Second):
			t.Fatalf("no event %q", want)
		}
		return Event{}
	}
	<-looked // the app starts after Watch has seen it not running
	phase.Store(1)
	next(ReasonStarted)
	phase.Store(2)
	if e := next(ReasonStalled); e.Detail != "203.0.113.9:4070" {
		t.Errorf("stall detail %q", e.Detail)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch returned %v after its context ended, want nil", err)
	}
	select {
	case e := <-events:
		t.Errorf("an extra event %+v", e)
	default:
	}
}

// TestWatchReadsTheTableOnlyWhenSocketsChange: while the app's sockets stay the same and
// nothing stalled, a poll stops at the socket list; a new socket has the table read, and a
// stall it shows keeps the table read until it is confirmed.
func TestWatchReadsTheTableOnlyWhenSocketsChange(t *testing.T) {
	var socket atomic.Uint64 // the app's one socket
	socket.Store(1)
	var reads atomic.Int32
	var stalled atomic.Bool
	conns := func([]int) diagnosis.AppConnections {
		reads.Add(1)
		c := diagnosis.AppConnections{Running: true, PIDs: []int{7}, Established: 1}
		if stalled.Load() {
			c = diagnosis.AppConnections{Running: true, PIDs: []int{7}, Stalled: 1, Remotes: []string{"203.0.113.11:4070"}}
		}
		return c
	}
	events := make(chan Event, 4)
	go Watch(t.Context(), func(e Event) { events <- e }, Options{
		Bus: "none", ProcessPoll: time.Hour, ConnPoll: 5 * time.Millisecond,
		Present: func() bool { return true },
		Find:    func() diagnosis.AppConnections { return conns(nil) },
		Conns:   conns,
		Sockets: func([]int) []uint64 { return []uint64{socket.Load()} },
	})
	time.Sleep(300 * time.Millisecond) // about 60 polls, the same socket
	if n := reads.Load(); n != 1 {
		t.Errorf("%d table reads over polls with the same sockets, want 1 (the first, with the process list)", n)
	}
	stalled.Store(true)
	socket.Store(2) // a new connection, which stalls
	select {
	case e := <-events:
		if e.Reason != ReasonStalled {
			t.Errorf("event %+v, want a stall", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no stall event after a new socket stalled (%d table reads)", reads.Load())
	}
}

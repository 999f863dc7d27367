package monitor

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"

	"github.com/spotwatch/spotwatch/internal/history"
)

// blockingHistory is a history whose Append blocks until the test lets it return: a disk that
// takes its time over an fsync or a compaction.
type blockingHistory struct {
	entered chan history.Record // an Append has begun, with this record
	release chan struct{}       // one token lets one Append return

	mu      sync.Mutex
	written []history.Record
}

func newBlockingHistory() *blockingHistory {
	return &blockingHistory{entered: make(chan history.Record, 16), release: make(chan struct{}, 16)}
}

func (b *blockingHistory) Append(rec history.Record) error {
	b.entered <- rec
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	b.written = append(b.written, rec)
	return nil
}

func (b *blockingHistory) causes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.written {
		out = append(out, r.Previous+">"+r.Cause)
	}
	return out
}

// scriptedCheck returns the causes of script in turn, one per check.
func scriptedCheck(script ...diagnosis.Cause) CheckFunc {
	var mu sync.Mutex
	return func(context.Context) diagnosis.Result {
		mu.Lock()
		defer mu.Unlock()
		cause := script[0]
		script = script[1:]
		code := diagnosis.CodeBlocked
		if cause == diagnosis.CauseOK {
			code = diagnosis.CodeOK
		}
		return diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: code, Cause: cause}}
	}
}

// statusWithin is m.Status(), failing the test if it does not answer in time.
func statusWithin(t *testing.T, m *Monitor, what string) Status {
	t.Helper()
	got := make(chan Status, 1)
	go func() { got <- m.Status() }()
	select {
	case st := <-got:
		return st
	case <-time.After(5 * time.Second):
		t.Fatalf("Status() blocked %s", what)
		return Status{}
	}
}

// TestMonitorHistoryWritesDoNotBlockStatus: while the history's Append blocks, the state change
// is already in memory and Status answers with it; checks that end meanwhile change the state
// too; and their records reach the history in the order the state changed.
func TestMonitorHistoryWritesDoNotBlockStatus(t *testing.T) {
	hist := newBlockingHistory()
	s := testSettings
	s.Fail, s.Recover = 1, 1
	m := New(s, scriptedCheck(diagnosis.CauseOK, diagnosis.CauseDNSFiltered, diagnosis.CauseOK), Options{History: hist})
	ctx := context.Background()

	var checks sync.WaitGroup
	check := func() {
		checks.Add(1)
		go func() {
			defer checks.Done()
			m.runCheck(ctx)
		}()
	}
	check()
	if rec := <-hist.entered; rec.Cause != string(diagnosis.CauseOK) {
		t.Fatalf("first record %+v, want ok", rec)
	}
	if st := statusWithin(t, m, "while the history wrote the first state change"); st.Cause != diagnosis.CauseOK || st.Checks != 1 {
		t.Fatalf("status while the record is written: %s after %d checks, want ok after 1", st.Cause, st.Checks)
	}

	// Two more checks end while the first record is still being written: each changes the
	// state in memory at once.
	check()
	waitStatus(t, m, diagnosis.CauseDNSFiltered, 2)
	check()
	waitStatus(t, m, diagnosis.CauseOK, 3)

	for range 3 {
		hist.release <- struct{}{}
	}
	checks.Wait()
	want := "checking>ok ok>dns_filtered dns_filtered>ok"
	if got := strings.Join(hist.causes(), " "); got != want {
		t.Errorf("history %q, want %q", got, want)
	}
}

// waitStatus waits until Status, which must never block, shows cause after checks checks.
func waitStatus(t *testing.T, m *Monitor, cause diagnosis.Cause, checks int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := statusWithin(t, m, "while the history wrote a record")
		if st.Cause == cause && st.Checks == checks {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %s after %d checks, want %s after %d", st.Cause, st.Checks, cause, checks)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMonitorRunFlushesHistoryOnShutdown: when Run returns, every state change it recorded is
// in the history, even one whose Append was still under way when the context ended.
func TestMonitorRunFlushesHistoryOnShutdown(t *testing.T) {
	hist := newBlockingHistory()
	m := New(testSettings, scriptedCheck(diagnosis.CauseOK), Options{History: hist})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	<-hist.entered // the first check's state change is being written
	cancel()
	go func() {
		time.Sleep(50 * time.Millisecond) // let Run see the end of its context first
		hist.release <- struct{}{}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if got := strings.Join(hist.causes(), " "); got != "checking>ok" {
		t.Errorf("history when Run returned: %q, want %q", got, "checking>ok")
	}
}

package statusapi

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// fakeSource is a Source whose state and events the test sets. It behaves like the monitor's
// subscriptions: each starts with the current state.
type fakeSource struct {
	mu     sync.Mutex
	status monitor.Status
	subs   map[int]chan monitor.Event
	next   int
	checks int
	pauses []time.Time
}

func newFakeSource(cause diagnosis.Cause) *fakeSource {
	return &fakeSource{
		status: monitor.Status{Result: result(cause, 10), Checks: 1},
		subs:   map[int]chan monitor.Event{},
	}
}

func (f *fakeSource) Status() monitor.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeSource) Subscribe() (<-chan monitor.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.next
	f.next++
	ch := make(chan monitor.Event, 32)
	ch <- monitor.Event{Type: monitor.EventState, Status: f.status, Previous: f.status.Cause}
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c, ok := f.subs[id]; ok {
			delete(f.subs, id)
			close(c)
		}
	}
}

func (f *fakeSource) CheckNow() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks++
}

func (f *fakeSource) Pause(until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pauses = append(f.pauses, until)
}

func (f *fakeSource) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *fakeSource) counts() (checks int, pauses []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.checks, append([]time.Time(nil), f.pauses...)
}

// publish sets the state and sends ev to every subscriber.
func (f *fakeSource) publish(ev monitor.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = ev.Status
	for _, ch := range f.subs {
		ch <- ev
	}
}

// dropAll closes every subscription, as the monitor does to a subscriber that fell behind.
func (f *fakeSource) dropAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, ch := range f.subs {
		delete(f.subs, id)
		close(ch)
	}
}

// result is a check result of the given cause.
func result(cause diagnosis.Cause, ms int64) diagnosis.Result {
	return diagnosis.Result{
		Diagnosis: diagnosis.Diagnosis{Code: cause.Code(), Cause: cause, Title: "title of " + string(cause),
			Summary: "summary of " + string(cause), Fix: []string{"fix"}, Evidence: []string{"evidence"}},
		Probes:     []diagnosis.Probe{{Name: "dns apresolve.spotify.com (system)", Kind: diagnosis.KindDNS, OK: cause.Code() == diagnosis.CodeOK}},
		StartedAt:  time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC),
		DurationMS: ms,
		Version:    version.Version,
	}
}

// testServer is a Server serving on a real socket in a temporary directory.
type testServer struct {
	*Server
	path string
	done chan error
}

// startServer listens on a socket under t.TempDir() and serves opts on it; the cleanup shuts
// it down (again) and checks that Serve returned nil.
func startServer(t *testing.T, opts ServerOptions, system bool) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "spotwatch.sock")
	return startServerAt(t, path, opts, system)
}

func startServerAt(t *testing.T, path string, opts ServerOptions, system bool) *testServer {
	t.Helper()
	ln, err := Listen(path, system)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: NewServer(opts), path: path, done: make(chan error, 1)}
	go func() { ts.done <- ts.Serve(ln) }()
	t.Cleanup(func() { ts.shutdown(t) })
	return ts
}

// shutdown stops the server and waits for Serve to return; it may be called more than once.
func (ts *testServer) shutdown(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case err, ok := <-ts.done:
		if ok {
			close(ts.done)
			if err != nil {
				t.Errorf("Serve returned %v after Shutdown", err)
			}
		}
	case <-ctx.Done():
		t.Error("Serve did not return after Shutdown")
	}
}

// rawClient is a plain HTTP client of the socket at path, for requests the Client does not
// make.
func rawClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

// checkNoLeaks fails the test if goroutines of this package, net/http or the monitor outlive
// it. Call it first so that its cleanup runs last.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		var leaked []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			leaked = leakedGoroutines()
			if len(leaked) == 0 {
				return
			}
		}
		t.Errorf("%d goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	})
}

func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	stacks := strings.Split(string(buf), "\n\n")
	var leaked []string
	for _, g := range stacks[1:] { // the first is this goroutine
		if strings.Contains(g, "testing.tRunner") || strings.Contains(g, "testing.(*T).Run") ||
			strings.Contains(g, "testing.runTests") || strings.Contains(g, "testing.(*M).") {
			continue
		}
		for _, mark := range []string{"svc/api.", "net/http.", "monitor.(*Monitor)"} {
			if strings.Contains(g, mark) {
				leaked = append(leaked, g)
				break
			}
		}
	}
	return leaked
}

// nextEvent reads one event from a client stream.
func nextEvent(t *testing.T, events <-chan monitor.Event, errs <-chan error) monitor.Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("the event stream ended: %v", <-errs)
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for an event")
	}
	panic("unreachable")
}

package statusapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

var fixedNow = time.Date(2026, 11, 24, 19, 30, 0, 0, time.UTC)

func TestStatusRoundTrip(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseDNSFiltered)
	paused := fixedNow.Add(time.Hour)
	src.status.PausedUntil = &paused
	src.status.PendingCause = diagnosis.CauseOK
	src.status.Since = fixedNow.Add(-time.Minute)
	src.status.LastCheck = fixedNow
	src.status.LastCheckMS = 143
	src.status.InternalErrors = 2
	ts := startServer(t, ServerOptions{Source: src}, false)

	got, err := NewClient(ts.path).Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := src.Status(); !reflect.DeepEqual(got, want) {
		t.Fatalf("status after the round trip:\n got %+v\nwant %+v", got, want)
	}

	// The JSON is the `check --json` object plus the state fields, flat.
	resp, err := rawClient(ts.path).Get("http://spotwatch/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fields map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"code", "cause", "title", "summary", "fix", "evidence", "probes", "facts",
		"started_at", "duration_ms", "version", "since", "last_check", "last_check_ms", "pending_cause",
		"paused_until", "checks", "internal_errors"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("GET /v1/status has no %q field", k)
		}
	}
	if fields["cause"] != "dns_filtered" || fields["code"] != 7.0 {
		t.Errorf("cause %v code %v, want dns_filtered 7", fields["cause"], fields["code"])
	}
}

func TestHistory(t *testing.T) {
	checkNoLeaks(t)
	store, err := history.Open(filepath.Join(t.TempDir(), "history.log"), history.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var want []history.Record
	for i, cause := range []string{"ok", "dns_filtered", "ok", "firewall_drop", "ok"} {
		r := history.Record{Time: fixedNow.Add(time.Duration(i) * time.Minute), Code: int(diagnosis.Cause(cause).Code()), Cause: cause, Title: cause}
		if err := store.Append(r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	ts := startServer(t, ServerOptions{Source: newFakeSource(diagnosis.CauseOK), History: store.Last}, false)
	c := NewClient(ts.path)

	tests := []struct {
		limit int
		want  []history.Record
	}{
		{0, want}, // the default, 100
		{2, want[3:]},
		{5, want},
		{20000, want}, // capped at the maximum
	}
	for _, tt := range tests {
		got, err := c.History(t.Context(), tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("limit %d: %d records, want %d", tt.limit, len(got), len(tt.want))
		}
		for i := range got {
			if !got[i].Time.Equal(tt.want[i].Time) || got[i].Cause != tt.want[i].Cause || got[i].Code != tt.want[i].Code {
				t.Errorf("limit %d: record %d is %+v, want %+v", tt.limit, i, got[i], tt.want[i])
			}
		}
	}
}

func TestHistoryErrors(t *testing.T) {
	checkNoLeaks(t)
	tests := []struct {
		name    string
		history func(int) ([]history.Record, error)
		code    int
	}{
		{"no history kept", nil, http.StatusNotImplemented},
		{"reading fails", func(int) ([]history.Record, error) { return nil, errors.New("disk on fire") }, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, ServerOptions{Source: newFakeSource(diagnosis.CauseOK), History: tt.history}, false)
			_, err := NewClient(ts.path).History(t.Context(), 10)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.code {
				t.Fatalf("History: %v, want HTTP %d", err, tt.code)
			}
		})
	}
	t.Run("empty history is an empty array", func(t *testing.T) {
		empty := func(int) ([]history.Record, error) { return nil, nil }
		ts := startServer(t, ServerOptions{Source: newFakeSource(diagnosis.CauseOK), History: empty}, false)
		resp, err := rawClient(ts.path).Get("http://spotwatch/v1/history")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if strings.TrimSpace(string(body)) != "[]" {
			t.Fatalf("body %q, want []", body)
		}
	})
}

// TestEventStream sends state and check events through the server: the client gets them in
// order, and the stream ends when the server shuts down.
func TestEventStream(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	ts := startServer(t, ServerOptions{Source: src}, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, errs := NewClient(ts.path).Events(ctx)

	if ev := nextEvent(t, events, errs); ev.Type != monitor.EventState || ev.Status.Cause != diagnosis.CauseOK {
		t.Fatalf("first event %s %s, want the current state (ok)", ev.Type, ev.Status.Cause)
	}
	okRes, blocked := result(diagnosis.CauseOK, 20), result(diagnosis.CauseFirewallDrop, 5000)
	sent := []monitor.Event{
		{Type: monitor.EventCheck, Status: monitor.Status{Result: okRes, Checks: 2}, Check: &okRes},
		{Type: monitor.EventState, Status: monitor.Status{Result: blocked, Checks: 3}, Previous: diagnosis.CauseOK, Lasted: 90 * time.Minute},
		{Type: monitor.EventCheck, Status: monitor.Status{Result: blocked, Checks: 3}, Check: &blocked},
	}
	for _, ev := range sent {
		src.publish(ev)
	}
	for i, want := range sent {
		got := nextEvent(t, events, errs)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, got, want)
		}
	}

	start := time.Now()
	ts.shutdown(t)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Shutdown with an open event stream took %v", took)
	}
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("an event after the shutdown")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream did not end when the server shut down")
	}
	if err := <-errs; !errors.Is(err, ErrStreamEnded) {
		t.Fatalf("stream ended with %v, want ErrStreamEnded", err)
	}
	if n := src.subscribers(); n != 0 {
		t.Errorf("%d subscriptions left after the stream ended", n)
	}
}

// TestEventStreamEnds covers the other ways a stream ends.
func TestEventStreamEnds(t *testing.T) {
	checkNoLeaks(t)
	t.Run("the source drops a subscriber that fell behind", func(t *testing.T) {
		src := newFakeSource(diagnosis.CauseOK)
		ts := startServer(t, ServerOptions{Source: src}, false)
		events, errs := NewClient(ts.path).Events(t.Context())
		nextEvent(t, events, errs)
		src.dropAll()
		for range events {
		}
		if err := <-errs; !errors.Is(err, ErrStreamEnded) {
			t.Fatalf("stream ended with %v, want ErrStreamEnded", err)
		}
	})
	t.Run("the client cancels", func(t *testing.T) {
		src := newFakeSource(diagnosis.CauseOK)
		ts := startServer(t, ServerOptions{Source: src}, false)
		ctx, cancel := context.WithCancel(t.Context())
		events, errs := NewClient(ts.path).Events(ctx)
		nextEvent(t, events, errs)
		cancel()
		for range events {
		}
		if err, ok := <-errs; ok {
			t.Fatalf("a cancelled stream reported %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for src.subscribers() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the server kept the subscription of a client that left")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Run("too many streams", func(t *testing.T) {
		src := newFakeSource(diagnosis.CauseOK)
		ts := startServer(t, ServerOptions{Source: src}, false)
		c := NewClient(ts.path)
		for range maxStreamsPerUser {
			events, errs := c.Events(t.Context())
			nextEvent(t, events, errs)
		}
		events2, errs2 := c.Events(t.Context())
		for range events2 {
		}
		var se *StatusError
		if err := <-errs2; !errors.As(err, &se) || se.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("one stream over the limit: %v, want HTTP 503", err)
		}
	})
}

func TestEventHeartbeat(t *testing.T) {
	checkNoLeaks(t)
	ts := startServer(t, ServerOptions{Source: newFakeSource(diagnosis.CauseOK)}, false)
	ts.heartbeat = 20 * time.Millisecond
	resp := openRawStream(t, ts)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for sc.Scan() && len(lines) < 6 {
		lines = append(lines, sc.Text())
	}
	want := []string{"event: state", "", "", ": heartbeat", "", ": heartbeat"}
	if len(lines) != len(want) || !strings.HasPrefix(lines[1], "data: {") {
		t.Fatalf("stream lines %q", lines)
	}
	lines[1] = ""
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("stream lines %q, want %q (data line blanked)", lines, want)
	}
}

func TestCheckNowAndPause(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	ts := startServer(t, ServerOptions{Source: src, Now: func() time.Time { return fixedNow }}, false)
	c := NewClient(ts.path)
	ctx := t.Context()

	if err := c.CheckNow(ctx); err != nil {
		t.Fatal(err)
	}
	until, err := c.Pause(ctx, 90*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if want := fixedNow.Add(90 * time.Minute); !until.Equal(want) {
		t.Errorf("Pause(90m) until %v, want %v", until, want)
	}
	until, err = c.Pause(ctx, 0)
	if err != nil || !until.IsZero() {
		t.Errorf("Pause(0) = %v, %v; want the zero time", until, err)
	}
	later := fixedNow.Add(3 * time.Hour)
	if err := c.PauseUntil(ctx, later); err != nil {
		t.Fatal(err)
	}
	resp, err := rawClient(ts.path).Post("http://spotwatch/v1/pause?until=tomorrow", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var reply pauseReply
	err = json.NewDecoder(resp.Body).Decode(&reply)
	resp.Body.Close()
	if err != nil || reply.PausedUntil == nil {
		t.Fatalf("until=tomorrow answered %+v (%v)", reply, err)
	}
	tomorrow := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	if !reply.PausedUntil.Equal(tomorrow) {
		t.Errorf("until=tomorrow paused until %v, want %v", reply.PausedUntil, tomorrow)
	}

	checks, pauses := src.counts()
	if checks != 1 {
		t.Errorf("the source got %d check requests, want 1", checks)
	}
	want := []time.Time{fixedNow.Add(90 * time.Minute), {}, later, tomorrow}
	if len(pauses) != len(want) {
		t.Fatalf("the source got pauses %v, want %v", pauses, want)
	}
	for i := range want {
		if !pauses[i].Equal(want[i]) {
			t.Errorf("pause %d until %v, want %v", i, pauses[i], want[i])
		}
	}
	if _, err := c.Pause(ctx, -time.Second); err == nil {
		t.Error("Pause accepted a negative duration")
	}
}

// TestBadRequests checks the status and the JSON error of requests the API refuses.
func TestBadRequests(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	empty := func(int) ([]history.Record, error) { return nil, nil }
	ts := startServer(t, ServerOptions{Source: src, History: empty, Now: func() time.Time { return fixedNow }}, false)
	hc := rawClient(ts.path)
	tests := []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/", 404, ""},
		{"GET", "/v1/nope", 404, ""},
		{"GET", "/v2/status", 404, ""},
		{"POST", "/v1/status", 405, "GET"},
		{"DELETE", "/v1/history", 405, "GET"},
		{"POST", "/v1/events", 405, "GET"},
		{"GET", "/v1/check", 405, "POST"},
		{"GET", "/v1/pause?for=1h", 405, "POST"},
		{"POST", "/v1/pause", 400, ""},
		{"POST", "/v1/pause?for=banana", 400, ""},
		{"POST", "/v1/pause?for=-1h", 400, ""},
		{"POST", "/v1/pause?for=1h&until=tomorrow", 400, ""},
		{"POST", "/v1/pause?until=2000-01-01T00:00:00Z", 400, ""},
		{"POST", "/v1/pause?until=next+week", 400, ""},
		{"GET", "/v1/history?limit=0", 400, ""},
		{"GET", "/v1/history?limit=x", 400, ""},
		{"GET", "/v1/history?limit=10001", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, "http://spotwatch"+tt.path, nil)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.code)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var reply map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || reply["error"] == "" || len(reply) != 1 {
				t.Errorf("body %v (%v), want {\"error\": \"…\"}", reply, err)
			}
		})
	}
	if checks, pauses := src.counts(); checks != 0 || len(pauses) != 0 {
		t.Errorf("refused requests reached the source: %d checks, pauses %v", checks, pauses)
	}
}

func TestPauseUntil(t *testing.T) {
	zone := time.FixedZone("UTC+1", 3600)
	now := time.Date(2026, 11, 24, 19, 30, 0, 0, zone)
	tests := []struct {
		forP, untilP string
		want         time.Time
		ok           bool
	}{
		{"1h", "", now.Add(time.Hour), true},
		{"90s", "", now.Add(90 * time.Second), true},
		{"0", "", time.Time{}, true},
		{"0s", "", time.Time{}, true},
		{"-5m", "", time.Time{}, false},
		{"1 hour", "", time.Time{}, false},
		{"", "tomorrow", time.Date(2026, 11, 25, 8, 0, 0, 0, zone), true},
		{"", "2026-11-24T20:00:00Z", time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC), true},
		{"", "2026-11-24T18:00:00Z", time.Time{}, false}, // 19:00 in zone: the past
		{"", "8am", time.Time{}, false},
		{"", "", time.Time{}, false},
		{"1h", "tomorrow", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := pauseUntil(tt.forP, tt.untilP, now)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("pauseUntil(for=%q, until=%q) = %v, %v; want %v (ok %v)", tt.forP, tt.untilP, got, err, tt.want, tt.ok)
		}
	}
}

func TestNextMorning(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*3600)
	tests := []struct{ now, want time.Time }{
		{time.Date(2026, 11, 24, 19, 0, 0, 0, zone), time.Date(2026, 11, 25, 8, 0, 0, 0, zone)},
		{time.Date(2026, 11, 24, 1, 0, 0, 0, zone), time.Date(2026, 11, 24, 8, 0, 0, 0, zone)},
		{time.Date(2026, 11, 24, 8, 0, 0, 0, zone), time.Date(2026, 11, 25, 8, 0, 0, 0, zone)},
		{time.Date(2026, 12, 31, 23, 59, 0, 0, zone), time.Date(2027, 1, 1, 8, 0, 0, 0, zone)},
	}
	for _, tt := range tests {
		if got := nextMorning(tt.now); !got.Equal(tt.want) {
			t.Errorf("nextMorning(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

// TestEventHeartbeatOnlyAfterSilence: events keep a stream busy, so no heartbeat comes between
// them; once they stop, one comes after the heartbeat interval of silence.
func TestEventHeartbeatOnlyAfterSilence(t *testing.T) {
	checkNoLeaks(t)
	src := newFakeSource(diagnosis.CauseOK)
	ts := startServer(t, ServerOptions{Source: src}, false)
	ts.heartbeat = time.Second
	resp := openRawStream(t, ts)
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Twice the interval of events, one every 50 ms.
	for end := time.Now().Add(2 * ts.heartbeat); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		src.publish(monitor.Event{Type: monitor.EventCheck, Status: src.Status()})
	}
	events := 0
	for drained := false; !drained; {
		select {
		case line := <-lines:
			switch {
			case line == ": heartbeat":
				t.Fatalf("a heartbeat came after %d events, while they came every 50 ms (interval %v)", events, ts.heartbeat)
			case strings.HasPrefix(line, "event: "):
				events++
			}
		case <-time.After(100 * time.Millisecond):
			drained = true
		}
	}
	if events < 10 {
		t.Fatalf("only %d events came through", events)
	}
	deadline := time.After(5 * ts.heartbeat)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended before a heartbeat")
			}
			if line == ": heartbeat" {
				return
			}
		case <-deadline:
			t.Fatal("no heartbeat after the events stopped")
		}
	}
}

// TestServedAfterAnswers: ServerOptions.Served is called once an answer is written, and once an
// event stream has sent its first event (not for each event after it).
func TestServedAfterAnswers(t *testing.T) {
	checkNoLeaks(t)
	var served atomic.Int32
	src := newFakeSource(diagnosis.CauseOK)
	ts := startServer(t, ServerOptions{Source: src, Served: func() { served.Add(1) }}, false)
	c := NewClient(ts.path)
	if _, err := c.Status(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Served after the status answer", func() bool { return served.Load() == 1 })

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, _ := c.Events(ctx)
	<-events // the state, first
	waitFor(t, "Served after the stream's first event", func() bool { return served.Load() == 2 })
	for range 3 {
		src.publish(monitor.Event{Type: monitor.EventCheck, Status: src.Status()})
		<-events
	}
	time.Sleep(50 * time.Millisecond)
	if n := served.Load(); n != 2 {
		t.Errorf("Served was called %d times after a status answer and a stream of four events, want 2", n)
	}
}

// openRawStream opens GET /v1/events on ts with a plain HTTP client; the test's end closes it.
func openRawStream(t *testing.T, ts *testServer) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://spotwatch/v1/events", nil)
	resp, err := rawClient(ts.path).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

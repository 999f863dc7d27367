package tray

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// wait is how long a test waits for something that should happen in milliseconds; generous,
// as the CI machine is shared.
const wait = 30 * time.Second

// recorder is a notifier that keeps what it is asked to send.
type recorder chan Note

func (r recorder) notify(n Note) error {
	r <- n
	return nil
}

// stepView is a step of the loop with the view at that moment.
type stepView struct {
	what string
	view View
}

// startLoop runs the app loop without a UI; it returns the loop's steps, each with the view
// computed inside the loop, and the notifications.
func startLoop(t *testing.T, opts Options) (*app, <-chan stepView, recorder) {
	t.Helper()
	steps := make(chan stepView, 256)
	var a *app
	opts.hooks = &testHooks{stepped: func(what string) {
		var v View
		if !strings.HasPrefix(what, "done ") { // "done" comes from an action's goroutine, not the loop's
			v = a.view()
		}
		steps <- stepView{what, v}
	}}
	a, err := newApp(opts)
	if err != nil {
		t.Fatal(err)
	}
	notes := make(recorder, 16)
	a.notes = notes
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.loop(ctx, nil)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		a.stopNotifier()
	})
	return a, steps, notes
}

// waitStep waits for a step starting with prefix and returns it.
func waitStep(t *testing.T, steps <-chan stepView, prefix string) stepView {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case s := <-steps:
			if strings.HasPrefix(s.what, prefix) {
				return s
			}
		case <-deadline:
			t.Fatalf("no step %q within %v", prefix, wait)
		}
	}
}

// fixedCheck is a monitor check that always finds cause.
func fixedCheck(c diagnosis.Cause) monitor.CheckFunc {
	return func(context.Context) diagnosis.Result {
		return diagnosis.Result{Diagnosis: diag(c, diagnosis.Findings{}), DurationMS: 1, Version: "test"}
	}
}

// TestReconnectsToTheDaemon runs the real status API server and client: the tray follows the
// daemon, shows "checking" with "Connecting…" while the daemon is gone, and follows the new
// daemon once it is back on the same socket.
func TestReconnectsToTheDaemon(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := monitor.New(monitor.Settings{Interval: time.Hour, FailingInterval: time.Hour, Timeout: time.Minute, Fail: 1, Recover: 1},
		fixedCheck(diagnosis.CauseOK), monitor.Options{})
	go m.Run(ctx)
	sock := filepath.Join(t.TempDir(), "api.sock")
	serve := func() *statusapi.Server {
		ln, err := statusapi.Listen(sock, false)
		if err != nil {
			t.Fatalf("listening: %v", err)
		}
		srv := statusapi.NewServer(statusapi.ServerOptions{Source: m})
		go srv.Serve(ln)
		return srv
	}
	srv := serve()
	a, steps, notes := startLoop(t, Options{Source: statusapi.NewClient(sock), Notify: notifyOn})

	s := waitStep(t, steps, "event state ok")
	if s.view.Icon != icons.OK || s.view.State != "Spotify reachable" {
		t.Fatalf("view with the daemon: %+v", s.view)
	}
	shut, stop := context.WithTimeout(ctx, wait)
	defer stop()
	if err := srv.Shutdown(shut); err != nil {
		t.Fatalf("stopping the server: %v", err)
	}
	s = waitStep(t, steps, "lost")
	if s.view.Icon != icons.Checking || s.view.State != "Connecting to the spotwatch service…" {
		t.Fatalf("view without the daemon: %+v", s.view)
	}
	// A click on "Check now" meanwhile fails, and says so.
	a.actions <- actCheckNow
	select {
	case n := <-notes:
		if n.Title != "spotwatch: failed asking for a check" || !strings.Contains(n.Body, "no spotwatch daemon is running") {
			t.Errorf("notification %+v", n)
		}
	case <-time.After(wait):
		t.Fatal("a failed check request was not told")
	}
	srv = serve()
	defer srv.Shutdown(context.Background())
	s = waitStep(t, steps, "event state ok")
	if s.view.Icon != icons.OK {
		t.Fatalf("view once the daemon is back: %+v", s.view)
	}
}

// TestWhatToDo: "What to do…" writes the fix page and opens it; when nothing opens it, the fix
// comes as a notification instead.
func TestWhatToDo(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := monitor.New(monitor.Settings{Interval: time.Hour, FailingInterval: time.Hour, Timeout: time.Minute, Fail: 1, Recover: 1},
		fixedCheck(diagnosis.CauseHostsFile), monitor.Options{})
	go m.Run(ctx)
	opened := make(chan string, 1)
	openErr := error(nil)
	a, steps, notes := startLoop(t, Options{Source: Local{Monitor: m}, Notify: notifyOn, PageDir: dir,
		Open: func(path string) error { opened <- path; return openErr }})
	waitStep(t, steps, "event state hosts_file")
	<-notes // the problem's notification

	a.actions <- actWhatToDo
	waitStep(t, steps, "done showing what to do")
	path := <-opened
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st := m.Status()
	for _, want := range append([]string{"Spotify Error Code 7 — blocked by your hosts file", st.Summary}, st.Fix...) {
		want = strings.ReplaceAll(want, "`", "") // commands are in <code>; compare the words around them
		for _, part := range strings.Fields(want)[:3] {
			if !strings.Contains(string(page), part) {
				t.Errorf("the fix page lacks %q (of %q)", part, want)
			}
		}
	}

	openErr = errors.New("no browser")
	a.actions <- actWhatToDo
	<-opened
	select {
	case n := <-notes:
		if n.Kind != NoteNotice || !strings.Contains(n.Body, "1. ") || !strings.HasPrefix(n.Body, st.Summary) {
			t.Errorf("fallback notification %+v", n)
		}
	case <-time.After(wait):
		t.Fatal("no notification when the page could not be opened")
	}
}

func TestCodeHTML(t *testing.T) {
	tests := map[string]string{
		"run `ipconfig /flushdns` as admin": "run <code>ipconfig /flushdns</code> as admin",
		"a <name> & more":                   "a &lt;name&gt; &amp; more",
		"`a` and `b`":                       "<code>a</code> and <code>b</code>",
		"one ` alone":                       "one ` alone",
	}
	for in, want := range tests {
		if got := codeHTML(in, false); got != want {
			t.Errorf("codeHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHistoryPage(t *testing.T) {
	recs := []history.Record{
		{Time: t0, Code: 0, Cause: "ok", Title: "Spotify is reachable", Summary: "fine", Previous: "checking", Duration: time.Second},
		{Time: t0.Add(time.Hour), Code: 7, Cause: "dns_filtered", Title: "A DNS filter blocks Spotify", Summary: "<0.0.0.0>", Previous: "ok", Duration: time.Hour},
	}
	s := string(historyPage(recs, t0))
	first, second := strings.Index(s, "blocked by your DNS filter"), strings.Index(s, "Spotify reachable")
	if first < 0 || second < 0 || first > second {
		t.Errorf("history page does not list the newest first:\n%s", s)
	}
	if !strings.Contains(s, "&lt;0.0.0.0&gt;") || !strings.Contains(s, "1 h") {
		t.Errorf("history page does not escape or lacks the duration:\n%s", s)
	}
	if !strings.Contains(string(historyPage(nil, t0)), "No change of state recorded yet") {
		t.Error("empty history page")
	}
}

func TestMemoryHistory(t *testing.T) {
	h := NewMemoryHistory(3)
	for i := range 5 {
		h.Append(history.Record{Code: i})
	}
	recs, _ := h.History(context.Background(), 0)
	if len(recs) != 3 || recs[0].Code != 2 || recs[2].Code != 4 {
		t.Errorf("kept %+v", recs)
	}
	recs, _ = h.History(context.Background(), 2)
	if len(recs) != 2 || recs[0].Code != 3 {
		t.Errorf("last 2: %+v", recs)
	}
}

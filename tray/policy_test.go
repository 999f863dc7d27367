package tray

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// step is one input of a policy scenario: an event (a state at a time), or a tick.
type step struct {
	at    time.Duration   // since t0
	cause diagnosis.Cause // the state; "" = a tick
	pause time.Duration   // > 0: notifications paused until at+pause
	want  []string        // the notifications, as "kind: title"
}

func runPolicy(t *testing.T, s config.Notify, steps []step) {
	t.Helper()
	p := NewPolicy(s)
	var prev diagnosis.Cause
	var since time.Time
	var pausedUntil *time.Time
	for i, st := range steps {
		now := t0.Add(st.at)
		if st.pause > 0 {
			until := now.Add(st.pause)
			pausedUntil = &until
		}
		var notes []Note
		if st.cause == "" {
			notes = p.Tick(now)
		} else {
			if st.cause != prev {
				since = now
			}
			status := status(st.cause, since)
			status.LastCheck, status.PausedUntil = now, pausedUntil
			ev := checkEvent(status)
			if st.cause != prev {
				ev = stateEvent(status, prev)
			}
			notes = p.Observe(ev, now)
			prev = st.cause
		}
		var got []string
		for _, n := range notes {
			got = append(got, string(n.Kind)+": "+n.Title)
		}
		if fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Errorf("step %d (%v, %q): got %q, want %q", i, st.at, st.cause, got, st.want)
		}
	}
}

var notifyOn = config.Notify{Enabled: true, OnRecovery: true, RepeatAfter: time.Hour}

const (
	blocked7 = "problem: Spotify Error Code 7 — blocked by your DNS filter"
	noNet4   = "problem: Spotify Error Code 4 — not connected to a network"
)

func TestPolicy(t *testing.T) {
	min := time.Minute
	tests := []struct {
		name     string
		settings config.Notify
		steps    []step
	}{
		{"a problem, its reminder and its recovery", notifyOn, []step{
			{at: 0, cause: diagnosis.CauseChecking},
			{at: 0, cause: diagnosis.CauseOK},
			{at: 5 * min, cause: diagnosis.CauseDNSFiltered, want: []string{blocked7}},
			{at: 6 * min, cause: diagnosis.CauseDNSFiltered}, // more checks: never a second one
			{at: 7 * min, cause: diagnosis.CauseDNSFiltered},
			{at: 64 * min}, // a tick before repeat_after
			{at: 65 * min, want: []string{"reminder: Spotify Error Code 7 for 1 h — blocked by your DNS filter"}},
			{at: 66 * min},
			{at: 79 * min, cause: diagnosis.CauseOK, want: []string{"recovery: Spotify is reachable again after 1 h 14 min"}},
			{at: 80 * min},
		}},
		{"the first state is a problem", notifyOn, []step{
			{at: 0, cause: diagnosis.CauseNoNetwork, want: []string{noNet4}},
		}},
		{"a new cause is a new problem; the recovery counts from the first", notifyOn, []step{
			{at: 0, cause: diagnosis.CauseOK},
			{at: 1 * min, cause: diagnosis.CauseDNSFiltered, want: []string{blocked7}},
			{at: 3 * min, cause: diagnosis.CauseNoNetwork, want: []string{noNet4}},
			{at: 15 * min, cause: diagnosis.CauseOK, want: []string{"recovery: Spotify is reachable again after 14 min"}},
		}},
		{"ok and degraded are not changes to tell", notifyOn, []step{
			{at: 0, cause: diagnosis.CauseOK},
			{at: 1 * min, cause: diagnosis.CauseDegraded},
			{at: 2 * min, cause: diagnosis.CauseOK},
			{at: 3 * min, cause: diagnosis.CauseDegraded},
			{at: 4 * min, cause: diagnosis.CauseDNSFiltered, want: []string{blocked7}},
			{at: 6 * min, cause: diagnosis.CauseDegraded, want: []string{"recovery: Spotify is reachable again after 2 min"}},
		}},
		{"none while paused; a problem that began in the pause is told when it ends", notifyOn, []step{
			{at: 0, cause: diagnosis.CauseOK},
			{at: 1 * min, cause: diagnosis.CauseOK, pause: time.Hour},
			{at: 2 * min, cause: diagnosis.CauseDNSFiltered},
			{at: 30 * min, cause: diagnosis.CauseNoNetwork},
			{at: 60 * min},
			{at: 61 * min, want: []string{noNet4}},
			{at: 62 * min, cause: diagnosis.CauseOK, want: []string{"recovery: Spotify is reachable again after 1 h"}},
		}},
		{"a recovery in a pause is not told, nor after it", notifyOn, []step{
			{at: 0, cause: diagnosis.CauseDNSFiltered, want: []string{blocked7}},
			{at: 1 * min, cause: diagnosis.CauseDNSFiltered, pause: time.Hour},
			{at: 2 * min, cause: diagnosis.CauseOK},
			{at: 70 * min},
			{at: 71 * min, cause: diagnosis.CauseOK},
		}},
		{"a pause holds reminders back", notifyOn, []step{
			{at: 0, cause: diagnosis.CauseDNSFiltered, want: []string{blocked7}},
			{at: 10 * min, cause: diagnosis.CauseDNSFiltered, pause: 2 * time.Hour},
			{at: 61 * min},
			{at: 130 * min, want: []string{"reminder: Spotify Error Code 7 for 2 h 10 min — blocked by your DNS filter"}},
		}},
		{"notifications off", config.Notify{Enabled: false, OnRecovery: true, RepeatAfter: time.Hour}, []step{
			{at: 0, cause: diagnosis.CauseOK},
			{at: 1 * min, cause: diagnosis.CauseDNSFiltered},
			{at: 120 * min},
			{at: 121 * min, cause: diagnosis.CauseOK},
		}},
		{"no recovery notifications", config.Notify{Enabled: true, RepeatAfter: time.Hour}, []step{
			{at: 0, cause: diagnosis.CauseDNSFiltered, want: []string{blocked7}},
			{at: 5 * min, cause: diagnosis.CauseOK},
		}},
		{"no reminders", config.Notify{Enabled: true, OnRecovery: true}, []step{
			{at: 0, cause: diagnosis.CauseDNSFiltered, want: []string{blocked7}},
			{at: 600 * min},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runPolicy(t, tt.settings, tt.steps) })
	}
}

// TestPolicyWake: the policy asks to be woken for reminders and for the end of a pause only.
func TestPolicyWake(t *testing.T) {
	p := NewPolicy(notifyOn)
	if _, ok := p.Wake(); ok {
		t.Error("wake before any state")
	}
	p.Observe(stateEvent(status(diagnosis.CauseOK, t0), ""), t0)
	if _, ok := p.Wake(); ok {
		t.Error("wake while Spotify is reachable")
	}
	p.Observe(stateEvent(status(diagnosis.CauseDNSFiltered, t0), diagnosis.CauseOK), t0)
	if at, ok := p.Wake(); !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("wake %v %v, want the reminder at %v", at, ok, t0.Add(time.Hour))
	}
	st := paused(status(diagnosis.CauseDNSFiltered, t0), t0.Add(3*time.Hour))
	p.Observe(checkEvent(st), t0.Add(time.Minute))
	if at, ok := p.Wake(); !ok || !at.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("wake %v %v, want the end of the pause", at, ok)
	}
}

// TestNotificationTexts: a problem's notification is critical, titled with the code and the
// short cause, its body the first fix step (commands without backticks) and where the rest is;
// a recovery is normal.
func TestNotificationTexts(t *testing.T) {
	p := NewPolicy(notifyOn)
	st := status(diagnosis.CauseHostsFile, t0)
	notes := p.Observe(stateEvent(st, ""), t0)
	if len(notes) != 1 {
		t.Fatalf("got %d notifications", len(notes))
	}
	n := notes[0]
	if n.Urgency != UrgencyCritical || n.Icon != "blocked" || n.Title != "Spotify Error Code 7 — blocked by your hosts file" {
		t.Errorf("problem notification %+v", n)
	}
	first := strings.ReplaceAll(st.Fix[0], "`", "")
	if !strings.HasPrefix(n.Body, first) || !strings.HasSuffix(n.Body, "Open spotwatch for the rest (tray icon › What to do…).") || strings.Contains(n.Body, "`") {
		t.Errorf("body %q, want the first step %q and where the rest is", n.Body, first)
	}
	notes = p.Observe(stateEvent(status(diagnosis.CauseOK, t0.Add(14*time.Minute)), diagnosis.CauseHostsFile), t0.Add(14*time.Minute))
	if len(notes) != 1 || notes[0].Urgency != UrgencyNormal || notes[0].Icon != "ok" ||
		notes[0].Body != "Gone: Spotify Error Code 7 — blocked by your hosts file." {
		t.Errorf("recovery notification %+v", notes)
	}
}

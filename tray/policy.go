package tray

import (
	"strconv"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// NoteKind says why a notification is sent.
type NoteKind string

// Notification kinds.
const (
	NoteProblem  NoteKind = "problem"  // Spotify became unreachable, or the cause changed
	NoteReminder NoteKind = "reminder" // the problem lasts
	NoteRecovery NoteKind = "recovery" // Spotify is reachable again
	NoteNotice   NoteKind = "notice"   // about spotwatch itself (no tray on this desktop, a fix page that did not open)
)

// Urgency is a notification's urgency (freedesktop: 1 normal, 2 critical).
type Urgency int

// Urgencies.
const (
	UrgencyNormal Urgency = iota
	UrgencyCritical
)

// Note is one desktop notification.
type Note struct {
	Kind    NoteKind
	Title   string
	Body    string
	Urgency Urgency
	Icon    icons.ID
}

// Policy decides which notifications to send. It is fed the monitor's events (which come
// after the monitor's hysteresis) and the time, and sends:
//   - one notification when Spotify becomes unreachable or the cause of the failure changes;
//   - a reminder while the problem lasts, no sooner than notify.repeat_after after the last one;
//   - a recovery notification when Spotify is reachable again (notify.on_recovery), if the user
//     was told of the problem;
//   - nothing while notifications are paused, and nothing when notify.enabled is off. A problem
//     that began during a pause is told when the pause ends, if it still lasts.
//
// Going between ok and degraded, and the "checking" state (a start, a reconnection to the
// daemon) are not changes a user is told about.
type Policy struct {
	settings config.Notify

	known       bool           // a real state has been seen
	status      monitor.Status // the last real state
	outageStart time.Time      // when the current run of problems began
	told        bool           // the user was told of the current problem
	lastTold    time.Time      // when the last problem or reminder notification went out
}

// NewPolicy returns a policy with the notify settings of the configuration.
func NewPolicy(s config.Notify) *Policy {
	return &Policy{settings: s}
}

// Observe takes an event at time now and returns the notifications to send.
func (p *Policy) Observe(ev monitor.Event, now time.Time) []Note {
	st := ev.Status
	if st.Cause == diagnosis.CauseChecking || st.Code == diagnosis.CodeUnknown {
		return nil
	}
	prev, wasKnown := p.status, p.known
	p.status, p.known = st, true
	if wasKnown && st.Cause == prev.Cause {
		return p.due(now) // fresher evidence or a pause change, not a state change
	}
	since := st.Since
	if since.IsZero() {
		since = now
	}
	wasProblem := wasKnown && isProblem(prev.Code)
	if isProblem(st.Code) {
		if !wasProblem {
			p.outageStart = since
		}
		p.told = false // a new cause is a new problem to tell
		return p.due(now)
	}
	if !wasProblem {
		return nil // ok <-> degraded, or the first state is good
	}
	told := p.told
	p.told = false
	if !told || !p.settings.Enabled || !p.settings.OnRecovery || p.paused(now) {
		return nil
	}
	return []Note{{
		Kind:    NoteRecovery,
		Title:   "Spotify is reachable again after " + HumanDuration(since.Sub(p.outageStart)),
		Body:    "Gone: " + headline(prev.Diagnosis) + ".",
		Urgency: UrgencyNormal,
		Icon:    iconFor(st.Diagnosis),
	}}
}

// Tick returns the notifications due at time now: a reminder, or a problem that began during
// a pause that has ended.
func (p *Policy) Tick(now time.Time) []Note {
	return p.due(now)
}

// Wake returns when the policy next has something to do (a time in the past: at once), and
// false when nothing is pending.
func (p *Policy) Wake() (time.Time, bool) {
	if !p.known || !isProblem(p.status.Code) || !p.settings.Enabled {
		return time.Time{}, false
	}
	var at time.Time // not told yet: at once
	if p.told {
		if p.settings.RepeatAfter <= 0 {
			return time.Time{}, false
		}
		at = p.lastTold.Add(p.settings.RepeatAfter)
	}
	if until := p.status.PausedUntil; until != nil && until.After(at) {
		at = *until
	}
	return at, true
}

// due returns the problem or reminder notification due at now, if any.
func (p *Policy) due(now time.Time) []Note {
	if !p.known || !isProblem(p.status.Code) || !p.settings.Enabled || p.paused(now) {
		return nil
	}
	d := p.status.Diagnosis
	switch {
	case !p.told:
		p.told, p.lastTold = true, now
		return []Note{{Kind: NoteProblem, Title: headline(d), Body: firstStep(d), Urgency: UrgencyCritical, Icon: iconFor(d)}}
	case p.settings.RepeatAfter > 0 && now.Sub(p.lastTold) >= p.settings.RepeatAfter:
		p.lastTold = now
		title := "Spotify Error Code " + strconv.Itoa(int(d.Code)) + " for " + HumanDuration(now.Sub(p.outageStart)) + " — " + ShortCause(d)
		return []Note{{Kind: NoteReminder, Title: title, Body: firstStep(d), Urgency: UrgencyCritical, Icon: iconFor(d)}}
	}
	return nil
}

func (p *Policy) paused(now time.Time) bool {
	return p.status.PausedUntil != nil && p.status.PausedUntil.After(now)
}

// firstStep is a notification body: the first fix step and where to read the rest.
func firstStep(d diagnosis.Diagnosis) string {
	step := d.Summary
	if len(d.Fix) > 0 {
		step = d.Fix[0]
	}
	return plainText(step) + "\nOpen spotwatch for the rest (tray icon › What to do…)."
}

// plainText drops the backticks the fix catalogue puts around commands.
func plainText(s string) string {
	return strings.ReplaceAll(s, "`", "")
}

func isProblem(c diagnosis.Code) bool {
	return c == diagnosis.CodeNoInternet || c == diagnosis.CodeBlocked
}

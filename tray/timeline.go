package tray

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// The history page's timeline: the state changes of the history turned into stretches of time,
// each in one state, with the times nobody watched kept apart as gaps (docs/design.md, "The tray
// and notifications").

// Gap kinds of a stretch, besides the history's own (history.KindStopped, history.KindAsleep).
const gapNoHistory = "none" // before the history's first record

// phase is what the history says from one moment on: a state, or a gap.
type phase struct {
	icon  icons.ID // the state's icon; "" for a gap
	gap   string   // for a gap: history.KindStopped, history.KindAsleep or gapNoHistory
	label string   // the state as a line ("Spotify Error Code 7 — blocked by your DNS filter"), or the gap's
	short string   // the cause as a short phrase for the summary ("Code 7: blocked by your DNS filter")
	cause string   // the cause id of a state
}

func (p phase) isGap() bool { return p.icon == "" }

// unreachable reports whether Spotify could not be reached in this phase (Code 4 or 7).
func (p phase) unreachable() bool { return p.icon == icons.NoInternet || p.icon == icons.Blocked }

// stretch is a phase over [from, to).
type stretch struct {
	phase
	from, to time.Time
}

var (
	phaseNoHistory = phase{gap: gapNoHistory, label: "No history recorded yet"}
	phaseChecking  = phase{icon: icons.Checking, label: "Checking", cause: string(diagnosis.CauseChecking)}
)

// phaseOf is the phase a record begins.
func phaseOf(r history.Record) phase {
	switch r.Kind {
	case history.KindStopped:
		return phase{gap: r.Kind, label: "spotwatch was not running"}
	case history.KindAsleep:
		return phase{gap: r.Kind, label: "spotwatch did not run (asleep or paused)"}
	case "":
	default: // a kind of a newer spotwatch: not a state this one can vouch for
		return phase{gap: history.KindStopped, label: "spotwatch was not watching"}
	}
	d := diagnosis.Diagnosis{Code: diagnosis.Code(r.Code), Cause: diagnosis.Cause(r.Cause), Title: r.Title, Short: r.Short}
	if d.Cause == diagnosis.CauseChecking || d.Code == diagnosis.CodeUnknown {
		return phaseChecking
	}
	return phase{icon: iconFor(d), label: headline(d), short: fmt.Sprintf("Code %d: %s", d.Code, ShortCause(d)), cause: r.Cause}
}

// stretches is the history recs (in any order) over [from, to): consecutive stretches covering
// it exactly, adjacent ones in different phases. Before the first record there is no history;
// after a "stopped" gap spotwatch is checking until the next state change; after an "asleep"
// gap the state before it goes on. A state change recorded inside a gap ends the gap.
func stretches(recs []history.Record, from, to time.Time) []stretch {
	if !to.After(from) {
		return nil
	}
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b history.Record) int { return a.Time.Compare(b.Time) })
	type mark struct {
		at time.Time
		p  phase
	}
	var marks []mark
	add := func(at time.Time, p phase) {
		for len(marks) > 0 && marks[len(marks)-1].at.After(at) { // a gap's end after a later record
			marks = marks[:len(marks)-1]
		}
		marks = append(marks, mark{at, p})
	}
	state := phaseNoHistory // the state the history last recorded
	for _, r := range recs {
		p := phaseOf(r)
		add(r.Time, p)
		if !p.isGap() {
			state = p
			continue
		}
		if r.Duration <= 0 {
			continue
		}
		if r.Kind == history.KindAsleep {
			add(r.Time.Add(r.Duration), state)
		} else {
			state = phaseChecking
			add(r.Time.Add(r.Duration), state)
		}
	}
	var out []stretch
	cur := phaseNoHistory
	at := from
	emit := func(end time.Time, p phase) {
		if !end.After(at) {
			return
		}
		if n := len(out); n > 0 && out[n-1].phase == p {
			out[n-1].to = end
		} else {
			out = append(out, stretch{phase: p, from: at, to: end})
		}
		at = end
	}
	for _, m := range marks {
		if m.at.After(from) {
			emit(minTime(m.at, to), cur)
		}
		cur = m.p
	}
	emit(to, cur)
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// downtime is the time Spotify was unreachable for one cause.
type downtime struct {
	label string
	icon  icons.ID
	dur   time.Duration
}

// unreachableTime sums the unreachable stretches of ss by cause, the longest first, and the
// time nobody watched (gaps after the history began).
func unreachableTime(ss []stretch) (byCause []downtime, total, unwatched time.Duration) {
	for _, s := range ss {
		d := s.to.Sub(s.from)
		switch {
		case s.gap == history.KindStopped || s.gap == history.KindAsleep:
			unwatched += d
		case s.unreachable():
			total += d
			label := s.label
			if s.short != "" {
				label = s.short
			}
			i := slices.IndexFunc(byCause, func(c downtime) bool { return c.label == label })
			if i < 0 {
				byCause = append(byCause, downtime{label: label, icon: s.icon})
				i = len(byCause) - 1
			}
			byCause[i].dur += d
		}
	}
	slices.SortStableFunc(byCause, func(a, b downtime) int { return cmp.Compare(b.dur, a.dur) })
	return byCause, total, unwatched
}

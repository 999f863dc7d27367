package tray

import (
	"runtime"
	"time"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// t0 is a fixed local time the tests start at: 12:00 on a Monday.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.Local)

// diag is the real diagnosis of a cause, as the fix catalogue writes it.
func diag(c diagnosis.Cause, f diagnosis.Findings) diagnosis.Diagnosis {
	title, summary, steps := diagnosis.Describe(c, f, runtime.GOOS)
	return diagnosis.Diagnosis{Code: c.Code(), Cause: c, Title: title, Summary: summary, Fix: steps,
		Product: f.Product, Short: diagnosis.ShortCause(c, f)}
}

// status is a monitor status in cause since the given time, last checked at since.
func status(c diagnosis.Cause, since time.Time) monitor.Status {
	d := diagnosis.Diagnosis{Code: diagnosis.CodeUnknown, Cause: diagnosis.CauseChecking, Title: "Checking…"}
	if c != diagnosis.CauseChecking {
		d = diag(c, diagnosis.Findings{})
	}
	return monitor.Status{Result: diagnosis.Result{Diagnosis: d, DurationMS: 200, Version: "test"}, Since: since, LastCheck: since, LastCheckMS: 200}
}

func paused(st monitor.Status, until time.Time) monitor.Status {
	st.PausedUntil = &until
	return st
}

func stateEvent(st monitor.Status, prev diagnosis.Cause) monitor.Event {
	return monitor.Event{Type: monitor.EventState, Status: st, Previous: prev}
}

func checkEvent(st monitor.Status) monitor.Event {
	res := st.Result
	return monitor.Event{Type: monitor.EventCheck, Status: st, Check: &res}
}

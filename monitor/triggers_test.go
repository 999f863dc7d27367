package monitor

import (
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestMonitorAppTriggered: the Spotify app's trigger gives a check at once (no settle time,
// the interval far away), and the confirming check follows after confirmDelay, so a stall of
// the app becomes a state in about a second, not an interval.
func TestMonitorAppTriggered(t *testing.T) {
	h := newHarness(t, testSettings, 0.5, diagnosis.CauseOK, diagnosis.CauseAppBlocked, diagnosis.CauseAppBlocked)
	h.advance(0)
	start := h.clk.Now()
	h.m.AppTriggered("app connection stalled", "198.51.100.7:4070")
	if ev := h.nextCheck(); ev.Status.PendingCause != diagnosis.CauseAppBlocked {
		t.Fatalf("the triggered check left pending %q, want app_blocked", ev.Status.PendingCause)
	}
	if h.clk.Now() != start {
		t.Errorf("the triggered check waited %v on the clock, want none", h.clk.Now().Sub(start))
	}
	if d, ev := h.toNext(); d != confirmDelay || ev.Status.Cause != diagnosis.CauseAppBlocked {
		t.Fatalf("confirmation after %v gave %s, want after %v: app_blocked", d, ev.Status.Cause, confirmDelay)
	}
	if got := h.stateCauses(); len(got) != 2 || got[1] != diagnosis.CauseAppBlocked {
		t.Errorf("states %v, want ok then app_blocked", got)
	}
}

// TestMonitorMetered: on a metered connection a healthy monitor checks every MeteredInterval
// (never more often than Interval), a problem still every FailingInterval, and the status says
// so; the connection turning unmetered restores Interval at once.
func TestMonitorMetered(t *testing.T) {
	tests := []struct {
		name    string
		metered time.Duration
		want    time.Duration
	}{
		{"longer", 15 * time.Minute, 15 * time.Minute},
		{"shorter than interval", 10 * time.Second, 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSettings
			s.MeteredInterval = tt.metered
			h := newHarness(t, s, 0.5, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK, diagnosis.CauseOK)
			h.advance(0)
			h.m.SetMetered(true)
			if tt.want != testSettings.Interval {
				h.waitDeadline(h.clk.Now().Add(tt.want))
			}
			st := h.m.Status()
			if !st.Metered || st.MeteredInterval != tt.want {
				t.Errorf("status metered %v every %v, want true every %v", st.Metered, st.MeteredInterval, tt.want)
			}
			if d, _ := h.toNext(); d != tt.want {
				t.Errorf("healthy on a metered connection: the next check after %v, want %v", d, tt.want)
			}
			if d, _ := h.toNext(); d != tt.want {
				t.Errorf("and the one after: %v, want %v", d, tt.want)
			}
			h.m.SetMetered(false)
			if tt.want != testSettings.Interval {
				h.waitDeadline(h.clk.Now().Add(testSettings.Interval))
			}
			if st := h.m.Status(); st.Metered || st.MeteredInterval != 0 {
				t.Errorf("unmetered: status metered %v every %v, want neither", st.Metered, st.MeteredInterval)
			}
			if d, _ := h.toNext(); d != testSettings.Interval {
				t.Errorf("unmetered again: the next check after %v, want %v", d, testSettings.Interval)
			}
		})
	}
}

// TestMonitorMeteredFailing: a problem on a metered connection is still followed every
// FailingInterval: the user needs to know when it is fixed.
func TestMonitorMeteredFailing(t *testing.T) {
	s := testSettings
	s.MeteredInterval = 15 * time.Minute
	h := newHarness(t, s, 0.5, diagnosis.CauseDNSFiltered, diagnosis.CauseDNSFiltered)
	h.m.SetMetered(true)
	h.advance(0)
	if d, _ := h.toNext(); d != s.FailingInterval {
		t.Errorf("failing on a metered connection: the next check after %v, want %v", d, s.FailingInterval)
	}
}

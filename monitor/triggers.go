package monitor

import (
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// Triggers from outside the network: the Spotify app (internal/apptrigger) and a metered
// connection (internal/netstate). docs/design.md, "The Monitor".

// AppTriggered asks for a check at once because of the Spotify app: it started, or its own
// connections stall. Unlike network changes these come one at a time, so there is nothing to
// settle; requests coalesce with any other.
func (m *Monitor) AppTriggered(reason, detail string) {
	m.log.Info("check requested by the Spotify app", "reason", reason, "detail", detail)
	m.CheckNow()
}

// SetMetered says whether the connection in use is metered (a phone's hotspot, a capped
// plan); while it is and all is well, checks are spaced by Settings.MeteredInterval instead
// of Interval. A change reschedules the next check.
func (m *Monitor) SetMetered(metered bool) {
	m.mu.Lock()
	changed := m.status.Metered != metered
	before := m.healthyIntervalLocked()
	m.status.Metered = metered
	m.status.MeteredInterval = 0
	if metered {
		m.status.MeteredInterval = m.meteredIntervalLocked()
	}
	after := m.healthyIntervalLocked()
	// Rescheduled only when the healthy interval changes and a check has set the schedule:
	// the first check is due at once anyway.
	reschedule := after != before && m.status.Checks > 0 && m.status.Code == diagnosis.CodeOK
	m.mu.Unlock()
	if changed {
		m.log.Info("metered network", "metered", metered, "interval", after)
	}
	if !reschedule {
		return
	}
	select {
	case m.reloaded <- struct{}{}:
	default:
	}
}

// healthyIntervalLocked is the time between checks while all is well.
func (m *Monitor) healthyIntervalLocked() time.Duration {
	if m.status.Metered {
		return m.meteredIntervalLocked()
	}
	return m.settings.Interval
}

// meteredIntervalLocked is MeteredInterval, never shorter than Interval.
func (m *Monitor) meteredIntervalLocked() time.Duration {
	return max(m.settings.MeteredInterval, m.settings.Interval)
}

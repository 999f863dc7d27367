package tray

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// Link is the state of the tray's connection to the monitor.
type Link int

// Links.
const (
	Linked     Link = iota // events arrive
	Connecting             // the daemon is gone (restarting): reconnecting
)

// PauseChoice is which "Pause notifications" entry is checked.
type PauseChoice int

// Pause choices.
const (
	PauseNone     PauseChoice = iota // notifications on
	PauseHour                        // paused for an hour (or any pause that ends not at a morning)
	PauseTomorrow                    // paused until the next morning
)

// Limits of the texts.
const (
	// maxTooltip is Windows' tooltip buffer (128 UTF-16 units with the terminating NUL).
	maxTooltip = 127
	// maxMenuLine keeps a menu line from stretching the menu across the screen.
	maxMenuLine = 72
	// morningHour is the local hour "until tomorrow" pauses to (as the daemon's API does).
	morningHour = 8
)

// View is everything the tray shows for one state: the icon, the tooltip and the menu's
// texts. Present makes it; the UI layer only copies it to the screen.
type View struct {
	Icon       icons.ID
	Tooltip    string
	State      string      // first menu line: "Spotify reachable", "Error Code 7 — A DNS filter blocks Spotify"
	Cause      string      // second menu line: the diagnosis' summary; "" when there is none
	LastCheck  string      // "Last check 12:03 (0.2 s)"
	CanFix     bool        // "What to do…" has something to show
	Pause      PauseChoice // which pause entry is checked
	PauseLabel string      // the pause submenu's title

	// Set by the tray from its options, not by Present:
	CanOpenHistory  bool // a history source exists
	CanStartAtLogin bool // autostart can be changed
	StartAtLogin    bool // autostart is installed
}

// Present turns the monitor's status into what the tray shows at time now (in now's location).
func Present(st monitor.Status, link Link, now time.Time) View {
	v := View{PauseLabel: "Pause notifications", LastCheck: lastCheckLine(st, now)}
	paused := st.PausedUntil != nil && st.PausedUntil.After(now)
	switch {
	case link == Connecting:
		v.Icon = icons.Checking
		v.State = "Connecting to the spotwatch service…"
		v.Tooltip = "spotwatch: connecting to the spotwatch service…"
		v.LastCheck = "Waiting for the service to restart"
		return v
	case st.Cause == diagnosis.CauseChecking || st.Code == diagnosis.CodeUnknown:
		v.Icon = icons.Checking
		v.State = "Checking whether Spotify is reachable…"
		v.Tooltip = "spotwatch: checking whether Spotify is reachable…"
	default:
		v.Icon = iconFor(st.Diagnosis)
		v.State = stateLine(st.Diagnosis)
		v.Cause = truncateRunes(st.Summary, maxMenuLine)
		v.Tooltip = "spotwatch: " + headline(st.Diagnosis)
		v.CanFix = len(st.Fix) > 0 || st.Summary != ""
	}
	if paused {
		v.Icon = icons.Paused
		until := clockTime(*st.PausedUntil, now)
		v.PauseLabel = "Notifications paused until " + until
		v.Tooltip += " (notifications paused until " + until + ")"
		v.Pause = PauseHour
		if isMorning(*st.PausedUntil, now) {
			v.Pause = PauseTomorrow
		}
	}
	v.Tooltip = truncateUTF16(v.Tooltip, maxTooltip)
	return v
}

// iconFor picks the icon of a diagnosis.
func iconFor(d diagnosis.Diagnosis) icons.ID {
	switch {
	case d.Cause == diagnosis.CauseDegraded:
		return icons.Degraded
	case d.Code == diagnosis.CodeOK:
		return icons.OK
	case d.Code == diagnosis.CodeNoInternet:
		return icons.NoInternet
	case d.Code == diagnosis.CodeBlocked:
		return icons.Blocked
	}
	return icons.Checking
}

// stateLine is the first menu line.
func stateLine(d diagnosis.Diagnosis) string {
	switch {
	case d.Cause == diagnosis.CauseDegraded:
		return "Spotify reachable, " + ShortCause(d)
	case d.Code == diagnosis.CodeOK:
		return "Spotify reachable"
	}
	title := d.Title
	for _, article := range []string{"A ", "An "} {
		if rest, ok := strings.CutPrefix(title, article); ok && rest != "" {
			title = rest
			break
		}
	}
	return truncateRunes(fmt.Sprintf("Error Code %d — %s", d.Code, title), maxMenuLine)
}

// headline is a one-line state for tooltips and notification titles:
// "Spotify Error Code 7 — blocked by your DNS filter", "Spotify reachable".
func headline(d diagnosis.Diagnosis) string {
	switch {
	case d.Cause == diagnosis.CauseDegraded:
		return "Spotify reachable, " + ShortCause(d)
	case d.Code == diagnosis.CodeOK:
		return "Spotify reachable"
	}
	return fmt.Sprintf("Spotify Error Code %d — %s", d.Code, ShortCause(d))
}

// ShortCause is the diagnosis' cause as a short phrase ("blocked by your DNS filter"), naming
// the product (a filter, an antivirus) when the diagnosis names one. A diagnosis from a daemon
// that does not send the phrase gets it from the fix catalogue.
func ShortCause(d diagnosis.Diagnosis) string {
	if d.Short != "" {
		return d.Short
	}
	return diagnosis.ShortCause(d.Cause, diagnosis.Findings{Product: d.Product})
}

// lastCheckLine is "Last check 12:03 (0.2 s)".
func lastCheckLine(st monitor.Status, now time.Time) string {
	if st.LastCheck.IsZero() {
		return "No check finished yet"
	}
	return fmt.Sprintf("Last check %s (%.1f s)", clockTime(st.LastCheck, now), float64(st.LastCheckMS)/1000)
}

// clockTime is t as "12:03" in now's location, with the weekday when t is not today.
func clockTime(t, now time.Time) string {
	t = t.In(now.Location())
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04")
	}
	return t.Format("Mon 15:04")
}

// isMorning reports whether t is a "until tomorrow" pause end: morningHour:00 sharp, local.
func isMorning(t, now time.Time) bool {
	t = t.In(now.Location())
	return t.Hour() == morningHour && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// nextMorning is the first morningHour:00 after now: "until tomorrow" at 01:00 means this
// morning.
func nextMorning(now time.Time) time.Time {
	t := time.Date(now.Year(), now.Month(), now.Day(), morningHour, 0, 0, 0, now.Location())
	if !t.After(now) {
		t = time.Date(now.Year(), now.Month(), now.Day()+1, morningHour, 0, 0, 0, now.Location())
	}
	return t
}

// truncateRunes shortens s to at most n characters, ending it with "…" when cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// truncateUTF16 shortens s to at most n UTF-16 code units (what Windows counts), ending it
// with "…" when cut.
func truncateUTF16(s string, n int) string {
	if len(utf16.Encode([]rune(s))) <= n {
		return s
	}
	units := 1 // the ellipsis
	var b strings.Builder
	for _, r := range s {
		w := utf16.RuneLen(r)
		if units+w > n {
			break
		}
		units += w
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

// HumanDuration is "45 s", "14 min", "1 h 5 min", "2 days 3 h".
func HumanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	if h == 0 {
		return fmt.Sprintf("%d %s", days, unit)
	}
	return fmt.Sprintf("%d %s %d h", days, unit, h)
}

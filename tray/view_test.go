package tray

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
)

func TestPresent(t *testing.T) {
	at := t0.Add(3 * time.Minute) // 12:03
	long := status(diagnosis.CauseDNSFiltered, at)
	long.Title = strings.Repeat("Acme Filter ", 12) + "blocks Spotify" // a product with a long name
	long.Product = strings.TrimSpace(strings.Repeat("Acme Filter ", 12))
	long.Short = diagnosis.ShortCause(long.Cause, diagnosis.Findings{Product: long.Product})
	tests := []struct {
		name      string
		st        monitor.Status
		link      Link
		icon      icons.ID
		state     string
		tooltip   string
		lastCheck string
		pause     PauseChoice
		label     string
		canFix    bool
	}{
		{name: "checking", st: status(diagnosis.CauseChecking, t0), icon: icons.Checking,
			state: "Checking whether Spotify is reachable…", tooltip: "spotwatch: checking whether Spotify is reachable…",
			lastCheck: "Last check 12:00 (0.2 s)", label: "Pause notifications"},
		{name: "reconnecting to the daemon", st: status(diagnosis.CauseDNSFiltered, at), link: Connecting, icon: icons.Checking,
			state: "Connecting to the spotwatch service…", tooltip: "spotwatch: connecting to the spotwatch service…",
			lastCheck: "Waiting for the service to restart", label: "Pause notifications"},
		{name: "ok", st: status(diagnosis.CauseOK, at), icon: icons.OK, state: "Spotify reachable",
			tooltip: "spotwatch: Spotify reachable", lastCheck: "Last check 12:03 (0.2 s)", label: "Pause notifications", canFix: true},
		{name: "degraded", st: status(diagnosis.CauseDegraded, at), icon: icons.Degraded, state: "Spotify reachable, degraded",
			tooltip: "spotwatch: Spotify reachable, degraded", lastCheck: "Last check 12:03 (0.2 s)", label: "Pause notifications", canFix: true},
		{name: "code 4", st: status(diagnosis.CauseNoNetwork, at), icon: icons.NoInternet,
			state: "Error Code 4 — Not connected to a network", tooltip: "spotwatch: Spotify Error Code 4 — not connected to a network",
			lastCheck: "Last check 12:03 (0.2 s)", label: "Pause notifications", canFix: true},
		{name: "code 7", st: status(diagnosis.CauseDNSFiltered, at), icon: icons.Blocked,
			state: "Error Code 7 — DNS filter blocks Spotify", tooltip: "spotwatch: Spotify Error Code 7 — blocked by your DNS filter",
			lastCheck: "Last check 12:03 (0.2 s)", label: "Pause notifications", canFix: true},
		{name: "paused for an hour", st: paused(status(diagnosis.CauseDNSFiltered, at), at.Add(time.Hour)), icon: icons.Paused,
			state: "Error Code 7 — DNS filter blocks Spotify", tooltip: "spotwatch: Spotify Error Code 7 — blocked by your DNS filter (notifications paused until 13:03)",
			lastCheck: "Last check 12:03 (0.2 s)", pause: PauseHour, label: "Notifications paused until 13:03", canFix: true},
		{name: "paused until tomorrow", st: paused(status(diagnosis.CauseOK, at), nextMorning(at)), icon: icons.Paused,
			state: "Spotify reachable", tooltip: "spotwatch: Spotify reachable (notifications paused until Tue 08:00)",
			lastCheck: "Last check 12:03 (0.2 s)", pause: PauseTomorrow, label: "Notifications paused until Tue 08:00", canFix: true},
		{name: "a pause that has ended", st: paused(status(diagnosis.CauseOK, at), at.Add(-time.Second)), icon: icons.OK,
			state: "Spotify reachable", tooltip: "spotwatch: Spotify reachable", lastCheck: "Last check 12:03 (0.2 s)", label: "Pause notifications", canFix: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Present(tt.st, tt.link, at)
			if v.Icon != tt.icon || v.State != tt.state || v.Tooltip != tt.tooltip || v.LastCheck != tt.lastCheck ||
				v.Pause != tt.pause || v.PauseLabel != tt.label || v.CanFix != tt.canFix {
				t.Errorf("Present:\n got %+v\nwant icon %s state %q tooltip %q last %q pause %d label %q fix %v",
					v, tt.icon, tt.state, tt.tooltip, tt.lastCheck, tt.pause, tt.label, tt.canFix)
			}
			if tt.st.Cause != diagnosis.CauseChecking && tt.link == Linked && v.Cause != truncateRunes(tt.st.Summary, maxMenuLine) {
				t.Errorf("cause line %q, want the summary %q", v.Cause, tt.st.Summary)
			}
		})
	}
	v := Present(long, Linked, at)
	if n := len(utf16.Encode([]rune(v.Tooltip))); n > maxTooltip || !strings.HasSuffix(v.Tooltip, "…") {
		t.Errorf("long tooltip: %d UTF-16 units, %q", n, v.Tooltip)
	}
}

// TestEveryCauseHasAView: every cause of the catalogue gets an icon by its code, a state line
// naming the code and a tooltip within Windows' limit.
func TestEveryCauseHasAView(t *testing.T) {
	var causes []diagnosis.Cause
	for _, info := range diagnosis.Causes() {
		if info.Diagnosis {
			causes = append(causes, info.ID)
		}
	}
	want := map[diagnosis.Code]icons.ID{diagnosis.CodeOK: icons.OK, diagnosis.CodeNoInternet: icons.NoInternet, diagnosis.CodeBlocked: icons.Blocked}
	for _, c := range causes {
		v := Present(status(c, t0), Linked, t0)
		icon := want[c.Code()]
		if c == diagnosis.CauseDegraded {
			icon = icons.Degraded
		}
		if v.Icon != icon {
			t.Errorf("%s: icon %s, want %s", c, v.Icon, icon)
		}
		if c.Code() != diagnosis.CodeOK && !strings.HasPrefix(v.State, "Error Code ") {
			t.Errorf("%s: state line %q does not name the code", c, v.State)
		}
		if n := len(utf16.Encode([]rune(v.Tooltip))); n > maxTooltip {
			t.Errorf("%s: tooltip of %d UTF-16 units", c, n)
		}
	}
}

// TestShortCauseNamesTheProduct: the tray's short phrase is the diagnosis' own, naming the
// product the diagnosis carries, and without one (an older daemon) the catalogue's phrase for the
// diagnosis' product.
func TestShortCauseNamesTheProduct(t *testing.T) {
	for _, c := range []diagnosis.Cause{diagnosis.CauseDNSFiltered, diagnosis.CauseFirewallReject, diagnosis.CauseFirewallDrop,
		diagnosis.CauseTLSIntercepted, diagnosis.CauseBlockPage} {
		for _, product := range []string{"Kaspersky", "FortiGuard", "Cisco Umbrella", ""} {
			f := diagnosis.Findings{Product: product}
			d := diag(c, f)
			want := diagnosis.ShortCause(c, f)
			if product != "" && !strings.Contains(want, product) {
				t.Fatalf("%s: the catalogue's short phrase %q does not name %s", c, want, product)
			}
			if got := ShortCause(d); got != want {
				t.Errorf("%s: ShortCause = %q, want %q", c, got, want)
			}
			d.Short = ""
			if got := ShortCause(d); got != want {
				t.Errorf("%s without the phrase: ShortCause = %q, want %q", c, got, want)
			}
		}
	}
}

func TestTruncateUTF16(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a longer text", 8, "a longe…"},
		{"word boundary here", 6, "word…"},
		{"🎵🎵🎵🎵", 6, "🎵🎵…"}, // each note is two UTF-16 units
	}
	for _, tt := range tests {
		got := truncateUTF16(tt.in, tt.n)
		if got != tt.want || len(utf16.Encode([]rune(got))) > tt.n {
			t.Errorf("truncateUTF16(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := map[time.Duration]string{
		45 * time.Second:                "45 s",
		14*time.Minute + 59*time.Second: "14 min",
		time.Hour:                       "1 h",
		time.Hour + 5*time.Minute:       "1 h 5 min",
		24 * time.Hour:                  "1 day",
		51 * time.Hour:                  "2 days 3 h",
	}
	for d, want := range tests {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestNextMorning(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.Local) }
	tests := []struct{ now, want time.Time }{
		{day(23, 12, 0), day(24, 8, 0)},
		{day(23, 1, 0), day(23, 8, 0)}, // "until tomorrow" after midnight means this morning
		{day(23, 8, 0), day(24, 8, 0)},
		{day(30, 23, 59), time.Date(2026, 12, 1, 8, 0, 0, 0, time.Local)},
	}
	for _, tt := range tests {
		if got := nextMorning(tt.now); !got.Equal(tt.want) {
			t.Errorf("nextMorning(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

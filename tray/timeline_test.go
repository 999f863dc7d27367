package tray

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
	"github.com/spotwatch/spotwatch/tray/icons/draw"
)

func TestStretches(t *testing.T) {
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return base.Add(time.Duration(h * float64(time.Hour))) }
	change := func(h float64, cause diagnosis.Cause) history.Record {
		return history.Record{Time: at(h), Code: int(cause.Code()), Cause: string(cause), Title: string(cause)}
	}
	gap := func(kind string, h, hours float64) history.Record {
		return history.Record{Kind: kind, Time: at(h), Code: -1, Duration: time.Duration(hours * float64(time.Hour))}
	}
	// want is "state from-to" per stretch, hours after base; gaps by their kind.
	tests := []struct {
		name     string
		recs     []history.Record
		from, to float64
		want     []string
	}{
		{"nothing before the first record", []history.Record{change(2, diagnosis.CauseOK)}, 0, 4,
			[]string{"none 0-2", "ok 2-4"}},
		{"a record before the window", []history.Record{change(-5, diagnosis.CauseDNSFiltered), change(1, diagnosis.CauseOK)}, 0, 2,
			[]string{"blocked 0-1", "ok 1-2"}},
		{"a stop: checking after it until the next change", []history.Record{change(0, diagnosis.CauseOK), gap(history.KindStopped, 1, 2), change(3.5, diagnosis.CauseOK)}, 0, 5,
			[]string{"ok 0-1", "stopped 1-3", "checking 3-3.5", "ok 3.5-5"}},
		{"a sleep: the state before goes on after it", []history.Record{change(0, diagnosis.CauseInternetDown), gap(history.KindAsleep, 1, 2)}, 0, 5,
			[]string{"no-internet 0-1", "asleep 1-3", "no-internet 3-5"}},
		{"a change recorded inside a gap ends it", []history.Record{change(0, diagnosis.CauseOK), change(2, diagnosis.CauseDegraded), gap(history.KindAsleep, 1, 2)}, 0, 5,
			[]string{"ok 0-1", "asleep 1-2", "degraded 2-5"}},
		{"a gap still open at the end", []history.Record{change(0, diagnosis.CauseOK), gap(history.KindStopped, 3, 10)}, 0, 5,
			[]string{"ok 0-3", "stopped 3-5"}},
		{"a kind this spotwatch does not know is a gap", []history.Record{change(0, diagnosis.CauseOK), gap("hibernated", 1, 1)}, 0, 3,
			[]string{"ok 0-1", "stopped 1-2", "checking 2-3"}},
		{"equal states merge; different causes do not", []history.Record{change(0, diagnosis.CauseOK), change(1, diagnosis.CauseOK), change(2, diagnosis.CauseFirewallDrop), change(3, diagnosis.CauseFirewallReject)}, 0, 4,
			[]string{"ok 0-2", "blocked 2-3", "blocked 3-4"}},
		{"checking", []history.Record{{Time: at(0), Code: -1, Cause: string(diagnosis.CauseChecking)}, change(1, diagnosis.CauseOK)}, 0, 2,
			[]string{"checking 0-1", "ok 1-2"}},
		{"an empty window", []history.Record{change(0, diagnosis.CauseOK)}, 3, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range stretches(tt.recs, at(tt.from), at(tt.to)) {
				name := string(s.icon)
				if s.isGap() {
					name = s.gap
				}
				got = append(got, fmt.Sprintf("%s %g-%g", name, s.from.Sub(base).Hours(), s.to.Sub(base).Hours()))
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("stretches:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestUnreachableTime(t *testing.T) {
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	recs := []history.Record{
		{Time: base, Code: 0, Cause: "ok"},
		{Time: base.Add(1 * time.Hour), Code: 7, Cause: "dns_filtered"},
		{Time: base.Add(2 * time.Hour), Code: 4, Cause: "internet_down"},
		{Time: base.Add(5 * time.Hour), Code: 7, Cause: "dns_filtered"},
		{Time: base.Add(6 * time.Hour), Code: 0, Cause: "degraded"},
		{Kind: history.KindStopped, Time: base.Add(7 * time.Hour), Code: -1, Duration: 2 * time.Hour},
	}
	by, total, unwatched := unreachableTime(stretches(recs, base, base.Add(10*time.Hour)))
	if total != 5*time.Hour || unwatched != 2*time.Hour || len(by) != 2 {
		t.Fatalf("unreachable %v by %+v, unwatched %v; want 5 h in 2 causes, 2 h unwatched", total, by, unwatched)
	}
	if by[0].dur != 3*time.Hour || by[0].icon != icons.NoInternet || !strings.HasPrefix(by[0].label, "Code 4: ") ||
		by[1].dur != 2*time.Hour || by[1].icon != icons.Blocked || by[1].label != "Code 7: blocked by your DNS filter" {
		t.Errorf("by cause %+v, want Code 4 3 h, then Code 7 (DNS filter) 2 h", by)
	}
}

// TestPageColoursAreTheIcons: the strips are filled and labelled in the tray icons' own
// colours.
func TestPageColoursAreTheIcons(t *testing.T) {
	hex := func(s draw.State, glyph bool) string {
		c := draw.Palettes[s].Fill
		if glyph {
			c = draw.Palettes[s].Glyph
		}
		return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
	}
	for _, id := range icons.All() {
		fill, ink := stateColours(id)
		if fill != hex(draw.State(id), false) || ink != hex(draw.State(id), true) {
			t.Errorf("%s: page colours %s on %s, want the icon's %s on %s", id, ink, fill, hex(draw.State(id), true), hex(draw.State(id), false))
		}
	}
}

// TestPagesLoadNothing: both pages forbid every fetch in their Content-Security-Policy, allow
// only the copy buttons' script by its hash, refer to nothing outside themselves, and escape
// what came from the network.
func TestPagesLoadNothing(t *testing.T) {
	hostile := `<script>alert(1)</script><img src="http://203.0.113.9/x">`
	st := status(diagnosis.CauseDNSFiltered, t0)
	st.Summary += hostile
	st.Evidence = []string{hostile}
	recs := []history.Record{
		{Time: t0.Add(-time.Hour), Code: 0, Cause: "ok", Title: "ok"},
		{Time: t0, Code: 7, Cause: "dns_filtered", Title: hostile, Summary: hostile, Short: hostile, Previous: "ok", Duration: time.Hour},
	}
	sum := sha256.Sum256([]byte(copyScript))
	for _, tt := range []struct {
		name, page, script string
	}{
		{"what to do", string(fixPage(st, t0.Add(time.Minute))), "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"},
		{"history", string(historyPage(recs, t0.Add(time.Minute))), "'none'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			csp := `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:; style-src &#39;unsafe-inline&#39;; script-src ` +
				strings.ReplaceAll(tt.script, "'", "&#39;")
			if !strings.Contains(tt.page, csp) {
				t.Errorf("no policy %s in the page", csp)
			}
			if strings.Contains(tt.page, "<script>alert") || strings.Contains(tt.page, `<img src="http`) {
				t.Error("the hostile text went in unescaped")
			}
			for _, ref := range []string{`src="http`, `href="http`, `url(http`, `@import`} {
				if strings.Contains(tt.page, ref) {
					t.Errorf("the page refers outside itself: %s", ref)
				}
			}
			if n := strings.Count(tt.page, "<script>"); n != map[bool]int{true: 1, false: 0}[tt.name == "what to do"] {
				t.Errorf("%d scripts", n)
			}
		})
	}
}

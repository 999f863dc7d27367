package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// hostile is text that would act on a terminal: it retitles the window, clears the screen,
// prints in bold red, and reverses what follows with a right-to-left override.
const hostile = "Evil\x1b]0;TITLE\a\x1b[2J\x1b[31;1mFAKE\u202eeulav\u2066\r\n\x9b2J"

// rendererCodes are the escape sequences the renderer itself writes in colour.
var rendererCodes = []string{ansiReset, ansiBold, ansiRed, ansiGreen, ansiAmber, ansiDim}

// TestRenderersEscapeHostileText: the terminal renderers of `check` and `status` print report
// text that still holds control characters, escape sequences or bidi controls (a report from an
// older or foreign daemon, a cleaning gap) as visible escapes; the only escape sequences they
// write are their own colours.
func TestRenderersEscapeHostileText(t *testing.T) {
	res := diagnosis.Result{
		Diagnosis: diagnosis.Diagnosis{Code: diagnosis.CodeBlocked, Cause: diagnosis.Cause("tls_" + hostile), Title: "Title " + hostile,
			Summary: "Summary " + hostile, Fix: []string{"Fix " + hostile}, Evidence: []string{"Evidence " + hostile}},
		StartedAt: time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC),
	}
	now := res.StartedAt.Add(time.Hour)
	st := monitor.Status{Result: res, Since: res.StartedAt, LastCheck: res.StartedAt, PendingCause: diagnosis.Cause("dns_" + hostile)}
	records := []history.Record{{Time: res.StartedAt, Code: 7, Cause: "cause " + hostile, Title: "title " + hostile, Previous: "prev " + hostile, Duration: time.Minute}}
	tests := []struct {
		name   string
		render func(*bytes.Buffer, bool)
	}{
		{"check", func(b *bytes.Buffer, color bool) { writeText(b, res, color) }},
		{"status", func(b *bytes.Buffer, color bool) { writeStatus(b, st, now, color) }},
		{"status --history", func(b *bytes.Buffer, _ bool) { writeHistory(b, records) }},
	}
	for _, tt := range tests {
		for _, color := range []bool{false, true} {
			var b bytes.Buffer
			tt.render(&b, color)
			out := b.String()
			for _, code := range rendererCodes {
				out = strings.ReplaceAll(out, code, "")
			}
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if i := strings.IndexFunc(line, func(r rune) bool {
					return r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
				}); i >= 0 {
					t.Errorf("%s (colour %v) prints %U raw in %q", tt.name, color, []rune(line[i:])[0], line)
				}
			}
			if !strings.Contains(out, `Evil\x1b]0;TITLE\x07\x1b[2J\x1b[31;1mFAKE\u202eeulav\u2066\x0d\x0a\x9b2J`) {
				t.Errorf("%s (colour %v) does not show the hostile text escaped:\n%s", tt.name, color, out)
			}
		}
	}
}

// TestStatusMetered: `status` says when the daemon spaces its checks for a metered network.
func TestStatusMetered(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)
	base := monitor.Status{Result: diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: diagnosis.CodeOK, Cause: diagnosis.CauseOK, Title: "Spotify is reachable"}}, Since: t0, LastCheck: t0}
	tests := []struct {
		metered  bool
		interval time.Duration
		want     string
	}{
		{true, 15 * time.Minute, "Metered network: checking every 15m while Spotify is reachable (metered_interval).\n"},
		{true, 90 * time.Minute, "Metered network: checking every 1h30m while"},
		{true, 2 * time.Hour, "checking every 2h while"},
		{false, 0, ""},
	}
	for _, tt := range tests {
		st := base
		st.Metered, st.MeteredInterval = tt.metered, tt.interval
		var b bytes.Buffer
		writeStatus(&b, st, t0.Add(time.Minute), false)
		out := b.String()
		if tt.want == "" && strings.Contains(out, "Metered") || tt.want != "" && !strings.Contains(out, tt.want) {
			t.Errorf("metered %v every %v: status says\n%s\nwant %q", tt.metered, tt.interval, out, tt.want)
		}
	}
}

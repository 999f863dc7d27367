package tray

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spotwatch/spotwatch/tray/icons"
)

// stateColours are the fill and the ink (the glyph's colour) of a state's tray icon, for the
// history page's strips. They are tray/icons/draw's palettes, which the program does not link;
// TestPageColoursAreTheIcons keeps them equal.
func stateColours(id icons.ID) (fill, ink string) {
	switch id {
	case icons.OK:
		return "#2e9e44", "#ffffff"
	case icons.Degraded:
		return "#f5b400", "#1a1a1a"
	case icons.NoInternet:
		return "#e8710a", "#1a1a1a"
	case icons.Blocked:
		return "#d32f2f", "#ffffff"
	case icons.Paused:
		return "#3a86e0", "#ffffff"
	}
	return "#7a7a7a", "#f2f2f2" // checking
}

// gapPattern is the hatching of the stretches nobody watched: never a state's colour.
const gapPattern = `<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>` +
	`<pattern id="gap" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
	`<path d="M0 0V6" stroke="#999" stroke-width="2"/></pattern></defs></svg>` + "\n"

// Strip geometry. A label is written on a stretch only when it fits in the stretch's width at
// the narrowest page (320 px wide, minus the page's padding and a scrollbar).
const (
	stripHeight   = 28
	narrowStripPx = 270.0
	labelCharPx   = 7.5 // a generous average advance of 12 px system-ui
	labelPadPx    = 8.0
)

// shortLabel is a stretch's label on the strip: its state in a word or two.
func shortLabel(s stretch) string {
	switch {
	case s.gap == gapNoHistory:
		return "no history"
	case s.isGap():
		return "not watching"
	}
	switch s.icon {
	case icons.OK:
		return "reachable"
	case icons.Degraded:
		return "degraded"
	case icons.NoInternet:
		return "Code 4"
	case icons.Blocked:
		return "Code 7"
	}
	return "checking"
}

// stateClass is the CSS class of a stretch's fill.
func stateClass(s stretch) string {
	if s.isGap() {
		return "gap"
	}
	return string(s.icon)
}

// strip writes one timeline: a row of rectangles whose widths are their durations' share of the
// window, each with its state and times as a tooltip, and ticks below.
func (p *page) strip(id, title string, ss []stretch, ticks []tick) {
	if len(ss) == 0 {
		return
	}
	from, to := ss[0].from, ss[len(ss)-1].to
	window := float64(to.Sub(from))
	loc := to.Location()
	p.raw(`<section class="strip" id="` + id + `">`)
	p.tag("h3", title)
	p.raw(fmt.Sprintf(`<svg class="tl" role="img" aria-label="%s" data-from="%d" data-to="%d">`, title, from.Unix(), to.Unix()))
	for i, s := range ss {
		x := float64(s.from.Sub(from)) / window * 100
		w := float64(s.to.Sub(s.from)) / window * 100
		fill, ink := stateColours(s.icon)
		cls := stateClass(s)
		p.raw(fmt.Sprintf(`<rect class="seg s-%s" x="%.4f%%" y="0" width="%.4f%%" height="%d" data-from="%d" data-to="%d" data-state="%s"`,
			cls, x, w, stripHeight, s.from.Unix(), s.to.Unix(), cls))
		if !s.isGap() {
			p.raw(` fill="` + fill + `"`)
		}
		p.raw("><title>")
		p.text(fmt.Sprintf("%s — %s to %s (%s)", s.label, stamp(s.from, to, loc), stamp(s.to, to, loc), HumanDuration(s.to.Sub(s.from))))
		p.raw("</title></rect>")
		label := shortLabel(s)
		if w/100*narrowStripPx >= float64(utf8.RuneCountInString(label))*labelCharPx+labelPadPx {
			attr := ` class="l-gap"`
			if !s.isGap() {
				attr = ` fill="` + ink + `"`
			}
			p.raw(fmt.Sprintf(`<text x="%.4f%%" dx="4" y="18" data-seg="%d"%s>`, x, i, attr))
			p.text(label)
			p.raw("</text>")
		}
	}
	p.raw("</svg>\n<div class=\"axis\">")
	for _, t := range ticks {
		x := float64(t.at.Sub(from)) / window * 100
		align := "" // centred on its time; the ends are aligned inside the strip
		switch {
		case x <= 0:
			align = ` class="start"`
		case x >= 100:
			align = ` class="end"`
		}
		p.raw(fmt.Sprintf(`<span%s style="left:%.4f%%">`, align, x))
		p.text(t.label)
		p.raw("</span>")
	}
	p.raw("</div></section>\n")
}

// stamp is t as the strips' tooltips say it: the clock time, with the day when not today.
func stamp(t, now time.Time, loc *time.Location) string {
	return clockTime(t.In(loc), now.In(loc))
}

// tick is a time label under a strip.
type tick struct {
	at    time.Time
	label string
}

// dayTicks label the last 24 hours every 6 hours.
func dayTicks(now time.Time) []tick {
	var ts []tick
	for i := 4; i > 0; i-- {
		at := now.Add(-time.Duration(i) * 6 * time.Hour)
		ts = append(ts, tick{at, at.Format("15:04")})
	}
	return append(ts, tick{now, "now"})
}

// weekTicks label the last 7 days every day, by weekday ("now" would crowd yesterday's).
func weekTicks(now time.Time) []tick {
	var ts []tick
	for i := 7; i > 0; i-- {
		at := now.AddDate(0, 0, -i)
		ts = append(ts, tick{at, at.Format("Mon")})
	}
	return ts
}

// swatch is a legend's sample of a fill: the state's tray icon beside its colour.
func swatch(s stretch) string {
	fill, _ := stateColours(s.icon)
	rect := `<rect width="28" height="14" rx="2" fill="` + fill + `"/>`
	if s.isGap() {
		rect = `<rect width="28" height="14" rx="2" class="s-gap"/>`
	}
	out := `<svg width="28" height="14" aria-hidden="true">` + rect + `</svg>`
	if !s.isGap() {
		out = iconImg(s.icon, 16) + out
	}
	return out
}

// legend names the fills used in ss, once each, in the order they first appear.
func (p *page) legend(ss []stretch) {
	seen := map[string]bool{}
	p.raw(`<ul class="legend">`)
	for _, s := range ss {
		key := shortLabel(s)
		if seen[key] {
			continue
		}
		seen[key] = true
		p.raw(`<li data-state="` + stateClass(s) + `">` + swatch(s))
		p.text(key)
		p.raw("</li>")
	}
	p.raw("</ul>\n")
}

// summary writes the time Spotify was unreachable in the last 24 hours and 7 days, by cause,
// and the time nobody watched.
func (p *page) summary(day, week []stretch) {
	dayBy, dayTotal, _ := unreachableTime(day)
	weekBy, weekTotal, unwatched := unreachableTime(week)
	p.tag("h2", "Time Spotify was unreachable")
	if weekTotal == 0 {
		p.tag("p", "None: Spotify was reachable whenever spotwatch watched in the last 7 days.")
	} else {
		p.raw(`<table class="sum"><tr><th>Cause</th><th>24&nbsp;h</th><th>7&nbsp;days</th></tr>` + "\n")
		for _, c := range weekBy {
			var inDay time.Duration
			for _, d := range dayBy {
				if d.label == c.label {
					inDay = d.dur
				}
			}
			p.raw("<tr><td>" + iconImg(c.icon, 16) + " ")
			p.text(c.label)
			p.raw(`</td><td>` + durationCell(inDay) + `</td><td>` + durationCell(c.dur) + "</td></tr>\n")
		}
		p.raw(`<tr class="total"><th>In all</th><th>` + durationCell(dayTotal) + `</th><th>` + durationCell(weekTotal) + "</th></tr></table>\n")
	}
	if unwatched > 0 {
		p.raw(`<p class="meta">`)
		p.text(fmt.Sprintf("spotwatch was not watching for %s of the last 7 days (hatched): what happened then is not known.", HumanDuration(unwatched)))
		p.raw("</p>\n")
	}
}

// durationCell is a duration for a table cell, on one line.
func durationCell(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return strings.ReplaceAll(HumanDuration(d), " ", "&nbsp;")
}

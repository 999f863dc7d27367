package tray

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons/draw"
	"github.com/spotwatch/spotwatch/tray/internal/browsertest"
)

// recorded is a history kept in testdata/histories: the records as the daemon's history holds
// them, and the moment the page is drawn.
type recorded struct {
	About   string           `json:"about"`
	Now     time.Time        `json:"now"`
	Records []history.Record `json:"records"`
}

func loadRecorded(t *testing.T, name string) recorded {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "histories", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r recorded
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// pageArtifacts is where the screenshots go: $SPOTWATCH_ARTIFACTS/pages (kept, for CI), else a
// temporary directory of the test. The path is logged.
func pageArtifacts(t *testing.T) string {
	dir := t.TempDir()
	if a := os.Getenv("SPOTWATCH_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "pages")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("page screenshots in %s", dir)
	return dir
}

// layout is what measureJS measures of a page in the browser.
type layout struct {
	Viewport  float64  `json:"viewport"`
	DocWidth  float64  `json:"docWidth"`
	Overflow  []string `json:"overflow"`
	Resources int      `json:"resources"`
	External  []string `json:"external"`
	Bg        string   `json:"bg"`
	Strips    []struct {
		ID     string   `json:"id"`
		From   int64    `json:"from"`
		To     int64    `json:"to"`
		Width  float64  `json:"width"`
		Segs   []segBox `json:"segs"`
		Labels []struct {
			Text      string  `json:"text"`
			Left      float64 `json:"left"`
			Right     float64 `json:"right"`
			RectLeft  float64 `json:"rectLeft"`
			RectRight float64 `json:"rectRight"`
		} `json:"labels"`
	} `json:"strips"`
	Buttons       int    `json:"buttons"`
	VisibleButton int    `json:"visibleButtons"`
	Codes         int    `json:"codes"`
	H1            string `json:"h1"`
	H1Size        float64
	BodySize      float64
	IconLoaded    bool `json:"iconLoaded"`
	Images        int  `json:"images"`
}

// segBox is a strip's rectangle as the browser lays it out, in pixels from the strip's left.
type segBox struct {
	State string  `json:"state"`
	From  int64   `json:"from"`
	To    int64   `json:"to"`
	X     float64 `json:"x"`
	Width float64 `json:"width"`
	Fill  string  `json:"fill"`
	Title string  `json:"title"`
}

// measureJS runs in the page: every box that sticks out of the viewport or scrolls sideways,
// every word (letters and digits, in a token of up to 24 characters) split across lines, touching axis labels,
// the resources fetched, any reference that is not inline data, the strips' rectangles in
// pixels with their computed fill, and each label's box against its rectangle's.
const measureJS = `(() => {
const o = {viewport: innerWidth, docWidth: document.documentElement.scrollWidth, overflow: [], external: [],
  resources: performance.getEntriesByType("resource").length, bg: getComputedStyle(document.body).backgroundColor, strips: []};
for (const e of document.body.querySelectorAll("*")) {
  for (const a of ["src", "href", "xlink:href", "action", "poster", "srcset"]) {
    const v = e.getAttribute(a);
    if (v !== null && !v.startsWith("data:") && !v.startsWith("#")) o.external.push(e.tagName + " " + a + "=" + v);
  }
  if (e.closest("svg") && e.tagName.toLowerCase() !== "svg") continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.right > innerWidth + 0.5 || r.left < -0.5 || (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1))
    o.overflow.push(e.tagName + "." + e.className.baseVal + e.className + " [" + (e.textContent || "").slice(0, 50) + "] " + r.left + ".." + r.right + " scroll " + e.scrollWidth + "/" + e.clientWidth);
}
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n; (n = walk.nextNode());) {
  if (n.parentElement.closest("svg, script, style")) continue;
  for (const tok of n.data.matchAll(/\S+/g)) {
    if (tok[0].length > 24) continue; // longer ones must wrap somewhere at 320 px
    for (const m of tok[0].matchAll(/[\p{L}\p{N}]+/gu)) { // lines may break at hyphens and punctuation
      const r = document.createRange(), at = tok.index + m.index;
      r.setStart(n, at); r.setEnd(n, at + m[0].length);
      const lines = new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
      if (lines.size > 1) o.overflow.push("the word [" + m[0] + "] is split across lines in " + n.parentElement.tagName);
    }
  }
}
for (const a of document.querySelectorAll(".axis")) {
  const ts = [...a.children].map(e => e.getBoundingClientRect());
  for (let i = 1; i < ts.length; i++) if (ts[i].left < ts[i-1].right + 2) o.overflow.push("axis labels " + (i-1) + " and " + i + " touch: " + a.textContent);
}
for (const s of document.querySelectorAll("svg.tl")) {
  const sr = s.getBoundingClientRect();
  const st = {id: s.closest("section").id, from: +s.dataset.from, to: +s.dataset.to, width: sr.width, segs: [], labels: []};
  const rects = [...s.querySelectorAll("rect")];
  for (const r of rects) {
    const b = r.getBoundingClientRect();
    st.segs.push({state: r.dataset.state, from: +r.dataset.from, to: +r.dataset.to, x: b.left - sr.left, width: b.width,
      fill: getComputedStyle(r).fill, title: r.querySelector("title").textContent});
  }
  for (const t of s.querySelectorAll("text")) {
    const b = t.getBoundingClientRect(), rb = rects[+t.dataset.seg].getBoundingClientRect();
    st.labels.push({text: t.textContent, left: b.left, right: b.right, rectLeft: rb.left, rectRight: rb.right});
  }
  o.strips.push(st);
}
const bs = [...document.querySelectorAll("button.copy")];
o.buttons = bs.length;
o.visibleButtons = bs.filter(b => !b.hidden && b.getBoundingClientRect().width > 0).length;
o.codes = document.querySelectorAll("ol code").length;
const h1 = document.querySelector("h1");
o.h1 = h1 ? h1.textContent : "";
o.H1Size = h1 ? parseFloat(getComputedStyle(h1).fontSize) : 0;
o.BodySize = parseFloat(getComputedStyle(document.body).fontSize);
const icon = document.querySelector("img.icon");
o.iconLoaded = !!icon && icon.complete && icon.naturalWidth > 0;
o.images = document.images.length;
return o;
})()`

// cssColour is a palette colour as getComputedStyle gives it.
func cssColour(s draw.State) string {
	c := draw.Palettes[s].Fill
	return fmt.Sprintf("rgb(%d, %d, %d)", c.R, c.G, c.B)
}

// wantStretch is a stretch a recorded history holds by construction (its "about"), which the
// week's strip must draw at its length.
type wantStretch struct {
	state string
	dur   time.Duration
}

// TestHistoryPageInABrowser renders the history page of each recorded history in headless
// Chromium at 320 px, light and dark, and checks on the rendered DOM: nothing sticks out or
// scrolls sideways; each strip's rectangles tile it and are as wide as their share of its time;
// their fills are the tray icons' colours, and the times nobody watched are hatched; the
// stretches each history holds are there at their lengths; labels fit their stretches; nothing
// was fetched. Screenshots are kept (SPOTWATCH_ARTIFACTS).
func TestHistoryPageInABrowser(t *testing.T) {
	tests := []struct {
		name string
		want []wantStretch
	}{
		{"quiet-week", []wantStretch{{"degraded", 2*time.Hour + 20*time.Minute}}},
		{"flapping-day", []wantStretch{{"blocked", 35 * time.Minute}, {"blocked", 50 * time.Minute}, {"ok", 12 * time.Minute}, {"blocked", 5 * time.Minute}}},
		{"long-outage", []wantStretch{{"no-internet", 30 * time.Hour}, {"ok", 17 * time.Hour}, {"blocked", 3 * time.Hour}}},
		{"daemon-downtime", []wantStretch{{"gap", 10 * time.Hour}, {"gap", 7 * time.Hour}, {"gap", 2 * time.Hour}, {"blocked", 3 * time.Hour}}},
	}
	b := browsertest.Start(t)
	dir, shots := t.TempDir(), pageArtifacts(t)
	for _, tt := range tests {
		for _, dark := range []bool{false, true} {
			name := tt.name
			if dark {
				name += "-dark"
			}
			t.Run(name, func(t *testing.T) {
				h := loadRecorded(t, tt.name)
				path := filepath.Join(dir, name+".html")
				if err := os.WriteFile(path, historyPage(h.Records, h.Now.In(time.UTC)), 0o600); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				tab, err := b.Open(ctx, "file://"+path, browsertest.TabOptions{Width: 320, Dark: dark})
				if err != nil {
					t.Fatal(err)
				}
				defer tab.Close(ctx)
				var l layout
				if err := tab.Eval(ctx, measureJS, &l); err != nil {
					t.Fatal(err)
				}
				checkPageLayout(t, l, dark)
				if len(l.Strips) != 2 {
					t.Fatalf("%d strips, want the day and the week", len(l.Strips))
				}
				for _, s := range l.Strips {
					wantSpan := map[string]int64{"day": 24 * 3600, "week": 7 * 24 * 3600}[s.ID]
					if s.To-s.From != wantSpan || s.To != h.Now.Unix() {
						t.Errorf("strip %s spans %d..%d, want the %d s before %d", s.ID, s.From, s.To, wantSpan, h.Now.Unix())
					}
					if s.Width < 250 || s.Width > 320 {
						t.Errorf("strip %s is %.1f px wide at 320 px", s.ID, s.Width)
					}
					at := s.From
					for i, g := range s.Segs {
						if g.From != at || g.To <= g.From {
							t.Errorf("strip %s segment %d (%s) spans %d..%d, want it to begin at %d", s.ID, i, g.State, g.From, g.To, at)
						}
						at = g.To
						wantW := float64(g.To-g.From) / float64(s.To-s.From) * s.Width
						wantX := float64(g.From-s.From) / float64(s.To-s.From) * s.Width
						if math.Abs(g.Width-wantW) > 0.5 || math.Abs(g.X-wantX) > 0.5 {
							t.Errorf("strip %s segment %d (%s, %s): at %.2f px, %.2f px wide; want %.2f, %.2f px", s.ID, i, g.State, g.Title, g.X, g.Width, wantX, wantW)
						}
						if g.State == "gap" {
							if !strings.Contains(g.Fill, "#gap") {
								t.Errorf("strip %s segment %d, a gap, is filled %s, want the hatching", s.ID, i, g.Fill)
							}
						} else if want := cssColour(draw.State(g.State)); g.Fill != want {
							t.Errorf("strip %s segment %d (%s) is filled %s, want the icon's %s", s.ID, i, g.State, g.Fill, want)
						}
					}
					if at != s.To {
						t.Errorf("strip %s ends at %d, want %d", s.ID, at, s.To)
					}
					for _, lb := range s.Labels {
						if lb.Left < lb.RectLeft-0.5 || lb.Right > lb.RectRight+0.5 {
							t.Errorf("strip %s: the label %q (%.1f..%.1f px) sticks out of its stretch (%.1f..%.1f px)", s.ID, lb.Text, lb.Left, lb.Right, lb.RectLeft, lb.RectRight)
						}
					}
				}
				week := l.Strips[1]
				for _, w := range tt.want {
					found := slices.ContainsFunc(week.Segs, func(g segBox) bool {
						return g.State == w.state && time.Duration(g.To-g.From)*time.Second == w.dur &&
							math.Abs(g.Width-w.dur.Seconds()/(7*24*3600)*week.Width) <= 0.5
					})
					if !found {
						t.Errorf("the week's strip has no %s stretch of %v drawn at its length", w.state, w.dur)
					}
				}
				if !dark && slices.ContainsFunc(week.Segs, func(g segBox) bool {
					return g.State == "gap"
				}) != (tt.name == "daemon-downtime") {
					t.Errorf("gaps drawn in %s: only the history with downtime has any", tt.name)
				}
				shot, err := tab.Screenshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, "history-"+name+".png"), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// checkPageLayout: at 320 px nothing sticks out nor scrolls sideways, nothing was fetched,
// nothing refers outside the page, and the theme is the one asked for.
func checkPageLayout(t *testing.T, l layout, dark bool) {
	t.Helper()
	if l.Viewport != 320 || l.DocWidth > 320 {
		t.Errorf("the page is %v px wide in a %v px viewport", l.DocWidth, l.Viewport)
	}
	for _, o := range l.Overflow {
		t.Errorf("overflows at 320 px: %s", o)
	}
	if l.Resources != 0 || len(l.External) > 0 {
		t.Errorf("the page fetched %d resources; references: %v", l.Resources, l.External)
	}
	wantBg := "rgb(255, 255, 255)"
	if dark {
		wantBg = "rgb(30, 30, 30)"
	}
	if l.Bg != wantBg {
		t.Errorf("background %s, want %s (dark %v)", l.Bg, wantBg, dark)
	}
}

// TestFixPageInABrowser renders the "What to do…" page of several diagnoses in headless
// Chromium at 320 px, with JavaScript on and off, light and dark: the verdict is the large
// heading beside the state's icon (decoded from inline data), every command of the fix steps has
// a copy button that shows only with JavaScript and copies the command, hostile evidence stays
// text, nothing sticks out, nothing is fetched. Screenshots are kept (SPOTWATCH_ARTIFACTS).
func TestFixPageInABrowser(t *testing.T) {
	hostile := `<img src=x onerror="document.title='pwned'"> from ` + strings.Repeat("very-long-label-", 8) + "example"
	tests := []struct {
		name  string
		cause diagnosis.Cause
	}{
		{"dns-filtered", diagnosis.CauseDNSFiltered},
		{"internet-down", diagnosis.CauseInternetDown},
		{"tls-intercepted", diagnosis.CauseTLSIntercepted},
		{"ok", diagnosis.CauseOK},
	}
	b := browsertest.Start(t)
	dir, shots := t.TempDir(), pageArtifacts(t)
	now := time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		for _, mode := range []struct {
			suffix         string
			dark, noScript bool
		}{{"", false, false}, {"-dark", true, false}, {"-noscript", false, true}} {
			name := tt.name + mode.suffix
			t.Run(name, func(t *testing.T) {
				st := status(tt.cause, now.Add(-time.Hour))
				st.Evidence = []string{"Your DNS server answered 0.0.0.0 for apresolve.spotify.com", hostile}
				path := filepath.Join(dir, name+".html")
				if err := os.WriteFile(path, fixPage(st, now), 0o600); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				tab, err := b.Open(ctx, "file://"+path, browsertest.TabOptions{Width: 320, Dark: mode.dark, NoScript: mode.noScript})
				if err != nil {
					t.Fatal(err)
				}
				defer tab.Close(ctx)
				var l layout
				if err := tab.Eval(ctx, measureJS, &l); err != nil {
					t.Fatal(err)
				}
				checkPageLayout(t, l, mode.dark)
				if l.H1 != headline(st.Diagnosis) || l.H1Size < 1.5*l.BodySize {
					t.Errorf("heading %q at %.0f px (body %.0f px), want %q, large", l.H1, l.H1Size, l.BodySize, headline(st.Diagnosis))
				}
				if !l.IconLoaded || l.Images != 1 {
					t.Errorf("the state's icon loaded: %v; %d images, want only the icon", l.IconLoaded, l.Images)
				}
				if l.Buttons != l.Codes {
					t.Errorf("%d copy buttons for %d commands", l.Buttons, l.Codes)
				}
				wantVisible := l.Codes
				if mode.noScript {
					wantVisible = 0
				}
				if l.VisibleButton != wantVisible {
					t.Errorf("%d copy buttons visible, want %d (JavaScript off: %v)", l.VisibleButton, wantVisible, mode.noScript)
				}
				var text struct {
					Body  string `json:"body"`
					Title string `json:"title"`
				}
				if err := tab.Eval(ctx, `({body: document.body.innerText, title: document.title})`, &text); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(text.Body, `<img src=x onerror="document.title='pwned'">`) || text.Title == "pwned" {
					t.Errorf("the hostile evidence was not kept as text (title %q)", text.Title)
				}
				if l.Codes > 0 && !mode.noScript {
					copyWorks(ctx, t, tab)
				}
				shot, err := tab.Screenshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, "what-to-do-"+name+".png"), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// copyWorks clicks the first copy button and reads the clipboard back: the command, exactly.
func copyWorks(ctx context.Context, t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	if err := tab.Call(ctx, "Browser.grantPermissions", map[string]any{"permissions": []string{"clipboardReadWrite", "clipboardSanitizedWrite"}}, nil); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Want, Copied, Label string
	}
	js := `(async () => {
const b = document.querySelector("button.copy");
b.click();
for (let i = 0; i < 100 && b.textContent !== "Copied"; i++) await new Promise(r => setTimeout(r, 20));
return {Want: b.previousElementSibling.textContent, Copied: await navigator.clipboard.readText(), Label: b.textContent};
})()`
	if err := tab.Eval(ctx, js, &got); err != nil {
		t.Fatal(err)
	}
	if got.Label != "Copied" || got.Copied != got.Want || got.Want == "" {
		t.Errorf("copy button: label %q, clipboard %q, want %q", got.Label, got.Copied, got.Want)
	}
}

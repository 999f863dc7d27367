package tray

import (
	"context"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// The pages "What to do…" and "Open history" write and open in the browser: plain local HTML
// files, no server.
// pageStyle is the pages' CSS: readable, and dark when the system is.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#1a1a1a;background:#fff}
h1{font-size:1.4em} code{background:#f0f0f0;padding:0 .25em;border-radius:3px}
li{margin:.4em 0} .meta{color:#555} table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.3em .5em;border-bottom:1px solid #ddd;vertical-align:top}
@media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#1e1e1e} code{background:#333} .meta{color:#aaa} td,th{border-color:#444}}`

// page is an HTML page being written; text goes in escaped. (Plain string building keeps
// html/template, some 400 kB, out of the binary.)
type page struct{ b strings.Builder }

func newPage(title string) *page {
	p := &page{}
	p.raw(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>`)
	p.text(title)
	p.raw("</title>\n<style>\n" + pageStyle + "\n</style></head><body>\n")
	return p
}

func (p *page) raw(s string)  { p.b.WriteString(s) }
func (p *page) text(s string) { p.b.WriteString(html.EscapeString(s)) }

// tag writes <tag>text</tag>, the text escaped.
func (p *page) tag(tag, text string) {
	p.raw("<" + tag + ">")
	p.text(text)
	p.raw("</" + tag + ">")
}

// list writes items as an <ol> or <ul>, showing `commands` as code.
func (p *page) list(tag string, items []string) {
	p.raw("<" + tag + ">")
	for _, it := range items {
		p.raw("<li>" + codeHTML(it) + "</li>")
	}
	p.raw("</" + tag + ">\n")
}

func (p *page) bytes() []byte {
	p.raw("</body></html>\n")
	return []byte(p.b.String())
}

// codeHTML escapes s, showing the fix catalogue's `commands` as code.
func codeHTML(s string) string {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, part := range parts {
		esc := html.EscapeString(part)
		switch {
		case i%2 == 1 && i < len(parts)-1:
			b.WriteString("<code>" + esc + "</code>")
		case i%2 == 1: // an unmatched backtick
			b.WriteString("`" + esc)
		default:
			b.WriteString(esc)
		}
	}
	return b.String()
}

// fixPage is the "What to do…" page of a status.
func fixPage(st monitor.Status, now time.Time) []byte {
	p := newPage(headline(st.Diagnosis))
	p.tag("h1", headline(st.Diagnosis))
	p.tag("p", st.Summary)
	if len(st.Fix) > 0 {
		p.tag("h2", "What to do")
		p.list("ol", st.Fix)
	}
	if len(st.Evidence) > 0 {
		p.tag("h2", "What spotwatch saw")
		p.list("ul", st.Evidence)
	}
	p.raw(`<p class="meta">`)
	p.text(fmt.Sprintf("%s. This state since %s. spotwatch %s.", lastCheckLine(st, now), st.Since.In(now.Location()).Format("2006-01-02 15:04"), st.Version))
	p.raw("</p>\n")
	return p.bytes()
}

// historyPage lists state changes, newest first.
func historyPage(recs []history.Record, now time.Time) []byte {
	p := newPage("spotwatch history")
	p.tag("h1", "Spotify's connection: history")
	if len(recs) == 0 {
		p.tag("p", "No change of state recorded yet.")
		return p.bytes()
	}
	p.raw("<table><tr><th>Since</th><th>State</th><th>What was found</th><th>The state before lasted</th></tr>\n")
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		d := diagnosis.Diagnosis{Code: diagnosis.Code(r.Code), Cause: diagnosis.Cause(r.Cause), Title: r.Title, Short: r.Short}
		state := headline(d)
		if d.Cause == diagnosis.CauseChecking || d.Code == diagnosis.CodeUnknown {
			state = "Checking"
		}
		lasted := ""
		if r.Previous != "" && r.Duration > 0 {
			lasted = HumanDuration(r.Duration)
		}
		p.raw("<tr>")
		for _, cell := range []string{r.Time.In(now.Location()).Format("2006-01-02 15:04:05"), state, r.Summary, lasted} {
			p.tag("td", cell)
		}
		p.raw("</tr>\n")
	}
	p.raw("</table>\n")
	return p.bytes()
}

// writePage writes a page in the private page directory and returns its absolute path.
func (a *app) writePage(name string, data []byte) (string, error) {
	dir, err := a.pages.dir()
	if err != nil {
		return "", err
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// showFix opens the fix page of st, or, when no browser opens, sends the fix as a
// notification.
func (a *app) showFix(st monitor.Status, now time.Time) error {
	path, err := a.writePage("what-to-do.html", fixPage(st, now))
	if err == nil {
		err = a.open(path)
	}
	if err == nil {
		return nil
	}
	a.log.Warn("could not open the fix page in a browser; sending it as a notification", "err", err.Error())
	a.queueNote(fixNote(st))
	return nil
}

// fixNote is the fix as a notification: the summary and the numbered steps.
func fixNote(st monitor.Status) Note {
	var b strings.Builder
	b.WriteString(st.Summary)
	for i, step := range st.Fix {
		fmt.Fprintf(&b, "\n%d. %s", i+1, plainText(step))
	}
	return Note{Kind: NoteNotice, Title: headline(st.Diagnosis), Body: b.String(), Urgency: UrgencyNormal, Icon: iconFor(st.Diagnosis)}
}

// showHistory opens the history page.
func (a *app) showHistory(ctx context.Context, now time.Time) error {
	recs, err := a.hist.History(ctx, historyLimit)
	if err != nil {
		return fmt.Errorf("reading the history: %w", err)
	}
	path, err := a.writePage("history.html", historyPage(recs, now))
	if err != nil {
		return err
	}
	return a.open(path)
}

package tray

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// The pages "What to do…" and "Open history" write and open in the browser: plain local HTML
// files, no server. They load nothing: the icons are inline data, the drawings inline SVG, and
// a Content-Security-Policy forbids every fetch; the one script (the fix page's copy buttons) is
// allowed by its hash (docs/design.md, "The tray and notifications").

// pageStyle is the pages' CSS: readable from 320 px wide, and dark when the system is.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:1.5em auto;padding:0 1em;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}
h1{font-size:1.4em;line-height:1.25} h2{font-size:1.15em;margin-top:1.6em} code{background:#f0f0f0;padding:0 .25em;border-radius:3px}
li{margin:.4em 0} .meta{color:#555} table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.3em .5em;border-bottom:1px solid #ddd;vertical-align:top}
.verdict{display:flex;align-items:center;gap:.8em} .verdict img{flex:none} .verdict h1{font-size:1.6em;margin:.3em 0}
button.copy{font:inherit;font-size:.8em;margin-left:.4em;padding:0 .5em;border:1px solid #999;border-radius:3px;background:#f6f6f6;color:inherit;cursor:pointer}
.strip{margin:.6em 0 1.4em} .strip h3{font-size:1em;margin:0 0 .3em} svg.tl{display:block;width:100%;height:28px}
svg.tl text{font:12px system-ui,sans-serif;pointer-events:none} .s-gap{fill:url(#gap)} .s-gap+text,.l-gap{fill:#555}
.axis{position:relative;height:1.3em;font-size:.8em;color:#555} .axis span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.axis span.start{transform:none} .axis span.end{transform:translateX(-100%)}
.legend{display:flex;flex-wrap:wrap;gap:.3em 1em;padding:0;list-style:none;font-size:.9em} .legend li{margin:0;display:flex;align-items:center;gap:.35em}
.legend svg{flex:none} table.sum{overflow-wrap:break-word} img.icon{vertical-align:-.15em}
@media (max-width:36em){table.rows,table.rows tbody,table.rows tr,table.rows td{display:block} table.rows tr.head{display:none}
table.rows tr{border-bottom:1px solid #ddd;padding:.4em 0} table.rows td{border:0;padding:.05em 0} table.rows td[data-h]::before{content:attr(data-h) ": ";color:#555}}
@media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#1e1e1e} code{background:#333} .meta,.axis,table.rows td[data-h]::before{color:#aaa} td,th,table.rows tr{border-color:#444}
button.copy{background:#2a2a2a;border-color:#666} .s-gap+text,.l-gap{fill:#bbb} #gap path{stroke:#777}}`

// copyScript makes the fix page's copy buttons work: they stay hidden without JavaScript, and
// copy their command with the clipboard API, or by selecting it where that is refused.
const copyScript = `for(const b of document.querySelectorAll("button.copy")){b.hidden=false;b.addEventListener("click",()=>{const c=b.previousElementSibling,t=c.textContent,done=()=>{b.textContent="Copied"};const sel=()=>{const r=document.createRange();r.selectNodeContents(c);const s=getSelection();s.removeAllRanges();s.addRange(r);if(document.execCommand("copy"))done()};navigator.clipboard?navigator.clipboard.writeText(t).then(done,sel):sel()})}`

// pagePolicy is the pages' Content-Security-Policy: nothing fetched, only inline style and
// data: images, and, with script, only the copy buttons' script.
func pagePolicy(script string) string {
	scripts := "'none'"
	if script != "" {
		sum := sha256.Sum256([]byte(script))
		scripts = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src " + scripts + "; base-uri 'none'; form-action 'none'"
}

// page is an HTML page being written; text goes in escaped. (Plain string building keeps
// html/template, some 400 kB, out of the binary.)
type page struct {
	b      strings.Builder
	script string // the page's one inline script, allowed by the policy by its hash
}

func newPage(title, script string) *page {
	p := &page{script: script}
	p.raw(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="`)
	p.text(pagePolicy(script))
	p.raw(`"><meta name="color-scheme" content="light dark">
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

// list writes items as an <ol> or <ul>, showing `commands` as code, each with a copy button
// when copyable is set.
func (p *page) list(tag string, items []string, copyable bool) {
	p.raw("<" + tag + ">")
	for _, it := range items {
		p.raw("<li>" + codeHTML(it, copyable) + "</li>")
	}
	p.raw("</" + tag + ">\n")
}

func (p *page) bytes() []byte {
	if p.script != "" {
		p.raw("<script>" + p.script + "</script>\n")
	}
	p.raw("</body></html>\n")
	return []byte(p.b.String())
}

// copyButton follows a command's <code>: hidden until the page's script shows it.
const copyButton = `<button class="copy" type="button" hidden>Copy</button>`

// codeHTML escapes s, showing the fix catalogue's `commands` as code, each followed by a copy
// button when copyable is set.
func codeHTML(s string, copyable bool) string {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, part := range parts {
		esc := html.EscapeString(part)
		switch {
		case i%2 == 1 && i < len(parts)-1:
			b.WriteString("<code>" + esc + "</code>")
			if copyable {
				b.WriteString(copyButton)
			}
		case i%2 == 1: // an unmatched backtick
			b.WriteString("`" + esc)
		default:
			b.WriteString(esc)
		}
	}
	return b.String()
}

// iconImg is the tray's icon of a state as an inline image.
func iconImg(id icons.ID, px int) string {
	return fmt.Sprintf(`<img src="data:image/png;base64,%s" width="%d" height="%d" alt="" class="icon i-%s">`,
		base64.StdEncoding.EncodeToString(icons.PNG(id, icons.NotificationSize)), px, px, id)
}

// fixPage is the "What to do…" page of a status: the state's icon and verdict, the fix steps
// with copy buttons for their commands, then the evidence.
func fixPage(st monitor.Status, now time.Time) []byte {
	icon := iconFor(st.Diagnosis)
	if st.Cause == diagnosis.CauseChecking || st.Code == diagnosis.CodeUnknown {
		icon = icons.Checking
	}
	p := newPage(headline(st.Diagnosis), copyScript)
	p.raw(`<header class="verdict">` + iconImg(icon, 64))
	p.tag("h1", headline(st.Diagnosis))
	p.raw("</header>\n")
	p.tag("p", st.Summary)
	if len(st.Fix) > 0 {
		p.tag("h2", "What to do")
		p.list("ol", st.Fix, true)
	}
	if len(st.Evidence) > 0 {
		p.tag("h2", "What spotwatch saw")
		p.list("ul", st.Evidence, false)
	}
	p.raw(`<p class="meta">`)
	p.text(fmt.Sprintf("%s. This state since %s. spotwatch %s.", lastCheckLine(st, now), st.Since.In(now.Location()).Format("2006-01-02 15:04"), st.Version))
	p.raw("</p>\n")
	return p.bytes()
}

// historyRows is how many state changes the history page's table lists.
const historyRows = 200

// historyPage is the "Open history" page: the last 24 hours and 7 days as strips coloured by
// state, the time Spotify was unreachable by cause, then the state changes, newest first.
func historyPage(recs []history.Record, now time.Time) []byte {
	p := newPage("spotwatch history", "")
	p.tag("h1", "Spotify's connection: history")
	if len(recs) == 0 {
		p.tag("p", "No change of state recorded yet.")
		return p.bytes()
	}
	day := stretches(recs, now.Add(-24*time.Hour), now)
	week := stretches(recs, now.Add(-7*24*time.Hour), now)
	p.raw(gapPattern)
	p.strip("day", "Last 24 hours", day, dayTicks(now))
	p.strip("week", "Last 7 days", week, weekTicks(now))
	p.legend(week)
	p.summary(day, week)

	p.tag("h2", "State changes")
	p.raw(`<table class="rows"><tr class="head"><th>Since</th><th>State</th><th>What was found</th><th>The state before lasted</th></tr>` + "\n")
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b history.Record) int { return a.Time.Compare(b.Time) })
	for i := len(recs) - 1; i >= max(0, len(recs)-historyRows); i-- {
		r := recs[i]
		ph := phaseOf(r)
		state, found, lasted := ph.label, r.Summary, ""
		if ph.isGap() {
			state = "Not watching"
			found = ph.label + " for " + HumanDuration(r.Duration)
		} else if r.Previous != "" && r.Duration > 0 {
			lasted = HumanDuration(r.Duration)
		}
		p.raw("<tr>")
		for i, cell := range []string{r.Time.In(now.Location()).Format("2006-01-02 15:04:05"), state, found, lasted} {
			if cell == "" {
				p.raw("<td></td>")
				continue
			}
			p.raw(`<td data-h="` + [...]string{"Since", "State", "What was found", "The state before lasted"}[i] + `">`)
			p.text(cell)
			p.raw("</td>")
		}
		p.raw("</tr>\n")
	}
	p.raw("</table>\n")
	if len(recs) > historyRows {
		p.raw(`<p class="meta">`)
		p.text(fmt.Sprintf("The newest %d of %d state changes; `spotwatch status --history --limit N` lists more.", historyRows, len(recs)))
		p.raw("</p>\n")
	}
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

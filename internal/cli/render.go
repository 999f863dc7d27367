package cli

import (
	"fmt"
	"io"

	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiAmber = "\x1b[33m"
	ansiDim   = "\x1b[2m"
)

// maxEvidenceLines bounds the evidence a terminal shows; --json has all of it.
const maxEvidenceLines = 10

// writeText prints a result for a person: the verdict in one line, the summary, the numbered
// fix, then the evidence. Colour only when color is set (a terminal). Report text is printed
// through safetext.Terminal: the monitor cleans what came from the network, and this is the
// second line of defence, so that no escape sequence or bidi control in a report (from an older
// or foreign daemon, say) reaches the terminal as anything but visible text.
func writeText(w io.Writer, res diagnosis.Result, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	mark, tint := "✓", ansiGreen
	switch {
	case res.Cause == diagnosis.CauseDegraded:
		mark, tint = "!", ansiAmber
	case res.Code != diagnosis.CodeOK:
		mark, tint = "✗", ansiRed
	}
	verdict := safetext.Terminal(res.Title)
	if res.Code != diagnosis.CodeOK && res.Code != diagnosis.CodeUnknown {
		verdict = fmt.Sprintf("Spotify Error Code %d — %s", res.Code, verdict)
	}
	fmt.Fprintf(w, "%s %s\n", paint(tint+ansiBold, mark), paint(ansiBold, verdict))
	if res.Summary != "" {
		fmt.Fprintf(w, "  %s\n", safetext.Terminal(res.Summary))
	}
	if len(res.Fix) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(ansiBold, "What to do:"))
		for i, step := range res.Fix {
			fmt.Fprintf(w, "  %d. %s\n", i+1, safetext.Terminal(step))
		}
	}
	if len(res.Evidence) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(ansiBold, "Evidence:"))
		shown := res.Evidence
		if len(shown) > maxEvidenceLines {
			shown = append(shown[:maxEvidenceLines-1:maxEvidenceLines-1], fmt.Sprintf("… and %d more lines (--json has every probe)", len(res.Evidence)-maxEvidenceLines+1))
		}
		for _, line := range shown {
			fmt.Fprintf(w, "  - %s\n", safetext.Terminal(line))
		}
	}
	fmt.Fprintf(w, "\n%s\n", paint(ansiDim, fmt.Sprintf("Checked at %s in %d ms with %d probes (cause %q; --json shows them all).",
		res.StartedAt.Local().Format("15:04:05"), res.DurationMS, len(res.Probes), res.Cause)))
}

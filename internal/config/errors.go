package config

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is one problem in a config file.
type Error struct {
	File   string // the file as given to Parse or Load
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Key    string // the key's path, e.g. "spotify.https[1]"; "" for the file as a whole
	Msg    string
}

// Error returns "FILE:LINE: KEY: MSG", leaving out LINE and KEY when they are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.File == "" {
		b.WriteString("config")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// suggest completes "unknown key …" with the known key nearest to name, if one is close enough
// to be a typo ("intervall", "failing-interval", "Timeout"), or else with the list of known keys.
func suggest(name string, f fields) string {
	known := slices.Sorted(maps.Keys(f))
	typed := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	best, bestDistance := "", len(typed)+1
	for _, k := range known {
		if d := editDistance(typed, k); d < bestDistance && d <= min(2, max(1, len(k)/3)) {
			best, bestDistance = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("(did you mean %q?)", best)
	}
	return fmt.Sprintf("(the keys here are: %s)", strings.Join(known, ", "))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1) // distances from a[:i-1] to each prefix of b
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// keyName is how an unknown key appears in a key path: as written if it is a plain name,
// else quoted (so that one error stays one line).
func keyName(name string) string {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return strconv.Quote(name)
		}
	}
	return name
}

// syntaxError turns an error of the YAML parser into an *Error with the right line.
//
// yaml.v3 writes "yaml: line N: problem", but numbers lines inconsistently: its parser reports
// 0-based lines and its scanner 1-based ones, a problem on line 1 gets no line at all, and
// so do bytes that are not text (the reader) and unknown anchors (the composer).
func syntaxError(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, problem, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, problem
			}
		}
	}
	switch {
	case isParserProblem(msg):
		line++
	case line > 0:
		// a scanner problem, numbered right
	case strings.HasPrefix(msg, "unknown anchor '"):
		anchor := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		line = lineOf(data, []byte("*"+anchor))
	default:
		line = badCharLine(data)
		if line == 0 {
			line = 1
		}
	}
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
}

// isParserProblem reports whether msg comes from yaml.v3's parser (parserc.go) rather than its
// scanner (scannerc.go): the parser's problems are these.
func isParserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// lineOf returns the 1-based line of the first occurrence of sub in data, or 0.
func lineOf(data, sub []byte) int {
	i := bytes.Index(data, sub)
	if i < 0 {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// badCharLine returns the 1-based line of the first byte sequence YAML does not allow (invalid
// UTF-8, or a control character other than tab, line feed and carriage return), or 0.
func badCharLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 || !printable(r) {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return 0
}

// printable reports whether YAML 1.1 allows r in a stream (yaml.v3's reader checks this set).
func printable(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7E || r == 0x85 ||
		r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

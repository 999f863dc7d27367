package macfw

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// now is when the tests read the rules: after expired-block-spotify.plist's expiry (2024-01-01).
var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// TestParseLuLuRules reads LuLu rules files written by testdata/lulu/gen.py (an NSKeyedArchiver
// archive of LuLu's Rule objects, as a binary plist from Python's plistlib).
func TestParseLuLuRules(t *testing.T) {
	const spotify = "/Applications/Spotify.app/Contents/MacOS/Spotify"
	for _, tt := range []struct {
		file   string
		target string // "" = no rule against Spotify
	}{
		{"block-spotify.plist", spotify},
		{"allow-spotify.plist", ""},
		{"disabled-block-spotify.plist", ""},
		{"expired-block-spotify.plist", ""},
		{"block-spotify-ads.plist", ""},
		{"block-spotify-apresolve.plist", spotify + " to apresolve.spotify.com"},
		{"block-spotify-regex.plist", spotify + ` to .*\.spotify\.com`},
		{"block-spotify-helper.plist", "/Applications/Spotify.app/Contents/Frameworks/Spotify Helper.app/Contents/MacOS/Spotify Helper"},
		{"block-spotify-unsigned.plist", "/Users/ana/Applications/Spotify.app/Contents/MacOS/Spotify"},
		{"block-firefox.plist", ""},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "lulu", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rules, err := ParseLuLuRules(data, LuLuRules, now)
			if err != nil {
				t.Fatal(err)
			}
			var want []diagnosis.AppRule
			if tt.target != "" {
				want = []diagnosis.AppRule{{Product: "LuLu", Where: LuLuRules, Action: "block", Target: tt.target}}
			}
			if !reflect.DeepEqual(rules, want) {
				t.Errorf("got %+v, want %+v", rules, want)
			}
		})
	}
}

// TestParseLuLuRulesBadInput: what is not LuLu's rules gives an error, never a panic.
func TestParseLuLuRulesBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "lulu", "block-spotify.plist"))
	if err != nil {
		t.Fatal(err)
	}
	prefs, err := os.ReadFile(filepath.Join("testdata", "lulu", "preferences-profile.plist"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty":           nil,
		"text":            []byte("hello"),
		"truncated":       good[:len(good)/2],
		"not an archive":  prefs,
		"json":            []byte(`{"rules": []}`),
		"xml, root a num": []byte(`<plist><dict><key>$archiver</key><string>NSKeyedArchiver</string><key>$top</key><dict><key>root</key><dict><key>CF$UID</key><integer>1</integer></dict></dict><key>$objects</key><array><string>$null</string><integer>7</integer></array></dict></plist>`),
		"uid beyond":      []byte(`<plist><dict><key>$archiver</key><string>NSKeyedArchiver</string><key>$top</key><dict><key>root</key><dict><key>CF$UID</key><integer>9</integer></dict></dict><key>$objects</key><array><string>$null</string></array></dict></plist>`),
		"loop":            []byte(`<plist><dict><key>$archiver</key><string>NSKeyedArchiver</string><key>$top</key><dict><key>root</key><dict><key>CF$UID</key><integer>1</integer></dict></dict><key>$objects</key><array><string>$null</string><dict><key>NS.objects</key><array><dict><key>CF$UID</key><integer>1</integer></dict></array></dict></array></dict></plist>`),
	} {
		if rules, err := ParseLuLuRules(data, LuLuRules, now); err == nil {
			t.Errorf("%s: no error (rules %+v)", name, rules)
		}
	}
	// Every prefix of a real file: an error or a result, never a panic.
	for i := range good {
		_, _ = ParseLuLuRules(good[:i], LuLuRules, now)
	}
}

func TestMatchesSpotify(t *testing.T) {
	for _, tt := range []struct {
		addr string
		kind int64
		want bool
	}{
		{"apresolve.spotify.com", endpointExact, true},
		{"AP-GEW4.SPOTIFY.COM.", endpointExact, true},
		{"i.scdn.co", endpointExact, true},
		{"spotify.com", endpointExact, false}, // exact: the site, not the servers the app uses
		{"*.spotify.com", endpointGlob, true},
		{"*.spotify.com", endpointExact, true}, // a * makes a glob, as LuLu's endpointTypeForAddress
		{"*", endpointGlob, false},             // every host, not Spotify's: handled before
		{"pubads.g.doubleclick.net", endpointExact, false},
		{"104.199.65.124", endpointExact, false},
		{"35.186.224.0/24", endpointCIDR, false},
		{`.*\.spotify\.com`, endpointRegex, true},
		{`spotify`, endpointRegex, true},
		{".*", endpointRegex, false},
		{"(", endpointRegex, false},
		{"notspotify.com", endpointExact, false},
	} {
		if got := matchesSpotify(tt.addr, tt.kind); got != tt.want {
			t.Errorf("matchesSpotify(%q, %d) = %v, want %v", tt.addr, tt.kind, got, tt.want)
		}
	}
}

func FuzzParseLuLuRules(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "lulu", "*.plist"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseLuLuRules(data, LuLuRules, now)
		for _, r := range rules {
			if err != nil || r.Product != "LuLu" || !strings.Contains(strings.ToLower(r.Target), "spotify") {
				t.Errorf("rule %+v, err %v", r, err)
			}
		}
	})
}

// BenchmarkParseLuLuRules: what reading LuLu's rules costs a check on macOS, for a rules file of
// 300 programs (testdata/lulu/many-rules.plist).
func BenchmarkParseLuLuRules(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "lulu", "many-rules.plist"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rules, err := ParseLuLuRules(data, LuLuRules, now)
		if err != nil || len(rules) != 1 {
			b.Fatalf("%+v, %v", rules, err)
		}
	}
}

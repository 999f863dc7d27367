package macfw

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// LuLu's files (objective-see/LuLu, Shared/consts.h and Extension/Rules.m): the rules are an
// NSKeyedArchiver binary plist, a dictionary keyed by the program's code-signing identifier (or
// its path when unsigned) whose values hold "rules", an array of Rule objects. The file and its
// folder are readable by root only. A profile (Preferences' "currentProfile", a folder under
// Profiles) has a rules.plist of its own, which LuLu then uses instead.
const (
	LuLuDir       = "/Library/Objective-See/LuLu"
	LuLuRules     = LuLuDir + "/rules.plist"
	LuLuPrefs     = LuLuDir + "/preferences.plist"
	LuLuProduct   = "LuLu"
	luluBlock     = 0 // RULE_STATE_BLOCK; RULE_STATE_ALLOW is 1
	luluAny       = "*"
	spotifyID     = "com.spotify.client" // the app's code-signing identifier; its helpers' are com.spotify.client.helper…
	spotifyBundle = "/spotify.app/"
)

// nsDateEpoch is where NSDate counts from.
var nsDateEpoch = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

func date(seconds float64) time.Time {
	return nsDateEpoch.Add(time.Duration(seconds * float64(time.Second)))
}

// ParseLuLuRules returns LuLu's rules in data (the rules.plist at where) that block the Spotify
// app, or its helpers, from connecting to everything or to Spotify's servers: enabled, not
// expired at now, action block. A rule that blocks Spotify from some other host (an ad server)
// does not keep Spotify off the network and is not returned. Texts are as stored: the caller
// cleans them.
func ParseLuLuRules(data []byte, where string, now time.Time) ([]diagnosis.AppRule, error) {
	root, err := unarchive(data)
	if err != nil {
		return nil, fmt.Errorf("reading LuLu's rules: %w", err)
	}
	items, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("reading LuLu's rules: the root is %T, not a dictionary", root)
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the file's order is a hash's: report in a stable one
	var out []diagnosis.AppRule
	for _, key := range keys {
		item, _ := items[key].(map[string]any)
		rules, _ := item["rules"].([]any)
		for _, r := range rules {
			rule, ok := r.(object)
			if !ok {
				continue
			}
			if target, ok := luluBlocksSpotify(key, rule.fields, now); ok {
				out = append(out, diagnosis.AppRule{Product: LuLuProduct, Where: where, Action: "block", Target: target})
			}
		}
	}
	return out, nil
}

// luluBlocksSpotify reports whether one Rule, listed under key, blocks Spotify, and what it
// blocks ("/Applications/Spotify.app/Contents/MacOS/Spotify", or "… to apresolve.spotify.com").
func luluBlocksSpotify(key string, f map[string]any, now time.Time) (string, bool) {
	str := func(k string) string { s, _ := f[k].(string); return s }
	if n, ok := number(f["action"]); !ok || n != luluBlock {
		return "", false
	}
	if n, ok := number(f["isDisabled"]); ok && n != 0 {
		return "", false
	}
	if exp, ok := f["expiration"].(time.Time); ok && !exp.After(now) {
		return "", false
	}
	program := str("path")
	csID := key
	if info, ok := f["csInfo"].(map[string]any); ok {
		if id, ok := info["signatureIdentifier"].(string); ok {
			csID = id
		}
	}
	if !isSpotifyApp(program) && !isSpotifyApp(key) && !isSpotifyID(csID) {
		return "", false
	}
	target := program
	if target == "" {
		target = key
	}
	addr, port := str("endpointAddr"), str("endpointPort")
	if port != "" && port != luluAny && port != "443" && port != "80" && port != "4070" {
		return "", false // a port Spotify does not use
	}
	if addr == "" || addr == luluAny {
		return target, true
	}
	kind, _ := number(f["isEndpointAddrRegex"])
	if matchesSpotify(addr, kind) {
		return target + " to " + addr, true
	}
	return "", false
}

// number reads an archived NSNumber (an integer or a boolean).
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case uint64:
		return int64(n), true
	case int64:
		return n, true
	case bool:
		if n {
			return 1, true
		}
		return 0, true
	case float64:
		return int64(n), true
	}
	return 0, false
}

// isSpotifyApp: p is a program inside Spotify.app (the app or one of its helpers).
func isSpotifyApp(p string) bool {
	return strings.Contains(strings.ToLower(p), spotifyBundle)
}

// isSpotifyID: id is the code-signing identifier of Spotify or one of its helpers.
func isSpotifyID(id string) bool {
	id = strings.ToLower(id)
	return id == spotifyID || strings.HasPrefix(id, spotifyID+".")
}

// Hosts that tell a rule against Spotify's servers from one against everything, or against
// another host.
var (
	spotifyHosts = []string{"apresolve.spotify.com", "ap-gew1.spotify.com", "spclient.wg.spotify.com", "api.spotify.com", "login5.spotify.com", "i.scdn.co", "audio-fa.scdn.co"}
	otherHosts   = []string{"example.org", "www.google.com", "doubleclick.net"}
)

// LuLu's endpoint types, a Rule's isEndpointAddrRegex (Shared/consts.h EndpointType; the older
// boolean reads as exact or regex).
const (
	endpointExact = 0
	endpointRegex = 1
	endpointCIDR  = 2
	endpointGlob  = 3
)

// matchesSpotify: a rule's endpoint of LuLu's kind matches Spotify's servers and not every host.
// LuLu compares an exact endpoint with the connection's host name and address, case aside; runs
// a regular expression (or a glob made into one) over them; and tests an address range, which
// names no host: spotwatch cannot tell whether Spotify's addresses fall in it, so it does not
// count.
func matchesSpotify(addr string, kind int64) bool {
	switch {
	case kind == endpointCIDR:
		return false
	case kind == endpointRegex:
		re, err := regexp.Compile("(?i)" + addr)
		if err != nil {
			return false
		}
		return slices.ContainsFunc(spotifyHosts, re.MatchString) && !slices.ContainsFunc(otherHosts, re.MatchString)
	case kind == endpointGlob || strings.Contains(addr, "*"):
		match := func(h string) bool { ok, _ := path.Match(strings.ToLower(addr), h); return ok }
		return slices.ContainsFunc(spotifyHosts, match) && !slices.ContainsFunc(otherHosts, match)
	}
	return isSpotifyServer(addr)
}

// isSpotifyServer: host is one of Spotify's servers, under spotify.com, scdn.co or spotifycdn.com.
func isSpotifyServer(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range []string{"spotify.com", "scdn.co", "spotifycdn.com"} {
		if strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

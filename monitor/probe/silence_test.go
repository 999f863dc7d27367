package probe

import (
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

func TestSilenceBudgets(t *testing.T) {
	for _, tc := range []struct {
		rtt, silence, light, full time.Duration
	}{
		{0, 0, 5 * time.Second, 5 * time.Second},
		{time.Millisecond, 1200 * time.Millisecond, 2 * time.Second, 5 * time.Second},
		{300 * time.Millisecond, 1900 * time.Millisecond, 2800 * time.Millisecond, 5 * time.Second},
		{500 * time.Millisecond, 2500 * time.Millisecond, 4 * time.Second, 5 * time.Second},
		{800 * time.Millisecond, 3400 * time.Millisecond, 5 * time.Second, 7400 * time.Millisecond},
		{3 * time.Second, 10 * time.Second, 5 * time.Second, 10 * time.Second},
	} {
		if got := checkDeadline(5*time.Second, tc.rtt); got != tc.full {
			t.Errorf("checkDeadline(5s, %v) = %v, want %v", tc.rtt, got, tc.full)
		}
		if got := silenceBudget(tc.rtt); got != tc.silence {
			t.Errorf("silenceBudget(%v) = %v, want %v", tc.rtt, got, tc.silence)
		}
		if got := lightDeadline(5*time.Second, tc.rtt); got != tc.light {
			t.Errorf("lightDeadline(5s, %v) = %v, want %v", tc.rtt, got, tc.light)
		}
	}
}

func TestPaceSilent(t *testing.T) {
	okRef := diagnosis.Probe{Role: diagnosis.RoleReference, OK: true}
	okSpotify := diagnosis.Probe{Role: diagnosis.RoleSpotify, OK: true}
	for _, tc := range []struct {
		name     string
		rtt      time.Duration
		opened   int
		dnsHeard bool
		probes   []diagnosis.Probe
		want     bool
	}{
		{"nothing answered", 0, 0, false, nil, true},
		{"nothing answered but the resolver (a local one)", 0, 0, true, nil, true},
		{"a Spotify connection opened", 0, 1, false, nil, false},
		{"a reference answered, DNS silent", time.Millisecond, 0, false, []diagnosis.Probe{okRef}, true},
		{"a reference answered, DNS answered", time.Millisecond, 0, true, []diagnosis.Probe{okRef}, false},
		{"DNS silent but Spotify works (hosts file)", time.Millisecond, 1, false, []diagnosis.Probe{okRef, okSpotify}, false},
		{"an OK probe and no RTT", 0, 0, false, []diagnosis.Probe{okRef}, false},
	} {
		p := newPace(1)
		if tc.rtt > 0 {
			p.observeRTT(tc.rtt)
		}
		for range tc.opened {
			p.connected()
		}
		if tc.dnsHeard {
			p.heardDNS()
		}
		if got := p.silent(tc.probes); got != tc.want {
			t.Errorf("%s: silent %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTargetIsName(t *testing.T) {
	for target, want := range map[string]bool{
		"http://captive.apple.com/x": true, "https://1.1.1.1/dns-query": false, "1.1.1.1:443": false,
		"ap.spotify.com:4070": true, "ap.spotify.com": true, "[2001:db8::1]:443": false, "": false,
	} {
		if got := targetIsName(target); got != want {
			t.Errorf("targetIsName(%q) = %v, want %v", target, got, want)
		}
	}
}

//go:build linux

package labworld

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/testnet"
)

func TestLabWorld(t *testing.T) {
	w := NewForTest(t)
	ctx := t.Context()
	if err := w.Healthy(ctx); err != nil {
		t.Fatalf("a new world is not healthy:\n%v", err)
	}

	cfg, err := config.Load(w.ConfigFile)
	if err != nil {
		t.Fatalf("the world's configuration does not load: %v", err)
	}
	def := config.Default()
	if !slices.Equal(cfg.Internet.TCP, []string{"203.0.113.20:443", "203.0.113.21:443", "203.0.113.22:443"}) ||
		!slices.Equal(cfg.Internet.DoH, []string{"https://203.0.113.20/dns-query", "https://203.0.113.21/dns-query"}) ||
		cfg.TLS.PublicRoots != w.PublicPEM || cfg.DNS.Server != "" || !slices.Equal(cfg.Spotify.HTTPS, def.Spotify.HTTPS) {
		t.Errorf("configuration: %+v", cfg)
	}

	// The proxy refuses Spotify only: other hosts get a tunnel, resolved as the world resolves.
	for target, want := range map[string]int{"api.spotify.com:443": http.StatusForbidden, "captive.apple.com:80": http.StatusOK} {
		if got, err := w.ProxyConnect(ctx, target); err != nil || got != want {
			t.Errorf("CONNECT %s: %d %v, want %d", target, got, err, want)
		}
	}

	// Faults of the zone and of Spotify's answers come and go.
	tests := []struct {
		name  string
		apply func()
		check func() error
	}{
		{"sinkhole", func() { w.SpotifyDNS(testnet.Sinkhole) }, func() error {
			return wantA(t, w, "api.spotify.com", netip.IPv4Unspecified())
		}},
		{"nxdomain", func() { w.SpotifyDNS(testnet.NXDomain) }, func() error {
			resp, err := w.Resolve(ctx, "ap.spotify.com")
			if err == nil && resp.Rcode != dns.RcodeNameError {
				t.Errorf("rcode %s, want NXDOMAIN", dns.RcodeToString[resp.Rcode])
			}
			return err
		}},
		{"block page", func() { w.PointSpotify(w.Plan.BlockPage) }, func() error {
			return wantA(t, w, "spclient.wg.spotify.com", w.Plan.BlockPage)
		}},
		{"outage", func() { w.SetSpotifyHandler(testnet.StatusHandler(http.StatusServiceUnavailable)) }, func() error {
			a, err := w.Get(ctx, netip.AddrPortFrom(w.Plan.Spotify, 443), "https://api.spotify.com/v1/me", w.CA.Pool())
			if err == nil && a.Status != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", a.Status)
			}
			return err
		}},
		{"trusted interceptor", func() {
			if err := w.TrustInterceptor(true); err != nil {
				t.Error(err)
			}
		}, func() error { return nil }},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			tt.apply()
			if err := tt.check(); err != nil {
				t.Error(err)
			}
			if err := w.Healthy(ctx); err == nil {
				t.Error("Healthy does not see the fault")
			}
			w.ResetDNS()
			w.SetSpotifyHandler(nil)
			if err := w.TrustInterceptor(false); err != nil {
				t.Fatal(err)
			}
			if err := w.Healthy(ctx); err != nil {
				t.Errorf("not healthy after the reset: %v", err)
			}
		})
	}
}

func wantA(t *testing.T, w *World, name string, want netip.Addr) error {
	t.Helper()
	got, err := w.ResolveA(t.Context(), name)
	if err == nil && !slices.Equal(got, []netip.Addr{want}) {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
	return err
}

package testnet_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

var (
	spotifyIP  = netip.MustParseAddr("35.186.224.24")
	spotifyIP6 = netip.MustParseAddr("2600:1901:1:c36::")
)

// query asks the server addr over network ("udp" or "tcp") for name/qtype.
func query(t *testing.T, network, addr, name string, qtype uint16) (*dns.Msg, error) {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	return out
}

func TestDNSModes(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(z *testnet.Zone)
		qname     string
		qtype     uint16
		wantRcode int
		want      []string
	}{
		{"answer A", nil, "apresolve.spotify.com", dns.TypeA, dns.RcodeSuccess, []string{"35.186.224.24"}},
		{"answer AAAA", nil, "apresolve.spotify.com", dns.TypeAAAA, dns.RcodeSuccess, []string{"2600:1901:1:c36::"}},
		{"names ignore case", nil, "APResolve.Spotify.COM.", dns.TypeA, dns.RcodeSuccess, []string{"35.186.224.24"}},
		{"v4-only name has no AAAA", nil, "ap.spotify.com", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"other type", nil, "apresolve.spotify.com", dns.TypeMX, dns.RcodeSuccess, nil},
		{"unknown name", nil, "nothing.example", dns.TypeA, dns.RcodeNameError, nil},
		{"default mode", func(z *testnet.Zone) { z.SetDefaultMode(testnet.ServFail) }, "nothing.example", dns.TypeA, dns.RcodeServerFailure, nil},
		{"nxdomain", func(z *testnet.Zone) { z.SetMode("apresolve.spotify.com", testnet.NXDomain) }, "apresolve.spotify.com", dns.TypeA, dns.RcodeNameError, nil},
		{"nodata", func(z *testnet.Zone) { z.SetMode("apresolve.spotify.com", testnet.NoData) }, "apresolve.spotify.com", dns.TypeA, dns.RcodeSuccess, nil},
		{"servfail", func(z *testnet.Zone) { z.SetMode("apresolve.spotify.com", testnet.ServFail) }, "apresolve.spotify.com", dns.TypeA, dns.RcodeServerFailure, nil},
		{"refused", func(z *testnet.Zone) { z.SetMode("apresolve.spotify.com", testnet.Refused) }, "apresolve.spotify.com", dns.TypeA, dns.RcodeRefused, nil},
		{"sinkhole A", func(z *testnet.Zone) { z.SetMode("apresolve.spotify.com", testnet.Sinkhole) }, "apresolve.spotify.com", dns.TypeA, dns.RcodeSuccess, []string{"0.0.0.0"}},
		{"sinkhole AAAA", func(z *testnet.Zone) { z.SetMode("apresolve.spotify.com", testnet.Sinkhole) }, "apresolve.spotify.com", dns.TypeAAAA, dns.RcodeSuccess, []string{"::"}},
		{"sinkhole unknown name", func(z *testnet.Zone) { z.SetMode("new.spotify.com", testnet.Sinkhole) }, "new.spotify.com", dns.TypeA, dns.RcodeSuccess, []string{"0.0.0.0"}},
		{"suffix covers subdomain", func(z *testnet.Zone) { z.SetModeSuffix("spotify.com", testnet.Refused) }, "apresolve.spotify.com", dns.TypeA, dns.RcodeRefused, nil},
		{"suffix covers domain", func(z *testnet.Zone) { z.SetModeSuffix("spotify.com.", testnet.Refused) }, "spotify.com", dns.TypeA, dns.RcodeRefused, nil},
		{"suffix spares lookalike", func(z *testnet.Zone) { z.SetModeSuffix("spotify.com", testnet.Refused) }, "notspotify.com", dns.TypeA, dns.RcodeSuccess, []string{"198.51.100.7"}},
		{"longest suffix wins", func(z *testnet.Zone) {
			z.SetModeSuffix("spotify.com", testnet.Refused)
			z.SetModeSuffix("wg.spotify.com", testnet.ServFail)
		}, "spclient.wg.spotify.com", dns.TypeA, dns.RcodeServerFailure, nil},
		{"name mode beats suffix", func(z *testnet.Zone) {
			z.SetModeSuffix("spotify.com", testnet.Sinkhole)
			z.SetMode("apresolve.spotify.com", testnet.Answer)
		}, "apresolve.spotify.com", dns.TypeA, dns.RcodeSuccess, []string{"35.186.224.24"}},
		{"answer mode without records", func(z *testnet.Zone) { z.SetMode("none.spotify.com", testnet.Answer) }, "none.spotify.com", dns.TypeA, dns.RcodeNameError, nil},
		{"delete", func(z *testnet.Zone) { z.Delete("apresolve.spotify.com") }, "apresolve.spotify.com", dns.TypeA, dns.RcodeNameError, nil},
		{"SetA with nothing removes", func(z *testnet.Zone) { z.SetA("apresolve.spotify.com") }, "apresolve.spotify.com", dns.TypeA, dns.RcodeNameError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := testnet.StartLocalDNS()
			if err != nil {
				t.Fatal(err)
			}
			closeLater(t, s)
			s.SetA("apresolve.spotify.com", spotifyIP, spotifyIP6)
			s.SetA("ap.spotify.com", spotifyIP)
			s.SetA("notspotify.com", netip.MustParseAddr("198.51.100.7"))
			if tt.setup != nil {
				tt.setup(s.Zone)
			}
			for _, network := range []string{"udp", "tcp"} {
				r, err := query(t, network, s.Addr(), tt.qname, tt.qtype)
				if err != nil {
					t.Fatalf("%s query: %v", network, err)
				}
				if r.Rcode != tt.wantRcode {
					t.Errorf("%s rcode = %s, want %s", network, dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.wantRcode])
				}
				if got := answers(r); !slices.Equal(got, tt.want) {
					t.Errorf("%s answers = %v, want %v", network, got, tt.want)
				}
			}
			if s.Queries() != 2 {
				t.Errorf("Queries() = %d, want 2", s.Queries())
			}
		})
	}
}

func TestDNSSilentTimesOut(t *testing.T) {
	s, err := testnet.StartLocalDNS()
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)
	s.SetModeSuffix("spotify.com", testnet.Silent)
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: 300 * time.Millisecond}
		m := new(dns.Msg)
		m.SetQuestion("apresolve.spotify.com.", dns.TypeA)
		_, _, err := c.Exchange(m, s.Addr())
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("%s: error = %v, want a timeout", network, err)
		}
	}
	if s.Queries() != 2 {
		t.Errorf("Queries() = %d, want 2", s.Queries())
	}
}

func TestDNSGoResolver(t *testing.T) {
	s, err := testnet.StartLocalDNS()
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)
	s.SetA("apresolve.spotify.com", spotifyIP)
	r := s.Resolver()
	ctx := context.Background()
	got, err := r.LookupNetIP(ctx, "ip4", "apresolve.spotify.com")
	if err != nil || !slices.Equal(got, []netip.Addr{spotifyIP}) {
		t.Fatalf("lookup = %v, %v; want [%v]", got, err, spotifyIP)
	}
	// The zone changes while the server runs.
	other := netip.MustParseAddr("203.0.113.9")
	s.SetA("apresolve.spotify.com", other)
	if got, err := r.LookupNetIP(ctx, "ip4", "apresolve.spotify.com"); err != nil || !slices.Equal(got, []netip.Addr{other}) {
		t.Fatalf("lookup after change = %v, %v; want [%v]", got, err, other)
	}
	_, err = r.LookupNetIP(ctx, "ip4", "nothing.example")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("unknown name: error = %v, want not found", err)
	}
}

func TestStartDNSOnCallerSockets(t *testing.T) {
	if _, err := testnet.StartDNS(nil, nil); err == nil {
		t.Fatal("StartDNS(nil, nil) succeeded")
	}
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0") // a port of its own
	if err != nil {
		t.Fatal(err)
	}
	zone := testnet.NewZone()
	zone.SetA("api.spotify.com", spotifyIP)
	s, err := testnet.StartDNSZone(zone, udp, tcp)
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)
	for network, addr := range map[string]string{"udp": s.UDPAddr(), "tcp": s.TCPAddr()} {
		r, err := query(t, network, addr, "api.spotify.com", dns.TypeA)
		if err != nil || !slices.Equal(answers(r), []string{spotifyIP.String()}) {
			t.Errorf("%s query to %s: %v %v", network, addr, r, err)
		}
	}
	if _, err := s.Resolver().LookupNetIP(context.Background(), "ip4", "api.spotify.com"); err != nil {
		t.Errorf("Resolver with distinct ports: %v", err)
	}
}

// TestDNSConcurrentChanges changes the zone while queries run (meaningful under -race).
func TestDNSConcurrentChanges(t *testing.T) {
	s, err := testnet.StartLocalDNS()
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, s)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				s.SetA("apresolve.spotify.com", netip.AddrFrom4([4]byte{198, 51, 100, byte(i*20 + j)}))
				s.SetMode("ap.spotify.com", testnet.Mode(j%6))
				s.SetModeSuffix("scdn.co", testnet.Sinkhole)
				s.SetDefaultMode(testnet.NXDomain)
			}
		})
		wg.Go(func() {
			for range 20 {
				if _, err := query(t, "udp", s.Addr(), "apresolve.spotify.com", dns.TypeA); err != nil {
					t.Errorf("query: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

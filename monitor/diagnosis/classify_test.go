package diagnosis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Probe builders for hand-made evidence: the shapes the probes of a real check produce.

func ok(p Probe) Probe { p.OK = true; return p }

func fail(p Probe, failure, step string) Probe {
	p.OK, p.Failure, p.Detail.Step = false, failure, step
	return p
}

func sysDNS(name string, addrs ...string) Probe {
	return Probe{Name: "dns " + name + " (system)", Kind: KindDNS, Role: RoleSpotify, Target: name, Detail: Detail{Resolver: "system", Addrs: addrs}}
}

func directDNS(name, rcode string, addrs ...string) Probe {
	return Probe{Name: "dns " + name + " (192.0.2.53:53)", Kind: KindDNS, Role: RoleSpotify, Target: name, Detail: Detail{Resolver: "192.0.2.53:53", RCode: rcode, Addrs: addrs}}
}

func doh(name string, addrs ...string) Probe {
	return Probe{Name: "doh " + name + " (https://1.1.1.1/dns-query)", Kind: KindDoH, Role: RoleControl, Target: name, Detail: Detail{Resolver: "https://1.1.1.1/dns-query", RCode: "NOERROR", Addrs: addrs}}
}

func ap(hostPort, addr string) Probe {
	return Probe{Name: "tcp access point " + hostPort, Kind: KindTCP, Role: RoleSpotify, Target: hostPort, Detail: Detail{Addr: addr, Family: "ipv4"}}
}

func spotifyHTTPS(u, addr string, status int) Probe {
	return Probe{Name: "https " + u, Kind: KindHTTPS, Role: RoleSpotify, Target: u,
		Detail: Detail{Addr: addr, Family: "ipv4", Status: status, SystemTrust: ptr(true), PublicTrust: ptr(true), Issuer: "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US"}}
}

func tcpRef(addr string) Probe {
	return Probe{Name: "tcp " + addr, Kind: KindTCP, Role: RoleReference, Target: addr, Detail: Detail{Addr: addr, Family: "ipv4"}}
}

func httpRef(u string, status int) Probe {
	return Probe{Name: "http " + u, Kind: KindHTTP, Role: RoleReference, Target: u, Detail: Detail{Status: status}}
}

// healthyRefs are references that all answered.
func healthyRefs() []Probe {
	return []Probe{
		ok(httpRef("http://connectivitycheck.gstatic.com/generate_204", 204)),
		ok(httpRef("http://www.msftconnecttest.com/connecttest.txt", 200)),
		ok(tcpRef("1.1.1.1:443")), ok(tcpRef("8.8.8.8:443")), ok(tcpRef("9.9.9.9:443")),
	}
}

const (
	apiURL  = "https://api.spotify.com/v1/me"
	apiAddr = "35.186.224.24:443"
	// spclientURL is a second endpoint the app needs, served from the same address in these tests.
	spclientURL = "https://spclient.wg.spotify.com/"
	apHost      = "ap-gae2.spotify.com"
	apIP        = "34.158.1.10"
	linuxOS     = "linux"
	hostsEtc    = "/etc/hosts"
)

func healthyFacts() Facts {
	return Facts{
		Interfaces:    []Interface{{Name: "eth0", Global: []string{"192.0.2.20"}}},
		DefaultRoutes: []Route{{Family: "ipv4", Interface: "eth0", Gateway: "192.0.2.1"}},
		RoutesKnown:   true,
		HostsFile:     hostsEtc,
	}
}

func report(facts Facts, probes ...Probe) Report {
	return Report{OS: linuxOS, Facts: facts, Probes: probes}
}

func withRefs(probes ...Probe) []Probe { return append(healthyRefs(), probes...) }

// TestClassifyCauses proves each cause of docs/design.md "The causes" from the evidence that defines it.
func TestClassifyCauses(t *testing.T) {
	noRoute := healthyFacts()
	noRoute.DefaultRoutes = nil
	vpn := healthyFacts()
	vpn.DefaultRoutes = []Route{{Family: "ipv4", Interface: "wg0"}}
	vpn.VPN = "wg0"
	hosts := healthyFacts()
	hosts.HostsEntries = []HostsEntry{{File: hostsEtc, Line: 212, Addr: "0.0.0.0", Name: "apresolve.spotify.com"}}
	proxied := healthyFacts()
	proxied.Proxy = &Proxy{URL: "http://10.0.0.1:3128", Source: "HTTPS_PROXY environment variable"}
	refsDown := []Probe{
		fail(httpRef("http://connectivitycheck.gstatic.com/generate_204", 0), "dns_timeout", "dns"),
		fail(tcpRef("1.1.1.1:443"), "generic_timeout_error", "connect"),
		fail(tcpRef("8.8.8.8:443"), "network_unreachable", "connect"),
	}
	apOK := ok(ap(apHost+":4070", apIP+":4070"))
	ap443 := ok(ap(apHost+":443", apIP+":443"))
	apiOK := ok(spotifyHTTPS(apiURL, apiAddr, 401))
	proxyFail := fail(spotifyHTTPS(apiURL, "", 403), "proxy_refused", "proxy")
	proxyFail.Detail.Via = "http://10.0.0.1:3128"
	proxyFail.Detail.SystemTrust, proxyFail.Detail.PublicTrust = nil, nil
	intercepted := fail(spotifyHTTPS(apiURL, apiAddr, 401), "ssl_unknown_authority", "tls")
	intercepted.Detail.Interceptor, intercepted.Detail.PublicTrust = "Kaspersky", ptr(false)
	intercepted.Detail.Issuer = "CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab"
	blocked := fail(spotifyHTTPS(apiURL, apiAddr, 403), "http_unexpected_body", "http")
	blocked.Detail.BlockPage = "FortiGuard"
	sniReset := fail(spotifyHTTPS(apiURL, apiAddr, 0), "connection_reset", "tls")
	neutral := ok(Probe{Name: "tls " + apiAddr + " with neutral SNI example.org", Kind: KindTLS, Role: RoleControl, Target: apiAddr, Detail: Detail{Addr: apiAddr, SNI: neutralSNI}})
	portal := fail(httpRef("http://connectivitycheck.gstatic.com/generate_204", 302), "http_status_302", "http")
	portal.Detail.Location = "http://portal.example/login"
	v6 := fail(ap(apHost+":443", "[2600:1901::1]:443"), "network_unreachable", "connect")
	v6.Detail.Family = "ipv6"

	tests := []struct {
		name  string
		rep   Report
		cause Cause
		in    string // a fragment the summary must contain
	}{
		{"ok", report(healthyFacts(), withRefs(apOK, apiOK)...), CauseOK, "genuine certificate"},
		{"degraded 4070 blocked", report(healthyFacts(), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"), ap443, apiOK)...), CauseDegraded, "4070"},
		{"degraded ipv6", report(healthyFacts(), withRefs(apOK, v6, apiOK)...), CauseDegraded, "IPv6"},
		{"degraded: a genuine Spotify answer too slow for the deadline (satellite)", report(healthyFacts(), withRefs(apOK, fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "http"))...), CauseDegraded, "slow"},
		{"degraded: a handshake lost on a lossy link while another Spotify name on that address answered", report(healthyFacts(), withRefs(apOK, apiOK, fail(spotifyHTTPS(spclientURL, apiAddr, 0), "generic_timeout_error", "tls"))...), CauseDegraded, "slow"},
		{"degraded: a connect lost on a lossy link to an address another probe reached", report(healthyFacts(), withRefs(apOK, apiOK, fail(spotifyHTTPS(spclientURL, apiAddr, 0), "generic_timeout_error", "connect"))...), CauseDegraded, "slow"},
		{"a handshake timing out at another address than the answers is not loss", report(healthyFacts(), withRefs(apOK, apiOK, fail(spotifyHTTPS(spclientURL, "35.186.224.99:443", 0), "generic_timeout_error", "tls"))...), CauseUnknown, ""},
		{"a handshake reset where another Spotify name answered is not loss", report(healthyFacts(), withRefs(apOK, apiOK, fail(spotifyHTTPS(spclientURL, apiAddr, 0), "connection_reset", "tls"))...), CauseFirewallReject, ""},
		{"degraded: a lookup lost on a lossy link while the resolver answered another Spotify name", report(healthyFacts(), withRefs(apOK, ok(sysDNS(apHost, apIP)),
			fail(sysDNS("api.spotify.com"), "dns_timeout", "dns"), fail(spotifyHTTPS(apiURL, "", 0), "dns_timeout", "dns"))...), CauseDegraded, "slow"},
		{"a lookup timing out while the resolver answered no Spotify name is not loss", report(healthyFacts(), withRefs(apOK,
			fail(sysDNS("api.spotify.com"), "dns_timeout", "dns"), fail(spotifyHTTPS(apiURL, "", 0), "dns_timeout", "dns"))...), CauseDNSFailure, ""},
		{"a silent TLS handshake is not slowness", report(healthyFacts(), withRefs(apOK, fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "tls"))...), CauseUnknown, ""},
		{"no network: no default route", report(noRoute, append(refsDown, fail(sysDNS("apresolve.spotify.com"), "dns_timeout", "dns"))...), CauseNoNetwork, ""},
		{"captive portal", report(healthyFacts(), portal, fail(tcpRef("1.1.1.1:443"), "generic_timeout_error", "connect"), fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "connect")), CauseCaptivePortal, "portal.example"},
		{"internet down", report(healthyFacts(), append(refsDown, fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"))...), CauseInternetDown, ""},
		{"dns down", report(healthyFacts(),
			fail(httpRef("http://connectivitycheck.gstatic.com/generate_204", 0), "dns_timeout", "dns"),
			ok(tcpRef("1.1.1.1:443")), ok(tcpRef("8.8.8.8:443")),
			fail(sysDNS("apresolve.spotify.com"), "dns_timeout", "dns"),
			fail(spotifyHTTPS(apiURL, "", 0), "dns_timeout", "dns")), CauseDNSDown, ""},
		{"hosts file", report(hosts, withRefs(fail(sysDNS("apresolve.spotify.com", "0.0.0.0"), "dns_bogon", ""), ok(spotifyHTTPS(apiURL, apiAddr, 401)), fail(ap(apHost+":4070", ""), "dns_bogon", "dns"))...), CauseHostsFile, "line 212"},
		{"proxy blocked", report(proxied, withRefs(proxyFail)...), CauseProxyBlocked, "10.0.0.1:3128"},
		{"dns filtered", report(healthyFacts(), withRefs(fail(sysDNS("apresolve.spotify.com", "0.0.0.0"), "dns_bogon", ""), ok(doh("apresolve.spotify.com", "35.186.224.24")))...), CauseDNSFiltered, "35.186.224.24"},
		{"dns filtered by OpenDNS address", report(healthyFacts(), withRefs(ok(sysDNS("apresolve.spotify.com", "146.112.61.106")), fail(spotifyHTTPS(apiURL, "146.112.61.106:443", 0), "ssl_unknown_authority", "tls"))...), CauseDNSFiltered, "146.112.61.106"},
		{"dns failure nxdomain", report(healthyFacts(), withRefs(fail(sysDNS("apresolve.spotify.com"), "dns_nxdomain", "dns"), fail(directDNS("apresolve.spotify.com", "NXDOMAIN"), "dns_nxdomain", ""), ok(doh("apresolve.spotify.com", "35.186.224.24")))...), CauseDNSFailure, "apresolve.spotify.com"},
		{"dns failure servfail", report(healthyFacts(), withRefs(fail(sysDNS("api.spotify.com"), "dns_servfail", "dns"), fail(directDNS("api.spotify.com", "SERVFAIL"), "dns_servfail", ""))...), CauseDNSFailure, "api.spotify.com"},
		{"block page", report(healthyFacts(), withRefs(blocked, apOK)...), CauseBlockPage, "FortiGuard"},
		{"tls intercepted", report(healthyFacts(), withRefs(intercepted, apOK)...), CauseTLSIntercepted, "Kaspersky"},
		{"vpn blocked", report(vpn, withRefs(fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"), fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "connect"))...), CauseVPNBlocked, "wg0"},
		{"sni filtered", report(healthyFacts(), withRefs(apOK, sniReset, neutral)...), CauseSNIFiltered, ""},
		{"firewall reject", report(healthyFacts(), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "connection_refused", "connect"), fail(spotifyHTTPS(apiURL, apiAddr, 0), "connection_refused", "connect"))...), CauseFirewallReject, ""},
		{"firewall reject, windows firewall", report(healthyFacts(), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "permission_denied", "connect"))...), CauseFirewallReject, ""},
		{"firewall drop", report(healthyFacts(), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "generic_timeout_error", "connect"), fail(ap(apHost+":443", apIP+":443"), "generic_timeout_error", "connect"), fail(spotifyHTTPS(apiURL, apiAddr, 0), "generic_timeout_error", "connect"))...), CauseFirewallDrop, ""},
		{"spotify outage", report(healthyFacts(), withRefs(apOK, fail(spotifyHTTPS(apiURL, apiAddr, 503), "http_status_503", "http"))...), CauseSpotifyOutage, "503"},
		{"unknown", report(healthyFacts(), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "unknown_failure: odd", "connect"))...), CauseUnknown, ""},
		// spotwatch out of file descriptors: every socket fails, the interfaces cannot be read.
		// That is no evidence of a network without a route (Code 4), only of spotwatch failing.
		{"out of file descriptors: not no_network", report(noRoute,
			fail(httpRef("http://connectivitycheck.gstatic.com/generate_204", 0), "local_resource_exhausted", "dns"),
			fail(tcpRef("1.1.1.1:443"), "local_resource_exhausted", "connect"),
			fail(tcpRef("8.8.8.8:443"), "local_resource_exhausted", "connect"),
			fail(sysDNS("apresolve.spotify.com"), "local_resource_exhausted", "dns"),
			fail(ap(apHost+":4070", apIP+":4070"), "local_resource_exhausted", "connect")), CauseInternalError, "file descriptors"},
		{"out of memory for one Spotify probe: not blocked", report(healthyFacts(), withRefs(fail(ap(apHost+":4070", apIP+":4070"), "local_resource_exhausted", "connect"), apiOK)...), CauseInternalError, "no verdict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Classify(tt.rep)
			if d.Cause != tt.cause || d.Code != tt.cause.Code() {
				t.Fatalf("Classify = %d %s, want %d %s\nevidence:\n  %s", d.Code, d.Cause, tt.cause.Code(), tt.cause, strings.Join(d.Evidence, "\n  "))
			}
			if !strings.Contains(d.Summary, tt.in) {
				t.Errorf("summary %q does not mention %q", d.Summary, tt.in)
			}
			if d.Title == "" || len(d.Evidence) == 0 {
				t.Errorf("diagnosis lacks a title or evidence: %+v", d)
			}
			if d.Code != CodeOK && len(d.Fix) == 0 {
				t.Errorf("no fix steps for %s", d.Cause)
			}
		})
	}
}

// TestClassifyGoldenReports classifies the reports under testdata/reports — recorded from real
// checks against the loopback servers and hand-made for causes loopback cannot produce — and
// compares the diagnosis with its golden file. The file name starts with the expected cause.
func TestClassifyGoldenReports(t *testing.T) {
	files, err := filepath.Glob("testdata/reports/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden reports: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var rep Report
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatalf("parsing %s: %v", file, err)
			}
			d := Classify(rep)
			want := Cause(strings.SplitN(name, "-", 2)[0])
			if d.Cause != want {
				t.Fatalf("Classify(%s) = %s, want %s\nevidence:\n  %s", file, d.Cause, want, strings.Join(d.Evidence, "\n  "))
			}
			got, _ := json.MarshalIndent(d, "", "  ")
			golden := strings.TrimSuffix(file, ".json") + ".diagnosis.golden"
			if *updateFixes {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantJSON, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden (run with -update): %v", err)
			}
			if strings.TrimSpace(string(wantJSON)) != strings.TrimSpace(string(got)) {
				t.Errorf("diagnosis of %s differs from %s:\n%s", file, golden, got)
			}
		})
	}
}

func BenchmarkClassify(b *testing.B) {
	rep := report(healthyFacts(), withRefs(ok(ap(apHost+":4070", apIP+":4070")), fail(spotifyHTTPS(apiURL, apiAddr, 503), "http_status_503", "http"))...)
	b.ReportAllocs()
	for b.Loop() {
		Classify(rep)
	}
}

package probe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// newChecker is check's checker, kept for several checks (the light check's TLS sessions live
// in it).
func newChecker(t *testing.T, w *testworld.World, env map[string]string) *probe.Checker {
	t.Helper()
	checker, err := probe.New(w.Config(), probe.Options{
		SystemRoots: w.SystemRoots(),
		Getenv:      func(k string) string { return env[k] },
		Facts:       probe.FactsSource{PrefsFiles: []string{}, AppRoot: t.TempDir()},
		GOOS:        "linux",
	})
	if err != nil {
		t.Fatalf("NewChecker: %v", err)
	}
	return checker
}

func diagnoseWith(t *testing.T, c *probe.Checker, o probe.CheckOptions) diagnosis.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.DiagnoseWith(ctx, o)
}

func resultText(res diagnosis.Result) string {
	return probesText(diagnosis.Report{Probes: res.Probes})
}

// TestLightCheck runs the light check against real loopback servers: it passes on a healthy
// world, resuming its TLS session from the check before, and fails (calling for the full
// check) for every fault on Spotify's path that loopback can produce. The light check names
// no cause: TestCheckScenarios proves the full check names each of them.
func TestLightCheck(t *testing.T) {
	tests := []struct {
		name  string
		fault func(t *testing.T, w *testworld.World) map[string]string
		ok    bool
	}{
		{"healthy", nil, true},
		{"port 4070 blocked", func(t *testing.T, w *testworld.World) map[string]string {
			mustDo(t, w.StopAccessPoint(4070))
			return nil
		}, false},
		{"hosts file", func(t *testing.T, w *testworld.World) map[string]string {
			mustDo(t, w.WriteHosts("127.0.0.1 localhost\n0.0.0.0 api.spotify.com\n"))
			return nil
		}, false},
		{"proxy refuses Spotify", func(t *testing.T, w *testworld.World) map[string]string {
			return map[string]string{"HTTPS_PROXY": w.ProxyURL()}
		}, false},
		{"dns sinkhole", dnsMode(testnet.Sinkhole), false},
		{"dns NXDOMAIN", dnsMode(testnet.NXDomain), false},
		{"dns silent", dnsMode(testnet.Silent), false},
		{"block page over HTTPS", point(testworld.HostBlockPage), false},
		{"block page as plain HTTP on 443", point(testworld.HostPlainOnTLS), false},
		{"tls interception", point(testworld.HostInterceptor), false},
		{"sni filtering", point(testworld.HostSNIFilter), false},
		{"firewall reject", func(t *testing.T, w *testworld.World) map[string]string {
			w.PointSpotify(testworld.HostNothing, true)
			return nil
		}, false},
		{"spotify outage: 503", point(testworld.HostUnavailable), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var env map[string]string
			// A healthy light check first: its session is what the fault's check would resume.
			first := diagnoseWith(t, newChecker(t, w, nil), probe.CheckOptions{Light: true})
			if first.Cause != diagnosis.CauseOK || !first.Light {
				t.Fatalf("healthy light check: %s (light %v)\n%s", first.Cause, first.Light, resultText(first))
			}
			checker := newChecker(t, w, nil)
			diagnoseWith(t, checker, probe.CheckOptions{Light: true})
			if tt.fault != nil {
				env = tt.fault(t, w)
				checker = newCheckerKeeping(t, w, env, checker)
			}
			res := diagnoseWith(t, checker, probe.CheckOptions{Light: true, LastRTT: time.Millisecond})
			if got := res.Cause == diagnosis.CauseOK; got != tt.ok {
				t.Fatalf("light check ok %v, want %v (%s: %s)\n%s", got, tt.ok, res.Cause, res.Summary, resultText(res))
			}
			if !res.Light {
				t.Error("the result does not say it is a light check's")
			}
			if len(res.Probes) == 0 || len(res.Probes) > 2 {
				t.Errorf("a light check of %d probes, want 1 or 2:\n%s", len(res.Probes), resultText(res))
			}
			if tt.ok {
				for _, p := range res.Probes {
					if p.Kind == diagnosis.KindHTTPS && !p.Detail.Resumed {
						t.Errorf("the second light check did not resume its TLS session: %s", p.Name)
					}
				}
			}
		})
	}
}

// newCheckerKeeping returns the checker to use once a fault is in place: the same one (its TLS
// sessions kept) unless the fault is an environment, which a checker reads when it is made.
func newCheckerKeeping(t *testing.T, w *testworld.World, env map[string]string, c *probe.Checker) *probe.Checker {
	if env == nil {
		return c
	}
	return newChecker(t, w, env)
}

// TestLightCheckResumedSessionStillJudgesTheCertificate: a session resumed from a good
// handshake never hides an interceptor, since an interceptor cannot resume the real server's
// session; and a handshake whose chain fails keeps no session to resume.
func TestLightCheckResumedSessionStillJudgesTheCertificate(t *testing.T) {
	w := newWorld(t)
	checker := newChecker(t, w, nil)
	for i := range 2 {
		if res := diagnoseWith(t, checker, probe.CheckOptions{Light: true}); res.Cause != diagnosis.CauseOK {
			t.Fatalf("healthy light check %d: %s\n%s", i, res.Cause, resultText(res))
		}
	}
	w.PointSpotify(testworld.HostInterceptor, false)
	for i := range 3 {
		res := diagnoseWith(t, checker, probe.CheckOptions{Light: true})
		if res.Cause == diagnosis.CauseOK {
			t.Fatalf("light check %d through an interceptor passed:\n%s", i, resultText(res))
		}
		for _, p := range res.Probes {
			if p.Kind == diagnosis.KindHTTPS && (p.OK || p.Detail.Resumed || p.Detail.Issuer == "") {
				t.Errorf("check %d: the interceptor's handshake: ok %v resumed %v issuer %q, want a failed full handshake naming the issuer",
					i, p.OK, p.Detail.Resumed, p.Detail.Issuer)
			}
		}
	}
}

// TestSilenceFromLastRTT: given the round trip of the last good check, a full check decides
// silence as the same cause it decides at its deadline, recording the cut probes as timeouts.
// (How soon is asserted in the lab: TestLabLightSilenceVerdicts.)
func TestSilenceFromLastRTT(t *testing.T) {
	w := newWorld(t)
	healthy := diagnoseWith(t, newChecker(t, w, nil), probe.CheckOptions{})
	if healthy.Cause != diagnosis.CauseOK || healthy.RTT <= 0 {
		t.Fatalf("healthy full check: %s, RTT %v; want ok with a round trip", healthy.Cause, healthy.RTT)
	}
	w.Zone.SetDefaultMode(testnet.Silent)
	for _, name := range []string{"apresolve.spotify.com", "api.spotify.com", "spclient.wg.spotify.com", "ap.spotify.com", "ap-gae2.spotify.com", "ap-gew1.spotify.com", "connectivitycheck.gstatic.com", "www.msftconnecttest.com", "captive.apple.com"} {
		w.Zone.SetMode(name, testnet.Silent)
	}
	res := diagnoseWith(t, newChecker(t, w, nil), probe.CheckOptions{LastRTT: healthy.RTT})
	if res.Cause != diagnosis.CauseDNSDown {
		t.Fatalf("silent DNS with the last RTT known: %s, want dns_down\n%s", res.Cause, resultText(res))
	}
	timeouts := 0
	for _, p := range res.Probes {
		if p.Failure == failure.Interrupted {
			t.Errorf("probe %s reported as interrupted, want the timeout it stood for", p.Name)
		}
		if p.Failure == failure.DNSTimeout {
			timeouts++
		}
	}
	if timeouts == 0 {
		t.Errorf("no probe recorded a DNS timeout:\n%s", resultText(res))
	}
	if !strings.Contains(strings.Join(res.Evidence, "\n"), "") {
		t.Error("no evidence")
	}
}

// TestLightCheckReadsOnlyThePathFacts: the light check reads what decides the way to Spotify
// (hosts file, proxy) and not the app's context, whose connections cost the most to read; the
// full check reads them all.
func TestLightCheckReadsOnlyThePathFacts(t *testing.T) {
	w := newWorld(t)
	mustDo(t, w.WriteHosts("127.0.0.1 localhost\n"))
	for _, light := range []bool{true, false} {
		var connReads int
		checker, err := probe.New(w.Config(), probe.Options{
			SystemRoots: w.SystemRoots(),
			Getenv:      func(string) string { return "" },
			Facts: probe.FactsSource{PrefsFiles: []string{}, AppRoot: t.TempDir(), HostsFile: w.HostsFile,
				Connections: func() *diagnosis.AppConnections { connReads++; return &diagnosis.AppConnections{} }},
			GOOS: "linux",
		})
		if err != nil {
			t.Fatal(err)
		}
		res := diagnoseWith(t, checker, probe.CheckOptions{Light: light})
		if res.Cause != diagnosis.CauseOK {
			t.Fatalf("light %v: %s\n%s", light, res.Cause, resultText(res))
		}
		if want := map[bool]int{true: 0, false: 1}[light]; connReads != want {
			t.Errorf("light %v: the app's connections read %d times, want %d", light, connReads, want)
		}
		if res.Facts.HostsFile != w.HostsFile {
			t.Errorf("light %v: hosts file %q, want %q", light, res.Facts.HostsFile, w.HostsFile)
		}
		if light && (res.Facts.App != nil || res.Facts.RoutesKnown) {
			t.Errorf("light check read the app's context or the routes: %+v", res.Facts)
		}
	}
}

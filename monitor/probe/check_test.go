package probe_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

var record = flag.Bool("record", false, "record each scenario's report under ../diagnosis/testdata/reports as a golden report")

// newWorld starts a loopback Internet for one test.
func newWorld(t testing.TB) *testworld.World {
	t.Helper()
	w, err := testworld.New(t.TempDir())
	if err != nil {
		t.Fatalf("starting the loopback world: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("stopping the loopback world: %v", err)
		}
	})
	return w
}

// check runs one real check against the world.
func check(t testing.TB, w *testworld.World, env map[string]string) diagnosis.Report {
	t.Helper()
	checker, err := probe.New(w.Config(), probe.Options{
		SystemRoots: w.SystemRoots(),
		Getenv:      func(k string) string { return env[k] },
		// An empty root for the app's context: the machine's own OpenSnitch rules or Flatpak
		// overrides must not decide a scenario.
		Facts: probe.FactsSource{PrefsFiles: []string{}, AppRoot: t.TempDir()},
		GOOS:  "linux",
	})
	if err != nil {
		t.Fatalf("NewChecker: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return checker.Check(ctx)
}

// TestCheckScenarios runs a full check against real servers on loopback for every cause that
// loopback can produce, each fault put in place the way the real one works (a resolver that
// lies, a middlebox that resets, a server with the wrong certificate…).
func TestCheckScenarios(t *testing.T) {
	tests := []struct {
		name  string
		fault func(t *testing.T, w *testworld.World) map[string]string
		cause diagnosis.Cause
	}{
		{"ok", nil, diagnosis.CauseOK},
		{"degraded: port 4070 blocked", func(t *testing.T, w *testworld.World) map[string]string {
			mustDo(t, w.StopAccessPoint(4070))
			return nil
		}, diagnosis.CauseDegraded},
		{"captive portal", func(t *testing.T, w *testworld.World) map[string]string {
			w.PointEverything(testworld.HostPortal)
			mustDo(t, w.StopReferences())
			return nil
		}, diagnosis.CauseCaptivePortal},
		{"internet down", func(t *testing.T, w *testworld.World) map[string]string {
			mustDo(t, w.StopReferences())
			w.PointSpotify(testworld.HostNothing, true)
			return nil
		}, diagnosis.CauseInternetDown},
		{"dns down", func(t *testing.T, w *testworld.World) map[string]string {
			w.Zone.SetDefaultMode(testnet.Silent)
			for _, name := range []string{"apresolve.spotify.com", "api.spotify.com", "spclient.wg.spotify.com", "ap.spotify.com", "ap-gae2.spotify.com", "ap-gew1.spotify.com", "connectivitycheck.gstatic.com", "www.msftconnecttest.com", "captive.apple.com"} {
				w.Zone.SetMode(name, testnet.Silent)
			}
			return nil
		}, diagnosis.CauseDNSDown},
		{"hosts file", func(t *testing.T, w *testworld.World) map[string]string {
			mustDo(t, w.WriteHosts("127.0.0.1 localhost\n# ad blocking\n0.0.0.0 apresolve.spotify.com\n0.0.0.0 api.spotify.com\n"))
			return nil
		}, diagnosis.CauseHostsFile},
		{"proxy refuses Spotify", func(t *testing.T, w *testworld.World) map[string]string {
			return map[string]string{"HTTPS_PROXY": w.ProxyURL()}
		}, diagnosis.CauseProxyBlocked},
		{"dns filter: 0.0.0.0 sinkhole", func(t *testing.T, w *testworld.World) map[string]string {
			w.Zone.SetModeSuffix("spotify.com", testnet.Sinkhole)
			return nil
		}, diagnosis.CauseDNSFiltered},
		{"dns failure: NXDOMAIN", dnsMode(testnet.NXDomain), diagnosis.CauseDNSFailure},
		{"dns failure: NODATA", dnsMode(testnet.NoData), diagnosis.CauseDNSFailure},
		{"dns failure: SERVFAIL", dnsMode(testnet.ServFail), diagnosis.CauseDNSFailure},
		{"dns failure: REFUSED", dnsMode(testnet.Refused), diagnosis.CauseDNSFailure},
		{"dns failure: no answer", dnsMode(testnet.Silent), diagnosis.CauseDNSFailure},
		{"block page over HTTPS", point(testworld.HostBlockPage), diagnosis.CauseBlockPage},
		{"block page as plain HTTP on 443", point(testworld.HostPlainOnTLS), diagnosis.CauseBlockPage},
		{"tls interception by antivirus", point(testworld.HostInterceptor), diagnosis.CauseTLSIntercepted},
		{"sni filtering", point(testworld.HostSNIFilter), diagnosis.CauseSNIFiltered},
		{"firewall reject", func(t *testing.T, w *testworld.World) map[string]string {
			w.PointSpotify(testworld.HostNothing, true)
			return nil
		}, diagnosis.CauseFirewallReject},
		{"reset after ClientHello, whatever the name", point(testworld.HostResetAfterHello), diagnosis.CauseFirewallReject},
		{"spotify outage: 503", point(testworld.HostUnavailable), diagnosis.CauseSpotifyOutage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var env map[string]string
			if tt.fault != nil {
				env = tt.fault(t, w)
			}
			rep := check(t, w, env)
			d := diagnosis.Classify(rep)
			if d.Cause != tt.cause || d.Code != tt.cause.Code() {
				t.Fatalf("got %d %s, want %d %s\nsummary: %s\nevidence:\n  %s\nprobes:\n%s", d.Code, d.Cause, tt.cause.Code(), tt.cause,
					d.Summary, strings.Join(d.Evidence, "\n  "), probesText(rep))
			}
			if *record {
				saveReport(t, tt.cause, tt.name, rep)
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// dnsMode makes the system resolver answer Spotify's names with mode (the public DoH resolvers
// still answer them).
func dnsMode(m testnet.Mode) func(*testing.T, *testworld.World) map[string]string {
	return func(t *testing.T, w *testworld.World) map[string]string {
		w.Zone.SetModeSuffix("spotify.com", m)
		return nil
	}
}

// point sends Spotify's HTTPS names to a fault server (the access points stay reachable).
func point(host int) func(*testing.T, *testworld.World) map[string]string {
	return func(t *testing.T, w *testworld.World) map[string]string {
		w.PointSpotify(host, false)
		return nil
	}
}

func probesText(rep diagnosis.Report) string {
	var b strings.Builder
	for _, p := range rep.Probes {
		data, _ := json.Marshal(p)
		b.WriteString("  " + string(data) + "\n")
	}
	return b.String()
}

// saveReport keeps a real report as a golden input of TestClassifyGoldenReports.
func saveReport(t *testing.T, cause diagnosis.Cause, name string, rep diagnosis.Report) {
	slug := strings.NewReplacer(" ", "-", ":", "", "/", "-", ".", "").Replace(strings.ToLower(name))
	path := filepath.Join("..", "diagnosis", "testdata", "reports", string(cause)+"-loopback-"+slug+".json")
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

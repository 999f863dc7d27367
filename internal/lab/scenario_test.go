//go:build linux

package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

var record = flag.Bool("record", false, "write each lab scenario's report to monitor/diagnosis/testdata/reports/<cause>-lab-<slug>.json")

// scenario is one cause of docs/design.md "The causes" produced for real in the lab.
type scenario struct {
	name   string
	code   diagnosis.Code
	causes []diagnosis.Cause // the causes that are right; the first is the one expected
	// fault applies the fault, proves it is in place (a lab error otherwise) and registers
	// its removal with t.Cleanup. It returns the lab faults whose rules the check must meet.
	fault func(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault
}

// spotifyNet covers Spotify's two addresses in the lab: 203.0.113.10 (HTTPS) and .11 (access points).
var spotifyNet = netip.MustParsePrefix("203.0.113.10/31")

func scenarios() []scenario {
	one := func(c diagnosis.Cause) []diagnosis.Cause { return []diagnosis.Cause{c} }
	return []scenario{
		{"healthy", 0, one(diagnosis.CauseOK), noFault},
		{"no default route", 4, one(diagnosis.CauseNoNetwork), labFault((*lab.Lab).RemoveDefaultRoute)},
		{"all forwarding dropped", 4, one(diagnosis.CauseInternetDown), labFault((*lab.Lab).DropForward)},
		{"dns dropped", 4, one(diagnosis.CauseDNSDown), labFault((*lab.Lab).DropDNS)},
		{"dns nxdomain for spotify", 7, one(diagnosis.CauseDNSFailure), spotifyDNS(testnet.NXDomain, "NXDOMAIN")},
		{"dns servfail for spotify", 7, one(diagnosis.CauseDNSFailure), spotifyDNS(testnet.ServFail, "SERVFAIL")},
		{"dns 0.0.0.0 for spotify", 7, one(diagnosis.CauseDNSFiltered), spotifyDNS(testnet.Sinkhole, "0.0.0.0")},
		{"hosts file maps spotify to 0.0.0.0", 7, one(diagnosis.CauseHostsFile), hostsFile},
		{"firewall reject tcp-reset", 7, one(diagnosis.CauseFirewallReject), firewallReject},
		{"firewall drop", 7, one(diagnosis.CauseFirewallDrop), firewallDrop},
		{"sni filter on spotify", 7, one(diagnosis.CauseSNIFiltered), sniFilter},
		{"only port 4070 dropped", 0, one(diagnosis.CauseDegraded), only4070},
		{"captive portal", 4, one(diagnosis.CauseCaptivePortal), captivePortal},
		{"proxy refuses spotify", 7, one(diagnosis.CauseProxyBlocked), proxyRefuses},
		{"tls interception trusted ca", 7, one(diagnosis.CauseTLSIntercepted), intercept(true)},
		{"tls interception untrusted ca", 7, one(diagnosis.CauseTLSIntercepted), intercept(false)},
		{"dns sends spotify to a block page", 7, one(diagnosis.CauseBlockPage), blockPage},
		{"vpn wg0 with spotify dropped", 7, one(diagnosis.CauseVPNBlocked), vpnDrop},
		{"spotify answers 503", 7, one(diagnosis.CauseSpotifyOutage), outage},
		{"delay 300ms and 10% loss", 0, []diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseDegraded}, slowLossy(300 * time.Millisecond)},
		{"satellite: delay 600ms and 10% loss", 0, []diagnosis.Cause{diagnosis.CauseOK, diagnosis.CauseDegraded}, slowLossy(600 * time.Millisecond)},
	}
}

// row is one line of the scenario table.
type row struct {
	name, want, got string
	ms              int64
	wall            time.Duration
}

// TestLabScenarios runs `spotwatch check --json` in the lab's client namespace once per
// scenario, each with its fault injected for real on the router, the servers or the client,
// and proven in place before the check runs. The scenarios share one lab and one world; each
// starts by proving the world healthy and undoes its fault when it ends.
func TestLabScenarios(t *testing.T) {
	start := time.Now()
	bin := buildSpotwatch(t)
	w := labworld.NewForTest(t)
	l := w.Lab
	t.Logf("lab %s up with its world in %v", l.ID(), time.Since(start).Round(time.Millisecond))

	var rows []row
	for _, sc := range scenarios() {
		t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
			r := row{name: sc.name, want: want(sc), got: "lab error"}
			defer func() { rows = append(rows, r) }()
			ctx := t.Context()
			if err := w.Healthy(ctx); err != nil {
				t.Fatalf("lab error: the world is not healthy before the fault:\n%v", err)
			}
			faults := sc.fault(t, ctx, w)
			before := hits(t, ctx, faults)
			began := time.Now()
			res, raw := runCheck(t, ctx, l, bin, w.ConfigFile)
			r.wall = time.Since(began)
			r.got, r.ms = fmt.Sprintf("%d %s", res.Code, res.Cause), res.DurationMS
			if res.Code != sc.code || !slices.Contains(sc.causes, res.Cause) {
				t.Fatalf("got %d %s, want %s\nsummary: %s\nevidence:\n  %s\nprobes:\n%s", res.Code, res.Cause, r.want,
					res.Summary, strings.Join(res.Evidence, "\n  "), probesText(res.Probes))
			}
			t.Logf("%d %s in %d ms: %s", res.Code, res.Cause, res.DurationMS, res.Summary)
			after := hits(t, ctx, faults)
			for i, f := range faults {
				if after[i] <= before[i] {
					t.Errorf("the check never met the fault %v (its rules counted %d packets before and after)", f, before[i])
				}
			}
			if *record && !t.Failed() {
				saveReport(t, res.Cause, sc.name, raw)
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-36s %-20s %-20s %8s %8s\n", "scenario", "expected", "got", "ms", "wall ms")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-36s %-20s %-20s %8d %8d\n", r.name, r.want, r.got, r.ms, r.wall.Milliseconds())
	}
	fmt.Fprintf(&b, "total (build, lab, world, %d scenarios): %v", len(rows), time.Since(start).Round(time.Millisecond))
	t.Log(b.String())
}

func want(sc scenario) string {
	var cs []string
	for _, c := range sc.causes {
		cs = append(cs, string(c))
	}
	return fmt.Sprintf("%d %s", sc.code, strings.Join(cs, "|"))
}

// buildSpotwatch builds the spotwatch binary for the scenarios, or takes the one named by
// SPOTWATCH_BIN (a binary built beforehand, e.g. by CI).
func buildSpotwatch(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("SPOTWATCH_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("SPOTWATCH_BIN: %v", err)
		}
		return bin
	}
	bin := filepath.Join(t.TempDir(), "spotwatch")
	// Built as released (Makefile): static, without cgo, so the lab measures what users run.
	cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "github.com/spotwatch/spotwatch/cmd/spotwatch")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building spotwatch: %v\n%s", err, out)
	}
	return bin
}

// runCheck runs `spotwatch check --json --config cfg` in the client namespace and returns its
// result and raw output. The exit status must be the result's code.
func runCheck(t testing.TB, ctx context.Context, l *lab.Lab, bin, cfg string) (diagnosis.Result, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := l.Command(ctx, bin, "check", "--json", "--config", cfg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	status := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("running spotwatch in the client: %v\n%s", err, stderr.String())
	}
	var res diagnosis.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("spotwatch check --json (exit %d) printed no result: %v\nstdout: %s\nstderr: %s", status, err, stdout.String(), stderr.String())
	}
	if status != int(res.Code) {
		t.Fatalf("exit status %d, but the JSON says code %d\nstderr: %s", status, res.Code, stderr.String())
	}
	return res, stdout.Bytes()
}

// hits reads the rule counters of faults.
func hits(t *testing.T, ctx context.Context, faults []*lab.Fault) []uint64 {
	t.Helper()
	out := make([]uint64, len(faults))
	for i, f := range faults {
		n, err := f.Hits(ctx)
		if err != nil {
			t.Fatalf("lab error: %v", err)
		}
		out[i] = n
	}
	return out
}

func probesText(probes []diagnosis.Probe) string {
	var b strings.Builder
	for _, p := range probes {
		data, _ := json.Marshal(p)
		b.WriteString("  " + string(data) + "\n")
	}
	return b.String()
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// saveReport writes the check's evidence (a diagnosis.Report) as a golden input of the
// classifier's TestClassifyGoldenReports.
func saveReport(t *testing.T, cause diagnosis.Cause, name string, raw []byte) {
	t.Helper()
	var res diagnosis.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	rep := diagnosis.Report{StartedAt: res.StartedAt, OS: "linux", Facts: res.Facts, Probes: res.Probes}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	path := filepath.Join("..", "..", "monitor", "diagnosis", "testdata", "reports", string(cause)+"-lab-"+slug+".json")
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", path)
}

// Faults. Each one applies, proves and registers its undo; a failure is a lab error.

func labErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("lab error: %s: %v", what, err)
	}
}

// undoLater removes f when the scenario ends.
func undoLater(t *testing.T, f *lab.Fault) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.Undo(ctx); err != nil {
			t.Errorf("lab error: removing %v: %v", f, err)
		}
	})
}

// cleanup runs undo when the scenario ends.
func cleanup(t *testing.T, what string, undo func() error) {
	t.Cleanup(func() {
		if err := undo(); err != nil {
			t.Errorf("lab error: %s: %v", what, err)
		}
	})
}

// withRules lists the faults whose rule counters prove the check met them.
func withRules(faults ...*lab.Fault) []*lab.Fault {
	return slices.DeleteFunc(faults, func(f *lab.Fault) bool { return len(f.Rules()) == 0 })
}

func noFault(*testing.T, context.Context, *labworld.World) []*lab.Fault { return nil }

// labFault is one of the lab's own faults that take no argument.
func labFault(apply func(*lab.Lab, context.Context) (*lab.Fault, error)) func(*testing.T, context.Context, *labworld.World) []*lab.Fault {
	return func(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
		f, err := apply(w.Lab, ctx)
		labErr(t, "applying the fault", err)
		undoLater(t, f)
		return withRules(f)
	}
}

// spotifyDNS makes the client's DNS server answer Spotify's names with mode and proves, from
// the client, that it does (the answer or RCODE shown) while other names still resolve.
func spotifyDNS(mode testnet.Mode, shows string) func(*testing.T, context.Context, *labworld.World) []*lab.Fault {
	return func(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
		w.SpotifyDNS(mode)
		cleanup(t, "resetting DNS", func() error { w.ResetDNS(); return nil })
		queries := w.DNS.Queries()
		for _, name := range labworld.SpotifyNames() {
			addrs, err := w.ResolveA(ctx, name)
			got := fmt.Sprint(addrs, err)
			if !strings.Contains(got, shows) {
				t.Fatalf("lab error: the client's DNS server answers %s with %s, want %s", name, got, shows)
			}
		}
		if addrs, err := w.ResolveA(ctx, "captive.apple.com"); err != nil || len(addrs) != 1 {
			t.Fatalf("lab error: other names must still resolve: captive.apple.com = %v %v", addrs, err)
		}
		metLater(t, "the client's DNS server got no query from the check", w.DNS.Queries, queries+len(labworld.SpotifyNames())+1)
		return nil
	}
}

// metLater fails the scenario if count has not passed floor when it ends: the check never
// asked the server whose answers are the fault.
func metLater(t *testing.T, what string, count func() int, floor int) {
	t.Cleanup(func() {
		if !t.Failed() && count() <= floor {
			t.Error(what)
		}
	})
}

func hostsFile(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	const hosts = "127.0.0.1 localhost\n0.0.0.0 apresolve.spotify.com\n0.0.0.0 api.spotify.com\n"
	labErr(t, "writing the client's hosts file", w.Lab.SetHosts(hosts))
	cleanup(t, "restoring the client's hosts file", func() error { return w.Lab.SetHosts("127.0.0.1 localhost\n") })
	for _, name := range []string{"apresolve.spotify.com", "api.spotify.com"} {
		out, err := w.Lab.Command(ctx, "getent", "ahostsv4", name).Output()
		if err != nil || !strings.HasPrefix(string(out), "0.0.0.0 ") {
			t.Fatalf("lab error: getent in the client resolves %s to %q (%v), want 0.0.0.0", name, out, err)
		}
	}
	return nil
}

// refusedFromClient proves that a connection from the client to at ends with want.
func refusedFromClient(t *testing.T, ctx context.Context, w *labworld.World, at netip.AddrPort, want error) {
	t.Helper()
	if err := w.Connect(ctx, at); !errors.Is(err, want) {
		t.Fatalf("lab error: connecting to %v from the client: %v, want %v", at, err, want)
	}
}

func firewallReject(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	f, err := w.Lab.RejectTCPReset(ctx, spotifyNet)
	labErr(t, "rejecting tcp to Spotify", err)
	undoLater(t, f)
	refusedFromClient(t, ctx, w, netip.AddrPortFrom(w.Plan.Spotify, 443), syscall.ECONNREFUSED)
	refusedFromClient(t, ctx, w, netip.AddrPortFrom(w.Plan.AccessPoint, 4070), syscall.ECONNREFUSED)
	return []*lab.Fault{f}
}

func firewallDrop(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	f, err := w.Lab.Drop(ctx, spotifyNet, 0)
	labErr(t, "dropping traffic to Spotify", err)
	undoLater(t, f)
	return []*lab.Fault{f}
}

func sniFilter(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	f, err := w.Lab.SNIFilter(ctx, "spotify")
	labErr(t, "filtering SNI", err)
	undoLater(t, f)
	spotify := netip.AddrPortFrom(w.Plan.Spotify, 443)
	if _, err := w.Get(ctx, spotify, "https://api.spotify.com/v1/me", w.CA.Pool()); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("lab error: TLS naming api.spotify.com from the client: %v, want a reset", err)
	}
	if a, err := w.Get(ctx, spotify, "https://example.org/v1/me", nil); err != nil || a.Status != http.StatusUnauthorized {
		t.Fatalf("lab error: TLS naming example.org to the same address: %v %v, want Spotify's 401", a.Status, err)
	}
	return []*lab.Fault{f}
}

func only4070(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	f, err := w.Lab.Drop(ctx, netip.PrefixFrom(w.Plan.AccessPoint, 32), 4070)
	labErr(t, "dropping port 4070", err)
	undoLater(t, f)
	for _, port := range []uint16{443, 80} {
		labErr(t, "the other access-point ports must work", w.Connect(ctx, netip.AddrPortFrom(w.Plan.AccessPoint, port)))
	}
	return []*lab.Fault{f}
}

func captivePortal(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	f, err := w.Lab.RedirectHTTP(ctx, netip.AddrPortFrom(w.Plan.Portal, 80))
	labErr(t, "redirecting http to the portal", err)
	undoLater(t, f)
	a, err := w.Get(ctx, netip.AddrPortFrom(w.Plan.HTTPRef, 80), "http://connectivitycheck.gstatic.com/generate_204", nil)
	if err != nil || a.Status != http.StatusFound || a.Header.Get("Location") != labworld.PortalLogin {
		t.Fatalf("lab error: generate_204 from the client: %v %v, want the portal's 302", a.Status, err)
	}
	return []*lab.Fault{f}
}

func proxyRefuses(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	w.Lab.SetEnv("HTTPS_PROXY", w.ProxyURL())
	cleanup(t, "unsetting HTTPS_PROXY", func() error { w.Lab.SetEnv("HTTPS_PROXY", ""); return nil })
	out, err := w.Lab.Command(ctx, "sh", "-c", `echo "$HTTPS_PROXY"`).Output()
	if err != nil || strings.TrimSpace(string(out)) != w.ProxyURL() {
		t.Fatalf("lab error: HTTPS_PROXY in the client is %q (%v)", out, err)
	}
	if code, err := w.ProxyConnect(ctx, "api.spotify.com:443"); err != nil || code != http.StatusForbidden {
		t.Fatalf("lab error: the proxy answers CONNECT api.spotify.com:443 with %d (%v), want 403", code, err)
	}
	requests := len(w.Proxy.Requests())
	metLater(t, "the check never asked the proxy", func() int { return len(w.Proxy.Requests()) }, requests)
	return nil
}

// intercept sends Spotify's HTTPS to the intercepting server, whose CA the client trusts or not.
func intercept(trusted bool) func(*testing.T, context.Context, *labworld.World) []*lab.Fault {
	return func(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
		if trusted {
			labErr(t, "trusting the inspection CA", w.TrustInterceptor(true))
			cleanup(t, "distrusting the inspection CA", func() error { return w.TrustInterceptor(false) })
		}
		f, err := w.Lab.DNAT(ctx, netip.PrefixFrom(w.Plan.Spotify, 32), 443, netip.AddrPortFrom(w.Plan.Interceptor, 443))
		labErr(t, "sending Spotify's 443 to the interceptor", err)
		undoLater(t, f)
		a, err := w.Get(ctx, netip.AddrPortFrom(w.Plan.Spotify, 443), "https://api.spotify.com/v1/me", w.InspectionCA.Pool())
		if err != nil || a.Issuer != w.InspectionCA.Certificate().Subject.CommonName {
			t.Fatalf("lab error: api.spotify.com from the client: issuer %q (%v), want the inspection CA", a.Issuer, err)
		}
		return []*lab.Fault{f}
	}
}

func blockPage(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	w.PointSpotify(w.Plan.BlockPage)
	cleanup(t, "resetting DNS", func() error { w.ResetDNS(); return nil })
	for _, name := range labworld.SpotifyNames() {
		if addrs, err := w.ResolveA(ctx, name); err != nil || !slices.Equal(addrs, []netip.Addr{w.Plan.BlockPage}) {
			t.Fatalf("lab error: the client's DNS server answers %s with %v (%v), want the block page %v", name, addrs, err, w.Plan.BlockPage)
		}
	}
	a, err := w.Get(ctx, netip.AddrPortFrom(w.Plan.BlockPage, 443), "https://api.spotify.com/v1/me", nil)
	if err != nil || a.Status != http.StatusForbidden || !strings.Contains(a.Body, "FortiGuard") {
		t.Fatalf("lab error: the block page answers %d (%v), want FortiGuard's 403", a.Status, err)
	}
	return nil
}

func vpnDrop(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	vpn, err := w.Lab.RenameUplink(ctx, "wg0")
	labErr(t, "renaming the uplink wg0", err)
	undoLater(t, vpn)
	f, err := w.Lab.Drop(ctx, spotifyNet, 0)
	labErr(t, "dropping traffic to Spotify", err)
	undoLater(t, f)
	return []*lab.Fault{f}
}

func outage(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
	w.SetSpotifyHandler(testnet.StatusHandler(http.StatusServiceUnavailable))
	cleanup(t, "restoring Spotify", func() error { w.SetSpotifyHandler(nil); return nil })
	for _, u := range []string{"https://apresolve.spotify.com/", "https://api.spotify.com/v1/me", "https://spclient.wg.spotify.com/"} {
		a, err := w.Get(ctx, netip.AddrPortFrom(w.Plan.Spotify, 443), u, w.CA.Pool())
		if err != nil || a.Status != http.StatusServiceUnavailable {
			t.Fatalf("lab error: %s answers %d (%v), want 503", u, a.Status, err)
		}
	}
	return nil
}

// slowLossy delays every packet to the client by rtt and loses 10 % of them: a slow, lossy
// link (300 ms: a poor mobile link; 600 ms: a satellite) on which Spotify is healthy.
func slowLossy(rtt time.Duration) func(*testing.T, context.Context, *labworld.World) []*lab.Fault {
	return func(t *testing.T, ctx context.Context, w *labworld.World) []*lab.Fault {
		d, err := w.Lab.Delay(ctx, rtt)
		labErr(t, "delaying packets to the client", err)
		undoLater(t, d)
		loss, err := w.Lab.Loss(ctx, 0.10)
		labErr(t, "losing packets to the client", err)
		undoLater(t, loss)
		return withRules(d, loss)
	}
}

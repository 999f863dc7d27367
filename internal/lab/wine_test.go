//go:build linux

package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// wineScripts is scripts/wine, seen from this package's directory (go test's working directory).
const wineScripts = "../../scripts/wine"

// TestLabWindowsCheckUnderWine is issue 14's end-to-end proof: the Windows binary, run under
// wine in the lab's client namespace, reads the routes, the interfaces and the WinINET proxy
// (set with `reg add` in the wine prefix) and classifies connections that a lab server resets
// as connection_reset. Every target of its configuration is a lab address.
//
// Wine's wineserver creates the program's sockets, so it is started inside the client namespace
// with the program (one `ip netns exec`), and the prefix's lock (scripts/wine/common.sh) is held
// for the whole run, registry changes included, so it never races `make wine-test`.
func TestLabWindowsCheckUnderWine(t *testing.T) {
	start := time.Now()
	for _, script := range []string{"install.sh", "prefix.sh"} {
		cmd := exec.CommandContext(t.Context(), filepath.Join(wineScripts, script))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/wine/%s: %v\n%s", script, err, out)
		}
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "spotwatch.exe")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", exe, "github.com/spotwatch/spotwatch/cmd/spotwatch")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building spotwatch.exe: %v\n%s", err, out)
	}
	t.Logf("wine prefix ready and spotwatch.exe built in %v", time.Since(start).Round(time.Millisecond))

	l := lab.NewForTest(t, lab.Config{})
	p := l.Plan()
	// Spotify (HTTPS and access points) and the proxy reset every connection once it is made.
	proxy := netip.AddrPortFrom(p.Proxy, 3128)
	var resets []*resetServer
	for _, ap := range []netip.AddrPort{
		netip.AddrPortFrom(p.Spotify, 443),
		netip.AddrPortFrom(p.AccessPoint, 4070),
		netip.AddrPortFrom(p.AccessPoint, 443),
		netip.AddrPortFrom(p.AccessPoint, 80),
		proxy,
	} {
		ln, err := l.Listen(lab.Servers, "tcp4", ap.String())
		labErr(t, "listening", err)
		resets = append(resets, startResetServer(t, ln))
	}

	cfgPath := filepath.Join(dir, "spotwatch.yaml")
	cfg := fmt.Sprintf(`timeout: 10s
spotify:
  apresolve: "https://%[1]s/?type=accesspoint&type=dealer&type=spclient"
  fallback_access_points: ["%[2]s:4070", "%[2]s:443", "%[2]s:80"]
  https: ["https://%[1]s/v1/me", "https://%[1]s/"]
internet:
  http:
    - {url: "http://%[3]s/generate_204", status: 204}
  tcp: ["%[4]s:443", "%[4]s:80", "%[1]s:443"]
  doh: ["https://%[4]s/dns-query"]
dns: {server: "%[5]s:53"}
`, p.Spotify, p.AccessPoint, p.HTTPRef, p.Probe, p.DNS)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	// Up to 6 min waiting for the prefix's lock (a `make wine-test` run), then 2 min for the check.
	ctx, cancel := context.WithTimeout(t.Context(), 9*time.Minute)
	defer cancel()
	outPath := filepath.Join(dir, "check.json")
	common, err := filepath.Abs(filepath.Join(wineScripts, "common.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := l.Command(ctx, "bash", "-c", wineCheckScript, "wine-check",
		common, proxy.String(), winePath(exe), winePath(cfgPath), outPath)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	began := time.Now()
	err = cmd.Run()
	wall := time.Since(began)
	status := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("running spotwatch.exe under wine in the client: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatalf("spotwatch.exe check --json (exit %d) left no output: %v\n%s", status, err, stderr.String())
	}
	t.Logf("spotwatch.exe check --json under wine: exit %d in %v\n%s", status, wall.Round(time.Millisecond), raw)
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("stderr:\n%s", s)
	}
	var res diagnosis.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("spotwatch.exe check --json (exit %d) printed no result: %v\nstderr: %s", status, err, stderr.String())
	}
	if status != 4 && status != 7 {
		t.Errorf("exit status %d, want 4 or 7 (a diagnosis)", status)
	}
	if status != int(res.Code) {
		t.Errorf("exit status %d, but the JSON says code %d", status, res.Code)
	}

	f := res.Facts
	client := p.Client.String()
	var clientIf string
	for _, i := range f.Interfaces {
		if slices.ContainsFunc(i.Global, func(a string) bool { return a == client || strings.HasPrefix(a, client+"/") }) {
			clientIf = i.Name
		}
	}
	if clientIf != l.Uplink() {
		t.Errorf("facts.interfaces %+v: want the client's address %s on %s", f.Interfaces, client, l.Uplink())
	}
	if !f.RoutesKnown {
		t.Errorf("facts.routes_known is false (errors: %q)", f.Errors)
	}
	if !slices.ContainsFunc(f.DefaultRoutes, func(r diagnosis.Route) bool {
		return r.Family == "ipv4" && r.Interface != "" && r.Interface == clientIf
	}) {
		t.Errorf("facts.default_routes %+v: no IPv4 default route through the client's interface %q", f.DefaultRoutes, clientIf)
	}
	switch {
	case f.Proxy == nil:
		t.Errorf("facts.proxy is missing; want the WinINET proxy %s (errors: %q)", proxy, f.Errors)
	case !strings.Contains(f.Proxy.Source, "Windows proxy settings") || !strings.Contains(f.Proxy.URL, proxy.String()):
		t.Errorf("facts.proxy = %+v; want %s from Windows proxy settings", *f.Proxy, proxy)
	}
	var reset []string
	for _, pr := range res.Probes {
		if pr.Failure == "connection_reset" {
			reset = append(reset, pr.Name+" "+pr.Target)
		}
	}
	if len(reset) == 0 {
		t.Errorf("no probe failed with connection_reset:\n%s", probesText(res.Probes))
	} else {
		t.Logf("connection_reset: %s", strings.Join(reset, "; "))
	}
	// The WinINET proxy is gone again once the wineserver has saved the registry.
	if reg, err := os.ReadFile(filepath.Join(winePrefix(), "user.reg")); err != nil {
		t.Errorf("reading the wine prefix's registry: %v", err)
	} else if bytes.Contains(reg, []byte(proxy.String())) || bytes.Contains(reg, []byte(`"ProxyEnable"`)) {
		t.Errorf("the WinINET proxy is still set in the wine prefix's user.reg after the run")
	}
	var accepted int
	for _, r := range resets {
		accepted += r.count()
	}
	if accepted == 0 {
		t.Errorf("the reset servers accepted no connection: the check never met them")
	}
	t.Logf("%d %s; %d connections reset by the lab; total %v", res.Code, res.Cause, accepted, time.Since(start).Round(time.Millisecond))
}

// wineCheckScript runs in the client namespace: $1 common.sh, $2 the proxy host:port, $3 the
// program and $4 the config (Windows paths), $5 where its standard output goes. It takes the
// prefix's lock (6 min at most), starts a wineserver in this namespace, sets the WinINET proxy,
// runs the check (2 min at most), removes the proxy, waits for the wineserver to end and empties
// the prefix's %TEMP% (as common.sh's isolated does). It exits with the check's status.
const wineCheckScript = `
set -u
. "$1" || exit 125
key='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
exec {lock}>"$WINEPREFIX.lock"
flock -w 360 "$lock" || { echo "wine: $WINEPREFIX is busy (lock $WINEPREFIX.lock)" >&2; exit 125; }
"$WINESERVER" -p0 || exit 125
unset_proxy() {
	"$WINE" reg delete "$key" /v ProxyEnable /f >/dev/null 2>&1
	"$WINE" reg delete "$key" /v ProxyServer /f >/dev/null 2>&1
	timeout 30 "$WINESERVER" -w || "$WINESERVER" -k
	find "$WINEPREFIX/drive_c/users" -mindepth 3 -maxdepth 3 -path "$WINEPREFIX/drive_c/users/*/Temp/*" -exec rm -rf {} +
}
trap unset_proxy EXIT
"$WINE" reg add "$key" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null || exit 125
"$WINE" reg add "$key" /v ProxyServer /t REG_SZ /d "$2" /f >/dev/null || exit 125
timeout -k 5 120 "$WINE" "$3" check --json --config "$4" >"$5"
rc=$?
trap - EXIT
unset_proxy
exit $rc
`

// winePrefix is the prefix scripts/wine/common.sh uses.
func winePrefix() string {
	if p := os.Getenv("SPOTWATCH_WINEPREFIX"); p != "" {
		return p
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	return filepath.Join(cache, "spotwatch", "wine")
}

// winePath is a Unix path as wine's Z: drive shows it.
func winePath(p string) string {
	return `Z:` + strings.ReplaceAll(p, "/", `\`)
}

// resetServer accepts TCP connections and resets each at once (SO_LINGER 0, then close): the
// client's connect succeeds, and its first write or read meets the reset, a reset in the middle
// of a connection rather than a refused one.
//
// At once, not after the client's first bytes: under wine 8 a reset that arrives while a read
// is pending is reported as a graceful close (the probe says eof_error, not connection_reset),
// which the Linux kernel and Windows do not do.
type resetServer struct {
	mu sync.Mutex
	n  int
}

func startResetServer(t *testing.T, ln net.Listener) *resetServer {
	s := &resetServer{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.n++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return s
}

func (s *resetServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

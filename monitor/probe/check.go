// Package probe gathers the evidence of a check: it reads local facts (interfaces, default
// routes, the hosts file, the proxy) and probes Spotify and independent internet references the
// way the Spotify desktop app reaches its servers, all at once under one deadline, ending early
// once the evidence decides. Its output is a diagnosis.Report; what the report means is for
// package diagnosis to say.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// Options adjust a Checker for its environment; the zero value is the real machine.
type Options struct {
	Logger      *slog.Logger
	SystemRoots *x509.CertPool      // nil = the OS's certificate store
	Facts       FactsSource         // where local facts come from (hosts_file from the config when empty)
	Getenv      func(string) string // nil = os.Getenv
	GOOS        string              // the OS the fix is written for; "" = runtime.GOOS
}

// Checker runs checks: it holds everything that can be prepared once (parsed URLs, root pools),
// so a check only does network work.
type Checker struct {
	cfg          *config.Config
	log          *slog.Logger
	trust        trust
	facts        FactsSource
	getenv       func(string) string
	goos         string
	apresolve    *url.URL
	spotifyHTTPS []*url.URL
	names        []string
	dnsServer    string
	sessions     tls.ClientSessionCache // the light check's TLS sessions, resumed from check to check
	judged       *judgedChains          // the chains those sessions were made with, and their verdicts
	// interfaces are those the last full check read (nil before one), which light checks
	// reuse rather than ask the kernel again each minute: a network change (internal/netwatch)
	// makes the monitor's next check a full one, which reads them again.
	interfaces atomic.Pointer[[]diagnosis.Interface]
	// hosts keeps the hosts file's entries: full checks read the file, light checks only when
	// it changed.
	hosts hostsCache
}

// New prepares checks for cfg.
func New(cfg *config.Config, opts Options) (*Checker, error) {
	c := &Checker{cfg: cfg, log: opts.Logger, facts: opts.Facts, getenv: opts.Getenv, goos: opts.GOOS,
		sessions: tls.NewLRUClientSessionCache(lightSessions), judged: newJudgedChains()}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	if c.goos == "" {
		c.goos = runtime.GOOS
	}
	if c.facts.HostsFile == "" {
		c.facts.HostsFile = cfg.HostsFile
	}
	if c.facts.Getenv == nil {
		c.facts.Getenv = c.getenv
	}
	if c.facts.IsSpotify == nil {
		c.facts.IsSpotify = cfg.IsSpotifyName
	}
	public, err := loadPublicRoots(cfg.TLS.PublicRoots)
	if err != nil {
		return nil, err
	}
	c.trust = trust{system: opts.SystemRoots, public: public}
	if c.apresolve, err = url.Parse(cfg.Spotify.APResolve); err != nil {
		return nil, fmt.Errorf("parsing spotify.apresolve: %w", err)
	}
	for _, s := range cfg.Spotify.HTTPS {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("parsing spotify.https: %w", err)
		}
		c.spotifyHTTPS = append(c.spotifyHTTPS, u)
	}
	c.names = cfg.SpotifyNames()
	c.dnsServer = cfg.DNS.Server
	if c.dnsServer == "" {
		c.dnsServer = systemNameserver()
	}
	return c, nil
}

// factsForFull is the facts' source for a full check: the machine's interfaces and the whole
// hosts file, both kept for the light checks that follow (factsForLight).
func (c *Checker) factsForFull() FactsSource {
	src := c.facts
	src.readHosts = c.hosts.read
	if src.Interfaces != nil {
		return src
	}
	src.Interfaces = func() ([]diagnosis.Interface, error) {
		list, err := upInterfaces()
		if err == nil {
			c.interfaces.Store(&list)
		}
		return list, err
	}
	return src
}

// factsForLight is the facts' source for a light check: the interfaces the last full check
// read (the machine's when none did), and the hosts file's entries as last read unless the
// file changed.
func (c *Checker) factsForLight() FactsSource {
	src := c.facts
	src.readHosts = c.hosts.readIfChanged
	if src.Interfaces != nil {
		return src
	}
	if list := c.interfaces.Load(); list != nil {
		src.Interfaces = func() ([]diagnosis.Interface, error) { return *list, nil }
	}
	return src
}

// Check runs one check: local facts, then every probe concurrently under the configured
// deadline, returning as soon as the evidence decides.
func (c *Checker) Check(ctx context.Context) diagnosis.Report {
	return c.CheckWith(ctx, CheckOptions{})
}

// CheckWith is Check with what a monitor knows from earlier checks (o.Light is not looked at:
// DiagnoseWith runs the light check).
func (c *Checker) CheckWith(ctx context.Context, o CheckOptions) diagnosis.Report {
	start := time.Now()
	rep := diagnosis.Report{StartedAt: start.UTC().Truncate(time.Millisecond), OS: c.goos}
	var px *url.URL
	rep.Facts, px = gatherFacts(c.factsForFull())
	deadline := checkDeadline(c.cfg.Timeout, max(o.LastRTT, o.LinkRTT))
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()

	ipv6 := hasIPv6(rep.Facts)
	path := newNetPath(c.cfg.DNS.Server, dnsTimeout(deadline), rep.Facts.HostsEntries, ipv6)
	path.pace = newPace(len(c.spotifyHTTPS))
	r := newRun(ctx, path.pace, c.log)
	r.silenceAfter = silenceBudget(o.LastRTT)

	client := httpClient(path, envProxyFunc(c.getenv))
	for _, ref := range c.cfg.Internet.HTTP {
		r.start(diagnosis.RoleReference, func(ctx context.Context) []diagnosis.Probe {
			return []diagnosis.Probe{probePortalReference(ctx, client, ref, path.pace)}
		})
	}
	for _, addr := range c.cfg.Internet.TCP {
		r.start(diagnosis.RoleReference, func(ctx context.Context) []diagnosis.Probe {
			return []diagnosis.Probe{probeTCP(ctx, path, addr, diagnosis.RoleReference)}
		})
	}
	for _, name := range c.names {
		r.start(diagnosis.RoleSpotify, func(ctx context.Context) []diagnosis.Probe {
			return []diagnosis.Probe{probeSystemDNS(ctx, path, name, diagnosis.RoleSpotify)}
		})
		if c.dnsServer != "" {
			r.start(diagnosis.RoleSpotify, func(ctx context.Context) []diagnosis.Probe {
				return []diagnosis.Probe{probeDirectDNS(ctx, c.dnsServer, name, path.dnsTimeout)}
			})
		}
	}
	r.start(diagnosis.RoleSpotify, func(ctx context.Context) []diagnosis.Probe { return c.accessPoints(ctx, path, px, ipv6) })
	for _, u := range c.spotifyHTTPS {
		r.start(diagnosis.RoleSpotify, func(ctx context.Context) []diagnosis.Probe {
			probes, _ := c.https(ctx, path, px, u, ipv6)
			return probes
		})
	}
	startDoH := func() {
		if c.dnsServer != "" { // the resolver that answered wrongly may name itself
			r.start(diagnosis.RoleControl, func(ctx context.Context) []diagnosis.Probe {
				return []diagnosis.Probe{probeVersionBind(ctx, c.dnsServer, dnsAttempt)}
			})
		}
		for _, server := range c.cfg.Internet.DoH {
			r.start(diagnosis.RoleControl, func(ctx context.Context) []diagnosis.Probe { return probeDoH(ctx, path, c.trust, server, c.names) })
		}
	}
	rep.Probes = r.wait(startDoH)
	for i, p := range rep.Probes {
		rep.Probes[i] = cleanProbe(p)
	}
	rep.Duration = time.Since(start)
	rep.RTT, _ = path.pace.roundTrip()
	return rep
}

// Diagnose runs one check and classifies its report: the check function a monitor.Monitor runs.
func (c *Checker) Diagnose(ctx context.Context) diagnosis.Result {
	rep := c.Check(ctx)
	return diagnosis.NewResult(rep, diagnosis.Classify(rep))
}

// dnsTimeout is one DNS lookup's share of a check's deadline: room for a few attempts on a
// lossy link, short enough that a silent resolver is named before the check ends.
func dnsTimeout(checkTimeout time.Duration) time.Duration {
	return checkTimeout * 3 / 5
}

// https fetches u the way the app would: through the proxy when one is set, else at each address
// family the name resolves to; then the follow-ups a failure calls for (the neutral-SNI
// cross-check, the plain-HTTP page behind a non-TLS answer). It returns the body of the first
// answer that came over a good certificate.
func (c *Checker) https(ctx context.Context, path *netPath, px *url.URL, u *url.URL, ipv6 bool) ([]diagnosis.Probe, []byte) {
	if px != nil {
		res := fetchHTTPS(ctx, path, c.trust, px, u, "", diagnosis.RoleSpotify)
		return []diagnosis.Probe{res.probe}, okBody(res)
	}
	ips, failed := resolveFor(ctx, path, u.Hostname(), ipv6, diagnosis.Probe{Name: "https " + u.String(), Kind: diagnosis.KindHTTPS, Role: diagnosis.RoleSpotify, Target: u.String()})
	if failed != nil {
		return []diagnosis.Probe{*failed}, nil
	}
	results := make([]httpsResult, len(ips))
	var wg sync.WaitGroup
	for i, ip := range ips {
		wg.Go(func() { results[i] = fetchHTTPS(ctx, path, c.trust, nil, u, ip, diagnosis.RoleSpotify) })
	}
	wg.Wait()
	var probes []diagnosis.Probe
	var body []byte
	for _, res := range results {
		probes = append(probes, res.probe)
		if body == nil {
			body = okBody(res)
		}
		if res.neutral != nil {
			probes = append(probes, *res.neutral) // the control a silent handshake got in time
		}
		switch res.probe.Failure {
		case failure.ConnectionReset, failure.EOFError, failure.GenericTimeout:
			if res.probe.Detail.Step == failure.StepTLS && res.neutral == nil {
				probes = append(probes, probeNeutralSNI(ctx, path, res.probe.Detail.Addr))
			}
		case failure.SSLNotTLS:
			probes = append(probes, probePlainOnTLSPort(ctx, path, res.probe.Detail.Addr, u))
		}
	}
	return probes, body
}

func okBody(res httpsResult) []byte {
	if res.probe.OK {
		return res.body
	}
	return nil
}

// resolveFor resolves host for a probe; on failure it returns the probe, failed at the dns step.
func resolveFor(ctx context.Context, path *netPath, host string, ipv6 bool, p diagnosis.Probe) ([]string, *diagnosis.Probe) {
	var ips []string
	timed(&p, func() error {
		addrs, err := path.lookup(ctx, host)
		if err != nil {
			return err
		}
		p.Detail.Addrs = addrStrings(addrs)
		if ips = pickAddrs(addrs, ipv6); len(ips) == 0 {
			return atStep(failure.StepDNS, fmt.Errorf("%s resolves to %s: %w", host, strings.Join(p.Detail.Addrs, ", "), errBogon))
		}
		return nil
	})
	if !p.OK {
		return nil, &p
	}
	return ips, nil
}

// maxAccessPoints bounds how many access-point endpoints one check connects to.
const maxAccessPoints = 6

// accessPoints asks apresolve for access points and connects to them over raw TCP, as the app
// does. The fallback access points (the app's answer to a slow or failed apresolve) are
// connected to from the start, beside apresolve: on a slow, lossy link apresolve and the
// lookup of the names it gives can take most of the deadline, and an access point reached
// late, or not tried at all, must not read as a blocked one.
func (c *Checker) accessPoints(ctx context.Context, path *netPath, px *url.URL, ipv6 bool) []diagnosis.Probe {
	fallbackAPs := chooseAccessPoints(c.cfg.Spotify.FallbackAccessPoints)
	fallback := make(chan []diagnosis.Probe, 1)
	go func() { fallback <- c.connectAccessPoints(ctx, path, px, ipv6, fallbackAPs) }()
	probes, body := c.https(ctx, path, px, c.apresolve, ipv6)
	aps := parseAccessPoints(body)
	for i := range probes {
		if probes[i].Kind == diagnosis.KindHTTPS {
			probes[i].Detail.Service = "apresolve"
			probes[i].Detail.AccessPoints = aps
		}
	}
	var resolved []string
	for _, ap := range chooseAccessPoints(aps) {
		if !slices.Contains(fallbackAPs, ap) {
			resolved = append(resolved, ap)
		}
	}
	probes = append(probes, c.connectAccessPoints(ctx, path, px, ipv6, resolved)...)
	return append(probes, <-fallback...)
}

// connectAccessPoints resolves the access points' names (unless a proxy does) and connects to
// every address, concurrently.
func (c *Checker) connectAccessPoints(ctx context.Context, path *netPath, px *url.URL, ipv6 bool, aps []string) []diagnosis.Probe {
	resolved := map[string][]string{}
	var hostProbes []diagnosis.Probe
	if px == nil {
		for _, ap := range aps {
			host, _, _ := net.SplitHostPort(ap)
			if _, seen := resolved[host]; seen {
				continue
			}
			ips, failed := resolveFor(ctx, path, host, ipv6, diagnosis.Probe{Name: "tcp access point " + host, Kind: diagnosis.KindTCP, Role: diagnosis.RoleSpotify, Target: host})
			resolved[host] = ips
			if failed != nil {
				hostProbes = append(hostProbes, *failed)
			}
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ap := range aps {
		host, _, _ := net.SplitHostPort(ap)
		targets := resolved[host]
		if px != nil {
			targets = []string{""}
		}
		for _, ip := range targets {
			wg.Go(func() {
				p := probeAccessPoint(ctx, path, px, ap, ip)
				mu.Lock()
				hostProbes = append(hostProbes, p)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return hostProbes
}

// maxListedAccessPoints bounds how many of apresolve's access points a check keeps (and shows
// in the report); apresolve lists about ten.
const maxListedAccessPoints = 32

// cleanAccessPoint reports whether ap is a host:port a check may dial and show: a host name of
// letters, digits, dots and hyphens (or an IP address) and a port number from 1 to 65535.
func cleanAccessPoint(ap string) bool {
	host, port, err := net.SplitHostPort(ap)
	if err != nil || host == "" || len(host) > 253 {
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return !strings.Contains(host, "%") // no zone: it would carry any text
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// parseAccessPoints reads apresolve's JSON answer (its body is at most bodyCap bytes).
func parseAccessPoints(body []byte) []string {
	var answer struct {
		AccessPoint []string `json:"accesspoint"`
	}
	if len(body) == 0 || json.Unmarshal(body, &answer) != nil {
		return nil
	}
	// The answer comes from whoever answered for apresolve's name: keep only what a check can
	// dial and show safely, and not without end.
	var aps []string
	for _, ap := range answer.AccessPoint {
		if cleanAccessPoint(ap) && len(aps) < maxListedAccessPoints {
			aps = append(aps, ap)
		}
	}
	return aps
}

// chooseAccessPoints keeps every port of the first two hosts, up to maxAccessPoints: enough to
// judge the set (single APs refuse at times) and to tell a blocked 4070 from a blocked host.
func chooseAccessPoints(aps []string) []string {
	var hosts []string
	var out []string
	for _, ap := range aps {
		host, _, err := net.SplitHostPort(ap)
		if err != nil {
			continue
		}
		known := false
		for _, h := range hosts {
			known = known || h == host
		}
		if !known {
			if len(hosts) == 2 {
				continue
			}
			hosts = append(hosts, host)
		}
		if len(out) < maxAccessPoints {
			out = append(out, ap)
		}
	}
	return out
}

// hasIPv6 reports whether the machine has IPv6 connectivity to judge: a global IPv6 address and,
// where routes are known, an IPv6 default route.
func hasIPv6(f diagnosis.Facts) bool {
	global := false
	for _, ifc := range f.Interfaces {
		for _, a := range ifc.Global {
			global = global || strings.Contains(a, ":")
		}
	}
	if !global || !f.RoutesKnown {
		return global
	}
	for _, r := range f.DefaultRoutes {
		if r.Family == "ipv6" {
			return true
		}
	}
	return false
}

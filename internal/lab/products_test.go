//go:build linux

package lab_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// The products' own addresses in the servers namespace (lab.Config.ExtraServerAddrs).
var (
	dnsmasqAddr  = netip.MustParseAddr("203.0.113.54")
	unboundAddr  = netip.MustParseAddr("203.0.113.55")
	squidAddr    = netip.MustParseAddr("203.0.113.44")
	squidSSLAddr = netip.MustParseAddr("203.0.113.45")
)

// mitmPort is where mitmproxy listens in the router, behind the REDIRECT.
const mitmPort = 8080

// productRuns is how many checks in a row each product scenario must pass.
const productRuns = 3

// dropBudgetMS is the firewall_drop verdict's budget: a Spotify connection that has not opened
// in 1.5 s is not going to (docs/design.md "The adaptive connect budget"), plus the check's own
// start and the classification.
const dropBudgetMS = 2500

// productScenario is a real third-party product, from its Debian package, that produces a fault
// in the lab.
type productScenario struct {
	name    string
	product string // the product's name as the table lists it
	code    diagnosis.Code
	cause   diagnosis.Cause
	named   string // what the verdict's title and fix must name ("" when nothing can)
	budget  int64  // the verdict's time budget in ms (0: the check's deadline)
	// start runs the product with its own configuration, proves it produces the fault (a lab
	// error otherwise), points the client at it and registers everything's removal. It returns
	// the product's version, read from its binary, and a function that proves the check met it.
	start func(t *testing.T, ctx context.Context, w *labworld.World) (version string, met func() error)
}

func productScenarios() []productScenario {
	return []productScenario{
		{"dnsmasq NULL (Pi-hole's default)", "dnsmasq", 7, diagnosis.CauseDNSFiltered, "dnsmasq", 0, dnsmasqFilter("0.0.0.0")},
		{"dnsmasq NXDOMAIN", "dnsmasq", 7, diagnosis.CauseDNSFailure, "dnsmasq", 0, dnsmasqFilter("NXDOMAIN")},
		{"unbound local-zone always_nxdomain", "Unbound", 7, diagnosis.CauseDNSFailure, "Unbound", 0, unboundLocalZone},
		{"squid acl denies spotify", "Squid", 7, diagnosis.CauseProxyBlocked, "Squid", 0, squidDeny},
		{"squid ssl-bump, CA trusted", "Squid", 7, diagnosis.CauseTLSIntercepted, "Squid", 0, squidBump},
		{"mitmproxy transparent", "mitmproxy", 7, diagnosis.CauseTLSIntercepted, "mitmproxy", 0, mitmTransparent},
		{"nftables reject with tcp reset", "nftables", 7, diagnosis.CauseFirewallReject, "", 0, nftFilter("reject with tcp reset")},
		{"nftables drop", "nftables", 7, diagnosis.CauseFirewallDrop, "", dropBudgetMS, nftFilter("drop")},
	}
}

// productRow is one line of the products table.
type productRow struct {
	scenario, product, verdict string
	ms                         []int64
}

// TestLabProducts runs real filtering products from Debian in the lab — dnsmasq as Pi-hole
// runs it, Unbound, Squid (an ACL, and ssl-bump with its own CA), mitmproxy in transparent mode,
// nftables — each in a lab namespace with a configuration of its own in a temporary directory,
// never as a service of the host, and stopped by PID when its scenario ends. Each scenario
// first proves the product really produces the fault, then runs `spotwatch check --json` in the
// client three times in a row: each run must give the verdict, name the product where its
// answers show it, and keep within the budget. It logs the table scenario → product/version →
// verdict → ms that the README's lab table shows. With -record, each scenario's first report
// becomes a golden input of the classifier (monitor/diagnosis/testdata/reports).
func TestLabProducts(t *testing.T) {
	start := time.Now()
	bin := buildSpotwatch(t)
	l := lab.NewForTest(t, lab.Config{ExtraServerAddrs: []netip.Addr{dnsmasqAddr, unboundAddr, squidAddr, squidSSLAddr}})
	w, err := labworld.Start(t.Context(), l)
	if err != nil {
		t.Fatalf("starting the lab world: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("stopping the lab world: %v", err)
		}
	})
	t.Logf("lab %s up with its world in %v", l.ID(), time.Since(start).Round(time.Millisecond))

	var rows []productRow
	for _, sc := range productScenarios() {
		t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
			r := productRow{scenario: sc.name, product: sc.product, verdict: "lab error"}
			defer func() { rows = append(rows, r) }()
			ctx := t.Context()
			if err := w.Healthy(ctx); err != nil {
				t.Fatalf("lab error: the world is not healthy before the product starts:\n%v", err)
			}
			version, met := sc.start(t, ctx, w)
			r.product = sc.product + " " + version
			r.verdict = "wrong verdict"
			for run := 1; run <= productRuns; run++ {
				res, raw := runCheck(t, ctx, w.Lab, bin, w.ConfigFile)
				r.ms = append(r.ms, res.DurationMS)
				fix := strings.Join(res.Fix, "\n")
				switch {
				case res.Code != sc.code || res.Cause != sc.cause:
					t.Fatalf("run %d: got %d %s, want %d %s\ntitle: %s\nsummary: %s\nevidence:\n  %s\nprobes:\n%s", run, res.Code, res.Cause, sc.code, sc.cause,
						res.Title, res.Summary, strings.Join(res.Evidence, "\n  "), probesText(res.Probes))
				case sc.named != "" && (!strings.Contains(res.Title, sc.named) || !strings.Contains(fix, sc.named)):
					t.Errorf("run %d: %s is not named in the title and the fix:\n%s\n%s\nevidence:\n  %s", run, sc.named, res.Title, fix, strings.Join(res.Evidence, "\n  "))
				case sc.budget > 0 && res.DurationMS >= sc.budget:
					t.Errorf("run %d: the verdict took %d ms, budget %d ms", run, res.DurationMS, sc.budget)
				}
				t.Logf("run %d: %d %s in %d ms: %s\n  fix: %s", run, res.Code, res.Cause, res.DurationMS, res.Title, strings.Join(res.Fix, "\n  fix: "))
				if *record && run == 1 && !t.Failed() {
					saveReport(t, res.Cause, "product "+sc.name, raw)
				}
			}
			r.verdict = fmt.Sprintf("%d %s", sc.code, sc.cause)
			if err := met(); err != nil {
				t.Errorf("the check never met %s: %v", sc.product, err)
			}
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-36s %-22s %-22s %s\n", "scenario", "product/version", "verdict", "ms (3 runs)")
	for _, r := range rows {
		ms := make([]string, len(r.ms))
		for i, m := range r.ms {
			ms[i] = strconv.FormatInt(m, 10)
		}
		fmt.Fprintf(&b, "%-36s %-22s %-22s %s\n", r.scenario, r.product, r.verdict, strings.Join(ms, " / "))
	}
	fmt.Fprintf(&b, "total (build, lab, world, %d products × %d runs): %v", len(rows), productRuns, time.Since(start).Round(time.Millisecond))
	t.Log(b.String())
}

// daemon is a product's process, started in a lab namespace.
type daemon struct {
	cmd *exec.Cmd
	log string
}

// startDaemon starts a product's binary in ns with its output in a log file, and stops it by
// PID (SIGTERM, then SIGKILL after 10 s) when the scenario ends; its log is shown if it failed.
func startDaemon(t *testing.T, ctx context.Context, l *lab.Lab, ns lab.NS, dir, name string, args ...string) *daemon {
	t.Helper()
	d := &daemon{log: filepath.Join(dir, filepath.Base(name)+".out")}
	out, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = l.CommandIn(context.WithoutCancel(ctx), ns, name, args...)
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if err := d.cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("lab error: starting %s in the %s namespace: %v", name, ns, err)
	}
	t.Cleanup(func() {
		defer out.Close()
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- d.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, d.output())
		}
	})
	return d
}

func (d *daemon) output() string {
	data, _ := os.ReadFile(d.log)
	return string(data)
}

// waitFor retries check for up to 20 s (a product's start-up), then fails as a lab error.
func waitFor(t *testing.T, what string, d *daemon, check func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if d != nil && d.cmd.ProcessState != nil {
			t.Fatalf("lab error: %s: the product exited: %v\n%s", what, err, d.output())
		}
		if time.Now().After(deadline) {
			out := ""
			if d != nil {
				out = d.output()
			}
			t.Fatalf("lab error: %s: %v\n%s", what, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// productDir is a directory for a product's configuration and state that its unprivileged user
// (Squid's proxy, dnsmasq's nobody) can read; t.TempDir's parents are private to root.
func productDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "spotwatch-lab-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// versionOf runs a product's version command and returns the first match of re's group.
func versionOf(t *testing.T, re string, name string, args ...string) string {
	t.Helper()
	out, _ := exec.Command(name, args...).CombinedOutput()
	m := regexp.MustCompile(re).FindSubmatch(out)
	if m == nil {
		t.Fatalf("lab error: %s %v printed no version matching %s:\n%s", name, args, re, out)
	}
	return string(m[1])
}

// useResolver points the client's resolv.conf at server until the scenario ends.
func useResolver(t *testing.T, w *labworld.World, server netip.Addr) {
	t.Helper()
	labErr(t, "pointing the client at "+server.String(), w.Lab.SetResolvConf(fmt.Sprintf("nameserver %v\noptions timeout:2 attempts:1\n", server)))
	cleanup(t, "restoring the client's resolv.conf", func() error {
		return w.Lab.SetResolvConf(fmt.Sprintf("nameserver %v\noptions timeout:2 attempts:1\n", w.Plan.DNS))
	})
}

// query asks server, from the client over UDP, one question.
func query(ctx context.Context, w *labworld.World, server netip.Addr, name string, qtype uint16, class uint16) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := w.Lab.DialFromClient(ctx, "udp4", lab.Addr(server, 53))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(name), qtype)
	msg.Question[0].Qclass = class
	msg.RecursionDesired = true
	dc := &dns.Conn{Conn: conn}
	if err := dc.WriteMsg(msg); err != nil {
		return nil, err
	}
	return dc.ReadMsg()
}

// answerOf is a DNS answer in a word: its RCODE, or its A addresses.
func answerOf(m *dns.Msg) string {
	if m.Rcode != dns.RcodeSuccess {
		return dns.RcodeToString[m.Rcode]
	}
	var addrs []string
	for _, rr := range m.Answer {
		if a, ok := rr.(*dns.A); ok {
			addrs = append(addrs, a.A.String())
		}
	}
	return strings.Join(addrs, ",")
}

// versionBind is the server's answer to the CHAOS TXT query version.bind.
func versionBind(ctx context.Context, w *labworld.World, server netip.Addr) (string, error) {
	m, err := query(ctx, w, server, "version.bind", dns.TypeTXT, dns.ClassCHAOS)
	if err != nil {
		return "", err
	}
	for _, rr := range m.Answer {
		if txt, ok := rr.(*dns.TXT); ok {
			return strings.Join(txt.Txt, ""), nil
		}
	}
	return "", fmt.Errorf("no TXT answer (%s)", dns.RcodeToString[m.Rcode])
}

// filterProved proves that the resolver at server answers every Spotify name with want while
// other names still resolve to the truth, and that it names itself in version.bind.
func filterProved(t *testing.T, ctx context.Context, w *labworld.World, server netip.Addr, d *daemon, want, software string) {
	t.Helper()
	waitFor(t, "the resolver at "+server.String()+" answers", d, func() error {
		m, err := query(ctx, w, server, "captive.apple.com", dns.TypeA, dns.ClassINET)
		if err != nil {
			return err
		}
		if got := answerOf(m); got != w.Plan.HTTPRef.String() {
			return fmt.Errorf("captive.apple.com = %s, want %v", got, w.Plan.HTTPRef)
		}
		return nil
	})
	for _, name := range labworld.SpotifyNames() {
		m, err := query(ctx, w, server, name, dns.TypeA, dns.ClassINET)
		if err != nil || answerOf(m) != want {
			t.Fatalf("lab error: %v answers %s with %v (%v), want %s", server, name, m, err, want)
		}
	}
	if v, err := versionBind(ctx, w, server); err != nil || !strings.Contains(v, software) {
		t.Fatalf("lab error: version.bind at %v = %q (%v), want %q", server, v, err, software)
	}
}

// queriesSeen counts the queries a product logged, to prove the check asked it.
func queriesSeen(d *daemon, marker string) func() error {
	before := strings.Count(d.output(), marker)
	return func() error {
		if n := strings.Count(d.output(), marker); n <= before {
			return fmt.Errorf("its log shows no new %q (%d before and after)", marker, n)
		}
		return nil
	}
}

// dnsmasqFilter runs dnsmasq as Pi-hole configures it for a blocked domain: the NULL mode
// (address=/spotify.com/0.0.0.0 and ::, Pi-hole's default) or NXDOMAIN mode (address=/spotify.com/).
func dnsmasqFilter(mode string) func(*testing.T, context.Context, *labworld.World) (string, func() error) {
	return func(t *testing.T, ctx context.Context, w *labworld.World) (string, func() error) {
		version := versionOf(t, `Dnsmasq version (\S+)`, "dnsmasq", "--version")
		dir := productDir(t, "dnsmasq")
		block := "address=/spotify.com/0.0.0.0\naddress=/spotify.com/::\n"
		if mode == "NXDOMAIN" {
			block = "address=/spotify.com/\n"
		}
		conf := filepath.Join(dir, "dnsmasq.conf")
		writeFile(t, conf, fmt.Sprintf("port=53\nlisten-address=%v\nbind-interfaces\nno-resolv\nno-hosts\nserver=%v\n%suser=nobody\ngroup=nogroup\npid-file=\nlog-queries\nlog-facility=-\n",
			dnsmasqAddr, w.Plan.DNS, block))
		d := startDaemon(t, ctx, w.Lab, lab.Servers, dir, "dnsmasq", "--keep-in-foreground", "--conf-file="+conf)
		filterProved(t, ctx, w, dnsmasqAddr, d, mode, "dnsmasq-"+version)
		useResolver(t, w, dnsmasqAddr)
		return version, queriesSeen(d, "query[A] apresolve.spotify.com")
	}
}

// unboundLocalZone runs Unbound forwarding to the world's resolver, with a local-zone that
// answers NXDOMAIN for spotify.com and everything below it.
func unboundLocalZone(t *testing.T, ctx context.Context, w *labworld.World) (string, func() error) {
	version := versionOf(t, `Version (\S+)`, "unbound", "-V")
	dir := productDir(t, "unbound")
	conf := filepath.Join(dir, "unbound.conf")
	writeFile(t, conf, fmt.Sprintf(`server:
  interface: %v
  port: 53
  do-ip6: no
  access-control: 0.0.0.0/0 allow
  username: ""
  chroot: ""
  directory: %q
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  log-queries: yes
  module-config: "iterator"
  qname-minimisation: no
  local-zone: "spotify.com." always_nxdomain
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: %v
`, unboundAddr, dir, w.Plan.DNS))
	d := startDaemon(t, ctx, w.Lab, lab.Servers, dir, "unbound", "-d", "-c", conf)
	filterProved(t, ctx, w, unboundAddr, d, "NXDOMAIN", "unbound "+version)
	useResolver(t, w, unboundAddr)
	return version, queriesSeen(d, "apresolve.spotify.com. A IN")
}

// squidConf is the part of a Squid configuration every scenario shares: no cache, no PID file,
// logs in dir, the world's resolver, and a quick shutdown.
func squidConf(dir string, w *labworld.World) string {
	return fmt.Sprintf(`visible_hostname proxy.lab.example
pid_filename none
cache deny all
cache_log %s/cache.log
access_log stdio:%s/access.log
coredump_dir %s
dns_nameservers %v
shutdown_lifetime 0 seconds
cache_effective_user proxy
`, dir, dir, dir, w.Plan.DNS)
}

// startSquid runs Squid with conf at addr:3128, waits until it answers, and returns it with its
// version.
func startSquid(t *testing.T, ctx context.Context, w *labworld.World, dir, conf string, addr netip.Addr) (*daemon, string) {
	t.Helper()
	version := versionOf(t, `Version (\S+)`, "squid", "-v")
	path := filepath.Join(dir, "squid.conf")
	writeFile(t, path, conf)
	if out, err := exec.Command("chown", "-R", "proxy:proxy", dir).CombinedOutput(); err != nil {
		t.Fatalf("lab error: chown proxy %s: %v\n%s", dir, err, out)
	}
	if out, err := exec.Command("squid", "-k", "parse", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("lab error: squid -k parse: %v\n%s", err, out)
	}
	d := startDaemon(t, ctx, w.Lab, lab.Servers, dir, "squid", "-N", "-f", path)
	waitFor(t, "squid answers on "+addr.String(), d, func() error { return w.Connect(ctx, netip.AddrPortFrom(addr, 3128)) })
	proxyURL := "http://" + lab.Addr(addr, 3128)
	w.Lab.SetEnv("HTTPS_PROXY", proxyURL)
	cleanup(t, "unsetting HTTPS_PROXY", func() error { w.Lab.SetEnv("HTTPS_PROXY", ""); return nil })
	return d, version
}

// connectVia sends CONNECT target to the proxy at addr:3128 from the client and returns the
// answer's head.
func connectVia(ctx context.Context, w *labworld.World, addr netip.Addr, target string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := w.Lab.DialFromClient(ctx, "tcp4", lab.Addr(addr, 3128))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if err := req.Write(c); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// accessLogged proves the check went through Squid: its access log grew.
func accessLogged(dir, marker string) func() error {
	path := filepath.Join(dir, "access.log")
	read := func() int { data, _ := os.ReadFile(path); return strings.Count(string(data), marker) }
	before := read()
	return func() error {
		if n := read(); n <= before {
			return fmt.Errorf("squid's access log has no new %q (%d before and after)", marker, n)
		}
		return nil
	}
}

// squidDeny runs Squid as a corporate proxy whose ACL denies Spotify's domains.
func squidDeny(t *testing.T, ctx context.Context, w *labworld.World) (string, func() error) {
	dir := productDir(t, "squid")
	conf := squidConf(dir, w) + fmt.Sprintf(`http_port %v:3128
acl spotify dstdomain .spotify.com .scdn.co .spotifycdn.com
http_access deny spotify
http_access allow all
`, squidAddr)
	_, version := startSquid(t, ctx, w, dir, conf, squidAddr)
	resp, err := connectVia(ctx, w, squidAddr, "api.spotify.com:443")
	if err != nil || resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("X-Squid-Error"), "ERR_ACCESS_DENIED") {
		t.Fatalf("lab error: squid answers CONNECT api.spotify.com:443 with %v (%v), want 403 with X-Squid-Error ERR_ACCESS_DENIED", respHead(resp), err)
	}
	if resp, err := connectVia(ctx, w, squidAddr, lab.Addr(w.Plan.TCPRefs[0], 443)); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("lab error: squid answers CONNECT to a reference with %v (%v), want 200", respHead(resp), err)
	}
	return version, accessLogged(dir, "TCP_DENIED/403")
}

func respHead(resp *http.Response) string {
	if resp == nil {
		return "nothing"
	}
	return fmt.Sprintf("%s %v", resp.Status, resp.Header)
}

// squidBump runs Squid as a TLS-inspection proxy: ssl-bump with its own CA, which the client
// trusts as a managed corporate computer does. It bumps Spotify's names and splices the rest.
func squidBump(t *testing.T, ctx context.Context, w *labworld.World) (string, func() error) {
	dir := productDir(t, "squid-bump")
	ca, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	if out, err := exec.CommandContext(ctx, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", ca,
		"-days", "7", "-subj", "/CN=Example Corp Web Proxy CA/O=Example Corp",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign").CombinedOutput(); err != nil {
		t.Fatalf("lab error: making the proxy's CA: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "ssl_db")
	if out, err := exec.Command("/usr/lib/squid/security_file_certgen", "-c", "-s", db, "-M", "4MB").CombinedOutput(); err != nil {
		t.Fatalf("lab error: security_file_certgen -c: %v\n%s", err, out)
	}
	conf := squidConf(dir, w) + fmt.Sprintf(`http_port %v:3128 ssl-bump tls-cert=%s tls-key=%s generate-host-certificates=on dynamic_cert_mem_cache_size=4MB
sslcrtd_program /usr/lib/squid/security_file_certgen -s %s -M 4MB
sslcrtd_children 2 startup=1 idle=1
tls_outgoing_options cafile=%s
acl step1 at_step SslBump1
acl spotify ssl::server_name .spotify.com
ssl_bump peek step1
ssl_bump bump spotify
ssl_bump splice all
http_access allow all
`, squidSSLAddr, ca, key, db, w.PublicPEM)
	_, version := startSquid(t, ctx, w, dir, conf, squidSSLAddr)
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Lab.TrustCA(append(append([]byte{}, w.CA.PEM()...), pem...))
	labErr(t, "trusting the proxy's CA", err)
	cleanup(t, "distrusting the proxy's CA", func() error { return w.TrustInterceptor(false) })

	// Self-check with curl in the client, through the proxy, trusting only the proxy's CA.
	var out []byte
	waitFor(t, "squid bumps api.spotify.com", nil, func() error {
		out, err = w.Lab.Command(ctx, "curl", "-sS", "-m", "3", "-o", "/dev/null", "-D", "-", "-w", "issuer=%{certs}\n",
			"--cacert", ca, "--proxy", "http://"+lab.Addr(squidSSLAddr, 3128), "https://api.spotify.com/v1/me").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "squid/"+version) {
			return fmt.Errorf("curl through squid: %v\n%s", err, out)
		}
		return nil
	})
	return version, accessLogged(dir, "api.spotify.com")
}

// mitmTransparent runs mitmproxy (mitmdump) in transparent mode in the router, with an
// iptables REDIRECT that sends the client's HTTPS to Spotify into it. The client does not
// trust mitmproxy's CA.
func mitmTransparent(t *testing.T, ctx context.Context, w *labworld.World) (string, func() error) {
	version := versionOf(t, `Mitmproxy: (\S+)`, "mitmdump", "--version")
	dir := productDir(t, "mitmproxy")
	d := startDaemon(t, ctx, w.Lab, lab.Router, dir, "mitmdump", "--mode", "transparent", "--listen-port", strconv.Itoa(mitmPort),
		"--set", "confdir="+dir, "--set", "ssl_verify_upstream_trusted_ca="+w.PublicPEM, "--set", "termlog_verbosity=info", "--set", "flow_detail=1")
	f, err := w.Lab.Rules(ctx, "mitmproxy transparent", lab.Router, lab.Rule{Table: "nat", Chain: "PREROUTING",
		Args: []string{"-p", "tcp", "-d", w.Plan.Spotify.String() + "/32", "--dport", "443", "-j", "REDIRECT", "--to-ports", strconv.Itoa(mitmPort)}})
	labErr(t, "redirecting Spotify's HTTPS to mitmproxy", err)
	undoLater(t, f)
	waitFor(t, "mitmproxy intercepts api.spotify.com", d, func() error {
		a, err := w.Get(ctx, netip.AddrPortFrom(w.Plan.Spotify, 443), "https://api.spotify.com/v1/me", nil)
		if err != nil || a.Issuer != "mitmproxy" || a.Status != http.StatusUnauthorized {
			return fmt.Errorf("api.spotify.com from the client: %d issuer %q (%v), want Spotify's 401 under mitmproxy's certificate", a.Status, a.Issuer, err)
		}
		return nil
	})
	before, err := f.Hits(ctx)
	labErr(t, "reading the REDIRECT's counter", err)
	return version, func() error {
		after, err := f.Hits(ctx)
		if err == nil && after <= before {
			err = fmt.Errorf("the REDIRECT counted %d packets before and after", before)
		}
		return err
	}
}

// nftFilter puts an nftables table in the router whose forward chain ends Spotify's TCP with
// verdict ("reject with tcp reset" or "drop"), with a counter.
func nftFilter(verdict string) func(*testing.T, context.Context, *labworld.World) (string, func() error) {
	return func(t *testing.T, ctx context.Context, w *labworld.World) (string, func() error) {
		version := versionOf(t, `nftables v(\S+)`, "nft", "--version")
		dir := t.TempDir()
		const table = "spotwatch_lab_products"
		rules := filepath.Join(dir, "spotify.nft")
		writeFile(t, rules, fmt.Sprintf(`table inet %s {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		ip daddr %s meta l4proto tcp counter %s
	}
}
`, table, spotifyNet, verdict))
		if out, err := w.Lab.CommandIn(ctx, lab.Router, "nft", "-f", rules).CombinedOutput(); err != nil {
			t.Fatalf("lab error: nft -f: %v\n%s", err, out)
		}
		cleanup(t, "deleting the nftables table", func() error {
			out, err := w.Lab.CommandIn(context.Background(), lab.Router, "nft", "delete", "table", "inet", table).CombinedOutput()
			if err != nil {
				return fmt.Errorf("nft delete table: %v: %s", err, out)
			}
			return nil
		})
		counter := func() (int, error) {
			out, err := w.Lab.CommandIn(ctx, lab.Router, "nft", "list", "table", "inet", table).CombinedOutput()
			if err != nil {
				return 0, fmt.Errorf("nft list table: %v: %s", err, out)
			}
			m := regexp.MustCompile(`counter packets (\d+)`).FindSubmatch(out)
			if m == nil {
				return 0, fmt.Errorf("no counter in:\n%s", out)
			}
			return strconv.Atoi(string(m[1]))
		}
		spotify := netip.AddrPortFrom(w.Plan.Spotify, 443)
		err := w.Connect(ctx, spotify)
		var ne net.Error
		switch {
		case verdict == "drop" && !(errors.As(err, &ne) && ne.Timeout()):
			t.Fatalf("lab error: connecting to %v from the client: %v, want a timeout", spotify, err)
		case verdict != "drop" && !errors.Is(err, syscall.ECONNREFUSED):
			t.Fatalf("lab error: connecting to %v from the client: %v, want refused", spotify, err)
		}
		labErr(t, "a reference must still connect", w.Connect(ctx, netip.AddrPortFrom(w.Plan.TCPRefs[0], 443)))
		before, err := counter()
		labErr(t, "reading the nftables counter", err)
		return version, func() error {
			after, err := counter()
			if err == nil && after <= before {
				err = fmt.Errorf("the nftables counter counted %d packets before and after", before)
			}
			return err
		}
	}
}

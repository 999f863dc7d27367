//go:build linux

package lab

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a process that builds a lab and waits to be
// interrupted (see TestLabInterruptTearsDown).
const helperEnv = "SWLAB_INTERRUPT_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(interruptHelper())
	}
	os.Exit(m.Run())
}

func interruptHelper() int {
	l, err := New(context.Background(), Config{})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	// A process in the client namespace, as a running spotwatch would be.
	cmd := l.Command(context.Background(), "sleep", "60")
	if err := cmd.Start(); err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Println("LAB", l.ID())
	time.Sleep(30 * time.Second)
	return 3 // not interrupted
}

// hostLinks lists the interfaces of the host's namespace.
func hostLinks(t *testing.T) []string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

// assertGone fails the test if anything of lab id is left on the machine.
func assertGone(t *testing.T, id string) {
	t.Helper()
	if left := leftovers(id); len(left) > 0 {
		t.Errorf("lab %s left behind: %v", id, left)
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	if strings.Contains(string(out), id) {
		t.Errorf("ip netns list still shows lab %s:\n%s", id, out)
	}
}

func httpClient(l *Lab) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{DialContext: l.DialFromClient, DisableKeepAlives: true},
		Timeout:       2 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func httpGet(ctx context.Context, l *Lab, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient(l).Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// udpRoundTrip sends one datagram from the client to addr and waits up to wait for an answer.
func udpRoundTrip(ctx context.Context, l *Lab, addr string, wait time.Duration) error {
	c, err := l.DialFromClient(ctx, "udp4", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	var b [16]byte
	_, err = c.Read(b[:])
	return err
}

// connectTime measures a TCP connect from the client to addr.
func connectTime(ctx context.Context, l *Lab, addr string, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	c, err := l.DialFromClient(ctx, "tcp4", addr)
	took := time.Since(start)
	if err == nil {
		c.Close()
	}
	return took, err
}

func wantOutcome(t *testing.T, what string, err error, want outcome) {
	t.Helper()
	if got := classify(err); got != want {
		t.Errorf("%s: got %s (%v), want %s", what, got, err, want)
	}
}

func TestLabTopology(t *testing.T) {
	before := hostLinks(t)
	l := NewForTest(t, Config{})
	ctx := t.Context()
	p := l.Plan()

	if got := hostLinks(t); !slices.Equal(got, before) {
		t.Errorf("host interfaces changed: before %v, with the lab %v", before, got)
	}
	for _, ns := range []NS{Client, Router, Servers} {
		if _, err := os.Stat(filepath.Join(netnsRun, l.NSName(ns))); err != nil {
			t.Errorf("namespace %s: %v", ns, err)
		}
	}

	// The server sees the client's own address: routed, not NATed.
	serveTCP(t, listen(t, l, Addr(p.Spotify, 443)), func(c net.Conn) {
		io.WriteString(c, c.RemoteAddr().(*net.TCPAddr).IP.String()+"\n")
	})
	if got, err := readLine(ctx, l, Addr(p.Spotify, 443)); err != nil || got != p.Client.String() {
		t.Errorf("server saw the client as %q (%v), want %v", got, err, p.Client)
	}

	startHTTP(t, l, Addr(p.HTTPRef, 80), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	resp, err := httpGet(ctx, l, "http://"+Addr(p.HTTPRef, 80)+"/generate_204")
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Errorf("GET generate_204 from the client: %v %v", resp, err)
	}

	// Names are never resolved in-process.
	if _, err := l.DialFromClient(ctx, "tcp4", "api.spotify.com:443"); err == nil {
		t.Error("DialFromClient accepted a host name")
	}

	// Commands run in the client with its own /etc files and a clean environment.
	t.Setenv("HTTPS_PROXY", "http://192.0.2.1:3128") // the host's: must not leak in
	l.SetEnv("HOME", "/nonexistent-swlab")
	if err := l.SetHosts("127.0.0.1 localhost\n0.0.0.0 apresolve.spotify.com\n"); err != nil {
		t.Fatal(err)
	}
	out, err := l.Command(ctx, "sh", "-c",
		`cat /etc/resolv.conf /etc/hosts; echo "proxy=$HTTPS_PROXY home=$HOME"; ip -4 route show default; cat /proc/sys/net/ipv6/conf/all/disable_ipv6`).CombinedOutput()
	if err != nil {
		t.Fatalf("command in the client: %v\n%s", err, out)
	}
	for _, want := range []string{"nameserver 203.0.113.53", "0.0.0.0 apresolve.spotify.com", "proxy= home=/nonexistent-swlab",
		"default via 198.51.100.1 dev eth0", "\n1\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("client command output lacks %q:\n%s", want, out)
		}
	}
	out, err = l.CommandIn(ctx, Router, "cat", "/proc/sys/net/ipv4/ip_forward").Output()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Errorf("router ip_forward = %q (%v), want 1", out, err)
	}
	out, err = l.CommandIn(ctx, Router, "ip", "-o", "link", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lo:", "toclient@", "toserver@"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("router links lack %q:\n%s", want, out)
		}
	}
	if n := strings.Count(string(out), "\n"); n != 3 {
		t.Errorf("router has %d links, want exactly lo, toclient, toserver (no link to the host):\n%s", n, out)
	}

	_, _, pemCert := selfSigned(t, "api.spotify.com")
	path, err := l.TrustCA(pemCert)
	if err != nil {
		t.Fatal(err)
	}
	out, err = l.Command(ctx, "sh", "-c", `cat "$SSL_CERT_FILE"`).Output()
	if err != nil || string(out) != string(pemCert) || !strings.HasPrefix(path, l.Dir()) {
		t.Errorf("SSL_CERT_FILE in the client: %q, %v", out, err)
	}
}

func TestLabCounters(t *testing.T) {
	l := NewForTest(t, Config{})
	ctx := t.Context()
	p := l.Plan()
	const size = 256 << 10
	serveTCP(t, listen(t, l, Addr(p.Spotify, 443)), func(c net.Conn) {
		c.Write(make([]byte, size))
	})
	before, err := l.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.DialFromClient(ctx, "tcp4", Addr(p.Spotify, 443))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, c)
	c.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes (%v), want %d", n, err, size)
	}
	d, err := l.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d = d.Sub(before)
	if d.Down.Bytes < size || d.Down.Bytes > 2*size {
		t.Errorf("down %d bytes, want about %d (payload plus headers)", d.Down.Bytes, size)
	}
	if d.Up.Packets < 3 || d.Up.Bytes > size/4 {
		t.Errorf("up %+v, want a few ACKs", d.Up)
	}
	t.Logf("one 256 KiB download: %+v", d)
}

// newWorld builds a lab with small servers on the Plan's addresses.
func newWorld(t *testing.T) (*Lab, func(ctx context.Context) []string) {
	l := NewForTest(t, Config{})
	p := l.Plan()
	cert, pool, _ := selfSigned(t, "api.spotify.com", "example.org")
	startTLS(t, l, Addr(p.Spotify, 443), cert)
	for _, port := range []uint16{4070, 443, 80} {
		startBanner(t, l, Addr(p.AccessPoint, port), "ap")
	}
	startBanner(t, l, Addr(p.TCPRefs[0], 443), "ref")
	startBanner(t, l, Addr(p.Interceptor, 443), "interceptor")
	startBanner(t, l, Addr(p.DNS, 53), "dns")
	startUDPEcho(t, l, Addr(p.DNS, 53))
	startHTTP(t, l, Addr(p.HTTPRef, 80), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	startHTTP(t, l, Addr(p.Portal, 80), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://portal.lab/login", http.StatusFound)
	}))
	// healthy lists what does not work as in a healthy network.
	healthy := func(ctx context.Context) []string {
		var bad []string
		if got, err := readLine(ctx, l, Addr(p.TCPRefs[0], 443)); got != "ref" {
			bad = append(bad, fmt.Sprintf("reference 443: %q %v", got, err))
		}
		if got, err := readLine(ctx, l, Addr(p.AccessPoint, 4070)); got != "ap" {
			bad = append(bad, fmt.Sprintf("access point 4070: %q %v", got, err))
		}
		if got, err := tlsHello(ctx, l, Addr(p.Spotify, 443), "api.spotify.com", pool); got != "tls api.spotify.com" {
			bad = append(bad, fmt.Sprintf("tls api.spotify.com: %q %v", got, err))
		}
		if resp, err := httpGet(ctx, l, "http://"+Addr(p.HTTPRef, 80)+"/generate_204"); err != nil || resp.StatusCode != http.StatusNoContent {
			bad = append(bad, fmt.Sprintf("generate_204: %v %v", resp, err))
		}
		if err := udpRoundTrip(ctx, l, Addr(p.DNS, 53), time.Second); err != nil {
			bad = append(bad, fmt.Sprintf("udp 53: %v", err))
		}
		return bad
	}
	return l, healthy
}

func TestLabFaults(t *testing.T) {
	l, healthy := newWorld(t)
	p := l.Plan()
	spotify := netip.PrefixFrom(p.Spotify, 32)
	ref, sp, ap := Addr(p.TCPRefs[0], 443), Addr(p.Spotify, 443), Addr(p.AccessPoint, 4070)
	quick := 500 * time.Millisecond

	cases := []struct {
		name  string
		apply func(ctx context.Context) (*Fault, error)
		check func(t *testing.T, ctx context.Context)
	}{{
		name:  "reject tcp-reset",
		apply: func(ctx context.Context) (*Fault, error) { return l.RejectTCPReset(ctx, spotify) },
		check: func(t *testing.T, ctx context.Context) {
			_, err := connectTime(ctx, l, sp, quick)
			wantOutcome(t, "tcp to spotify", err, outRefused)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("want ECONNREFUSED, got %v", err)
			}
			_, err = connectTime(ctx, l, ref, quick)
			wantOutcome(t, "tcp to the reference", err, outOK)
		},
	}, {
		name:  "drop all to spotify",
		apply: func(ctx context.Context) (*Fault, error) { return l.Drop(ctx, spotify, 0) },
		check: func(t *testing.T, ctx context.Context) {
			_, err := connectTime(ctx, l, sp, quick)
			wantOutcome(t, "tcp to spotify", err, outTimeout)
			_, err = connectTime(ctx, l, ap, quick)
			wantOutcome(t, "tcp to the access point", err, outOK)
		},
	}, {
		name: "drop port 4070 only",
		apply: func(ctx context.Context) (*Fault, error) {
			return l.Drop(ctx, netip.PrefixFrom(p.AccessPoint, 32), 4070)
		},
		check: func(t *testing.T, ctx context.Context) {
			_, err := connectTime(ctx, l, ap, quick)
			wantOutcome(t, "access point 4070", err, outTimeout)
			if got, err := readLine(ctx, l, Addr(p.AccessPoint, 443)); got != "ap" {
				t.Errorf("access point 443: %q %v", got, err)
			}
		},
	}, {
		name:  "drop forwarding",
		apply: l.DropForward,
		check: func(t *testing.T, ctx context.Context) {
			_, err := connectTime(ctx, l, ref, quick)
			wantOutcome(t, "tcp to the reference", err, outTimeout)
			_, err = connectTime(ctx, l, Addr(p.RouterClient, 22), quick)
			wantOutcome(t, "tcp to the router itself", err, outRefused) // the link is up
		},
	}, {
		name:  "no default route",
		apply: l.RemoveDefaultRoute,
		check: func(t *testing.T, ctx context.Context) {
			_, err := connectTime(ctx, l, ref, quick)
			if !errors.Is(err, syscall.ENETUNREACH) {
				t.Errorf("tcp to the reference: %v, want ENETUNREACH", err)
			}
			out, err := l.Command(ctx, "ip", "-4", "route", "show", "default").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "" {
				t.Errorf("client default route: %q %v, want none", out, err)
			}
		},
	}, {
		name:  "drop dns",
		apply: l.DropDNS,
		check: func(t *testing.T, ctx context.Context) {
			wantOutcome(t, "udp 53", udpRoundTrip(ctx, l, Addr(p.DNS, 53), quick), outTimeout)
			_, err := connectTime(ctx, l, Addr(p.DNS, 53), quick)
			wantOutcome(t, "tcp 53", err, outTimeout)
			_, err = connectTime(ctx, l, ref, quick)
			wantOutcome(t, "tcp to the reference", err, outOK)
		},
	}, {
		name:  "sni filter",
		apply: func(ctx context.Context) (*Fault, error) { return l.SNIFilter(ctx, "spotify") },
		check: func(t *testing.T, ctx context.Context) {
			_, err := tlsHello(ctx, l, sp, "api.spotify.com", nil)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("tls naming api.spotify.com: %v, want ECONNRESET after the ClientHello", err)
			}
			// The same IP with a neutral name completes the handshake (the certificate is
			// not trusted here: reaching the verification step is the proof).
			_, err = tlsHello(ctx, l, sp, "example.org", nil)
			if cerr := (*tls.CertificateVerificationError)(nil); !errors.As(err, &cerr) {
				t.Errorf("tls naming example.org: %v, want a certificate from the server", err)
			}
		},
	}, {
		name: "captive portal",
		apply: func(ctx context.Context) (*Fault, error) {
			return l.RedirectHTTP(ctx, netip.AddrPortFrom(p.Portal, 80))
		},
		check: func(t *testing.T, ctx context.Context) {
			resp, err := httpGet(ctx, l, "http://"+Addr(p.HTTPRef, 80)+"/generate_204")
			if err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://portal.lab/login" {
				t.Errorf("generate_204 behind the portal: %v %v, want 302 to the portal", resp, err)
			}
			_, err = connectTime(ctx, l, ref, quick)
			wantOutcome(t, "tcp 443 behind the portal", err, outTimeout)
		},
	}, {
		name: "dnat to the interceptor",
		apply: func(ctx context.Context) (*Fault, error) {
			return l.DNAT(ctx, spotify, 443, netip.AddrPortFrom(p.Interceptor, 443))
		},
		check: func(t *testing.T, ctx context.Context) {
			if got, err := readLine(ctx, l, sp); got != "interceptor" {
				t.Errorf("spotify 443 answered %q (%v), want the interceptor", got, err)
			}
		},
	}, {
		name:  "delay 300ms",
		apply: func(ctx context.Context) (*Fault, error) { return l.Delay(ctx, 300*time.Millisecond) },
		check: func(t *testing.T, ctx context.Context) {
			took, err := connectTime(ctx, l, ref, 3*time.Second)
			if err != nil || took < 300*time.Millisecond || took > 1500*time.Millisecond {
				t.Errorf("connect took %v (%v), want 300ms and a bit", took, err)
			}
			start := time.Now()
			got, err := readLine(ctx, l, ref) // SYN-ACK and the banner: two delayed trips
			if took := time.Since(start); got != "ref" || took < 600*time.Millisecond {
				t.Errorf("banner %q (%v) after %v, want it after 600ms", got, err, took)
			}
		},
	}, {
		name:  "loss 30%",
		apply: func(ctx context.Context) (*Fault, error) { return l.Loss(ctx, 0.3) },
		check: func(t *testing.T, ctx context.Context) {
			sent, got, err := l.echoUDP(ctx, 400, 300*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			// 120 ± 9 lost expected: these bounds are more than 5 standard deviations away.
			if lost := sent - got; lost < 70 || lost > 170 {
				t.Errorf("%d of %d echoes lost, want about 120", lost, sent)
			}
		},
	}, {
		name:  "delay and loss together",
		apply: func(ctx context.Context) (*Fault, error) { return l.Delay(ctx, 100*time.Millisecond) },
		check: func(t *testing.T, ctx context.Context) {
			loss, err := l.Loss(ctx, 0.5) // verifies that loss still happens behind the queue
			if err != nil {
				t.Fatal(err)
			}
			if hits, err := loss.Hits(ctx); err != nil || hits == 0 {
				t.Errorf("loss hits %d, %v", hits, err)
			}
			if err := loss.Undo(ctx); err != nil {
				t.Error(err)
			}
		},
	}, {
		name:  "vpn uplink",
		apply: func(ctx context.Context) (*Fault, error) { return l.RenameUplink(ctx, "wg0") },
		check: func(t *testing.T, ctx context.Context) {
			out, err := l.Command(ctx, "sh", "-c", "ip -o link show; ip -4 route show default").CombinedOutput()
			if err != nil || !strings.Contains(string(out), " wg0@") || strings.Contains(string(out), "eth0") ||
				!strings.Contains(string(out), "default via 198.51.100.1 dev wg0") {
				t.Errorf("client links and routes: %v\n%s", err, out)
			}
			if l.Uplink() != "wg0" {
				t.Errorf("Uplink() = %q", l.Uplink())
			}
			// Spotify dropped through the VPN, the rest fine: the vpn_blocked scenario.
			f, err := l.Drop(ctx, spotify, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = connectTime(ctx, l, sp, quick)
			wantOutcome(t, "spotify through wg0", err, outTimeout)
			_, err = connectTime(ctx, l, ref, quick)
			wantOutcome(t, "reference through wg0", err, outOK)
			if err := f.Undo(ctx); err != nil {
				t.Error(err)
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if bad := healthy(ctx); len(bad) > 0 {
				t.Fatalf("lab not healthy before the fault: %v", bad)
			}
			f, err := tc.apply(ctx)
			if err != nil {
				t.Fatalf("applying the fault: %v", err)
			}
			t.Logf("applied %v", f)
			tc.check(t, ctx)
			if err := f.Verify(ctx); err != nil {
				t.Errorf("verify after the check: %v", err)
			}
			if len(f.Rules()) > 0 {
				if hits, err := f.Hits(ctx); err != nil || hits == 0 {
					t.Errorf("hits: %d, %v", hits, err)
				}
			}
			if err := f.Undo(ctx); err != nil {
				t.Fatalf("undo: %v", err)
			}
			if err := f.Undo(ctx); err != nil {
				t.Errorf("second undo: %v", err)
			}
			if bad := healthy(ctx); len(bad) > 0 {
				t.Errorf("undo did not restore the network: %v", bad)
			}
			if l.Uplink() != "eth0" {
				t.Errorf("uplink %q after undo", l.Uplink())
			}
		})
	}
}

// A fault that is not really in place must fail as a lab error, and leave nothing behind.
func TestLabVerifyCatchesBrokenFaults(t *testing.T) {
	l, healthy := newWorld(t)
	ctx := t.Context()
	p := l.Plan()
	spotify := netip.PrefixFrom(p.Spotify, 32)

	// An ACCEPT ahead of every fault: the rules are there but never act.
	accept, err := l.Rules(ctx, "accept everything first", Router, Rule{Chain: "FORWARD", Args: []string{"-j", "ACCEPT"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, apply := range map[string]func() (*Fault, error){
		"drop":   func() (*Fault, error) { return l.Drop(ctx, spotify, 0) },
		"reject": func() (*Fault, error) { return l.RejectTCPReset(ctx, spotify) },
		"sni":    func() (*Fault, error) { return l.SNIFilter(ctx, "spotify") },
		"dns":    func() (*Fault, error) { return l.DropDNS(ctx) },
		"delay":  func() (*Fault, error) { return l.Delay(ctx, 100*time.Millisecond) },
	} {
		f, err := apply()
		var le *Error
		if err == nil || !errors.As(err, &le) {
			t.Errorf("%s behind an ACCEPT: got fault %v, err %v; want a lab error", name, f, err)
			if f != nil {
				f.Undo(ctx)
			}
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if err := accept.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	save, err := l.exec(ctx, Router, "iptables-save")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(save, "swlab-") {
		t.Errorf("rules of failed faults left in the router:\n%s", save)
	}

	// A fault on top of one that already cuts the path cannot be proven either.
	noRoute, err := l.RemoveDefaultRoute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := l.DropForward(ctx); err == nil {
		t.Errorf("DropForward without a default route verified: %v", f)
	}
	if err := noRoute.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if bad := healthy(ctx); len(bad) > 0 {
		t.Errorf("lab not healthy after the failed faults: %v", bad)
	}

	// Arguments out of range are lab errors too.
	for name, err := range map[string]error{
		"bad prefix":  second(l.Drop(ctx, netip.Prefix{}, 0)),
		"bad port":    second(l.Drop(ctx, spotify, 70000)),
		"empty sni":   second(l.SNIFilter(ctx, "")),
		"zero delay":  second(l.Delay(ctx, 0)),
		"loss 0":      second(l.Loss(ctx, 0)),
		"long name":   second(l.RenameUplink(ctx, "a-name-far-too-long")),
		"no rules":    second(l.Rules(ctx, "nothing", Router)),
		"dnat port 0": second(l.DNAT(ctx, spotify, 0, netip.AddrPortFrom(p.Interceptor, 443))),
	} {
		if le := (*Error)(nil); !errors.As(err, &le) {
			t.Errorf("%s: %v, want a lab error", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestLabCustomRulesOnServers(t *testing.T) {
	l, _ := newWorld(t)
	ctx := t.Context()
	p := l.Plan()
	// A server that refuses with ICMP admin-prohibited: the client sees EHOSTUNREACH.
	f, err := l.Rules(ctx, "spotify 443 admin-prohibited", Servers, Rule{Chain: "INPUT",
		Args: []string{"-p", "tcp", "-d", p.Spotify.String(), "--dport", "443", "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = connectTime(ctx, l, Addr(p.Spotify, 443), time.Second)
	if !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Errorf("tcp to spotify: %v, want EHOSTUNREACH", err)
	}
	if hits, err := f.Hits(ctx); err != nil || hits == 0 {
		t.Errorf("hits %d, %v", hits, err)
	}
	if err := f.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := connectTime(ctx, l, Addr(p.Spotify, 443), time.Second); err != nil {
		t.Errorf("after undo: %v", err)
	}
}

// A real resolver (dnsmasq) in the servers namespace, the client's resolv.conf and hosts file
// as glibc sees them through Command, and a DNS fault.
func TestLabResolverAndHosts(t *testing.T) {
	l := NewForTest(t, Config{})
	ctx := t.Context()
	p := l.Plan()
	dnsmasq := l.CommandIn(ctx, Servers, toolPath("dnsmasq"), "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null",
		"--no-resolv", "--no-hosts", "--pid-file=", "--user=root", "--bind-interfaces", "--listen-address="+p.DNS.String(),
		"--address=/api.spotify.com/"+p.Spotify.String())
	if err := dnsmasq.Start(); err != nil {
		t.Fatalf("starting dnsmasq: %v", err)
	}
	t.Cleanup(func() {
		dnsmasq.Process.Kill()
		dnsmasq.Wait()
	})
	lookup := func(name string) (string, error) {
		out, err := l.Command(ctx, "getent", "ahostsv4", name).Output()
		fields := strings.Fields(string(out))
		if len(fields) == 0 {
			return "", err
		}
		return fields[0], err
	}
	var got string
	var err error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got, err = lookup("api.spotify.com"); err == nil {
			break
		}
	}
	if got != p.Spotify.String() {
		t.Fatalf("api.spotify.com through dnsmasq: %q, %v", got, err)
	}
	if err := l.SetHosts("127.0.0.1 localhost\n0.0.0.0 apresolve.spotify.com\n"); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup("apresolve.spotify.com"); got != "0.0.0.0" {
		t.Errorf("apresolve.spotify.com through the hosts file: %q, %v", got, err)
	}
	f, err := l.DropDNS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := lookup("api.spotify.com"); err == nil {
		t.Errorf("api.spotify.com resolved to %q with DNS dropped", got)
	}
	if err := f.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup("api.spotify.com"); got != p.Spotify.String() {
		t.Errorf("api.spotify.com after undo: %q, %v", got, err)
	}
}

// Two labs side by side use the same addresses without seeing each other.
func TestLabsAreIsolated(t *testing.T) {
	a, b := NewForTest(t, Config{}), NewForTest(t, Config{})
	p := a.Plan()
	for _, l := range []*Lab{a, b} {
		startBanner(t, l, Addr(p.Spotify, 443), "lab "+l.ID())
	}
	if _, err := a.DropForward(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := connectTime(t.Context(), a, Addr(p.Spotify, 443), 300*time.Millisecond)
	wantOutcome(t, "lab a with forwarding dropped", err, outTimeout)
	if got, err := readLine(t.Context(), b, Addr(p.Spotify, 443)); got != "lab "+b.ID() {
		t.Errorf("lab b answered %q (%v), want its own server", got, err)
	}
}

func TestLabTeardown(t *testing.T) {
	before := hostLinks(t)
	ctx := t.Context()
	l, err := New(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	id, dir := l.ID(), l.Dir()
	// Leave everything running: a client process, a listener, a delayer, rules.
	sleeper := l.Command(ctx, "sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Listen(Servers, "tcp4", Addr(l.Plan().Spotify, 443)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Delay(ctx, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SNIFilter(ctx, "spotify"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	t.Logf("teardown took %v", time.Since(start))
	if err := l.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	assertGone(t, id)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lab directory %s: %v", dir, err)
	}
	if err := sleeper.Wait(); err == nil {
		t.Error("the client process survived teardown")
	}
	if got := hostLinks(t); !slices.Equal(got, before) {
		t.Errorf("host interfaces changed: before %v, after %v", before, got)
	}
	if _, err := l.DropForward(ctx); err == nil {
		t.Error("a fault was applied to a closed lab")
	}
	if _, err := l.Listen(Servers, "tcp4", Addr(l.Plan().Spotify, 443)); err == nil {
		t.Error("listened in a closed lab")
	}
}

// The lab of a run that died is swept away by the next New; a live run's lab is not.
func TestLabSweep(t *testing.T) {
	ctx := t.Context()
	// A finished process: its PID is dead (or reused, with another start time).
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(id string, owner string) {
		t.Helper()
		if owner != "" { // first, as New does, so no concurrent sweep takes it for an orphan
			if err := os.MkdirAll(stateDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(statePath(id), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range labNames(id)[:2] {
			if _, err := run(ctx, "ip", "netns", "add", name); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(etcNetns, nsName(Client, id)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadID, orphanID, liveID := randomID(t), randomID(t), randomID(t)
	mk(deadID, fmt.Sprintf("%d 1\n", dead.Process.Pid))
	mk(orphanID, "") // namespaces without a state file
	mk(liveID, fmt.Sprintf("%d %d\n", os.Getpid(), start))
	// A fleet desktop of the dead lab (TestLabFleet's swf<N>-ID), as a killed fleet run leaves it.
	if _, err := run(ctx, "ip", "netns", "add", "swf7-"+deadID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeLab(context.Background(), liveID) })

	// A process inside the dead lab, as a crashed run's spotwatch would be.
	stray := exec.Command("ip", "netns", "exec", nsName(Client, deadID), "sleep", "60")
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	// Only once it is inside: before its setns, ip could still enter the namespace after the
	// sweep had looked for processes there, and keep it alive with nobody left to kill it.
	waitInNamespace(t, ctx, nsName(Client, deadID), stray.Process.Pid)

	l := NewForTest(t, Config{}) // sweeps
	assertGone(t, deadID)
	assertGone(t, orphanID)
	if err := stray.Wait(); err == nil {
		t.Error("the process in the dead lab survived the sweep")
	}
	if left := leftovers(liveID); len(left) != 4 {
		t.Errorf("the live run's lab was touched: left %v", left)
	}
	if left := leftovers(l.ID()); len(left) == 0 {
		t.Error("the new lab has no state")
	}
	removed, err := Sweep(ctx)
	if err != nil || slices.Contains(removed, liveID) || slices.Contains(removed, l.ID()) {
		t.Errorf("second sweep removed %v (%v)", removed, err)
	}
}

// waitInNamespace waits until process pid is inside the named network namespace.
func waitInNamespace(t *testing.T, ctx context.Context, name string, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, err := run(ctx, "ip", "netns", "pids", name)
		if err != nil {
			t.Fatalf("listing the processes in %s: %v", name, err)
		}
		if slices.Contains(strings.Fields(out), strconv.Itoa(pid)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not enter %s within 10 s", pid, name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func randomID(t *testing.T) string {
	t.Helper()
	for {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("%x", b)
		if !labExists(id) {
			return id
		}
	}
}

// SIGINT to a run with a lab tears the lab down before the run dies.
func TestLabInterruptTearsDown(t *testing.T) {
	ctx := t.Context()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "LAB ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q (%v)", line, err)
	}
	id := strings.TrimSpace(strings.TrimPrefix(line, "LAB "))
	if len(leftovers(id)) == 0 {
		t.Fatalf("helper's lab %s does not exist", id)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 3 {
		t.Errorf("helper ended with %v, want death by SIGINT", err)
	}
	assertGone(t, id)
}

func TestParseCounters(t *testing.T) {
	save := `# Generated by iptables-save v1.8.9 (nf_tables)
*filter
:FORWARD ACCEPT [0:0]
[12:720] -A FORWARD -m comment --comment swlab-ab-f1.0 -j DROP
[3:180] -A FORWARD -p tcp -m comment --comment swlab-ab-f1.1 -m string --string "spo tify" --algo bm -j REJECT --reject-with tcp-reset
[5:300] -A FORWARD -m comment --comment "swlab-ab-f10.0" -j DROP
COMMIT
`
	for _, tc := range []struct {
		tag  string
		want []uint64
	}{
		{"swlab-ab-f1.0", []uint64{12}},
		{"swlab-ab-f1.1", []uint64{3}},
		{"swlab-ab-f10.0", []uint64{5}},
		{"swlab-ab-f1", nil},
	} {
		got, err := parseCounters(save, tc.tag)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseCounters(%s) = %v, %v; want %v", tc.tag, got, err, tc.want)
		}
	}
	if got := splitQuoted(`a "b c"  "x\"y" d`); !slices.Equal(got, []string{"a", "b c", `x"y`, "d"}) {
		t.Errorf("splitQuoted = %q", got)
	}
}

// ownIDs lists the ids of lab namespaces on the machine that are this process's or nobody's.
func ownIDs(t *testing.T) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	entries, err := os.ReadDir(netnsRun)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	start, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	mine := fmt.Sprintf("%d %d\n", os.Getpid(), start)
	for _, e := range entries {
		m := labName.FindStringSubmatch(e.Name())
		if m == nil || m[0] == m[1] {
			continue
		}
		owner, err := os.ReadFile(statePath(m[1]))
		if err != nil || string(owner) == mine {
			ids[m[1]] = true
		}
	}
	return ids
}

func TestLabFailedStartLeavesNothing(t *testing.T) {
	ctx := t.Context()
	before := ownIDs(t)
	p := DefaultPlan()
	for _, extra := range []netip.Addr{
		netip.MustParseAddr("192.0.2.5"), // outside the lab ranges: refused up front
		p.Spotify,                        // already in the plan: `ip addr add` fails mid-setup
	} {
		l, err := New(ctx, Config{ExtraServerAddrs: []netip.Addr{extra}})
		if le := (*Error)(nil); !errors.As(err, &le) {
			t.Errorf("New with extra address %v: %v, %v; want a lab error", extra, l, err)
			if l != nil {
				l.Close()
			}
			continue
		}
		t.Logf("extra %v: %v", extra, err)
	}
	for id := range ownIDs(t) {
		if !before[id] {
			t.Errorf("a failed start left lab %s: %v", id, leftovers(id))
		}
	}
}

func TestLabExtraServerAddrs(t *testing.T) {
	extra := netip.MustParseAddr("203.0.113.99")
	l := NewForTest(t, Config{ExtraServerAddrs: []netip.Addr{extra}})
	startBanner(t, l, Addr(extra, 443), "extra")
	if got, err := readLine(t.Context(), l, Addr(extra, 443)); got != "extra" {
		t.Errorf("extra address answered %q (%v)", got, err)
	}
}

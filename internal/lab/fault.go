//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is one fault in place in the lab. Every fault is verified when it is applied; Verify
// proves it again, Undo removes it.
type Fault struct {
	lab    *Lab
	name   string
	method string
	ns     NS // where its rules live
	tag    string
	rules  []taggedRule
	verify func(ctx context.Context) error

	mu       sync.Mutex
	undos    []func(ctx context.Context) error // run in reverse order
	abandons []func()                          // stop helpers at once at teardown
	undone   bool
}

type taggedRule struct {
	Rule
	tag string
}

// Name says what the fault does, e.g. "drop tcp to 203.0.113.11/32 port 4070".
func (f *Fault) Name() string { return f.name }

// Method says how it is done: iptables, route, link, nfqueue, netem.
func (f *Fault) Method() string { return f.method }

// Rules are the iptables rules the fault added (in its namespace, Router unless said).
func (f *Fault) Rules() []Rule {
	rs := make([]Rule, len(f.rules))
	for i, r := range f.rules {
		rs[i] = r.Rule
	}
	return rs
}

func (f *Fault) String() string { return f.name + " (" + f.method + ")" }

// newFault starts a fault whose rules will live in ns.
func (l *Lab) newFault(ns NS, method, format string, args ...any) (*Fault, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name := fmt.Sprintf(format, args...)
	if l.closed {
		return nil, &Error{Op: "apply " + name, Err: errors.New("lab is closed")}
	}
	l.nextFault++
	return &Fault{lab: l, name: name, method: method, ns: ns, tag: fmt.Sprintf("swlab-%s-f%d", l.id, l.nextFault)}, nil
}

// apply runs setup, then verifies the fault; on any failure it undoes what setup did and
// returns a lab error.
func (l *Lab) apply(ctx context.Context, f *Fault, setup func(ctx context.Context) error) (*Fault, error) {
	err := setup(ctx)
	if err == nil {
		err = f.Verify(ctx)
	}
	if err != nil {
		if uerr := f.Undo(ctx); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return nil, labError("apply "+f.name, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		f.abandon()
		return nil, &Error{Op: "apply " + f.name, Err: errors.New("lab closed meanwhile")}
	}
	l.faults = append(l.faults, f)
	l.log.Debug("fault applied", "lab", l.id, "fault", f.String())
	return f, nil
}

func (f *Fault) onUndo(undo func(ctx context.Context) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.undos = append(f.undos, undo)
}

func (f *Fault) onAbandon(stop func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abandons = append(f.abandons, stop)
}

// addRule appends an iptables rule in the fault's namespace, to be removed by Undo.
func (f *Fault) addRule(ctx context.Context, r Rule) error {
	return f.addRuleAt(ctx, r, false)
}

// addRuleAt adds an iptables rule at the end of its chain, or at its head if first.
func (f *Fault) addRuleAt(ctx context.Context, r Rule, first bool) error {
	tr := taggedRule{Rule: r, tag: fmt.Sprintf("%s.%d", f.tag, len(f.rules))}
	if err := f.lab.addRule(ctx, f.ns, r, tr.tag, first); err != nil {
		return fmt.Errorf("adding rule %v: %w", r, err)
	}
	f.rules = append(f.rules, tr)
	f.onUndo(func(ctx context.Context) error { return f.lab.deleteRule(ctx, f.ns, r, tr.tag) })
	return nil
}

// Verify proves the fault is in place: its rules are read back from the kernel and, for the
// built-in faults, a probe from the client fails the expected way and is counted by the rule
// meant to cause that. Probes go to the fault's own targets (Plan.Probe where the fault has
// none) and close at once. A failure is an *Error.
func (f *Fault) Verify(ctx context.Context) error {
	for _, r := range f.rules {
		if err := f.lab.checkRule(ctx, f.ns, r.Rule, r.tag); err != nil {
			return &Error{Op: "verify " + f.name, Err: fmt.Errorf("rule %v is not in place: %w", r.Rule, err)}
		}
	}
	if f.verify != nil {
		if err := f.verify(ctx); err != nil {
			return &Error{Op: "verify " + f.name, Err: err}
		}
	}
	return nil
}

// Undo removes the fault. It is safe to call more than once.
func (f *Fault) Undo(ctx context.Context) error {
	f.mu.Lock()
	if f.undone {
		f.mu.Unlock()
		return nil
	}
	f.undone = true
	undos := f.undos
	f.mu.Unlock()
	var errs []error
	for i := len(undos) - 1; i >= 0; i-- {
		if err := undos[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	l := f.lab
	l.mu.Lock()
	l.faults = slices.DeleteFunc(l.faults, func(g *Fault) bool { return g == f })
	l.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return labError("undo "+f.name, err)
	}
	l.log.Debug("fault undone", "lab", l.id, "fault", f.String())
	return nil
}

// abandon stops the fault's helpers without waiting; teardown removes the rest.
func (f *Fault) abandon() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.undone = true
	for _, stop := range f.abandons {
		stop()
	}
}

// Hits is the number of packets the fault's rules have matched so far (for NAT rules: the
// connections). After a scenario it proves that the software under test really ran into the
// fault. Faults without rules (routes, links, netem) have no counters and return an error.
func (f *Fault) Hits(ctx context.Context) (uint64, error) {
	if len(f.rules) == 0 {
		return 0, &Error{Op: "hits of " + f.name, Err: fmt.Errorf("a %s fault has no rule counters", f.method)}
	}
	var total uint64
	for i := range f.rules {
		n, err := f.ruleHits(ctx, i)
		if err != nil {
			return 0, labError("hits of "+f.name, err)
		}
		total += n
	}
	return total, nil
}

func (f *Fault) ruleHits(ctx context.Context, i int) (uint64, error) {
	r := f.rules[i]
	counts, err := f.lab.ruleCounters(ctx, f.ns, r.table(), r.tag)
	if err != nil {
		return 0, err
	}
	if len(counts) != 1 {
		return 0, fmt.Errorf("rule %v: found %d rules tagged %s", r.Rule, len(counts), r.tag)
	}
	return counts[0], nil
}

// probeFunc is one probe from the client that waits up to timeout for an answer; it returns
// how it ended.
type probeFunc func(ctx context.Context, timeout time.Duration) (outcome, error)

// patience is how long a probe that expects an answer waits: long, so that a loaded machine
// never turns an answer into a timeout. Probes that expect silence wait probeTimeout.
const patience = 3 * time.Second

// prove runs probe and requires the outcome want (any, if empty) and that rule i counted at
// least one packet meanwhile: the outcome must come from this fault.
func (f *Fault) prove(ctx context.Context, i int, what string, want outcome, probe probeFunc) error {
	before, err := f.ruleHits(ctx, i)
	if err != nil {
		return err
	}
	timeout := patience
	if want == "" || want == outTimeout {
		timeout = probeTimeout
	}
	got, err := probe(ctx, timeout)
	if err != nil {
		return fmt.Errorf("probe %s: %w", what, err)
	}
	if want != "" && got != want {
		return fmt.Errorf("probe %s: got %s, want %s", what, got, want)
	}
	after, err := f.ruleHits(ctx, i)
	if err != nil {
		return err
	}
	if after <= before {
		return fmt.Errorf("probe %s ended %s, but rule %v counted no packet of it", what, got, f.rules[i].Rule)
	}
	return nil
}

func (l *Lab) tcpProbe(dst netip.AddrPort, payload []byte) probeFunc {
	return func(ctx context.Context, timeout time.Duration) (outcome, error) {
		o, _, err := l.probeTCP(ctx, dst, payload, timeout)
		return o, err
	}
}

func (l *Lab) udpProbe(dst netip.AddrPort) probeFunc {
	return func(ctx context.Context, timeout time.Duration) (outcome, error) {
		return l.probeUDP(ctx, dst, timeout)
	}
}

// target is the address a probe of a prefix goes to: the address of a /32, else the first
// host address.
func target(p netip.Prefix) netip.Addr {
	p = p.Masked()
	if p.IsSingleIP() {
		return p.Addr()
	}
	return p.Addr().Next()
}

func checkPrefix(p netip.Prefix) error {
	if !p.IsValid() || !p.Addr().Is4() {
		return fmt.Errorf("destination %v is not an IPv4 prefix", p)
	}
	return nil
}

func checkPort(port int, zeroOK bool) error {
	if port < 0 || port > 65535 || (port == 0 && !zeroOK) {
		return fmt.Errorf("port %d out of range", port)
	}
	return nil
}

// DropForward makes the router drop everything it would forward: the client has a link and a
// default route, and nothing beyond the router answers (internet_down).
func (l *Lab) DropForward(ctx context.Context) (*Fault, error) {
	f, err := l.newFault(Router, "iptables", "all forwarding dropped")
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		return f.prove(ctx, 0, "tcp to the probe server", outTimeout, l.tcpProbe(netip.AddrPortFrom(l.plan.Probe, 7), nil))
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		return f.addRule(ctx, Rule{Chain: "FORWARD", Args: []string{"-j", "DROP"}})
	})
}

// RemoveDefaultRoute deletes the client's default route (no_network); Undo puts it back
// through the current uplink.
func (l *Lab) RemoveDefaultRoute(ctx context.Context) (*Fault, error) {
	f, err := l.newFault(Client, "route", "no default route in the client")
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		devs, err := l.defaultRoutes(ctx, Client)
		if err != nil {
			return err
		}
		if len(devs) > 0 {
			return fmt.Errorf("the client still has a default route via %v", devs)
		}
		got, err := l.tcpProbe(netip.AddrPortFrom(l.plan.Probe, 7), nil)(ctx, patience)
		if err != nil {
			return err
		}
		if got != outNetUnreach {
			return fmt.Errorf("probe tcp to the probe server: got %s, want %s", got, outNetUnreach)
		}
		return nil
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		if _, err := l.ip(ctx, Client, "route", "del", "default"); err != nil {
			return err
		}
		f.onUndo(func(ctx context.Context) error {
			_, err := l.ip(ctx, Client, "route", "replace", "default", "via", l.plan.RouterClient.String(), "dev", l.Uplink())
			return err
		})
		return nil
	})
}

// DropDNS makes the router drop DNS (UDP and TCP port 53) to every server; everything else
// still flows (dns_down).
func (l *Lab) DropDNS(ctx context.Context) (*Fault, error) {
	f, err := l.newFault(Router, "iptables", "dns dropped (udp and tcp port 53)")
	if err != nil {
		return nil, err
	}
	dst := netip.AddrPortFrom(l.plan.Probe, 53)
	f.verify = func(ctx context.Context) error {
		if err := f.prove(ctx, 0, "udp to port 53", outTimeout, l.udpProbe(dst)); err != nil {
			return err
		}
		return f.prove(ctx, 1, "tcp to port 53", outTimeout, l.tcpProbe(dst, nil))
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		for _, proto := range []string{"udp", "tcp"} {
			if err := f.addRule(ctx, Rule{Chain: "FORWARD", Args: []string{"-p", proto, "--dport", "53", "-j", "DROP"}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// RejectTCPReset makes the router answer every TCP connection to dst with a reset, as a
// firewall's REJECT does (firewall_reject: the client sees ECONNREFUSED).
func (l *Lab) RejectTCPReset(ctx context.Context, dst netip.Prefix) (*Fault, error) {
	if err := checkPrefix(dst); err != nil {
		return nil, &Error{Op: "reject tcp", Err: err}
	}
	f, err := l.newFault(Router, "iptables", "tcp to %v rejected with tcp-reset", dst)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		to := netip.AddrPortFrom(target(dst), 443)
		return f.prove(ctx, 0, "tcp to "+to.String(), outRefused, l.tcpProbe(to, nil))
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		return f.addRule(ctx, Rule{Chain: "FORWARD", Args: []string{"-p", "tcp", "-d", dst.String(), "-j", "REJECT", "--reject-with", "tcp-reset"}})
	})
}

// Drop makes the router silently drop traffic to dst: every protocol when port is 0, else TCP
// to that port only (firewall_drop; port 4070 alone: degraded).
func (l *Lab) Drop(ctx context.Context, dst netip.Prefix, port int) (*Fault, error) {
	if err := errors.Join(checkPrefix(dst), checkPort(port, true)); err != nil {
		return nil, &Error{Op: "drop", Err: err}
	}
	args := []string{"-d", dst.String(), "-j", "DROP"}
	name, probePort := fmt.Sprintf("everything to %v dropped", dst), 443
	if port != 0 {
		args = []string{"-p", "tcp", "-d", dst.String(), "--dport", strconv.Itoa(port), "-j", "DROP"}
		name, probePort = fmt.Sprintf("tcp to %v port %d dropped", dst, port), port
	}
	f, err := l.newFault(Router, "iptables", "%s", name)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		to := netip.AddrPortFrom(target(dst), uint16(probePort))
		return f.prove(ctx, 0, "tcp to "+to.String(), outTimeout, l.tcpProbe(to, nil))
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		return f.addRule(ctx, Rule{Chain: "FORWARD", Args: args})
	})
}

// SNIFilter makes the router reset every TCP connection to port 443 whose payload contains
// substring, like a filter that reads the TLS ClientHello's server name (sni_filtered): the
// handshake starts, then ECONNRESET.
func (l *Lab) SNIFilter(ctx context.Context, substring string) (*Fault, error) {
	if substring == "" || len(substring) > 128 {
		return nil, &Error{Op: "sni filter", Err: fmt.Errorf("substring %q must have 1 to 128 bytes", substring)}
	}
	f, err := l.newFault(Router, "iptables", "tcp 443 payloads containing %q reset", substring)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		hello := []byte("\x16\x03\x01\x00\x40 lab probe, server name: probe." + substring + ".invalid")
		to := netip.AddrPortFrom(l.plan.Probe, 443)
		return f.prove(ctx, 0, "payload naming "+substring+" to "+to.String(), outReset, l.tcpProbe(to, hello))
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		return f.addRule(ctx, Rule{Chain: "FORWARD", Args: []string{"-p", "tcp", "--dport", "443",
			"-m", "string", "--string", substring, "--algo", "bm", "-j", "REJECT", "--reject-with", "tcp-reset"}})
	})
}

// RedirectHTTP sends every plain-HTTP connection (TCP 80) of the client to the captive portal
// at to, and drops TCP 443, as a captive network does before sign-in.
func (l *Lab) RedirectHTTP(ctx context.Context, to netip.AddrPort) (*Fault, error) {
	if !to.IsValid() || !to.Addr().Is4() {
		return nil, &Error{Op: "redirect http", Err: fmt.Errorf("portal %v is not IPv4:port", to)}
	}
	f, err := l.newFault(Router, "iptables", "http redirected to %v, tcp 443 dropped", to)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		if err := f.prove(ctx, 0, "tcp to port 80", "", l.tcpProbe(netip.AddrPortFrom(l.plan.Probe, 80), nil)); err != nil {
			return err
		}
		return f.prove(ctx, 1, "tcp to port 443", outTimeout, l.tcpProbe(netip.AddrPortFrom(l.plan.Probe, 443), nil))
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		if err := f.addRule(ctx, Rule{Table: "nat", Chain: "PREROUTING", Args: []string{"-i", routerClient, "-p", "tcp", "--dport", "80",
			"-j", "DNAT", "--to-destination", to.String()}}); err != nil {
			return err
		}
		return f.addRule(ctx, Rule{Chain: "FORWARD", Args: []string{"-p", "tcp", "--dport", "443", "-j", "DROP"}})
	})
}

// DNAT makes the router send the client's TCP connections to dst:port to another server
// instead, e.g. Spotify's 443 to the TLS-intercepting server (tls_intercepted).
func (l *Lab) DNAT(ctx context.Context, dst netip.Prefix, port int, to netip.AddrPort) (*Fault, error) {
	if err := errors.Join(checkPrefix(dst), checkPort(port, false)); err != nil {
		return nil, &Error{Op: "dnat", Err: err}
	}
	if !to.IsValid() || !to.Addr().Is4() {
		return nil, &Error{Op: "dnat", Err: fmt.Errorf("new destination %v is not IPv4:port", to)}
	}
	f, err := l.newFault(Router, "iptables", "tcp to %v port %d sent to %v", dst, port, to)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		from := netip.AddrPortFrom(target(dst), uint16(port))
		return f.prove(ctx, 0, "tcp to "+from.String(), "", l.tcpProbe(from, nil))
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		return f.addRule(ctx, Rule{Table: "nat", Chain: "PREROUTING", Args: []string{"-i", routerClient, "-p", "tcp",
			"-d", dst.String(), "--dport", strconv.Itoa(port), "-j", "DNAT", "--to-destination", to.String()}})
	})
}

// Delay holds every packet the router forwards to the client for d, so each round trip
// through the router takes d longer. With sch_netem it is `netem delay`; without (this
// kernel), packets are queued with NFQUEUE and released by a netlink program in this process.
func (l *Lab) Delay(ctx context.Context, d time.Duration) (*Fault, error) {
	if d <= 0 || d > time.Minute {
		return nil, &Error{Op: "delay", Err: fmt.Errorf("delay %v out of range", d)}
	}
	method := "nfqueue"
	if l.netem {
		method = "netem"
	}
	f, err := l.newFault(Router, method, "packets to the client delayed %v", d)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		to := netip.AddrPortFrom(l.plan.Probe, 7)
		var took time.Duration
		probe := func(ctx context.Context, timeout time.Duration) (outcome, error) {
			o, t, err := l.probeTCP(ctx, to, nil, d+timeout)
			took = t
			return o, err
		}
		var err error
		if method == "netem" {
			var o outcome
			o, err = probe(ctx, patience)
			if err == nil && o != outOK {
				err = fmt.Errorf("probe tcp to %v: got %s, want ok", to, o)
			}
		} else {
			err = f.prove(ctx, 0, "tcp to "+to.String(), outOK, probe)
		}
		if err != nil {
			return err
		}
		if took < d {
			return fmt.Errorf("a tcp connect to %v took %v, less than the delay %v", to, took, d)
		}
		return nil
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		if method == "netem" {
			return l.netemFault(ctx, f, "delay", fmt.Sprintf("%dus", d.Microseconds()))
		}
		q := l.queueNumber()
		dl, err := startDelayer(l, q, d)
		if err != nil {
			return err
		}
		f.onUndo(func(context.Context) error { return dl.close(true) })
		f.onAbandon(func() { dl.close(false) })
		return f.addRule(ctx, Rule{Chain: "FORWARD", Args: []string{"-o", routerClient, "-j", "NFQUEUE", "--queue-num", strconv.Itoa(int(q))}})
	})
}

// Loss makes the router drop each packet it forwards to the client with probability p
// (0 < p ≤ 1): `-m statistic --mode random` DROP, or `netem loss` where netem exists.
func (l *Lab) Loss(ctx context.Context, p float64) (*Fault, error) {
	if !(p > 0 && p <= 1) {
		return nil, &Error{Op: "loss", Err: fmt.Errorf("probability %v out of (0, 1]", p)}
	}
	method := "iptables"
	if l.netem {
		method = "netem"
	}
	f, err := l.newFault(Router, method, "%g%% of packets to the client lost", p*100)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		// Enough datagrams that a loss of p shows at least once but for a chance below 1e-8.
		n := min(max(int(math.Ceil(20/p)), 20), 2000)
		var sent, got int
		probe := func(ctx context.Context, _ time.Duration) (outcome, error) {
			var err error
			// Wait long enough for echoes held by a Delay fault (a satellite link: up to 1 s).
			sent, got, err = l.echoUDP(ctx, n, 1500*time.Millisecond)
			return outOK, err
		}
		var err error
		if method == "netem" {
			_, err = probe(ctx, patience)
		} else {
			err = f.prove(ctx, 0, fmt.Sprintf("%d udp echoes", n), outOK, probe)
		}
		if err != nil {
			return err
		}
		if got == sent || (p < 1 && got == 0) {
			return fmt.Errorf("%d of %d udp echoes came back, want some but not all lost at p=%g", got, sent, p)
		}
		return nil
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		if method == "netem" {
			return l.netemFault(ctx, f, "loss", strconv.FormatFloat(p*100, 'f', -1, 64)+"%")
		}
		// First in the chain: an NFQUEUE verdict (Delay) ends the chain for the packets it
		// accepts, so a loss rule behind it would never see them.
		return f.addRuleAt(ctx, Rule{Chain: "FORWARD", Args: []string{"-o", routerClient,
			"-m", "statistic", "--mode", "random", "--probability", strconv.FormatFloat(p, 'f', -1, 64), "-j", "DROP"}}, true)
	})
}

// netemFault attaches `netem KIND VALUE` to the router's client link.
func (l *Lab) netemFault(ctx context.Context, f *Fault, kind, value string) error {
	if _, err := l.exec(ctx, Router, "tc", "qdisc", "add", "dev", routerClient, "root", "netem", kind, value); err != nil {
		return err
	}
	f.onUndo(func(ctx context.Context) error {
		_, err := l.exec(ctx, Router, "tc", "qdisc", "del", "dev", routerClient, "root")
		return err
	})
	return nil
}

func (l *Lab) queueNumber() uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.nextQueue
	l.nextQueue++
	return q
}

// RenameUplink renames the client's uplink (eth0) to name, e.g. wg0 for a VPN that carries
// the default route (vpn_blocked, together with a fault for Spotify's addresses).
func (l *Lab) RenameUplink(ctx context.Context, name string) (*Fault, error) {
	if name == "" || len(name) > 15 || strings.ContainsAny(name, "/: \t\n") {
		return nil, &Error{Op: "rename uplink", Err: fmt.Errorf("bad interface name %q", name)}
	}
	old := l.Uplink()
	f, err := l.newFault(Client, "link", "client uplink %s renamed %s", old, name)
	if err != nil {
		return nil, err
	}
	f.verify = func(ctx context.Context) error {
		devs, err := l.defaultRoutes(ctx, Client)
		if err != nil {
			return err
		}
		if len(devs) != 1 || devs[0] != name {
			return fmt.Errorf("the client's default route goes via %v, want %s", devs, name)
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return l.echoTCP(ctx, 7)
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		if err := l.renameUplink(ctx, old, name); err != nil {
			return err
		}
		f.onUndo(func(ctx context.Context) error { return l.renameUplink(ctx, name, old) })
		return nil
	})
}

func (l *Lab) renameUplink(ctx context.Context, from, to string) error {
	steps := [][]string{
		{"link", "set", from, "down"},
		{"link", "set", from, "name", to},
		{"link", "set", to, "up"},
		{"route", "replace", "default", "via", l.plan.RouterClient.String(), "dev", to},
	}
	for _, st := range steps {
		if _, err := l.ip(ctx, Client, st...); err != nil {
			return fmt.Errorf("renaming the client uplink %s to %s: %w", from, to, err)
		}
	}
	l.mu.Lock()
	l.uplink = to
	l.mu.Unlock()
	return nil
}

// Rules adds iptables rules of one's own in a namespace as a fault (for what the built-in
// faults do not cover, also on the servers). They are verified by reading them back; a probe
// that proves their effect is the caller's to run (Hits tells whether it met them).
func (l *Lab) Rules(ctx context.Context, name string, ns NS, rules ...Rule) (*Fault, error) {
	if len(rules) == 0 {
		return nil, &Error{Op: "rules " + name, Err: errors.New("no rules given")}
	}
	f, err := l.newFault(ns, "iptables", "%s", name)
	if err != nil {
		return nil, err
	}
	return l.apply(ctx, f, func(ctx context.Context) error {
		for _, r := range rules {
			if err := f.addRule(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

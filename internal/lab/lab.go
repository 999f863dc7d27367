//go:build linux

package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// NS names one of the lab's network namespaces.
type NS string

// The lab's namespaces.
const (
	Client  NS = "client"  // where spotwatch runs
	Router  NS = "router"  // between client and servers; faults live here
	Servers NS = "servers" // every server address of the Plan
)

// Interface names inside the namespaces.
const (
	clientUplink = "eth0"     // client side of the client link (see RenameUplink)
	routerClient = "toclient" // router side of the client link
	routerServer = "toserver" // router side of the server link
	serverLink   = "eth0"     // servers side of the server link
)

// Error is a failure of the lab itself (setup, a fault that is not in place, teardown), as
// opposed to a finding of the software under test.
type Error struct {
	Op  string // what the lab was doing
	Err error
}

func (e *Error) Error() string { return "lab: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// labError wraps err as an *Error for op, keeping an *Error already inside it.
func labError(op string, err error) error {
	if err == nil {
		return nil
	}
	if le := (*Error)(nil); errors.As(err, &le) {
		return err
	}
	return &Error{Op: op, Err: err}
}

// Plan is the lab's address plan. All server addresses live in the servers namespace.
type Plan struct {
	ClientNet    netip.Prefix // 198.51.100.0/24, the client link
	ServerNet    netip.Prefix // 203.0.113.0/24, the server link
	Client       netip.Addr   // 198.51.100.10
	RouterClient netip.Addr   // 198.51.100.1, the client's default gateway
	RouterServer netip.Addr   // 203.0.113.1, the servers' default gateway
	Probe        netip.Addr   // 203.0.113.2, the lab's own echo servers (verification target)
	Spotify      netip.Addr   // 203.0.113.10: apresolve, api, spclient
	AccessPoint  netip.Addr   // 203.0.113.11: raw-TCP access point (4070, 443, 80)
	TCPRefs      []netip.Addr // 203.0.113.20-.22: TCP 443 references and DoH
	HTTPRef      netip.Addr   // 203.0.113.30: plain-HTTP portal-detection references
	Portal       netip.Addr   // 203.0.113.40: captive portal
	Proxy        netip.Addr   // 203.0.113.41: HTTP proxy
	Interceptor  netip.Addr   // 203.0.113.42: TLS-intercepting server
	BlockPage    netip.Addr   // 203.0.113.43: block-page server
	DNS          netip.Addr   // 203.0.113.53: the client's resolver
}

// DefaultPlan returns the standard address plan.
func DefaultPlan() Plan {
	a := netip.MustParseAddr
	return Plan{
		ClientNet:    netip.MustParsePrefix("198.51.100.0/24"),
		ServerNet:    netip.MustParsePrefix("203.0.113.0/24"),
		Client:       a("198.51.100.10"),
		RouterClient: a("198.51.100.1"),
		RouterServer: a("203.0.113.1"),
		Probe:        a("203.0.113.2"),
		Spotify:      a("203.0.113.10"),
		AccessPoint:  a("203.0.113.11"),
		TCPRefs:      []netip.Addr{a("203.0.113.20"), a("203.0.113.21"), a("203.0.113.22")},
		HTTPRef:      a("203.0.113.30"),
		Portal:       a("203.0.113.40"),
		Proxy:        a("203.0.113.41"),
		Interceptor:  a("203.0.113.42"),
		BlockPage:    a("203.0.113.43"),
		DNS:          a("203.0.113.53"),
	}
}

// ServerAddrs lists the addresses the servers namespace carries, Probe first.
func (p Plan) ServerAddrs() []netip.Addr {
	addrs := []netip.Addr{p.Probe, p.Spotify, p.AccessPoint}
	addrs = append(addrs, p.TCPRefs...)
	return append(addrs, p.HTTPRef, p.Portal, p.Proxy, p.Interceptor, p.BlockPage, p.DNS)
}

// Config tunes a Lab. The zero value is the standard lab.
type Config struct {
	// ExtraServerAddrs are more addresses for the servers namespace, inside 203.0.113.0/24.
	ExtraServerAddrs []netip.Addr
	// NoNetem makes Delay and Loss use the NFQUEUE and iptables-statistic fallbacks even
	// where sch_netem exists.
	NoNetem bool
	// Logger receives what the lab does (debug level) and teardown trouble; nil discards.
	Logger *slog.Logger
}

// Lab is one running lab. Its methods are safe for concurrent use.
type Lab struct {
	id    string
	plan  Plan
	cfg   Config
	log   *slog.Logger
	dir   string // private temporary files (CA bundle, …)
	netem bool   // sch_netem works in the router

	probes  *echoServers
	sigStop func() // stops watchSignals; nil before it runs
	sigOnce sync.Once

	mu        sync.Mutex
	uplink    string            // the client's uplink name now
	env       map[string]string // client environment added by SetEnv/TrustCA
	closers   []io.Closer       // listeners and sockets to close at teardown
	faults    []*Fault          // faults not undone yet
	nextFault int               // numbers faults' rule comments
	nextQueue uint16            // next NFQUEUE number
	closed    bool

	closeOnce sync.Once
	closeErr  error
}

// New builds a lab: it sweeps away labs of dead runs, creates the namespaces, links, addresses
// and routes, starts the lab's echo servers and proves that the client reaches them through
// the router. It needs root. On error nothing of the new lab is left behind.
func New(ctx context.Context, cfg Config) (*Lab, error) {
	if os.Geteuid() != 0 {
		return nil, &Error{Op: "start", Err: errors.New("network namespaces need root (run the lab tests as root)")}
	}
	l := &Lab{
		plan:      DefaultPlan(),
		cfg:       cfg,
		log:       cfg.Logger,
		uplink:    clientUplink,
		env:       map[string]string{},
		nextQueue: 1,
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	// A stale lab that cannot be removed does not stop this one: ids never collide.
	if removed, err := Sweep(ctx); err != nil {
		l.log.Warn("sweeping stale labs", "err", err)
	} else if len(removed) > 0 {
		l.log.Info("swept labs of dead runs", "ids", removed)
	}
	for _, a := range cfg.ExtraServerAddrs {
		if !a.Is4() || !l.plan.ServerNet.Contains(a) || a == l.plan.RouterServer {
			return nil, &Error{Op: "start", Err: fmt.Errorf("extra server address %v is not a free address of %v", a, l.plan.ServerNet)}
		}
	}
	id, err := l.claimID()
	if err != nil {
		return nil, labError("claim a lab id", err)
	}
	l.id = id
	if err := l.setup(ctx); err != nil {
		if cerr := l.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, labError("start", err)
	}
	l.watchSignals()
	return l, nil
}

// claimID picks an id no lab uses and records this process as its owner, before any
// namespace exists, so that a concurrent Sweep never takes a lab under construction for stale.
// The state file appears complete or not at all (written aside, then hard-linked: the link
// fails if the id was taken meanwhile).
func (l *Lab) claimID() (string, error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", stateDir, err)
	}
	start, err := procStart(os.Getpid())
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(stateDir, "new-*")
	if err != nil {
		return "", fmt.Errorf("writing lab state: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = fmt.Fprintf(tmp, "%d %d\n", os.Getpid(), start)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("writing lab state: %w", err)
	}
	for range 10 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("reading random id: %w", err)
		}
		id := hex.EncodeToString(b[:])
		if labExists(id) {
			continue
		}
		err := os.Link(tmp.Name(), statePath(id))
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("writing lab state: %w", err)
		}
		return id, nil
	}
	return "", errors.New("no free lab id after 10 tries")
}

func (l *Lab) setup(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "swlab-"+l.id+"-")
	if err != nil {
		return fmt.Errorf("creating lab directory: %w", err)
	}
	l.dir = dir
	for _, ns := range []NS{Client, Router, Servers} {
		if _, err := run(ctx, "ip", "netns", "add", l.NSName(ns)); err != nil {
			return fmt.Errorf("creating namespace: %w", err)
		}
	}
	p := l.plan
	c, r, s := l.NSName(Client), l.NSName(Router), l.NSName(Servers)
	steps := [][]string{
		// The veths are born inside the namespaces: nothing appears in the host's.
		{"-n", c, "link", "add", clientUplink, "type", "veth", "peer", "name", routerClient, "netns", r},
		{"-n", s, "link", "add", serverLink, "type", "veth", "peer", "name", routerServer, "netns", r},
		{"-n", c, "addr", "add", pfx(p.Client, p.ClientNet), "dev", clientUplink},
		{"-n", r, "addr", "add", pfx(p.RouterClient, p.ClientNet), "dev", routerClient},
		{"-n", r, "addr", "add", pfx(p.RouterServer, p.ServerNet), "dev", routerServer},
	}
	for _, a := range append(p.ServerAddrs(), l.cfg.ExtraServerAddrs...) {
		steps = append(steps, []string{"-n", s, "addr", "add", pfx(a, p.ServerNet), "dev", serverLink})
	}
	for _, ns := range []string{c, r, s} {
		steps = append(steps, []string{"-n", ns, "link", "set", "lo", "up"})
	}
	steps = append(steps,
		[]string{"-n", c, "link", "set", clientUplink, "up"},
		[]string{"-n", r, "link", "set", routerClient, "up"},
		[]string{"-n", r, "link", "set", routerServer, "up"},
		[]string{"-n", s, "link", "set", serverLink, "up"},
		[]string{"-n", c, "route", "add", "default", "via", p.RouterClient.String(), "dev", clientUplink},
		[]string{"-n", s, "route", "add", "default", "via", p.RouterServer.String(), "dev", serverLink},
	)
	// IPv6 off first, so no router solicitation or DAD packet ever crosses the links.
	for _, ns := range []NS{Client, Router, Servers} {
		if err := l.sysctl(ns, map[string]string{
			"net/ipv6/conf/all/disable_ipv6":     "1",
			"net/ipv6/conf/default/disable_ipv6": "1",
		}); err != nil {
			return err
		}
	}
	for _, st := range steps {
		if _, err := run(ctx, "ip", st...); err != nil {
			return fmt.Errorf("building links: %w", err)
		}
	}
	if err := l.sysctl(Router, map[string]string{"net/ipv4/ip_forward": "1"}); err != nil {
		return err
	}
	if err := os.MkdirAll(l.etcDir(), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", l.etcDir(), err)
	}
	if err := l.SetResolvConf(fmt.Sprintf("nameserver %v\noptions timeout:2 attempts:1\n", p.DNS)); err != nil {
		return err
	}
	if err := l.SetHosts("127.0.0.1 localhost\n"); err != nil {
		return err
	}
	if !l.cfg.NoNetem {
		l.netem = l.netemWorks(ctx)
	}
	probes, err := startEcho(l)
	if err != nil {
		return err
	}
	l.probes = probes
	if err := l.selfTest(ctx); err != nil {
		return fmt.Errorf("the new lab does not carry traffic: %w", err)
	}
	l.log.Debug("lab up", "id", l.id, "netem", l.netem)
	return nil
}

func pfx(a netip.Addr, net netip.Prefix) string {
	return netip.PrefixFrom(a, net.Bits()).String()
}

// netemWorks reports whether sch_netem can be attached in the router.
func (l *Lab) netemWorks(ctx context.Context) bool {
	_, err := l.exec(ctx, Router, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms")
	if err != nil {
		return false
	}
	_, err = l.exec(ctx, Router, "tc", "qdisc", "del", "dev", "lo", "root")
	return err == nil
}

// selfTest proves the path client -> router -> servers with the echo servers.
func (l *Lab) selfTest(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, port := range echoTCPPorts {
		if err := l.echoTCP(ctx, port); err != nil {
			return err
		}
	}
	_, got, err := l.echoUDP(ctx, 3, time.Second)
	if err != nil {
		return err
	}
	if got == 0 {
		return errors.New("no UDP echo answer from the probe server")
	}
	return nil
}

// ID is this run's lab id (the suffix of the namespace names).
func (l *Lab) ID() string { return l.id }

// Plan returns the lab's address plan.
func (l *Lab) Plan() Plan { return l.plan }

// NSName is the name of a namespace as `ip netns` knows it.
func (l *Lab) NSName(ns NS) string { return nsName(ns, l.id) }

func nsName(ns NS, id string) string {
	switch ns {
	case Client:
		return "swc-" + id
	case Router:
		return "swr-" + id
	case Servers:
		return "sws-" + id
	}
	panic(fmt.Sprintf("lab: unknown namespace %q", ns))
}

// Dir is a directory private to this lab, removed at teardown.
func (l *Lab) Dir() string { return l.dir }

// Uplink is the name of the client's interface to the router (eth0, or what RenameUplink set).
func (l *Lab) Uplink() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.uplink
}

func (l *Lab) etcDir() string { return filepath.Join(etcNetns, l.NSName(Client)) }

// SetResolvConf replaces the client's /etc/resolv.conf (as seen by Command). The default names
// the Plan's DNS server.
func (l *Lab) SetResolvConf(content string) error {
	return l.writeEtc("resolv.conf", content)
}

// SetHosts replaces the client's /etc/hosts (as seen by Command). The default has only localhost.
func (l *Lab) SetHosts(content string) error {
	return l.writeEtc("hosts", content)
}

func (l *Lab) writeEtc(name, content string) error {
	path := filepath.Join(l.etcDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		return labError("write client "+name, err)
	}
	return nil
}

// SetEnv sets an environment variable for commands run in the client namespace (for example
// HTTPS_PROXY or HOME); an empty value removes it.
func (l *Lab) SetEnv(key, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if value == "" {
		delete(l.env, key)
		return
	}
	l.env[key] = value
}

// TrustCA writes the PEM certificates as the client's CA bundle and points SSL_CERT_FILE at it
// for commands run in the client namespace. It returns the bundle's path.
func (l *Lab) TrustCA(pemCerts []byte) (string, error) {
	if !strings.Contains(string(pemCerts), "-----BEGIN CERTIFICATE-----") {
		return "", &Error{Op: "trust CA", Err: errors.New("no PEM certificate given")}
	}
	path := filepath.Join(l.dir, "ca-bundle.pem")
	if err := os.WriteFile(path, pemCerts, 0o644); err != nil {
		return "", labError("trust CA", err)
	}
	l.SetEnv("SSL_CERT_FILE", path)
	return path, nil
}

// track registers c to be closed at teardown; it closes c at once if the lab is closed.
func (l *Lab) track(c io.Closer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return &Error{Op: "track", Err: errors.New("lab is closed")}
	}
	l.closers = append(l.closers, c)
	return nil
}

// Close tears the lab down: faults' helpers stopped, listeners closed, processes in the lab
// namespaces killed, namespaces, veths and /etc/netns files removed, and checks that they are
// gone. It is safe to call more than once.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.teardown() })
	return l.closeErr
}

func (l *Lab) teardown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if l.sigStop != nil {
		l.sigStop()
	}
	l.mu.Lock()
	l.closed = true
	faults, closers := l.faults, l.closers
	l.faults, l.closers = nil, nil
	l.mu.Unlock()
	var errs []error
	for _, f := range faults {
		f.abandon() // stops userspace helpers at once; the rules die with the router
	}
	if l.probes != nil {
		l.probes.close()
	}
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i].Close() // the owner may have closed it already
	}
	if err := removeLab(ctx, l.id); err != nil {
		errs = append(errs, err)
	}
	if l.dir != "" {
		if err := os.RemoveAll(l.dir); err != nil {
			errs = append(errs, fmt.Errorf("removing lab directory: %w", err))
		}
	}
	if left := leftovers(l.id); len(left) > 0 {
		errs = append(errs, fmt.Errorf("still present after teardown: %s", strings.Join(left, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		l.log.Error("lab teardown", "id", l.id, "err", err)
		return labError("teardown "+l.id, err)
	}
	l.log.Debug("lab down", "id", l.id)
	return nil
}

// Counters is traffic on the client's link, as the router's end of it counts it (every frame,
// including those the router then drops).
type Counters struct {
	Up   Traffic // client -> router
	Down Traffic // router -> client
}

// Traffic is a packet and byte count.
type Traffic struct {
	Packets uint64
	Bytes   uint64
}

// Sub returns c minus an earlier reading.
func (c Counters) Sub(earlier Counters) Counters {
	return Counters{
		Up:   Traffic{c.Up.Packets - earlier.Up.Packets, c.Up.Bytes - earlier.Up.Bytes},
		Down: Traffic{c.Down.Packets - earlier.Down.Packets, c.Down.Bytes - earlier.Down.Bytes},
	}
}

// Counters reads the client link's counters; take two readings and Sub them to measure what
// one check sends and receives.
func (l *Lab) Counters(ctx context.Context) (Counters, error) {
	st, err := l.linkStats(ctx, Router, routerClient)
	if err != nil {
		return Counters{}, labError("read counters", err)
	}
	return Counters{Up: st.RX, Down: st.TX}, nil
}

// Addr is a convenience: "ADDR:PORT" for one of the plan's addresses.
func Addr(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a, port).String()
}

// hostPortIP checks that addr is IP:port; the lab never resolves names in-process.
func hostPortIP(addr string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q is not IP:port (the lab does not resolve names in-process): %w", addr, err)
	}
	return ap, nil
}

package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// probeSystemDNS resolves name through the system resolver, as Spotify itself does. An answer
// that is all bogons (0.0.0.0, private or loopback addresses) is the mark of a DNS filter.
func probeSystemDNS(ctx context.Context, path *netPath, name string, role diagnosis.Role) diagnosis.Probe {
	p := diagnosis.Probe{Name: "dns " + name + " (system)", Kind: diagnosis.KindDNS, Role: role, Target: name, Detail: diagnosis.Detail{Resolver: "system"}}
	timed(&p, func() error {
		addrs, err := path.lookup(ctx, name)
		if err != nil {
			return err
		}
		return judgeAnswer(&p, name, addrs)
	})
	return p
}

// judgeAnswer records a DNS answer. An answer of only 0.0.0.0 or :: is a sinkhole beyond doubt
// (dns_bogon). Private or reserved addresses are only marked: they are a filter's sinkhole when a
// public resolver gives public addresses for the name, but the truth on an intranet or a lab.
func judgeAnswer(p *diagnosis.Probe, name string, addrs []netip.Addr) error {
	p.Detail.Addrs = addrStrings(addrs)
	if allUnspecified(addrs) {
		return fmt.Errorf("%s resolves to %s: %w", name, strings.Join(p.Detail.Addrs, ", "), errBogon)
	}
	p.Detail.Bogon = allBogons(addrs)
	return nil
}

// probeDirectDNS sends an A query for name straight to server (ip:port) to read the real RCODE,
// which Go's resolver hides (NXDOMAIN and NODATA both read "no such host").
func probeDirectDNS(ctx context.Context, server, name string, timeout time.Duration) diagnosis.Probe {
	p := diagnosis.Probe{Name: "dns " + name + " (" + server + ")", Kind: diagnosis.KindDNS, Role: diagnosis.RoleSpotify, Target: name, Detail: diagnosis.Detail{Resolver: server}}
	timed(&p, func() error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		msg := new(dns.Msg)
		msg.SetQuestion(dns.Fqdn(name), dns.TypeA)
		msg.RecursionDesired = true
		resp, err := exchange(ctx, msg, server)
		if err != nil {
			return fmt.Errorf("querying %s for %s: %w", server, name, asDNSTimeout(err))
		}
		return readDNSAnswer(&p, name, resp)
	})
	return p
}

// versionBindCap bounds the version.bind answer kept in a report: a name and a version fit.
const versionBindCap = 100

// probeVersionBind asks server (ip:port) for version.bind (CHAOS TXT), which dnsmasq, Pi-hole,
// Unbound and BIND answer with their name and version unless told not to. It runs only once a
// Spotify DNS answer looks filtered, as a control: a resolver that names itself lets the fix
// speak to it. One attempt within timeout; an answer without TXT is a failed probe, not an error
// of the check.
func probeVersionBind(ctx context.Context, server string, timeout time.Duration) diagnosis.Probe {
	p := diagnosis.Probe{Name: "dns version.bind (" + server + ")", Kind: diagnosis.KindDNS, Role: diagnosis.RoleControl, Target: "version.bind", Detail: diagnosis.Detail{Resolver: server}}
	timed(&p, func() error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		msg := new(dns.Msg)
		msg.SetQuestion("version.bind.", dns.TypeTXT)
		msg.Question[0].Qclass = dns.ClassCHAOS
		resp, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(ctx, msg, server)
		if err != nil {
			return fmt.Errorf("asking %s for version.bind: %w", server, asDNSTimeout(err))
		}
		p.Detail.RCode = dns.RcodeToString[resp.Rcode]
		for _, rr := range resp.Answer {
			if txt, ok := rr.(*dns.TXT); ok {
				v := strings.Join(txt.Txt, " ")
				if len(v) > versionBindCap {
					v = strings.ToValidUTF8(v[:versionBindCap], "") // never half a character
				}
				p.Detail.Software = v // cleaned with the rest of the probe (cleanProbe)
				return nil
			}
		}
		return rcodeError{name: "version.bind", rcode: p.Detail.RCode + ", no TXT", failure: failure.DNSNoData}
	})
	return p
}

// exchange sends msg to server over UDP, again after each dnsAttempt without an answer, and
// over TCP when the answer is truncated.
func exchange(ctx context.Context, msg *dns.Msg, server string) (*dns.Msg, error) {
	for {
		attempt, cancel := context.WithTimeout(ctx, dnsAttempt)
		client := &dns.Client{Net: "udp"}
		resp, err := exchangeOnce(attempt, client, msg, server)
		if err == nil && resp.Truncated {
			client.Net = "tcp"
			resp, err = exchangeOnce(attempt, client, msg, server)
		}
		cancel()
		var ne net.Error
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() || ctx.Err() != nil {
			return resp, err
		}
	}
}

// exchangeOnce is one query over a connection that ctx's end interrupts: miekg/dns only reads
// a context's deadline, and a check ended early (the connect budget, silence) must not wait
// out an attempt.
func exchangeOnce(ctx context.Context, client *dns.Client, msg *dns.Msg, server string) (*dns.Msg, error) {
	conn, err := client.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	resp, _, err := client.ExchangeWithConnContext(ctx, msg, conn)
	return resp, err
}

// readDNSAnswer fills a probe from a DNS response and returns the failure it shows, if any.
func readDNSAnswer(p *diagnosis.Probe, name string, resp *dns.Msg) error {
	p.Detail.RCode = dns.RcodeToString[resp.Rcode]
	if f := failure.FromRCode(resp.Rcode); f != "" {
		return rcodeError{name: name, rcode: p.Detail.RCode, failure: f}
	}
	var addrs []netip.Addr
	for _, rr := range resp.Answer {
		switch a := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(a.A); ok {
				addrs = append(addrs, ip.Unmap())
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(a.AAAA); ok {
				addrs = append(addrs, ip)
			}
		}
	}
	if len(addrs) == 0 {
		return rcodeError{name: name, rcode: "NOERROR, no address", failure: failure.DNSNoData}
	}
	return judgeAnswer(p, name, addrs)
}

// rcodeError is a DNS answer that is not an address.
type rcodeError struct{ name, rcode, failure string }

func (e rcodeError) Error() string { return e.name + ": " + e.rcode }

// errBogon marks an answer that points nowhere real.
var errBogon = bogonError{}

type bogonError struct{}

func (bogonError) Error() string { return "a bogon address (DNS filter sinkhole)" }

// asDNSTimeout turns a timed-out direct query into the dns_timeout failure.
func asDNSTimeout(err error) error {
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return &net.DNSError{Err: err.Error(), IsTimeout: true}
	}
	return err
}

func allUnspecified(addrs []netip.Addr) bool {
	for _, a := range addrs {
		if !a.IsUnspecified() {
			return false
		}
	}
	return len(addrs) > 0
}

func allBogons(addrs []netip.Addr) bool {
	for _, a := range addrs {
		if !failure.IsBogon(a) {
			return false
		}
	}
	return len(addrs) > 0
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

// systemNameserver returns the first nameserver of /etc/resolv.conf as ip:port, or "" where
// there is none to read (Windows).
func systemNameserver() string {
	conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(conf.Servers) == 0 {
		return ""
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port)
}

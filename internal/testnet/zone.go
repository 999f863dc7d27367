package testnet

import (
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/miekg/dns"
)

// Mode is how a Zone answers queries for a name.
type Mode int

// The answer modes of a Zone.
const (
	Answer   Mode = iota // NOERROR with the name's A/AAAA records; NXDOMAIN if the name has none
	NXDomain             // NXDOMAIN
	NoData               // NOERROR with an empty answer section
	ServFail             // SERVFAIL
	Refused              // REFUSED
	Sinkhole             // NOERROR answering 0.0.0.0 (A) or :: (AAAA), like a DNS filter
	Silent               // no answer at all: the client times out
)

var modeNames = [...]string{"Answer", "NXDomain", "NoData", "ServFail", "Refused", "Sinkhole", "Silent"}

func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// TTL is the time to live of every record a Zone answers.
const TTL = 60

// Zone is a set of names, their addresses and answer modes; safe for concurrent use, so a test
// can change it while servers answer from it. The mode for a name is, most specific first: the
// name's own mode (SetMode), the longest matching suffix rule (SetModeSuffix), Answer if the name
// has addresses, else the default mode (SetDefaultMode, initially NXDomain).
// Names are case-insensitive, with or without the final dot.
type Zone struct {
	mu     sync.RWMutex
	addrs  map[string][]netip.Addr
	modes  map[string]Mode
	suffix map[string]Mode
	def    Mode
}

// NewZone returns an empty zone whose default mode is NXDomain.
func NewZone() *Zone {
	return &Zone{
		addrs:  make(map[string][]netip.Addr),
		modes:  make(map[string]Mode),
		suffix: make(map[string]Mode),
		def:    NXDomain,
	}
}

// SetA replaces the addresses of name: IPv4 ones answer A queries, IPv6 ones AAAA queries.
// With no addresses the name leaves the zone.
func (z *Zone) SetA(name string, addrs ...netip.Addr) {
	name = dns.CanonicalName(name)
	z.mu.Lock()
	defer z.mu.Unlock()
	if len(addrs) == 0 {
		delete(z.addrs, name)
		return
	}
	z.addrs[name] = append([]netip.Addr(nil), addrs...)
}

// SetMode sets the mode of one name (not its subdomains).
func (z *Zone) SetMode(name string, m Mode) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.modes[dns.CanonicalName(name)] = m
}

// SetModeSuffix sets the mode of a domain and all its subdomains: "spotify.com" covers
// spotify.com and api.spotify.com but not notspotify.com.
func (z *Zone) SetModeSuffix(domain string, m Mode) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.suffix[dns.CanonicalName(domain)] = m
}

// SetDefaultMode sets the mode for names the zone knows nothing about.
func (z *Zone) SetDefaultMode(m Mode) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.def = m
}

// Delete removes name's addresses and own mode (suffix rules stay).
func (z *Zone) Delete(name string) {
	name = dns.CanonicalName(name)
	z.mu.Lock()
	defer z.mu.Unlock()
	delete(z.addrs, name)
	delete(z.modes, name)
}

// ModeOf returns the mode that applies to name, and its addresses.
func (z *Zone) ModeOf(name string) (Mode, []netip.Addr) {
	name = dns.CanonicalName(name)
	z.mu.RLock()
	defer z.mu.RUnlock()
	addrs := z.addrs[name]
	if m, ok := z.modes[name]; ok {
		return m, addrs
	}
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if m, ok := z.suffix[name[off:]]; ok {
			return m, addrs
		}
	}
	if len(addrs) > 0 {
		return Answer, addrs
	}
	return z.def, addrs
}

// Respond builds the reply to a query from the zone, or returns nil when the mode is Silent.
// Only the first question is answered.
func (z *Zone) Respond(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	if len(req.Question) == 0 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	mode, addrs := z.ModeOf(q.Name)
	switch mode {
	case Silent:
		return nil
	case NXDomain:
		m.Rcode = dns.RcodeNameError
	case ServFail:
		m.Rcode = dns.RcodeServerFailure
	case Refused:
		m.Rcode = dns.RcodeRefused
	case NoData:
	case Sinkhole:
		m.Answer = records(q, []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()})
	default: // Answer
		if len(addrs) == 0 {
			m.Rcode = dns.RcodeNameError
			break
		}
		m.Answer = records(q, addrs)
	}
	return m
}

// records returns the A or AAAA records among addrs that answer q.
func records(q dns.Question, addrs []netip.Addr) []dns.RR {
	var rrs []dns.RR
	for _, a := range addrs {
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: TTL}
		switch {
		case q.Qtype == dns.TypeA && a.Unmap().Is4():
			hdr.Rrtype = dns.TypeA
			rrs = append(rrs, &dns.A{Hdr: hdr, A: net.IP(a.Unmap().AsSlice())})
		case q.Qtype == dns.TypeAAAA && a.Is6() && !a.Is4In6():
			hdr.Rrtype = dns.TypeAAAA
			rrs = append(rrs, &dns.AAAA{Hdr: hdr, AAAA: net.IP(a.AsSlice())})
		}
	}
	return rrs
}

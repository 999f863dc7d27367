package netstate

import (
	"bufio"
	"errors"
	"regexp"
	"slices"
	"strings"
)

// Parsers of macOS's scutil outputs (configd's view of the network, what every app resolves and
// connects with). They are pure and portable so that they are tested on every OS, on outputs
// kept in testdata (testdata/README.md says where each layout comes from); routes_darwin.go
// runs the commands.

// parseScutilDNS returns the DNS servers macOS's resolver uses for names no other resolver
// claims, from `scutil --dns`: the nameservers of the resolvers without a domain in the first
// section ("DNS configuration"), in order, each once. Resolvers with a domain (split DNS, mDNS
// for .local) and the "for scoped queries" section (per-interface copies) are left out. A
// machine with no DNS answers an empty list; text that is not scutil --dns output is an error.
func parseScutilDNS(out string) ([]string, error) {
	var (
		resolvers []scutilResolver
		header    bool
		cur       *scutilResolver
	)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case line == "DNS configuration":
			header = true
			continue
		case strings.HasPrefix(line, "DNS configuration ("): // scoped or per-service copies: done
			return defaultServers(resolvers, header)
		case strings.HasPrefix(line, "resolver #"):
			if !header {
				return nil, errors.New("scutil --dns: a resolver before the \"DNS configuration\" header")
			}
			resolvers = append(resolvers, scutilResolver{})
			cur = &resolvers[len(resolvers)-1]
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || cur == nil {
			continue // "No DNS configuration available", or a line scutil added in a later release
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case key == "domain":
			cur.domain = value
		case strings.HasPrefix(key, "nameserver["):
			if value != "" {
				cur.servers = append(cur.servers, value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return defaultServers(resolvers, header)
}

// scutilResolver is one "resolver #N" of scutil --dns.
type scutilResolver struct {
	domain  string
	servers []string
}

func defaultServers(resolvers []scutilResolver, header bool) ([]string, error) {
	if !header {
		return nil, errors.New("scutil --dns: no \"DNS configuration\" header")
	}
	servers := []string{}
	for _, r := range resolvers {
		if r.domain != "" {
			continue
		}
		for _, s := range r.servers {
			if !slices.Contains(servers, s) {
				servers = append(servers, s)
			}
		}
	}
	return servers, nil
}

// NCService is a VPN service as `scutil --nc list` prints it: the VPNs configured in System
// Settings, built in (L2TP, IKEv2, IPSec) or added by an app through Network Extension (the
// app's bundle identifier as the subtype).
type NCService struct {
	Enabled bool
	Status  string // Connected, Disconnected, Connecting, Disconnecting, Invalid
	ID      string // the service's UUID
	Name    string // the name the user sees in System Settings > VPN
	Type    string // PPP, IPSec, VPN…
	Subtype string // L2TP, PPTP, or the VPN app's bundle identifier (com.wireguard.macos)
}

// Label names the service for a person: `"Work" (L2TP)`, `"Home" (com.wireguard.macos)`.
func (s NCService) Label() string {
	kind := s.Subtype
	if kind == "" {
		kind = s.Type
	}
	if kind == "" {
		return `"` + s.Name + `"`
	}
	return `"` + s.Name + `" (` + kind + ")"
}

// ncLine is one service line of `scutil --nc list` (configd's scutil.tproj/nc.c,
// nc_print_VPN_service): the enabled mark, the status in parentheses, the service ID, the
// interface's display name, the service name in quotes and [type:subtype].
var ncLine = regexp.MustCompile(`^([* ]) \(([A-Za-z]+)\)\s+([0-9A-Fa-f-]{36})\s+(.*?)\s*"(.*)"\s*\[([^\]:]*)(?::([^\]]*))?\]\s*$`)

// parseScutilNCList parses `scutil --nc list`. Lines it does not recognise are skipped; output
// without its header line is an error.
func parseScutilNCList(out string) ([]NCService, error) {
	var services []NCService
	header := false
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Available network connection services") {
			header = true
			continue
		}
		m := ncLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		services = append(services, NCService{Enabled: m[1] == "*", Status: m[2], ID: m[3],
			Name: m[5], Type: strings.TrimSpace(m[6]), Subtype: strings.TrimSpace(m[7])})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !header {
		return nil, errors.New("scutil --nc list: no \"Available network connection services\" header")
	}
	return services, nil
}

// connectedVPNAdapter describes a tunnel interface on macOS with the VPN services that are
// connected: scutil does not say which utun a service uses, so a tunnel-named interface (utun,
// ipsec, ppp…) carrying a default route is described by every connected service. An interface
// that is not tunnel-named, or no connected service, leaves the name alone to decide.
func connectedVPNAdapter(name string, services []NCService) (Adapter, bool) {
	if !IsVPN(Adapter{Name: name}) {
		return Adapter{}, false
	}
	var labels []string
	for _, s := range services {
		if s.Status == "Connected" {
			labels = append(labels, s.Label())
		}
	}
	if len(labels) == 0 {
		return Adapter{}, false
	}
	return Adapter{Name: name, Description: strings.Join(labels, ", ")}, true
}

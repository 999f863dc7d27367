// Package diagnosis is spotwatch's judgement, without I/O: the Report a check gathers (facts
// and probes), Classify which turns it into a Diagnosis (Spotify error Code 0, 4 or 7, the precise
// cause, the evidence behind it), the fix catalogue that writes the fix for the user's OS, and the
// tables that name inspection products and block pages. It does no network work and reads nothing
// from the machine: the OS a fix is written for is a parameter.
package diagnosis

import "time"

// Code is the Spotify error code a diagnosis corresponds to.
type Code int

// The three codes spotwatch reports.
const (
	CodeUnknown    Code = -1 // Not known yet: the first check has not finished.
	CodeOK         Code = 0  // Spotify is reachable (perhaps degraded).
	CodeNoInternet Code = 4  // Spotify's "Error Code 4": no internet connection at all.
	CodeBlocked    Code = 7  // Spotify's "Error Code 7": the internet works, Spotify does not.
)

// Cause is the stable identifier of a diagnosis (the `cause` field of `check --json`).
type Cause string

// The causes of docs/design.md "The causes", plus CauseUnknown for a Spotify failure no rule explains.
const (
	CauseOK               Cause = "ok"
	CauseDegraded         Cause = "degraded"
	CauseNoNetwork        Cause = "no_network"
	CauseCaptivePortal    Cause = "captive_portal"
	CauseInternetDown     Cause = "internet_down"
	CauseDNSDown          Cause = "dns_down"
	CauseHostsFile        Cause = "hosts_file"
	CauseAppBlocked       Cause = "app_blocked"
	CauseAppInstallBroken Cause = "app_install_broken"
	CauseDNSFailure       Cause = "dns_failure"
	CauseDNSFiltered      Cause = "dns_filtered"
	CauseProxyBlocked     Cause = "proxy_blocked"
	CauseFirewallReject   Cause = "firewall_reject"
	CauseFirewallDrop     Cause = "firewall_drop"
	CauseSNIFiltered      Cause = "sni_filtered"
	CauseTLSIntercepted   Cause = "tls_intercepted"
	CauseBlockPage        Cause = "block_page"
	CauseVPNBlocked       Cause = "vpn_blocked"
	CauseSpotifyOutage    Cause = "spotify_outage"
	CauseUnknown          Cause = "unknown"
)

// Code returns the Spotify error code a cause belongs to (from the cause table); an id the table
// does not hold is taken as a Spotify failure, Code 7.
func (c Cause) Code() Code {
	if info, ok := causeInfo(c); ok {
		return info.Code
	}
	return CodeBlocked
}

// Kind names what a probe does on the wire.
type Kind string

// Probe kinds.
const (
	KindDNS   Kind = "dns"   // a lookup through the system resolver or a direct query
	KindDoH   Kind = "doh"   // a DNS-over-HTTPS query (RFC 8484) to a public resolver by IP
	KindTCP   Kind = "tcp"   // a TCP connect (access points, IP-literal references)
	KindTLS   Kind = "tls"   // a TLS handshake alone (the neutral-SNI cross-check)
	KindHTTP  Kind = "http"  // a plain-HTTP GET (portal references)
	KindHTTPS Kind = "https" // TLS with certificate inspection, then an HTTP GET
)

// Role says what a probe is evidence of.
type Role string

// Probe roles.
const (
	RoleSpotify   Role = "spotify"   // reaches Spotify the way the app does
	RoleReference Role = "reference" // an independent internet reference
	RoleControl   Role = "control"   // a control measurement (DoH answers, neutral SNI)
)

// Probe is the outcome of one probe of a check.
type Probe struct {
	Name    string `json:"name"`
	Kind    Kind   `json:"kind"`
	Role    Role   `json:"role"`
	Target  string `json:"target"`
	OK      bool   `json:"ok"`
	Failure string `json:"failure,omitempty"` // a failure string of internal/failure; empty when OK
	MS      int64  `json:"ms"`
	Detail  Detail `json:"detail"`
}

// Detail is what a probe observed beyond success or failure. Every field is optional.
type Detail struct {
	Addrs        []string `json:"addrs,omitempty"`         // DNS answers
	Bogon        bool     `json:"bogon,omitempty"`         // every answer is a private or reserved address
	Resolver     string   `json:"resolver,omitempty"`      // "system", a server ip:port, or a DoH URL
	RCode        string   `json:"rcode,omitempty"`         // DNS RCODE of a direct query (NOERROR, NXDOMAIN…)
	Addr         string   `json:"addr,omitempty"`          // the ip:port that was dialled
	Family       string   `json:"family,omitempty"`        // "ipv4" or "ipv6"
	Via          string   `json:"via,omitempty"`           // the proxy the probe went through
	SNI          string   `json:"sni,omitempty"`           // server name sent in the ClientHello
	Issuer       string   `json:"issuer,omitempty"`        // leaf certificate issuer
	Chain        []string `json:"chain,omitempty"`         // subjects of the presented chain, leaf first
	SystemTrust  *bool    `json:"system_trust,omitempty"`  // the chain verifies against the system store
	PublicTrust  *bool    `json:"public_trust,omitempty"`  // the chain verifies against the public roots
	Interceptor  string   `json:"interceptor,omitempty"`   // inspection product named by the issuer
	Status       int      `json:"status,omitempty"`        // HTTP status
	Location     string   `json:"location,omitempty"`      // HTTP Location header
	BlockPage    string   `json:"block_page,omitempty"`    // block-page fingerprint that matched
	BlockShape   bool     `json:"block_shape,omitempty"`   // no fingerprint matched, but the answer has a block page's shape
	PageTitle    string   `json:"page_title,omitempty"`    // the title of an answer that is no Spotify page
	AccessPoints []string `json:"access_points,omitempty"` // apresolve's access points
	Service      string   `json:"service,omitempty"`       // "apresolve" for the access-point resolver
	Step         string   `json:"step,omitempty"`          // where a failure happened: dns, connect, proxy, tls, http
	Software     string   `json:"software,omitempty"`      // a DNS server's own answer to version.bind (CHAOS TXT)
	Resumed      bool     `json:"resumed,omitempty"`       // the TLS session was resumed (a light check's)
}

// Facts are what spotwatch learns from the machine itself, without traffic.
type Facts struct {
	Interfaces    []Interface  `json:"interfaces"`
	DefaultRoutes []Route      `json:"default_routes"`
	RoutesKnown   bool         `json:"routes_known"`          // false where the routing table cannot be read
	VPN           string       `json:"vpn,omitempty"`         // the VPN interface carrying a default route (Windows: "friendly name: description")
	DNSServers    []string     `json:"dns_servers,omitempty"` // the DNS servers in use (Windows: of the adapters carrying a default route)
	HostsFile     string       `json:"hosts_file"`
	HostsEntries  []HostsEntry `json:"hosts_entries,omitempty"` // lines mapping Spotify names
	Proxy         *Proxy       `json:"proxy,omitempty"`         // the proxy Spotify would use
	App           *App         `json:"app,omitempty"`           // the Spotify app's own context (rules against it, its connections, its installation)
	Errors        []string     `json:"errors,omitempty"`        // facts that could not be read
}

// Interface is a network interface that is up.
type Interface struct {
	Name   string   `json:"name"`
	Global []string `json:"global"` // global unicast addresses
}

// Route is a default route.
type Route struct {
	Family    string `json:"family"` // ipv4 or ipv6
	Interface string `json:"interface"`
	Gateway   string `json:"gateway,omitempty"`
}

// HostsEntry is one hosts-file line that maps a Spotify name.
type HostsEntry struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Addr string `json:"addr"`
	Name string `json:"name"`
}

// Proxy is a proxy setting and where it was found.
type Proxy struct {
	URL    string `json:"url"`
	Source string `json:"source"` // e.g. "HTTPS_PROXY environment variable", "Spotify prefs /home/u/.config/spotify/prefs"
}

// Report is the evidence of one check.
type Report struct {
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"-"`
	// RTT is the link's round trip as the fastest internet reference measured it; 0 when none
	// answered. A monitor keeps the last good check's to judge silence (docs/design.md §4).
	RTT    time.Duration `json:"-"`
	OS     string        `json:"os"` // the GOOS the fix is written for
	Facts  Facts         `json:"facts"`
	Probes []Probe       `json:"probes"`
}

// Diagnosis is what a Report means for the user.
type Diagnosis struct {
	Code     Code     `json:"code"`
	Cause    Cause    `json:"cause"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	Fix      []string `json:"fix"`
	Evidence []string `json:"evidence"`

	// Product is the product that blocks or intercepts Spotify (a filter, an antivirus, an
	// inspection gateway), by its name in the product table; "" when none is recognised.
	Product string `json:"-"`
	// Short is the cause as a short phrase for titles ("blocked by Pi-hole", "no internet"). The
	// status API carries Product and Short (Status.MarshalJSON); `check --json` does not.
	Short string `json:"-"`
}

package diagnosis

// Findings are the specifics Classify extracted from a Report for the cause it chose. The fix
// catalogue turns them into the summary line and the numbered steps; every field is optional and
// only the ones the cause needs are set.
type Findings struct {
	Names        []string     // Spotify host names affected, e.g. apresolve.spotify.com
	HostsEntries []HostsEntry // hosts_file: the offending lines
	SystemAddrs  []string     // dns_filtered, block_page (a DNS redirect): what the system resolver answered
	PublicAddrs  []string     // dns_filtered, dns_failure, block_page: what the DoH control answered
	Resolver     string       // the DNS server that was asked ("system" or ip:port)
	Failure      string       // the representative failure string (e.g. dns_nxdomain, connection_reset)
	Proxy        *Proxy       // proxy_blocked: the proxy and where it is set
	Product      string       // tls_intercepted: the inspection product; block_page: the filter's name
	PageTitle    string       // block_page: the block page's title, when no vendor is named
	Issuer       string       // tls_intercepted: the certificate issuer Spotify's name came with
	VPN          string       // vpn_blocked: the VPN interface
	PortalURL    string       // captive_portal: where the portal redirected to
	Endpoints    []string     // the Spotify endpoints (host:port or URL) that failed
	Status       int          // spotify_outage, proxy_blocked: the HTTP status seen
	Parts        []string     // degraded: which parts are broken ("port 4070", "IPv6", "slow")
	AppRules     []AppRule    // app_blocked: the rules that keep the Spotify app off the network
	Stalled      []string     // app_blocked: the app's own connections that go unanswered (ip:port)
	Install      *AppInstall  // app_install_broken: the broken installation and its problems
	Suites       []string     // security suites installed that filter per program (ok, app_blocked, firewall causes, unknown)
}

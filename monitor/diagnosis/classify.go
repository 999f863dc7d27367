package diagnosis

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/spotwatch/spotwatch/internal/failure"
)

// Classify turns the evidence of one check into a diagnosis. It is a pure function of the
// report: the same evidence always gives the same diagnosis.
func Classify(rep Report) Diagnosis {
	e := newEvidence(rep.Probes)
	if exhausted := exhaustedProbes(rep.Probes); len(exhausted) > 0 {
		return internalError(exhausted, e)
	}
	cause, f, decisive := decide(rep, e)
	if rep.Facts.App != nil && namesSuites(cause) {
		f.Suites = rep.Facts.App.Suites
	}
	if app := rep.Facts.App; cause == CauseOK && app != nil && app.Install != nil && !app.Install.Installed {
		f.Install = app.Install // ok, but no Spotify app to connect (app.go)
	}
	title, summary, steps := Describe(cause, f, rep.OS)
	lines := append(appLines(cause, f), describeAll(decisive)...)
	lines = append(lines, referencesLine(e))
	if rep.Facts.VPN != "" && cause != CauseVPNBlocked {
		lines = append(lines, "the default route goes through the VPN interface "+rep.Facts.VPN)
	}
	return Diagnosis{
		Code: cause.Code(), Cause: cause, Title: title, Summary: summary, Fix: steps, Evidence: lines,
		Product: f.Product, Short: ShortCause(cause, f),
	}
}

// exhaustedProbes are the probes that failed because spotwatch itself ran out of a resource
// (file descriptors, memory, socket buffers). One is enough to distrust the whole check: a
// probe that could not run looks like a network that did not answer, so the references would
// read as down (a false Code 4) or Spotify as blocked (a false Code 7).
func exhaustedProbes(probes []Probe) []Probe {
	var out []Probe
	for _, p := range probes {
		if !p.OK && p.Failure == failure.LocalResourceExhausted {
			out = append(out, p)
		}
	}
	return out
}

// internalError is the diagnosis of a check that failed inside spotwatch: no verdict (code -1),
// the failed probes as evidence. The monitor counts it as an internal error and keeps its state.
func internalError(exhausted []Probe, e evidence) Diagnosis {
	title, summary, steps := Describe(CauseInternalError, Findings{}, "")
	return Diagnosis{
		Code:     CauseInternalError.Code(),
		Cause:    CauseInternalError,
		Title:    title,
		Summary:  summary,
		Fix:      steps,
		Evidence: append(describeAll(exhausted), referencesLine(e)),
		Short:    ShortCause(CauseInternalError, Findings{}),
	}
}

// decide tries the rules of the cause table in order: the first that applies names the cause.
func decide(rep Report, e evidence) (Cause, Findings, []Probe) {
	for _, c := range causeTable() {
		if c.rule == nil {
			continue
		}
		if f, probes, ok := c.rule(rep, e); ok {
			return c.ID, f, probes
		}
	}
	f, probes, _ := unexplained(rep, e)
	return CauseUnknown, f, probes
}

// reachable: Spotify works, every part of the way to it.
func reachable(_ Report, e evidence) (Findings, []Probe, bool) {
	if !e.spotifyWorks() {
		return Findings{}, nil, false
	}
	if f, _ := degradedParts(e); len(f.Parts) > 0 {
		return Findings{}, nil, false
	}
	return Findings{}, append(firstOK(e.accessPoints()), firstOK(e.spotifyHTTPS())...), true
}

// partlyDegraded: Spotify works, but part of the way to it does not.
func partlyDegraded(_ Report, e evidence) (Findings, []Probe, bool) {
	if !e.spotifyWorks() {
		return Findings{}, nil, false
	}
	f, probes := degradedParts(e)
	return f, probes, len(f.Parts) > 0
}

// unexplained: Spotify fails in a way no other rule explains. It always applies, so it is the
// last rule.
func unexplained(_ Report, e evidence) (Findings, []Probe, bool) {
	failed := failures(e.spotify)
	return Findings{Endpoints: targets(failed), Failure: firstFailure(failed)}, failed, true
}

// slowMS is how long the fastest working Spotify answer may take before the link counts as slow.
const slowMS = 3000

// degradedParts lists what is broken while Spotify still works: access-point port 4070 (the app
// falls back to 443 and 80), the IPv6 path, or a very slow answer (or a connection lost on the
// way, see lostOnTheWay).
func degradedParts(e evidence) (Findings, []Probe) {
	var f Findings
	var shown []Probe
	aps := e.accessPoints()
	on4070 := e.where(aps, func(p Probe) bool { return portOf(p) == "4070" })
	if len(on4070) > 0 && !anyOK(on4070) {
		f.Parts = append(f.Parts, "port 4070")
		shown = append(shown, on4070...)
		f.Endpoints = append(f.Endpoints, targets(on4070)...)
	}
	var v6 []Probe
	for _, p := range append(aps, e.spotifyHTTPS()...) {
		if p.Detail.Family == "ipv6" && !p.OK {
			v6 = append(v6, p)
		}
	}
	if len(v6) > 0 {
		f.Parts = append(f.Parts, "IPv6")
		shown = append(shown, v6...)
	}
	fastest := int64(-1)
	for _, p := range e.spotifyHTTPS() {
		if p.OK && (fastest < 0 || p.MS < fastest) {
			fastest = p.MS
		}
	}
	slowAnswers := e.where(e.spotifyHTTPS(), func(p Probe) bool { return answeredSlowly(p) || e.lostOnTheWay(p) })
	if fastest > slowMS || len(slowAnswers) > 0 {
		f.Parts = append(f.Parts, "slow")
		shown = append(shown, append(slowAnswers, firstOK(e.spotifyHTTPS())...)...)
	}
	return f, shown
}

func noNetwork(rep Report, e evidence) (Findings, []Probe, bool) {
	if e.referencesUp() > 0 {
		return Findings{}, nil, false
	}
	global := false
	for _, ifc := range rep.Facts.Interfaces {
		global = global || len(ifc.Global) > 0
	}
	noRoute := rep.Facts.RoutesKnown && len(rep.Facts.DefaultRoutes) == 0
	return Findings{}, nil, !global || noRoute
}

// captivePortal: a portal reference that did answer gave something other than its expected
// answer (a redirect, 511, another page), and the references do not otherwise agree the
// internet is up.
func captivePortal(_ Report, e evidence) (Findings, []Probe, bool) {
	var hijacked []Probe
	for _, p := range e.refs {
		if p.Kind == KindHTTP && !p.OK && p.Detail.Status != 0 {
			hijacked = append(hijacked, p)
		}
	}
	if len(hijacked) == 0 || e.nameReferencesUp() >= 2 {
		return Findings{}, nil, false
	}
	f := Findings{Status: hijacked[0].Detail.Status}
	for _, p := range hijacked {
		if p.Detail.Location != "" {
			f.PortalURL = p.Detail.Location
			break
		}
	}
	return f, hijacked, true
}

// dnsDown: references answer by IP, but the system resolver answers nothing for any name.
func dnsDown(_ Report, e evidence) (Findings, []Probe, bool) {
	if e.ipReferencesUp() < 2 {
		return Findings{}, nil, false
	}
	httpRefs := e.where(e.refs, func(p Probe) bool { return p.Kind == KindHTTP })
	if len(httpRefs) == 0 {
		return Findings{}, nil, false // no evidence about names other than Spotify's
	}
	byName := append(httpRefs, e.systemDNS()...)
	if !all(byName, func(p Probe) bool { return !p.OK && failure.IsDNS(p.Failure) && p.Failure != failure.DNSBogon }) {
		return Findings{}, nil, false
	}
	return Findings{Failure: firstFailure(byName), Names: targets(e.systemDNS())}, byName, true
}

func internetDown(_ Report, e evidence) (Findings, []Probe, bool) {
	if e.referencesUp() >= 2 {
		return Findings{}, nil, false
	}
	return Findings{Failure: firstFailure(e.refs)}, e.refs, true
}

// hostsFile: the hosts file maps a Spotify name, and a probe of that name failed.
func hostsFile(rep Report, e evidence) (Findings, []Probe, bool) {
	entries := rep.Facts.HostsEntries
	if len(entries) == 0 {
		return Findings{}, nil, false
	}
	mapped := func(host string) bool {
		return slices.ContainsFunc(entries, func(h HostsEntry) bool { return strings.EqualFold(strings.TrimSuffix(h.Name, "."), host) })
	}
	failed := e.where(e.spotify, func(p Probe) bool { return !p.OK && mapped(hostOf(p.Target)) })
	if len(failed) == 0 {
		return Findings{}, nil, false
	}
	var names []string
	for _, h := range entries {
		if !slices.Contains(names, h.Name) {
			names = append(names, h.Name)
		}
	}
	return Findings{HostsEntries: entries, Names: names}, failed, true
}

// appBlocked: something keeps the Spotify app itself off the network — an application
// firewall's rule, a sandbox without network — or the running app's own connections all stall
// while spotwatch's probes to Spotify work. Such rules name a program, not an address, so the
// network probes may all succeed: a rule found is decisive even then, like the hosts file.
// Stalled connections count only when nothing of the app's connects and Spotify works for
// spotwatch: otherwise the network explains them.
func appBlocked(rep Report, e evidence) (Findings, []Probe, bool) {
	app := rep.Facts.App
	if app == nil {
		return Findings{}, nil, false
	}
	working := append(firstOK(e.accessPoints()), firstOK(e.spotifyHTTPS())...)
	if len(app.Rules) > 0 {
		return Findings{AppRules: app.Rules, Suites: app.Suites, Product: app.Rules[0].Product}, working, true
	}
	c := app.Connections
	if c == nil || !c.Running || c.Stalled == 0 || c.Established > 0 || !e.spotifyWorks() {
		return Findings{}, nil, false
	}
	return Findings{Stalled: c.Remotes, Suites: app.Suites}, working, true
}

// appInstallBroken: Spotify is installed but its installation is broken (prefs that do not
// parse, a cache folder it cannot write, a full disk) while spotwatch's probes show Spotify works:
// the network is not what fails. When Spotify does not work the network's cause wins.
func appInstallBroken(rep Report, e evidence) (Findings, []Probe, bool) {
	app := rep.Facts.App
	if app == nil || app.Install == nil || !app.Install.Installed || len(app.Install.Problems) == 0 || !e.spotifyWorks() {
		return Findings{}, nil, false
	}
	return Findings{Install: app.Install}, append(firstOK(e.accessPoints()), firstOK(e.spotifyHTTPS())...), true
}

// namesSuites: the causes whose fix names the security suites installed — those a suite's
// program rules could explain (a rule against the app it did not let spotwatch read, a firewall
// that rejects or drops Spotify), and ok, whose "still an error?" steps point at them.
func namesSuites(c Cause) bool {
	switch c {
	case CauseOK, CauseAppBlocked, CauseFirewallReject, CauseFirewallDrop, CauseUnknown:
		return true
	}
	return false
}

// appLines are the evidence lines of a rule against the app: each rule, or the app's stalled
// connections; of a broken installation, each problem.
func appLines(c Cause, f Findings) []string {
	if c == CauseAppInstallBroken && f.Install != nil {
		var out []string
		for _, p := range f.Install.Problems {
			out = append(out, installWords(*f.Install)+": "+p)
		}
		return out
	}
	if c != CauseAppBlocked {
		return nil
	}
	var out []string
	for _, r := range f.AppRules {
		s := r.Product
		if r.Name != "" {
			s += " rule '" + r.Name + "'"
		}
		if r.Where != "" {
			s += " in " + r.Where
		}
		s += ": " + orDefault(r.Action, "block") + " " + orDefault(r.Target, "Spotify")
		out = append(out, s)
	}
	if len(f.AppRules) == 0 {
		s := "the Spotify app runs but its connections stall (SYN sent, no answer)"
		if len(f.Stalled) > 0 {
			s += ": " + strings.Join(f.Stalled, ", ")
		}
		out = append(out, s)
	}
	return out
}

// proxyBlocked: the proxy Spotify uses refused it, or could not be reached.
func proxyBlocked(rep Report, e evidence) (Findings, []Probe, bool) {
	if rep.Facts.Proxy == nil {
		return Findings{}, nil, false
	}
	viaProxy := e.where(e.spotify, func(p Probe) bool { return p.Detail.Via != "" })
	refused := e.where(viaProxy, func(p Probe) bool { return !p.OK && p.Detail.Step == failure.StepProxy })
	if len(refused) == 0 || anyOK(viaProxy) {
		return Findings{}, nil, false
	}
	f := Findings{Proxy: rep.Facts.Proxy, Failure: refused[0].Failure, Endpoints: targets(refused)}
	for _, p := range refused {
		f.Product = cmpOr(f.Product, p.Detail.BlockPage) // the proxy named by its refusal (Squid's X-Squid-Error)
	}
	for _, p := range refused {
		if p.Failure == failure.ProxyRefused {
			f.Status = p.Detail.Status
			break
		}
	}
	return f, refused, true
}

// dnsFiltered: the system resolver answers Spotify names with a sinkhole (0.0.0.0), a known
// filter's block address, or private addresses where a public resolver gives public ones.
func dnsFiltered(_ Report, e evidence) (Findings, []Probe, bool) {
	var filtered []Probe
	var f Findings
	for _, p := range append(e.systemDNS(), e.directDNS()...) {
		product := matchFilterAddr(p.Detail.Addrs)
		if p.Failure == failure.DNSBogon || product != "" || (p.Detail.Bogon && publicDisagrees(e, p.Target)) {
			filtered = append(filtered, p)
			f.Product = cmpOr(f.Product, product)
		}
	}
	if len(filtered) == 0 {
		return Findings{}, nil, false
	}
	f.Names = targets(filtered)
	resolver, named := resolverProduct(e)
	f.Product = cmpOr(f.Product, resolver)
	f.SystemAddrs = filtered[0].Detail.Addrs
	f.Resolver = filtered[0].Detail.Resolver
	controls := publicAnswers(e, f.Names)
	f.PublicAddrs = addrsOf(controls)
	return f, append(append(filtered, controls...), named...), true
}

// resolverProduct names the DNS server product that answered version.bind, with that probe as
// evidence, or "" and none.
func resolverProduct(e evidence) (string, []Probe) {
	for _, p := range e.control {
		if p.Kind == KindDNS && p.Detail.Software != "" {
			if name := matchResolver(p.Detail.Software); name != "" {
				return name, []Probe{p}
			}
		}
	}
	return "", nil
}

// publicDisagrees reports whether a public resolver gave public addresses for name.
func publicDisagrees(e evidence, name string) bool {
	return anyOK(e.where(e.doh(), func(p Probe) bool { return p.Target == name && !p.Detail.Bogon && len(p.Detail.Addrs) > 0 }))
}

// dnsFailure: the system resolver fails for Spotify names while other names resolve or a public
// resolver answers them.
func dnsFailure(_ Report, e evidence) (Findings, []Probe, bool) {
	failed := e.where(append(e.systemDNS(), e.directDNS()...), func(p Probe) bool {
		return !p.OK && failure.IsDNS(p.Failure)
	})
	if len(failed) == 0 {
		return Findings{}, nil, false
	}
	otherNamesResolve := e.nameReferencesUp() > 0 || anyOK(e.where(e.refs, func(p Probe) bool {
		return p.Kind == KindHTTP && p.Detail.Step != failure.StepDNS && p.Detail.Status != 0
	}))
	names := targets(failed)
	controls := publicAnswers(e, names)
	if len(controls) == 0 && !otherNamesResolve {
		return Findings{}, nil, false
	}
	resolver, named := resolverProduct(e)
	f := Findings{Names: names, Failure: bestDNSFailure(failed), Resolver: failed[0].Detail.Resolver, PublicAddrs: addrsOf(controls), Product: resolver}
	for _, p := range failed {
		if p.Detail.Resolver != "system" {
			f.Resolver = p.Detail.Resolver
		}
	}
	return f, append(append(failed, controls...), named...), true
}

// blockPage: an answer for Spotify is a web filter's block page, over HTTPS or as plain HTTP
// where Spotify's TLS should be: a known vendor's page, or a page with a block page's shape
// (Detail.BlockShape) over a certificate that is not Spotify's. A plain-HTTP answer with no
// known fingerprint is still a filter in the way, just an unnamed one. When the system resolver
// sent Spotify's names to the block page's address and a public resolver gives others, the
// filter works through DNS, and the findings say so (dnsRedirect).
func blockPage(_ Report, e evidence) (Findings, []Probe, bool) {
	blocked := e.where(append(e.spotifyHTTPS(), e.control...), func(p Probe) bool { return p.Detail.BlockPage != "" || p.Detail.BlockShape })
	notTLS := e.where(e.spotifyHTTPS(), func(p Probe) bool { return p.Failure == failure.SSLNotTLS })
	if len(blocked) == 0 && len(notTLS) == 0 {
		return Findings{}, nil, false
	}
	f := Findings{Endpoints: targets(append(e.where(blocked, func(p Probe) bool { return p.Role == RoleSpotify }), notTLS...))}
	if len(blocked) > 0 {
		f.Status, f.PageTitle = blocked[0].Detail.Status, blocked[0].Detail.PageTitle
	}
	for _, p := range blocked {
		if p.Detail.BlockPage != "" {
			f.Product, f.Status = p.Detail.BlockPage, p.Detail.Status
			break
		}
	}
	decisive := append(notTLS, blocked...)
	if dns, ok := dnsRedirect(e, decisive); ok {
		f.Names, f.SystemAddrs, f.PublicAddrs, f.Resolver = targets(dns.system), addrsOf(dns.system), addrsOf(dns.public), "system"
		decisive = append(append(decisive, dns.system...), dns.public...)
	}
	return f, decisive, true
}

// redirect is the DNS evidence of a redirect to a block page.
type redirect struct {
	system []Probe // the system resolver's answers for Spotify's names
	public []Probe // a public resolver's answers for the same names
}

// dnsRedirect: the system resolver answers every Spotify name it was asked with the same one
// address (one per family at most), the block page is served there, and a public resolver gives
// other addresses for those names. A filtering resolver (a policy zone, a DNS filter) sends
// blocked names to its block server this way.
func dnsRedirect(e evidence, blocked []Probe) (redirect, bool) {
	var at []string // the addresses the block pages came from
	for _, p := range blocked {
		if host, _, err := net.SplitHostPort(p.Detail.Addr); err == nil {
			at = appendNew(at, host)
		}
	}
	system := e.where(e.systemDNS(), func(p Probe) bool { return p.OK && len(p.Detail.Addrs) > 0 })
	answers := addrsOf(system)
	if len(at) == 0 || len(system) < 2 || len(answers) > 2 || len(answers) == 2 && familyOf(answers[0]) == familyOf(answers[1]) {
		return redirect{}, false
	}
	for _, a := range at {
		if !slices.Contains(answers, a) {
			return redirect{}, false
		}
	}
	public := publicAnswers(e, targets(system))
	if len(public) == 0 || slices.ContainsFunc(addrsOf(public), func(a string) bool { return slices.Contains(answers, a) }) {
		return redirect{}, false
	}
	return redirect{system: system, public: public}, true
}

func familyOf(addr string) string {
	if strings.Contains(addr, ":") {
		return "ipv6"
	}
	return "ipv4"
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// tlsIntercepted: Spotify's certificate comes from an inspection product, from an issuer only
// this computer trusts, or from an unknown authority.
func tlsIntercepted(_ Report, e evidence) (Findings, []Probe, bool) {
	intercepted := e.where(e.spotifyHTTPS(), func(p Probe) bool {
		return p.Detail.Interceptor != "" || (p.Detail.PublicTrust != nil && !*p.Detail.PublicTrust)
	})
	if len(intercepted) == 0 {
		return Findings{}, nil, false
	}
	p := intercepted[0]
	return Findings{Product: p.Detail.Interceptor, Issuer: p.Detail.Issuer, Endpoints: targets(intercepted)}, intercepted, true
}

// vpnBlocked: a VPN carries the default route and Spotify's connections fail through it.
func vpnBlocked(rep Report, e evidence) (Findings, []Probe, bool) {
	if rep.Facts.VPN == "" {
		return Findings{}, nil, false
	}
	failed := e.where(e.spotify, func(p Probe) bool {
		return !p.OK && (p.Detail.Step == failure.StepConnect || p.Detail.Step == failure.StepTLS)
	})
	if len(failed) == 0 {
		return Findings{}, nil, false
	}
	return Findings{VPN: rep.Facts.VPN, Failure: failed[0].Failure, Endpoints: endpoints(failed)}, failed, true
}

// sniFiltered: a TLS handshake naming Spotify is reset, closed or ignored, while the same
// address completes a handshake for a neutral name.
func sniFiltered(_ Report, e evidence) (Findings, []Probe, bool) {
	neutralOK := e.where(e.control, func(p Probe) bool { return p.Kind == KindTLS && p.OK })
	if len(neutralOK) == 0 {
		return Findings{}, nil, false
	}
	var killed []Probe
	for _, p := range e.spotifyHTTPS() {
		for _, n := range neutralOK {
			if p.Detail.Step == failure.StepTLS && p.Detail.Addr == n.Detail.Addr {
				killed = append(killed, p)
			}
		}
	}
	if len(killed) == 0 {
		return Findings{}, nil, false
	}
	return Findings{Failure: killed[0].Failure, Endpoints: targets(killed)}, append(killed, neutralOK...), true
}

var rejectFailures = []string{failure.ConnectionRefused, failure.ConnectionReset, failure.PermissionDenied, failure.HostUnreachable, failure.NetworkUnreachable}

// firewallReject: connections to Spotify are refused or reset while the references connect —
// at connect, or right after a ClientHello that any name gets reset for (no SNI filter then).
func firewallReject(_ Report, e evidence) (Findings, []Probe, bool) {
	rejected := e.where(e.spotify, func(p Probe) bool {
		if p.OK || !slices.Contains(rejectFailures, p.Failure) {
			return false
		}
		return p.Detail.Step == failure.StepConnect || (p.Detail.Step == failure.StepTLS && p.Failure == failure.ConnectionReset)
	})
	if len(rejected) == 0 {
		return Findings{}, nil, false
	}
	return Findings{Failure: rejected[0].Failure, Endpoints: endpoints(rejected)}, rejected, true
}

// firewallDrop: every connection to Spotify times out while the references connect; or
// Spotify's TLS handshakes go unanswered on connections that opened, and so does a handshake
// naming a neutral name at the same address (a box that swallows every handshake: the silent
// variant of a reset for any name, which is firewall_reject), even while access points connect.
func firewallDrop(_ Report, e evidence) (Findings, []Probe, bool) {
	connects := e.where(e.spotify, func(p Probe) bool {
		return (p.Kind == KindTCP || p.Kind == KindHTTPS) && p.Detail.Step != failure.StepDNS
	})
	timedOut := e.where(connects, func(p Probe) bool { return !p.OK && failure.IsTimeout(p.Failure) })
	if len(timedOut) > 0 && !anyOK(e.accessPoints()) {
		return Findings{Failure: failure.GenericTimeout, Endpoints: endpoints(timedOut)}, timedOut, true
	}
	var swallowed, controls []Probe
	for _, p := range e.where(timedOut, func(p Probe) bool { return p.Kind == KindHTTPS && p.Detail.Step == failure.StepTLS }) {
		silent := e.where(e.control, func(c Probe) bool {
			return c.Kind == KindTLS && c.Detail.Addr == p.Detail.Addr && !c.OK && failure.IsTimeout(c.Failure)
		})
		if len(silent) > 0 {
			swallowed, controls = append(swallowed, p), append(controls, silent[0])
		}
	}
	if len(swallowed) == 0 {
		return Findings{}, nil, false
	}
	return Findings{Failure: failure.GenericTimeout, Endpoints: endpoints(swallowed)}, append(swallowed, controls...), true
}

// spotifyOutage: Spotify's servers answer with errors or hang up, while the path shows no
// interference (connections open, certificates are Spotify's own).
func spotifyOutage(_ Report, e evidence) (Findings, []Probe, bool) {
	troubled := e.where(e.spotifyHTTPS(), func(p Probe) bool {
		return strings.HasPrefix(p.Failure, failure.HTTPStatusPrefix+"5") || (p.Failure == failure.EOFError && p.Detail.Step == failure.StepHTTP)
	})
	if len(troubled) == 0 {
		return Findings{}, nil, false
	}
	return Findings{Status: troubled[0].Detail.Status, Endpoints: targets(troubled)}, troubled, true
}

// publicAnswers are the DoH control answers for names.
func publicAnswers(e evidence, names []string) []Probe {
	return e.where(e.doh(), func(p Probe) bool { return p.OK && slices.Contains(names, p.Target) })
}

func addrsOf(probes []Probe) []string {
	var out []string
	for _, p := range probes {
		for _, a := range p.Detail.Addrs {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// endpoints lists the distinct endpoints of probes as host:port, as a user would name them.
func endpoints(probes []Probe) []string {
	var out []string
	for _, p := range probes {
		ep := p.Target
		if u, err := url.Parse(p.Target); err == nil && u.Scheme != "" && u.Host != "" {
			port := u.Port()
			if port == "" {
				port = "443"
				if u.Scheme == "http" {
					port = "80"
				}
			}
			ep = net.JoinHostPort(u.Hostname(), port)
		}
		if ep != "" && !slices.Contains(out, ep) {
			out = append(out, ep)
		}
	}
	return out
}

// targets lists the distinct targets of probes, in order.
func targets(probes []Probe) []string {
	var out []string
	for _, p := range probes {
		if p.Target != "" && !slices.Contains(out, p.Target) {
			out = append(out, p.Target)
		}
	}
	return out
}

func firstOK(probes []Probe) []Probe {
	for _, p := range probes {
		if p.OK {
			return []Probe{p}
		}
	}
	return nil
}

func firstFailure(probes []Probe) string {
	for _, p := range probes {
		if !p.OK && p.Failure != "" {
			return p.Failure
		}
	}
	return ""
}

// bestDNSFailure prefers a direct query's RCODE-based failure, which tells NXDOMAIN from NODATA
// and SERVFAIL from REFUSED, over the system resolver's coarser one.
func bestDNSFailure(probes []Probe) string {
	for _, p := range probes {
		if p.Detail.Resolver != "system" && p.Failure != "" {
			return p.Failure
		}
	}
	return firstFailure(probes)
}

// referencesLine summarises the internet references in one evidence line.
func referencesLine(e evidence) string {
	return fmt.Sprintf("internet references: %d of %d answered as expected", e.nameReferencesUp()+countOK(e.where(e.refs, func(p Probe) bool { return p.Kind == KindTCP })), len(e.refs))
}

func countOK(probes []Probe) int {
	n := 0
	for _, p := range probes {
		if p.OK {
			n++
		}
	}
	return n
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

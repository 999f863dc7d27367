package diagnosis

// The cause table: every cause id spotwatch knows (docs/design.md, "The causes"), one row each, with its code,
// the rule that recognises it and its texts. Everything that lists causes reads this table:
// Cause.Code, Classify's ordered rules, the fix catalogue's lookup, the metrics' cause labels and
// the tray's tests. Add a cause by adding a row (and its golden files).

// CauseInfo is one row of the cause table.
type CauseInfo struct {
	ID   Cause
	Code Code
	// Diagnosis is true for a verdict on the network: Classify decides it by its rule, and it has
	// a fix for every OS. The two states (checking, internal_error) are not diagnoses.
	Diagnosis bool
	// MonitorState is true when the Monitor's state can be this cause: every diagnosis, and
	// checking before the first check. internal_error never is (the Monitor keeps its state).
	MonitorState bool

	// rule recognises the cause; nil for the states. Rules are tried in table order.
	rule func(Report, evidence) (Findings, []Probe, bool)
	// texts are the title, short phrase, summary and steps; zero for checking, which has none.
	texts entry
}

// causeTable lists the causes in the order Classify tries their rules: the most specific,
// best-evidenced cause wins. The hosts file comes first of all (local, certain evidence, even
// over ok), then a rule against the Spotify app itself (a firewall rule, a sandbox without
// network: the app fails while spotwatch's own probes work, so it too wins over ok), then a broken
// installation of the app (only while Spotify works: a broken network names its own cause); then whether Spotify works at all; then the Code 4 causes (with no internet nothing
// Spotify-specific can be judged); then the causes that explain a failure by where it starts:
// the proxy before DNS, DNS before what the server behind the answer says, a block page before
// interception (block pages come over interception certificates), the VPN as the path before
// the firewalls it would look like, a Spotify outage only when the path shows no interference,
// and unknown when no rule explains the failure. The states follow, with no rule.
func causeTable() []CauseInfo {
	return []CauseInfo{
		{ID: CauseHostsFile, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: hostsFile, texts: hostsFileTexts},
		{ID: CauseAppBlocked, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: appBlocked, texts: appBlockedTexts},
		{ID: CauseAppInstallBroken, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: appInstallBroken, texts: appInstallBrokenTexts},
		{ID: CauseOK, Code: CodeOK, Diagnosis: true, MonitorState: true, rule: reachable, texts: okTexts},
		{ID: CauseDegraded, Code: CodeOK, Diagnosis: true, MonitorState: true, rule: partlyDegraded, texts: degradedTexts},
		{ID: CauseNoNetwork, Code: CodeNoInternet, Diagnosis: true, MonitorState: true, rule: noNetwork, texts: noNetworkTexts},
		{ID: CauseCaptivePortal, Code: CodeNoInternet, Diagnosis: true, MonitorState: true, rule: captivePortal, texts: captivePortalTexts},
		{ID: CauseDNSDown, Code: CodeNoInternet, Diagnosis: true, MonitorState: true, rule: dnsDown, texts: dnsDownTexts},
		{ID: CauseInternetDown, Code: CodeNoInternet, Diagnosis: true, MonitorState: true, rule: internetDown, texts: internetDownTexts},
		{ID: CauseProxyBlocked, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: proxyBlocked, texts: proxyBlockedTexts},
		{ID: CauseDNSFiltered, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: dnsFiltered, texts: dnsFilteredTexts},
		{ID: CauseDNSFailure, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: dnsFailure, texts: dnsFailureTexts},
		{ID: CauseBlockPage, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: blockPage, texts: blockPageTexts},
		{ID: CauseTLSIntercepted, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: tlsIntercepted, texts: tlsInterceptedTexts},
		{ID: CauseVPNBlocked, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: vpnBlocked, texts: vpnBlockedTexts},
		{ID: CauseSNIFiltered, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: sniFiltered, texts: sniFilteredTexts},
		{ID: CauseFirewallReject, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: firewallReject, texts: firewallRejectTexts},
		{ID: CauseFirewallDrop, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: firewallDrop, texts: firewallDropTexts},
		{ID: CauseSpotifyOutage, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: spotifyOutage, texts: spotifyOutageTexts},
		{ID: CauseUnknown, Code: CodeBlocked, Diagnosis: true, MonitorState: true, rule: unexplained, texts: unknownTexts},

		{ID: CauseChecking, Code: CodeUnknown, MonitorState: true},
		{ID: CauseInternalError, Code: CodeUnknown, texts: internalErrorTexts},
	}
}

// Causes returns the cause table, rules in the order Classify tries them, then the states.
// Callers own the returned slice.
func Causes() []CauseInfo {
	return causeTable()
}

// causeInfo returns the row of cause c.
func causeInfo(c Cause) (CauseInfo, bool) {
	for _, info := range causeTable() {
		if info.ID == c {
			return info, true
		}
	}
	return CauseInfo{}, false
}

package diagnosis

// The fix catalogue: for each cause, a title, a short phrase for notification titles, a
// one-sentence summary built from the Findings, and the fix steps for the user's OS.
//
// Read it from the top: Describe and ShortCause, then the catalogue (one entry per cause, in the
// order of docs/design.md "The causes"), then the steps several causes share, then small text helpers.
// Commands inside steps are wrapped in backticks so a renderer can style or strip them.

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spotwatch/spotwatch/internal/failure"
)

// Describe returns, for a cause and its findings, the title, the one-line summary built from the
// evidence, and the fix steps (not numbered) written for goos: "windows", "darwin", anything else
// is treated as Linux. A cause the catalogue does not know is described as CauseUnknown.
func Describe(cause Cause, f Findings, goos string) (title, summary string, steps []string) {
	e := entryFor(cause)
	return e.title(f), e.summary(f), e.steps(f, osOf(goos))
}

// ShortCause returns the cause as a short, mostly lowercase phrase ("blocked by your DNS filter",
// "no internet") for titles such as "Spotify Error Code 7 — <short cause>".
func ShortCause(cause Cause, f Findings) string {
	return entryFor(cause).short(f)
}

// entry is one cause's texts. Every func must read well whatever Findings fields are empty.
type entry struct {
	title   func(f Findings) string
	short   func(f Findings) string
	summary func(f Findings) string
	steps   func(f Findings, o osName) []string
}

// entryFor returns a cause's texts from the cause table; a cause without texts is described as
// CauseUnknown.
func entryFor(c Cause) entry {
	if info, ok := causeInfo(c); ok && info.texts.title != nil {
		return info.texts
	}
	return unknownTexts
}

// The catalogue: every cause's texts, one entry each, in the order of docs/design.md "The causes". The cause
// table (causes.go) joins each to its cause; nothing writes to them after init.

var okTexts = entry{
	title: func(f Findings) string {
		if notInstalled(f) {
			return "Spotify is reachable, but the app is not installed"
		}
		return "Spotify is reachable"
	},
	short: func(f Findings) string {
		if notInstalled(f) {
			return "reachable, app not installed"
		}
		return "reachable"
	},
	summary: func(f Findings) string {
		s := "Spotify's servers are reachable from this computer: they accept connections and their HTTPS comes with a genuine certificate."
		if notInstalled(f) {
			s += notInstalledSummary(*f.Install)
		}
		return s
	},
	steps: func(f Findings, o osName) []string {
		if notInstalled(f) {
			return installSteps(o)
		}
		security := "check your security software's program rules (its firewall's application list) and allow Spotify there."
		if len(f.Suites) > 0 {
			security = "check the program rules of " + listed(f.Suites) + " (" + orDefault(suitePlacesWords(f.Suites), "its firewall's application list") + ") and allow Spotify there."
		}
		return []string{
			"If the Spotify app still shows an error, the network is not the cause and spotwatch found no rule against the app: quit Spotify completely and start it again.",
			"If it still fails, " + security,
			"Then sign out of Spotify (click your profile picture > Log out) and sign in again.",
			"If that does not help, reinstall Spotify cleanly: " + reinstallHow.on(o),
		}
	},
}

var degradedTexts = entry{
	title: always("Spotify works, partly degraded"),
	short: func(f Findings) string {
		parts := strings.Join(mapEach(f.Parts, func(p string) string { return degradedPart(p).short }), ", ")
		switch {
		case len(f.Parts) == 0:
			return "degraded"
		case len(parts) > 30:
			return "degraded: " + strconv.Itoa(len(f.Parts)) + " problems"
		}
		return "degraded: " + parts
	},
	summary: func(f Findings) string {
		switch len(f.Parts) {
		case 0:
			return "Spotify works, but part of the way to it is impaired."
		case 1:
			d := degradedPart(f.Parts[0])
			return "Spotify works, but " + d.says + d.so + "."
		}
		return "Spotify works, but " + joinAnd(mapEach(f.Parts, func(p string) string { return degradedPart(p).says })) + "."
	},
	steps: func(f Findings, _ osName) []string {
		if len(f.Parts) == 0 {
			return []string{degradedPart("").step}
		}
		return mapEach(f.Parts, func(p string) string { return degradedPart(p).step })
	},
}

var noNetworkTexts = entry{
	title:   always("Not connected to a network"),
	short:   always("not connected to a network"),
	summary: always("This computer has no network connection: no interface has an internet address, or there is no default route."),
	steps: func(_ Findings, o osName) []string {
		return []string{
			connectHow.on(o),
			airplaneHow.on(o),
			"If it still does not connect, restart this computer and your router (unplug the router, wait 30 seconds, and plug it back in).",
		}
	},
}

var captivePortalTexts = entry{
	title: always("Sign in to this network"),
	short: always("sign in to the network"),
	summary: func(f Findings) string {
		if f.PortalURL == "" {
			return "This network shows a sign-in page instead of the internet."
		}
		return "This network sends web requests to a sign-in page at " + f.PortalURL + "."
	},
	steps: func(f Findings, o osName) []string {
		open := "Open a web browser and go to http://neverssl.com: the network's sign-in page appears instead; sign in or accept its terms."
		if f.PortalURL != "" {
			open = "Open a web browser and go to " + f.PortalURL + " (or http://neverssl.com), the network's sign-in page, and sign in or accept its terms."
		}
		return []string{
			open,
			portalPromptHow.on(o),
			"If a VPN or a custom DNS server is on, turn it off until you have signed in: the sign-in page cannot load through them.",
			"Start Spotify again once the browser opens other sites.",
		}
	},
}

var internetDownTexts = entry{
	title:   always("No internet connection"),
	short:   always("no internet"),
	summary: always("This computer is connected to a network, but nothing on the internet answers, neither by address nor by name."),
	steps: func(_ Findings, o osName) []string {
		return []string{
			reconnectHow.on(o),
			"Check whether other devices on the same network can open websites: if none can, the problem is your router or your internet provider.",
			stepRestartRouter,
			"If the internet is still down after the restart, call your internet provider.",
		}
	},
}

var dnsDownTexts = entry{
	title: always("DNS is not working"),
	short: always("DNS not answering"),
	summary: func(f Findings) string {
		return "Sites answer by IP address, but " + resolverName(f.Resolver) + " " + dnsDownVerb(f.Failure) + "."
	},
	steps: func(_ Findings, o osName) []string {
		return []string{
			flushDNS.on(o),
			stepRestartRouter,
			"If it still fails, use another DNS server such as 1.1.1.1 and 8.8.8.8: " + dnsServerHow.on(o),
		}
	},
}

var hostsFileTexts = entry{
	title: always("Your hosts file blocks Spotify"),
	short: always("blocked by your hosts file"),
	summary: func(f Findings) string {
		return hostsSummary(f)
	},
	steps: func(f Findings, o osName) []string {
		file := hostsFileOf(f, o)
		return []string{
			hostsOpen(file, firstLine(f), o),
			hostsDelete(f, o),
			flushDNS.on(o),
			"If an ad blocker or a \"Spotify blocker\" program added these lines, remove or reconfigure it too, or it will write them again.",
		}
	},
}

var appBlockedTexts = entry{
	title: func(f Findings) string {
		if len(f.AppRules) == 0 {
			return "Something on this computer blocks the Spotify app"
		}
		return orDefault(f.AppRules[0].Product, "A rule") + " blocks the Spotify app"
	},
	short: func(f Findings) string {
		switch {
		case len(f.AppRules) > 0:
			return "blocked by " + orDefault(f.AppRules[0].Product, "a rule against the app")
		case f.Product != "": // a Diagnosis' Product alone, as the tray has it from an older daemon
			return "blocked by " + f.Product
		}
		return "app blocked on this computer"
	},
	summary: func(f Findings) string {
		if len(f.AppRules) == 0 {
			s := "The Spotify app runs, but its connections"
			if l := listed(f.Stalled); l != "" {
				s += " (" + l + ")"
			}
			return s + " go unanswered while Spotify's servers are reachable from this computer: something blocks the app itself."
		}
		rules := make([]string, 0, len(f.AppRules))
		for _, r := range f.AppRules {
			rules = append(rules, appRuleWords(r))
		}
		return capitalize(listed(rules)) + ", while Spotify's servers are reachable from this computer."
	},
	steps: func(f Findings, o osName) []string {
		var steps []string
		for _, r := range f.AppRules {
			steps = appendUnique(steps, appRuleFix(r, o))
		}
		if len(f.AppRules) == 0 {
			steps = append(steps, firewallHow.on(o))
		}
		if s := suitesStep(f.Suites); s != "" {
			steps = append(steps, s)
		} else if len(f.AppRules) == 0 {
			steps = append(steps, antivirusSteps("")...)
		}
		return append(steps, "Quit Spotify completely and start it again.")
	},
}

var appInstallBrokenTexts = entry{
	title: always("The Spotify installation is broken"),
	short: always("broken Spotify installation"),
	summary: func(f Findings) string {
		s := "Spotify's servers are reachable from this computer, but the Spotify app installed here is broken"
		if f.Install == nil {
			return s + "."
		}
		s = "Spotify's servers are reachable from this computer, but the Spotify app installed here (" + installWords(*f.Install) + ") is broken"
		if len(f.Install.Problems) > 0 {
			s += ": " + strings.Join(f.Install.Problems, "; ")
		}
		return s + "."
	},
	steps: func(f Findings, o osName) []string {
		var in AppInstall
		if f.Install != nil {
			in = *f.Install
		}
		var steps []string
		full := func(p string) bool { return strings.Contains(p, "MB free") }
		if slices.ContainsFunc(in.Problems, full) {
			steps = append(steps, perOS{
				linux:   "Free space on the disk holding Spotify's cache (at least a few hundred MB): empty the Trash, remove files you no longer need; `df -h` shows what is free.",
				windows: "Free space on the drive holding Spotify's cache (at least a few hundred MB): Settings > System > Storage, or empty the Recycle Bin.",
				darwin:  "Free space on the disk holding Spotify's cache (at least a few hundred MB): Apple menu > System Settings > General > Storage, or empty the Trash.",
			}.on(o))
		}
		if len(in.Problems) > 0 && !slices.ContainsFunc(in.Problems, func(p string) bool { return !full(p) }) {
			return append(steps, "Quit Spotify completely and start it again.") // only the disk: no reinstall
		}
		return append(steps, reinstallSteps(in.Kind, o)...)
	},
}

// installWords name an installation: "Flatpak at /var/lib/flatpak/app/com.spotify.Client/current/active, version 1.2.53.440".
func installWords(in AppInstall) string {
	s := orDefault(in.Kind, "Spotify")
	if in.Path != "" {
		s += " at " + in.Path
	}
	if in.Version != "" {
		s += ", version " + in.Version
	}
	return s
}

// reinstallSteps remove and reinstall Spotify the way it was installed.
func reinstallSteps(kind string, o osName) []string {
	quit := "Quit Spotify completely."
	switch kind {
	case "Flatpak":
		return []string{quit, "Reinstall the Flatpak: `flatpak uninstall com.spotify.Client && flatpak install flathub com.spotify.Client`.",
			"If it still fails, its broken files are in ~/.var/app/com.spotify.Client, which the uninstall keeps: remove them too with `flatpak uninstall --delete-data com.spotify.Client` before installing again (you log in again)."}
	case "snap":
		return []string{quit, "Reinstall the snap: `sudo snap remove spotify && sudo snap install spotify`."}
	case "deb":
		return []string{quit, "Reinstall the package: `sudo apt-get install --reinstall spotify-client`.", "If it still fails, move ~/.config/spotify and ~/.cache/spotify aside and start Spotify again (you log in again)."}
	case "Microsoft Store":
		return []string{quit, "Open Settings > Apps > Installed apps > Spotify > Advanced options and click Repair; if Spotify still fails, click Reset (you log in again).", "If that does not help, uninstall Spotify there and install it again from the Microsoft Store."}
	case "desktop":
		return []string{quit, "Uninstall Spotify from Settings > Apps > Installed apps.", "Delete the folder %APPDATA%\\Spotify (type it in File Explorer's address bar) and %LOCALAPPDATA%\\Spotify.", "Download Spotify again from spotify.com/download and install it."}
	}
	return []string{perOS{
		linux:   quit + " Reinstall Spotify the way you installed it (for a tarball: download it again and replace the old folder), after moving ~/.config/spotify and ~/.cache/spotify aside.",
		windows: quit + " Uninstall Spotify from Settings > Apps, delete the folder %APPDATA%\\Spotify, and install it again from spotify.com/download.",
		darwin:  quit + " Move Spotify.app from Applications to the Trash, delete ~/Library/Caches/com.spotify.client and ~/Library/Application Support/Spotify, then download Spotify again from spotify.com/download and install it.",
	}.on(o)}
}

// appRuleWords describe one rule against the app: "OpenSnitch rule 'deny-spotify' in
// /etc/opensnitchd/rules/deny-spotify.json denies /usr/share/spotify/spotify".
func appRuleWords(r AppRule) string {
	in := ""
	if r.Where != "" {
		in = " in " + r.Where
	}
	switch r.Product {
	case "Flatpak":
		return "a Flatpak override" + in + " takes the network from " + orDefault(r.Target, "com.spotify.Client")
	case "snap":
		return "the spotify snap's network plug is disconnected"
	case "firejail":
		return "the firejail profile" + in + " starts Spotify without network"
	}
	s := orDefault(r.Product, "a rule")
	if r.Name != "" {
		s += " rule '" + r.Name + "'"
	}
	if r.Where != "" {
		s += " in " + r.Where
	}
	target := orDefault(r.Target, "Spotify")
	switch strings.ToLower(r.Action) {
	case "no network":
		return s + " takes the network from " + target
	case "deny":
		return s + " denies " + target
	case "reject":
		return s + " rejects " + target
	}
	return s + " blocks " + target
}

// appRuleFix is the step that removes one rule against the app, written for its product.
func appRuleFix(r AppRule, o osName) string {
	where := ""
	if r.Where != "" {
		where = " in " + r.Where
	}
	name := ""
	if r.Name != "" {
		name = " '" + r.Name + "'"
	}
	switch r.Product {
	case "OpenSnitch":
		return "OpenSnitch rule" + name + where + ": delete it or change its action to allow (OpenSnitch's window > Rules, " +
			"or edit the file and restart the daemon with `sudo systemctl restart opensnitch`)."
	case "Flatpak":
		reset := "`flatpak override --user --reset com.spotify.Client`"
		if strings.HasPrefix(r.Where, "/var/lib/") {
			reset = "`sudo flatpak override --reset com.spotify.Client`"
		}
		return "Flatpak override" + where + " removes the network from Spotify: " + reset + " (or give it back with Flatseal: Network on)."
	case "snap":
		return "The spotify snap's network plug is disconnected: `sudo snap connect spotify:network`."
	case "firejail":
		return "firejail profile" + where + " starts Spotify without network: remove the `net none` line from it (or start Spotify without firejail)."
	case "Windows Defender Firewall":
		return "Windows Defender Firewall blocks " + orDefault(r.Target, "Spotify.exe") + " (rule" + orDefault(name, " for Spotify") + "): " +
			"Settings > Privacy & security > Windows Security > Firewall & network protection > Allow an app through firewall, " +
			"click Change settings and tick Spotify for Private and Public; then disable or delete the rule in " +
			"Windows Defender Firewall with Advanced Security > Outbound Rules."
	}
	fix := "remove the rule or change it to allow Spotify."
	if o == osDarwin && (r.Product == "LuLu" || r.Product == "Little Snitch") {
		fix = "open " + r.Product + "'s rules, find Spotify and change its rule to Allow (or delete it)."
	}
	return orDefault(r.Product, "A rule") + name + where + " blocks " + orDefault(r.Target, "Spotify") + ": " + fix
}

// withSuites appends the step naming the security suites installed, if any, to steps.
func withSuites(steps []string, suites []string) []string {
	if s := suitesStep(suites); s != "" {
		return append(steps, s)
	}
	return steps
}

// suitesStep asks to add Spotify as an exception in the security suites installed, by name; ""
// when none is known.
func suitesStep(suites []string) string {
	if len(suites) == 0 {
		return ""
	}
	where := "look in its firewall's program or application rules for Spotify"
	if p := suitePlacesWords(suites); p != "" {
		where += " (" + p + ")"
	}
	return "Add Spotify as a trusted exception (allowed application) in " + listed(suites) +
		": " + where + " and set it to allow, then start Spotify again."
}

var dnsFailureTexts = entry{
	title: func(f Findings) string {
		if f.Product != "" {
			return "Your DNS server (" + f.Product + ") will not resolve Spotify"
		}
		return "Your DNS server cannot find Spotify"
	},
	short: func(f Findings) string {
		if f.Product != "" {
			return "blocked by " + f.Product
		}
		return "DNS cannot find Spotify"
	},
	summary: func(f Findings) string {
		return capitalize(resolverName(f.Resolver)) + " " + dnsFailureVerb(f.Failure, spotifyNames(f)) + "; " + publicAnswer(f.PublicAddrs) + "."
	},
	steps: func(f Findings, o osName) []string {
		if f.Product != "" { // a filtering rule in a resolver someone runs, not a broken one
			return []string{
				allowInFilter(f.Product),
				"On a work or school network, ask IT why their DNS server (" + f.Product + ") does not resolve " + spotifyDomains + ".",
				"Or, if the network allows it, use another DNS server such as 1.1.1.1 and 8.8.8.8: " + dnsServerHow.on(o),
				flushDNS.on(o),
			}
		}
		return []string{
			flushDNS.on(o),
			stepRestartRouter,
			"If it still fails, use another DNS server such as 1.1.1.1 and 8.8.8.8: " + dnsServerHow.on(o),
			"On a work or school network, ask IT why their DNS server does not resolve " + spotifyDomains + ".",
		}
	},
}

var dnsFilteredTexts = entry{
	title: func(f Findings) string { return orDefault(f.Product, "A DNS filter") + " blocks Spotify" },
	short: func(f Findings) string { return "blocked by " + orDefault(f.Product, "your DNS filter") },
	summary: func(f Findings) string {
		answer := orDefault(listed(f.SystemAddrs), "a blocking address")
		return capitalize(resolverName(f.Resolver)) + " answers " + answer + " for " + spotifyNames(f) + "; " + publicAnswer(f.PublicAddrs) + "."
	},
	steps: func(f Findings, o osName) []string {
		return []string{
			allowInFilter(f.Product),
			"On a work or school network, ask IT to whitelist Spotify (" + spotifyDomains + ") in their DNS filter.",
			"Or, if the network allows it, use another DNS server such as 1.1.1.1 and 8.8.8.8: " + dnsServerHow.on(o),
			flushDNS.on(o),
		}
	},
}

var proxyBlockedTexts = entry{
	title: func(f Findings) string {
		if f.Product != "" {
			return "Your network's " + f.Product + " proxy refuses Spotify"
		}
		return "Your proxy blocks Spotify"
	},
	short:   func(f Findings) string { return "blocked by " + orDefault(f.Product, "your") + " proxy" },
	summary: proxySummary,
	steps: func(f Findings, o osName) []string {
		ask := "If your network needs this proxy (work or school), ask IT to let Spotify through it: " + spotifyWildcards + "."
		if f.Product != "" {
			ask = "Your network's " + f.Product + " proxy refuses Spotify: ask whoever runs it to allow .spotify.com, .scdn.co and .spotifycdn.com."
		}
		steps := proxyRemove(f.Proxy, o)
		return append(steps,
			ask,
			"Quit Spotify completely and start it again.",
		)
	},
}

var firewallRejectTexts = entry{
	title: func(f Findings) string {
		switch {
		case f.Product != "":
			return f.Product + " blocks Spotify"
		case f.Failure == failure.PermissionDenied:
			return "This computer's firewall blocks Spotify"
		}
		return "A firewall blocks Spotify"
	},
	short: func(f Findings) string { return "blocked by " + orDefault(f.Product, "a firewall") },
	summary: func(f Findings) string {
		return "Connections to Spotify" + parenthesized(f.Endpoints) + " " + connectVerb(f.Failure, "are rejected") + " while other sites answer."
	},
	steps: func(f Findings, o osName) []string {
		return append(withSuites(antivirusSteps(f.Product), f.Suites),
			firewallHow.on(o),
			"The block may also be on the network itself, as on many work and school networks. "+stepHotspot,
		)
	},
}

var firewallDropTexts = entry{
	title: func(f Findings) string {
		if f.Product != "" {
			return f.Product + " blocks Spotify"
		}
		return "A firewall silently blocks Spotify"
	},
	short: func(f Findings) string { return "blocked by " + orDefault(f.Product, "a firewall") },
	summary: func(f Findings) string {
		return "Connections to Spotify" + parenthesized(f.Endpoints) + " " + connectVerb(f.Failure, "time out") + " while other sites answer."
	},
	steps: func(f Findings, o osName) []string {
		return append(withSuites(antivirusSteps(f.Product), f.Suites),
			firewallHow.on(o),
			stepHotspot,
			stepAskIT,
		)
	},
}

var sniFilteredTexts = entry{
	title: always("A network filter blocks Spotify by name"),
	short: always("blocked by a network filter"),
	summary: func(f Findings) string {
		return "Secure connections naming " + spotifyHosts(f) + " " + sniVerb(f.Failure) + ", while the same server answers to another name."
	},
	steps: func(_ Findings, _ osName) []string {
		return []string{
			stepHotspot,
			"If Spotify works on the hotspot, this network filters Spotify by name: ask its IT administrator, or whoever runs its parental controls, to allow " + spotifyDomains + ".",
			"If it also fails on the hotspot, security software on this computer is filtering: temporarily turn off its web protection, and if Spotify then connects, add Spotify as an exception and turn protection back on.",
		}
	},
}

var tlsInterceptedTexts = entry{
	title: func(f Findings) string {
		return orDefault(f.Product, "Something") + " is intercepting Spotify's HTTPS"
	},
	short: func(f Findings) string {
		if f.Product == "" {
			return "HTTPS intercepted"
		}
		return "HTTPS intercepted by " + f.Product
	},
	summary: func(f Findings) string {
		cert := "Spotify's certificate"
		if names := spotifyHostsOrEmpty(f); names != "" {
			cert = "The certificate for " + names
		}
		switch {
		case f.Issuer != "":
			return cert + " is issued by \"" + f.Issuer + "\", not by a public certificate authority."
		case f.Product != "":
			return cert + " is issued by " + f.Product + ", not by a public certificate authority."
		}
		return cert + " is not issued by a public certificate authority: something re-signs Spotify's HTTPS."
	},
	steps: func(f Findings, _ osName) []string {
		return interceptionSteps(f.Product)
	},
}

var blockPageTexts = entry{
	title: func(f Findings) string { return orDefault(f.Product, "A web filter") + " blocks Spotify" },
	short: func(f Findings) string { return "blocked by " + orDefault(f.Product, "a web filter") },
	summary: func(f Findings) string {
		page := "A block page"
		switch {
		case f.Product != "":
			page = aOrAn(f.Product) + " " + f.Product + " block page"
		case f.PageTitle != "":
			page = "A block page (\"" + f.PageTitle + "\")"
		}
		target := spotifyHostsOrEmpty(f)
		switch {
		case listed(f.SystemAddrs) != "":
			return capitalize(resolverName(f.Resolver)) + " sends " + spotifyNames(f) + " to " + listed(f.SystemAddrs) +
				", where " + lowerFirst(page) + " answers instead of Spotify; " + publicAnswer(f.PublicAddrs) + "."
		case target == "":
			return page + " answers instead of Spotify."
		}
		return page + " answers for " + target + " instead of Spotify."
	},
	steps: func(f Findings, o osName) []string {
		if listed(f.SystemAddrs) != "" {
			// A filtering resolver sends Spotify's names to its block server: the filter is the
			// network's, and so is the fix; no setting on this computer's HTTPS would help.
			return []string{
				orDefault(f.Product, "A web filter") + " on this network answers Spotify's names with the address of its block page. " + stepHotspot,
				blockPageAsk(f.Product),
				"Or, if the network allows it, use another DNS server such as 1.1.1.1 and 8.8.8.8: " + dnsServerHow.on(o),
				flushDNS.on(o),
			}
		}
		return []string{
			orDefault(f.Product, "A web filter") + " on this network blocks Spotify. " + stepHotspot,
			blockPageAsk(f.Product),
		}
	},
}

// lowerFirst lowercases the first letter of s ("A block page" → "a block page").
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

var vpnBlockedTexts = entry{
	title: func(f Findings) string {
		if f.VPN == "" {
			return "Your VPN blocks Spotify"
		}
		return "Your VPN (" + f.VPN + ") blocks Spotify"
	},
	short: always("blocked through your VPN"),
	summary: func(f Findings) string {
		vpn := "your VPN"
		if f.VPN != "" {
			vpn += " " + f.VPN
		}
		return "Connections to Spotify" + parenthesized(f.Endpoints) + " fail through " + vpn + ", which carries this computer's internet traffic."
	},
	steps: func(f Findings, o osName) []string {
		return []string{
			vpnDisconnect(f.VPN, o),
			"If you need the VPN, split-tunnel Spotify: exclude Spotify in the VPN app's split tunnelling settings, or connect to another server, since Spotify blocks some VPN servers.",
			"If it is a work VPN, ask IT to split-tunnel Spotify or to allow it through the VPN.",
		}
	},
}

var spotifyOutageTexts = entry{
	title: always("Spotify's servers are having problems"),
	short: always("Spotify outage"),
	summary: func(f Findings) string {
		servers := "Spotify's servers"
		if h := spotifyHostsOrEmpty(f); h != "" {
			servers += " (" + h + ")"
		}
		return servers + " " + outageVerb(f) + " while the way to them shows no interference."
	},
	steps: func(_ Findings, _ osName) []string {
		return []string{
			"Nothing on your side needs fixing: wait; spotwatch checks again and tells you when Spotify answers.",
			stepStatus,
			"Do not reinstall Spotify or change network settings for this: it cannot help while Spotify's servers fail.",
		}
	},
}

var unknownTexts = entry{
	title: always("Something blocks Spotify"),
	short: always("blocked, cause unclear"),
	summary: func(f Findings) string {
		s := "Spotify fails"
		if what := failureWords(f.Failure); what != "" {
			s += " with " + what
		}
		if where := listed(f.Endpoints); where != "" {
			s += " at " + where
		}
		return s + " while the internet works, and no known cause fits the evidence."
	},
	steps: func(f Findings, o osName) []string {
		return append(withSuites([]string{
			"If a VPN is on, disconnect it and start Spotify again.",
			"Temporarily turn off your antivirus or security software and start Spotify; if it connects, add Spotify as a trusted exception and turn protection back on.",
		}, f.Suites),
			flushDNS.on(o),
			stepRestartRouter,
			stepHotspot,
			stepAskIT,
			stepStatus,
			"If nothing else helped, reinstall Spotify cleanly: "+reinstallHow.on(o),
		)
	},
}

// internalErrorTexts describe a check that failed inside spotwatch (CauseInternalError): not a
// diagnosis of the network, so the same on every OS.
var internalErrorTexts = entry{
	title: always("spotwatch could not run this check"),
	short: always("spotwatch could not check"),
	summary: always("spotwatch ran out of file descriptors, memory or socket buffers on this computer, so its probes could not open connections: " +
		"this check measured nothing about the network and gives no verdict."),
	steps: func(_ Findings, _ osName) []string {
		return []string{
			"Check again in a minute: the shortage may have passed.",
			"If it lasts, restart spotwatch; if other programs fail too, close the ones you do not need or restart the computer.",
		}
	},
}

// Steps and texts several causes share.

const (
	spotifyDomains   = "spotify.com, scdn.co and spotifycdn.com"
	spotifyWildcards = "*.spotify.com, *.scdn.co and *.spotifycdn.com"

	stepRestartRouter = "Restart your router: unplug it, wait 30 seconds, and plug it back in."
	stepHotspot       = "Try your phone's mobile hotspot: connect this computer to it and start Spotify. If Spotify works there, the block is on this network, not on this computer."
	stepAskIT         = "On a work or school network, ask your IT administrator to whitelist Spotify: outgoing TCP ports 4070, 443 and 80 to " + spotifyWildcards + "."
	stepStatus        = "Check whether Spotify is down for everyone: @SpotifyStatus on X (https://x.com/SpotifyStatus), Spotify's status page https://status.spotify.dev, and https://downdetector.com/status/spotify/."
)

// osName is the OS a fix is written for.
type osName int

const (
	osLinux osName = iota
	osWindows
	osDarwin
)

func osOf(goos string) osName {
	switch goos {
	case "windows":
		return osWindows
	case "darwin":
		return osDarwin
	}
	return osLinux
}

// perOS is a text that differs by OS.
type perOS struct{ windows, darwin, linux string }

func (p perOS) on(o osName) string {
	switch o {
	case osWindows:
		return p.windows
	case osDarwin:
		return p.darwin
	}
	return p.linux
}

var flushDNS = perOS{
	windows: "Flush the DNS cache: open Command Prompt and run `ipconfig /flushdns`.",
	darwin:  "Flush the DNS cache: open Terminal and run `sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder`.",
	linux: "Flush the DNS cache: run `sudo resolvectl flush-caches` (on older systems `sudo systemd-resolve --flush-caches`); " +
		"if you use nscd or dnsmasq, restart it too: `sudo systemctl restart nscd` or `sudo systemctl restart dnsmasq`.",
}

// dnsServerHow completes "use another DNS server such as 1.1.1.1 and 8.8.8.8: ".
var dnsServerHow = perOS{
	windows: "open Settings > Network & internet > Wi-Fi (or Ethernet) > Hardware properties > DNS server assignment > Edit, " +
		"choose Manual, turn on IPv4, enter 1.1.1.1 as preferred and 8.8.8.8 as alternate DNS, and Save.",
	darwin: "open System Settings > Network > Wi-Fi (or Ethernet) > Details > DNS, add 1.1.1.1 and 8.8.8.8 with the + button, " +
		"remove the old servers with the - button, and click OK.",
	linux: "with NetworkManager, find the connection's name with `nmcli connection show --active`, then run " +
		"`nmcli connection modify \"<name>\" ipv4.dns \"1.1.1.1 8.8.8.8\" ipv4.ignore-auto-dns yes` and `nmcli connection up \"<name>\"`; " +
		"with systemd-resolved alone, run `sudo resolvectl dns <interface> 1.1.1.1 8.8.8.8`.",
}

// reinstallHow completes "reinstall Spotify cleanly: ".
var reinstallHow = perOS{
	windows: "quit it, uninstall it in Settings > Apps > Installed apps (Windows 10: Apps & features), delete the folders " +
		"%APPDATA%\\Spotify and %LOCALAPPDATA%\\Spotify (paste each into File Explorer's address bar), " +
		"then install the latest version from https://www.spotify.com/download.",
	darwin: "quit it, drag Spotify from Applications to the Trash, delete ~/Library/Application Support/Spotify and " +
		"~/Library/Caches/com.spotify.client (Finder > Go > Go to Folder), then install the latest version from https://www.spotify.com/download.",
	linux: "quit it and remove it the way it was installed (`sudo apt remove spotify-client`, `sudo snap remove spotify` or " +
		"`flatpak uninstall com.spotify.Client`), delete ~/.config/spotify and ~/.cache/spotify (Snap: ~/snap/spotify; " +
		"Flatpak: ~/.var/app/com.spotify.Client), then install it again from https://www.spotify.com/download/linux/.",
}

var connectHow = perOS{
	windows: "Check that Wi-Fi is on and connected (the network icon at the right of the taskbar), or that the network cable is plugged in at both ends.",
	darwin:  "Click the Wi-Fi icon in the menu bar and join your network, or check that the network cable is plugged in at both ends.",
	linux: "Connect to Wi-Fi from your desktop's network menu, or check that the network cable is plugged in at both ends; " +
		"in a terminal, `nmcli device status` shows each device's state and `nmcli device wifi connect \"<network name>\" --ask` joins a Wi-Fi network.",
}

var airplaneHow = perOS{
	windows: "Turn Airplane mode off: Settings > Network & internet > Airplane mode.",
	darwin:  "Open System Settings > Network to see which connection is active and what is wrong with it.",
	linux:   "Turn airplane mode off in the desktop's network menu, or unblock the radios with `sudo rfkill unblock all`.",
}

var reconnectHow = perOS{
	windows: "Turn Wi-Fi off and on again from the network icon on the taskbar, or unplug and replug the network cable.",
	darwin:  "Turn Wi-Fi off and on again from the Wi-Fi icon in the menu bar, or unplug and replug the network cable.",
	linux:   "Reconnect: run `nmcli networking off && nmcli networking on`, or turn Wi-Fi off and on in the desktop's network menu.",
}

var portalPromptHow = perOS{
	windows: "Windows may offer the page itself: click the network icon on the taskbar, then Open browser and connect under your network.",
	darwin:  "macOS usually opens the sign-in window by itself when you join the network; if it closed, open any http:// page in Safari.",
	linux:   "GNOME and KDE usually open a Hotspot Login window by themselves; if not, open any http:// page in a browser.",
}

var firewallHow = perOS{
	windows: "Check Windows Defender Firewall: open Windows Security > Firewall & network protection > Allow an app through firewall, " +
		"click Change settings and tick Spotify for Private and Public (Allow another app adds %APPDATA%\\Spotify\\Spotify.exe if it is missing); " +
		"also look in Windows Defender Firewall with Advanced Security > Outbound Rules for a rule that blocks Spotify and disable it.",
	darwin: "Check the firewalls on this Mac: in System Settings > Network > Firewall > Options, Spotify must not be set to block connections, " +
		"and an outbound firewall such as Little Snitch or LuLu must have a rule allowing Spotify.",
	linux: "Check this computer's firewall for rules blocking outgoing traffic: `sudo ufw status verbose` " +
		"(allow Spotify with `sudo ufw allow out 4070/tcp` and `sudo ufw allow out 443/tcp`), `sudo firewall-cmd --list-all` for firewalld, " +
		"or `sudo nft list ruleset` for other rules.",
}

// spotifyPrefs is where Spotify keeps its settings, including network.proxy.*.
var spotifyPrefs = perOS{
	windows: "%APPDATA%\\Spotify\\prefs",
	darwin:  "~/Library/Application Support/Spotify/prefs",
	linux:   "~/.config/spotify/prefs",
}

var spotifySettingsHow = perOS{
	windows: "on the login screen, Settings at the bottom; signed in, your profile picture > Settings",
	darwin:  "on the login screen, Settings at the bottom; signed in, Spotify > Settings in the menu bar",
	linux:   "on the login screen, Settings at the bottom; signed in, your profile picture > Settings",
}

var systemProxyHow = perOS{
	windows: "Settings > Network & internet > Proxy: under Manual proxy setup turn Use a proxy server off (or correct the address), and turn Use setup script off unless your network needs it.",
	darwin:  "System Settings > Network > Wi-Fi (or Ethernet) > Details > Proxies: turn off the proxies you do not need (or correct the address) and click OK.",
	linux:   "GNOME Settings > Network > Network Proxy > Off (or `gsettings set org.gnome.system.proxy mode 'none'`), or KDE System Settings > Network > Proxy > No proxy.",
}

// vpnDisconnect is the step that turns the VPN off, naming the interface when it is known.
func vpnDisconnect(vpn string, o osName) string {
	switch o {
	case osWindows:
		return "Disconnect the VPN in its app (or Settings > Network & internet > VPN), then start Spotify again."
	case osDarwin:
		return "Disconnect the VPN in its app (or System Settings > VPN), then start Spotify again."
	}
	iface := orDefault(vpn, "<interface>")
	cmd := "`nmcli device disconnect " + iface + "`"
	if strings.HasPrefix(vpn, "wg") || vpn == "" {
		cmd += ", or for WireGuard `sudo wg-quick down " + iface + "`"
	}
	return "Disconnect the VPN in its app or the desktop's network menu (" + cmd + "), then start Spotify again."
}

// antivirusSteps are the support article's first fix: turn security software off to confirm,
// then add Spotify as an exception.
func antivirusSteps(product string) []string {
	who := orDefault(product, "your antivirus or security software")
	return []string{
		"Temporarily turn off " + who + " (its firewall and web protection), then start Spotify and see whether it connects.",
		"If Spotify connects with it off, add Spotify as a trusted exception (allowed application) in " + orDefault(product, "that software") + ", then turn protection back on.",
	}
}

// interceptionSteps tell how to stop name's HTTPS inspection from breaking Spotify.
func interceptionSteps(name string) []string {
	p := productNamed(name)
	exempt := "ask IT to exempt " + spotifyWildcards + " from HTTPS (SSL) inspection."
	switch p.kind.changer() {
	case changerUser:
		first := "Turn off HTTPS scanning in " + name + " for Spotify, or add an exception: look for HTTPS, SSL or encrypted connection scanning in its web protection settings."
		if p.setting != "" {
			first = "Turn off HTTPS scanning in " + name + " for Spotify, or add an exception: " + p.setting + "."
		}
		return []string{
			first,
			"If you cannot find the setting, temporarily turn " + name + " off to confirm, then add Spotify as a trusted exception and turn it back on.",
		}
	case changerIT:
		return []string{
			"This is your organisation's HTTPS inspection (" + name + "): " + exempt,
			stepHotspot,
		}
	}
	return []string{
		"Check your antivirus or security software for HTTPS, SSL or encrypted connection scanning (often part of web protection) and turn it off for Spotify or add an exception.",
		"If it is your work or school network that inspects HTTPS, " + exempt,
		stepHotspot,
	}
}

// allowInFilter is the step that allowlists Spotify in a DNS filter, for the named one when known.
func allowInFilter(name string) string {
	switch p := productNamed(name); {
	case p.kind.changer() == changerOwner && p.setting != "":
		return "Allow Spotify in " + name + ": " + p.setting + "."
	case p.kind.changer() == changerIT:
		return "Ask the IT administrator who runs " + name + " to allow Spotify (" + spotifyDomains + ")."
	}
	return "Allow Spotify (" + spotifyDomains + ") in the DNS filter that blocks it: in Pi-hole under Domains, " +
		"in AdGuard Home under Filters > Custom filtering rules (`@@||spotify.com^`), in NextDNS under Allowlist, " +
		"or in your router's parental controls."
}

// blockPageAsk is the step that gets Spotify allowed in the web filter that showed a block page.
func blockPageAsk(name string) string {
	p := productNamed(name)
	switch {
	case p.kind.changer() == changerOwner && p.setting != "":
		return "If you run " + name + ", allow Spotify there: " + p.setting + ". Otherwise ask whoever runs it."
	case p.kind.changer() == changerIT:
		return "Ask your IT administrator to allow Spotify (" + spotifyDomains + ") in " + name + "."
	}
	return "Ask whoever runs " + orDefault(name, "the filter") + " (IT at work or school, the parental-control owner at home) to allow Spotify: " + spotifyDomains + "."
}

// degraded is what one degraded part means and what to do about it.
type degraded struct {
	short string // for ShortCause
	says  string // for the summary
	so    string // its consequence, added to the summary when it is the only part
	step  string // the fix step
}

func degradedPart(part string) degraded {
	p := strings.ToLower(part)
	switch {
	case strings.Contains(p, "4070"):
		return degraded{
			short: "port 4070 blocked",
			says:  "port 4070 is blocked",
			so:    ", so it falls back to port 443",
			step:  "Nothing to do: Spotify uses port 443 when port 4070 is blocked, which can only slow its start. If you run the firewall, allow outgoing TCP port 4070.",
		}
	case strings.Contains(p, "ipv6"):
		return degraded{
			short: "no IPv6",
			says:  "the IPv6 path is broken",
			so:    ", so it connects over IPv4",
			step:  "Nothing to do for Spotify: it connects over IPv4. If other sites are slow to open too, restart your router (unplug it, wait 30 seconds, plug it back in) and ask your internet provider about IPv6 if it persists.",
		}
	case strings.Contains(p, "slow"):
		return degraded{
			short: "slow",
			says:  "connections to it are slow",
			step:  "Spotify may be slow to start or to skip. Pause large downloads, move closer to the Wi-Fi router or use a cable, and restart the router (unplug it, wait 30 seconds, plug it back in) if it stays slow.",
		}
	}
	d := degraded{
		short: "partly impaired",
		says:  "part of the way to it is impaired",
		step:  "Usually nothing to do: Spotify still connects. If it misbehaves, restart your router: unplug it, wait 30 seconds, and plug it back in.",
	}
	if part != "" {
		d.short = part + " impaired"
		d.says = part + " is impaired"
	}
	return d
}

// Hosts-file texts.

func hostsSummary(f Findings) string {
	if len(f.HostsEntries) == 0 {
		return "Your hosts file maps " + spotifyNames(f) + " to a wrong address."
	}
	file := ""
	if fl := f.HostsEntries[0].File; fl != "" {
		file = " " + fl
	}
	var names, addrs, lines []string
	for _, e := range f.HostsEntries {
		names = appendUnique(names, orDefault(e.Name, "a Spotify name"))
		addrs = appendUnique(addrs, orDefault(e.Addr, "a wrong address"))
		if e.Line > 0 {
			lines = append(lines, strconv.Itoa(e.Line))
		}
	}
	switch {
	case len(f.HostsEntries) == 1 && len(lines) == 1:
		return "Your hosts file" + file + " line " + lines[0] + " maps " + names[0] + " to " + addrs[0] + "."
	case len(lines) == 0:
		return "Your hosts file" + file + " maps " + listed(names) + " to " + listed(addrs) + "."
	}
	return "Your hosts file" + file + " maps " + listed(names) + " to " + listed(addrs) + " (" + plural(len(lines), "line", "lines") + " " + listed(lines) + ")."
}

func hostsFileOf(f Findings, o osName) string {
	if len(f.HostsEntries) > 0 && f.HostsEntries[0].File != "" {
		return f.HostsEntries[0].File
	}
	if o == osWindows {
		return "C:\\Windows\\System32\\drivers\\etc\\hosts"
	}
	return "/etc/hosts"
}

func firstLine(f Findings) int {
	for _, e := range f.HostsEntries {
		if e.Line > 0 {
			return e.Line
		}
	}
	return 0
}

// hostsOpen is the step that opens the hosts file in an editor with administrator rights.
func hostsOpen(file string, line int, o osName) string {
	if o == osWindows {
		return "Open Notepad as administrator (press Start, type Notepad, right-click it and choose Run as administrator), " +
			"then choose File > Open, paste " + file + " into File name and press Enter."
	}
	quoted := file
	if strings.ContainsAny(file, " '\"") {
		quoted = "'" + strings.ReplaceAll(file, "'", `'\''`) + "'"
	}
	at := ""
	if line > 0 {
		at = "+" + strconv.Itoa(line) + " "
	}
	if o == osDarwin {
		return "Open Terminal and run `sudo nano " + at + quoted + "`."
	}
	return "Open the file as root: run `sudo nano " + at + quoted + "` (or `sudoedit " + quoted + "`)."
}

// hostsDelete is the step that removes the offending lines and saves the file.
func hostsDelete(f Findings, o osName) string {
	save := "then save with Ctrl+O, Enter, and quit with Ctrl+X."
	find := "(Ctrl+W searches in nano)"
	if o == osWindows {
		save = "then save with Ctrl+S."
		find = "(Ctrl+F searches, Ctrl+G jumps to a line)"
	}
	var lines []string
	for _, e := range f.HostsEntries {
		if e.Line <= 0 {
			continue
		}
		l := "line " + strconv.Itoa(e.Line)
		if e.Addr != "" && e.Name != "" {
			l += " (`" + e.Addr + " " + e.Name + "`)"
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return "Delete every line that mentions spotify, scdn.co or spotifycdn, or put # at the start of each " + find + ", " + save
	}
	what := listed(lines)
	if len(lines) > maxListed {
		what = strings.Join(lines[:maxListed], ", ") + " and the " + strconv.Itoa(len(lines)-maxListed) + " other lines that mention spotify"
	}
	return "Delete " + what + ", or put # at the start of each " + find + ", " + save
}

// Proxy texts.

// proxySource is where a proxy setting was found.
type proxySource int

const (
	proxyElsewhere proxySource = iota
	proxyPrefs                 // Spotify's own prefs file
	proxyEnv                   // an environment variable
	proxySystem                // the OS proxy settings (WinINET/WinHTTP, macOS, GNOME/KDE)
)

// whereProxy reads Proxy.Source: the kind of place, plus the prefs path or the variable name.
func whereProxy(p *Proxy) (proxySource, string) {
	if p == nil {
		return proxyElsewhere, ""
	}
	src := strings.TrimSpace(p.Source)
	lower := strings.ToLower(src)
	switch {
	case strings.HasPrefix(lower, "windows proxy settings"), strings.HasPrefix(lower, "macos proxy settings"):
		// monitor/probe's system proxy; checked first, since the setup script's URL it may
		// name can contain "prefs" or "_proxy" too.
		return proxySystem, ""
	case strings.Contains(lower, "prefs"):
		if i := strings.Index(lower, "prefs "); i >= 0 {
			return proxyPrefs, strings.TrimSpace(src[i+len("prefs "):])
		}
		if strings.ContainsAny(src, `/\`) {
			return proxyPrefs, src
		}
		return proxyPrefs, ""
	case strings.Contains(lower, "environment") || strings.Contains(lower, "_proxy"):
		for _, w := range strings.Fields(src) {
			w = strings.Trim(w, `"'$%(),:;`)
			if strings.HasSuffix(strings.ToLower(w), "_proxy") {
				return proxyEnv, w
			}
		}
		return proxyEnv, ""
	case strings.Contains(lower, "wininet"), strings.Contains(lower, "winhttp"), strings.Contains(lower, "system"),
		strings.Contains(lower, "internet options"), strings.Contains(lower, "gsettings"), strings.Contains(lower, "gnome"),
		strings.Contains(lower, "kde"), strings.Contains(lower, "network settings"), strings.Contains(lower, "scutil"):
		return proxySystem, ""
	}
	return proxyElsewhere, ""
}

func proxySummary(f Findings) string {
	s := "A proxy"
	if p := f.Proxy; p != nil {
		s = "Your proxy"
		if p.URL != "" {
			s += " " + p.URL
		}
		where, detail := whereProxy(p)
		switch where {
		case proxyPrefs:
			if detail != "" {
				s += " (set in Spotify's prefs " + detail + ")"
			} else {
				s += " (set in Spotify's proxy settings)"
			}
		case proxyEnv:
			if detail != "" {
				s += " (set by the " + detail + " environment variable)"
			} else {
				s += " (set by an environment variable)"
			}
		case proxySystem:
			s += " (set in the system proxy settings)"
		default:
			if p.Source != "" {
				s += " (set in " + p.Source + ")"
			}
		}
	}
	return s + " " + proxyVerb(f) + "."
}

func proxyVerb(f Findings) string {
	switch {
	case f.Status == 407:
		return "asks Spotify for a proxy login (HTTP 407)"
	case f.Status != 0:
		return "refuses Spotify with HTTP " + strconv.Itoa(f.Status)
	}
	switch f.Failure {
	case failure.ProxyRefused, failure.ConnectionRefused:
		return "does not accept connections"
	case failure.GenericTimeout:
		return "does not answer"
	case failure.HostUnreachable, failure.NetworkUnreachable:
		return "cannot be reached"
	case failure.DNSNXDomain, failure.DNSNoData, failure.DNSServFail, failure.DNSRefused, failure.DNSTimeout:
		return "cannot be found: its name does not resolve"
	case failure.ConnectionReset, failure.EOFError:
		return "cuts Spotify's connections off"
	}
	return "does not let Spotify through"
}

// proxyRemove are the steps that remove or correct the proxy where it is set.
func proxyRemove(p *Proxy, o osName) []string {
	where, detail := whereProxy(p)
	switch where {
	case proxyPrefs:
		prefs := orDefault(detail, spotifyPrefs.on(o))
		return []string{
			"In Spotify, open Settings (" + spotifySettingsHow.on(o) + "), go to Proxy settings and set Proxy type to No proxy, or correct the address if you need this proxy.",
			"If Spotify will not open its settings, quit it, open " + prefs + " in a text editor, delete the lines that start with network.proxy, and save.",
		}
	case proxyEnv:
		v := orDefault(detail, "HTTPS_PROXY")
		switch o {
		case osWindows:
			return []string{"Remove the " + v + " environment variable: press Start, type environment variables, open Edit environment variables for your account, " +
				"select " + v + " and click Delete, then OK (a system-wide variable is under Edit the system environment variables, as administrator)."}
		case osDarwin:
			return []string{"Remove the line that sets " + v + " from your shell startup files (~/.zshrc, ~/.zprofile, ~/.bash_profile), " +
				"run `launchctl unsetenv " + v + "` in case it was set for apps, then log out and back in."}
		}
		return []string{"Remove the line that sets " + v + " from ~/.profile, ~/.bashrc, /etc/environment or ~/.config/environment.d/, " +
			"then log out and back in; to test at once, run `unset " + v + "` and start Spotify from that terminal."}
	case proxySystem:
		steps := []string{"Turn the system proxy off or correct it: " + systemProxyHow.on(o)}
		if o == osWindows && p != nil && strings.Contains(strings.ToLower(p.Source), "winhttp") {
			steps = append(steps, "Reset the WinHTTP proxy: in a Command Prompt run as administrator, run `netsh winhttp reset proxy`.")
		}
		return steps
	}
	return []string{
		"Find where the proxy is set and remove or correct it: Spotify's Settings > Proxy settings, or the HTTP_PROXY and HTTPS_PROXY environment variables.",
		"Check the system proxy too: " + systemProxyHow.on(o),
	}
}

// Evidence phrases.

// resolverName names the DNS server that was asked, without the usual port.
func resolverName(r string) string {
	r = strings.TrimSuffix(r, ":53")
	if r == "" || r == "system" {
		return "your DNS server"
	}
	return "your DNS server " + strings.Trim(r, "[]")
}

func dnsDownVerb(f string) string {
	switch f {
	case failure.DNSTimeout:
		return "does not answer at all"
	case failure.DNSServFail:
		return "fails every lookup (SERVFAIL)"
	case failure.DNSRefused:
		return "refuses every lookup"
	}
	return "resolves no name at all"
}

func dnsFailureVerb(f, names string) string {
	switch f {
	case failure.DNSNXDomain:
		return "answers \"no such domain\" for " + names
	case failure.DNSNoData:
		return "answers with no address for " + names
	case failure.DNSServFail:
		return "fails (SERVFAIL) for " + names
	case failure.DNSRefused:
		return "refuses lookups of " + names
	case failure.DNSTimeout:
		return "does not answer for " + names
	}
	return "cannot resolve " + names
}

func publicAnswer(addrs []string) string {
	if len(addrs) == 0 {
		return "a public resolver answers correctly"
	}
	return "a public resolver gives " + listed(addrs)
}

func connectVerb(f, otherwise string) string {
	switch f {
	case failure.ConnectionRefused:
		return "are refused"
	case failure.ConnectionReset:
		return "are reset"
	case failure.PermissionDenied:
		return "are blocked by this computer's firewall"
	case failure.HostUnreachable, failure.NetworkUnreachable:
		return "are rejected as unreachable"
	case failure.EOFError:
		return "are cut off"
	case failure.GenericTimeout:
		return "time out"
	}
	return otherwise
}

func sniVerb(f string) string {
	switch f {
	case failure.ConnectionReset:
		return "are reset"
	case failure.EOFError:
		return "are cut off"
	case failure.GenericTimeout:
		return "get no answer"
	}
	return "fail"
}

func outageVerb(f Findings) string {
	switch {
	case f.Status != 0:
		return "answer with HTTP " + strconv.Itoa(f.Status)
	case f.Failure == failure.EOFError || f.Failure == failure.ConnectionReset:
		return "close connections at once"
	case f.Failure == failure.GenericTimeout:
		return "do not answer"
	}
	return "fail"
}

// failureWords puts a failure string in words for a sentence, or "" when there is none.
func failureWords(f string) string {
	if s, ok := strings.CutPrefix(f, failure.HTTPStatusPrefix); ok {
		return "HTTP " + s
	}
	words := map[string]string{
		failure.ConnectionRefused:     "refused connections",
		failure.ConnectionReset:       "reset connections",
		failure.HostUnreachable:       "host unreachable",
		failure.NetworkUnreachable:    "network unreachable",
		failure.PermissionDenied:      "permission denied",
		failure.GenericTimeout:        "timeouts",
		failure.EOFError:              "connections closed early",
		failure.DNSNXDomain:           "no such domain",
		failure.DNSNoData:             "no address",
		failure.DNSServFail:           "DNS server failures",
		failure.DNSRefused:            "refused DNS lookups",
		failure.DNSTimeout:            "DNS timeouts",
		failure.DNSBogon:              "blocking DNS answers",
		failure.SSLUnknownAuthority:   "an untrusted certificate",
		failure.SSLInvalidHostname:    "a certificate for the wrong name",
		failure.SSLInvalidCertificate: "an invalid certificate",
		failure.SSLNotTLS:             "an answer that is not TLS",
		failure.HTTPUnexpectedBody:    "an unexpected answer",
		failure.ProxyRefused:          "a proxy refusal",
	}
	if w, ok := words[f]; ok {
		return w
	}
	if f == "" {
		return ""
	}
	return "an unexpected error"
}

// spotifyNames lists the affected Spotify names, or says "Spotify's names".
func spotifyNames(f Findings) string {
	return orDefault(listed(f.Names), "Spotify's names")
}

// spotifyHosts lists the affected names, or the failed endpoints, or says "Spotify".
func spotifyHosts(f Findings) string {
	return orDefault(spotifyHostsOrEmpty(f), "Spotify")
}

// spotifyHostsOrEmpty lists the affected names, else the host names of the failed endpoints.
func spotifyHostsOrEmpty(f Findings) string {
	if names := listed(f.Names); names != "" {
		return names
	}
	var hosts []string
	for _, ep := range f.Endpoints {
		hosts = appendUnique(hosts, hostOf(ep))
	}
	return listed(hosts)
}

// hostOf is the host name of an endpoint given as a URL or host:port.
func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" && u.Hostname() != "" {
		return u.Hostname()
	}
	if host, _, err := net.SplitHostPort(endpoint); err == nil && host != "" {
		return host
	}
	return endpoint
}

// Text helpers.

const maxListed = 3

// listed joins items as "a", "a and b", "a, b and c", "a, b, c and 2 more"; empty items are skipped.
func listed(items []string) string {
	var xs []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			xs = append(xs, it)
		}
	}
	if n := len(xs); n > maxListed {
		return strings.Join(xs[:maxListed], ", ") + " and " + strconv.Itoa(n-maxListed) + " more"
	}
	return joinAnd(xs)
}

// joinAnd joins all items as "a", "a and b", "a, b and c".
func joinAnd(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// parenthesized is " (a, b and c)", or "" for an empty list.
func parenthesized(items []string) string {
	if s := listed(items); s != "" {
		return " (" + s + ")"
	}
	return ""
}

func always(s string) func(Findings) string {
	return func(Findings) string { return s }
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func mapEach(xs []string, fn func(string) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, fn(x))
	}
	return out
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// aOrAn is "An" before a vowel sound (roughly: a vowel letter), else "A".
func aOrAn(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

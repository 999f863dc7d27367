package winfw

import (
	"strings"

	"github.com/spotwatch/spotwatch/internal/safetext"
)

// MaxSuites is how many security products ParseSuites keeps.
const MaxSuites = 16

// suitesScript prints the displayName of every antivirus and firewall product registered in
// Windows Security Center (WMI's root\SecurityCenter2), one a line, in UTF-8. Security Center is
// missing on Windows Server, where the script fails.
const suitesScript = `[Console]::OutputEncoding=[Text.Encoding]::UTF8; $ErrorActionPreference='Stop'; ` +
	`foreach ($c in 'AntiVirusProduct','FirewallProduct') { ` +
	`Get-CimInstance -Namespace root/SecurityCenter2 -ClassName $c | Select-Object -ExpandProperty displayName }`

// ParseSuites parses suitesScript's output: one product name a line (a byte order mark, CR and
// surrounding spaces ignored). Names are cleaned with safetext.Clean, blank lines dropped, and a
// name seen before (in any case: a suite with its own firewall is listed under both classes) is
// kept once, in the order first seen, at most MaxSuites. All products are listed, Windows
// Defender too: what to make of them is the fix's business.
func ParseSuites(out string) []string {
	out = strings.TrimPrefix(out, "\ufeff")
	var names []string
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		name := safetext.Clean(line)
		key := strings.ToLower(name)
		if name == "" || seen[key] {
			continue
		}
		seen[key] = true
		names = append(names, name)
		if len(names) == MaxSuites {
			break
		}
	}
	return names
}

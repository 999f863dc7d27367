package winfw

import (
	"strings"

	"github.com/spotwatch/spotwatch/internal/safetext"
)

// MaxSuites is how many security products ParseSuites keeps.
const MaxSuites = 16

// ParseSuites parses the output of SecuritySuites' PowerShell script (suitesScript): one product name a line (a byte order mark, CR and
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

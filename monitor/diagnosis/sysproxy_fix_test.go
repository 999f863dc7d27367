package diagnosis

import (
	"strings"
	"testing"
)

// TestFixSystemProxySource: the system proxy sources monitor/probe writes, setup script
// included, get the OS's proxy settings page as the fix, whatever the script's URL contains.
func TestFixSystemProxySource(t *testing.T) {
	for _, tt := range []struct {
		source string
		os     osName
		want   string
	}{
		{"Windows proxy settings (Internet Options)", osWindows, "Settings > Network & internet > Proxy"},
		{"Windows proxy settings (Internet Options), setup script http://pac.corp/prefs_proxy.pac", osWindows, "Settings > Network & internet > Proxy"},
		{"macOS proxy settings (scutil --proxy)", osDarwin, "System Settings > Network"},
		{"macOS proxy settings (scutil --proxy), setup script http://pac.corp/environment.pac", osDarwin, "System Settings > Network"},
	} {
		p := &Proxy{URL: "http://corp:8080", Source: tt.source}
		if where, _ := whereProxy(p); where != proxySystem {
			t.Errorf("whereProxy(%q) = %v, want proxySystem", tt.source, where)
		}
		steps := strings.Join(proxyRemove(p, tt.os), "\n")
		if !strings.Contains(steps, tt.want) {
			t.Errorf("%q: steps %q do not name %q", tt.source, steps, tt.want)
		}
		if sum := proxySummary(Findings{Proxy: p}); !strings.Contains(sum, "system proxy settings") {
			t.Errorf("%q: summary %q", tt.source, sum)
		}
	}
}

//go:build darwin

package probe

import (
	"fmt"
	"time"

	"github.com/spotwatch/spotwatch/internal/macfw"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// defaultWindowsRules is this OS's reader for FactsSource.WindowsRules: only Windows has them.
func defaultWindowsRules() ([]diagnosis.AppRule, []string, error) { return nil, nil, nil }

// defaultConnections is this OS's reader for FactsSource.Connections: not read on macOS yet.
func defaultConnections() *diagnosis.AppConnections { return nil }

// osAppRules reads macOS's application firewalls under src.AppRoot (internal/macfw): LuLu's
// rules against Spotify where spotwatch may read them (as root), and which of LuLu and Little
// Snitch are installed, as the suites the fix names. Little Snitch's own rules are encrypted.
func osAppRules(src FactsSource, _ func(string) string) ([]diagnosis.AppRule, []string, []error) {
	r, err := macfw.Read(src.AppRoot, time.Now())
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("reading the application firewalls' rules for Spotify: %w", err))
	}
	return cleanRules(r.Rules), r.Installed, errs
}

//go:build windows

package probe

import (
	"github.com/spotwatch/spotwatch/internal/appconn"
	"github.com/spotwatch/spotwatch/internal/winfw"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// defaultWindowsRules reads Windows Defender Firewall's rules against Spotify (internal/winfw:
// the registry, read-only, no admin). The security suites are not asked here: that starts
// PowerShell, too slow for every check.
func defaultWindowsRules() ([]diagnosis.AppRule, []string, error) {
	rules, err := winfw.SpotifyRules()
	return rules, nil, err
}

// defaultConnections reads the running Spotify app's TCP connections (internal/appconn:
// GetExtendedTcpTable with owning processes).
func defaultConnections() *diagnosis.AppConnections {
	c := appconn.Snapshot("")
	return &c
}

// osAppRules: no rule files are read on this OS; Windows' firewall rules come through
// FactsSource.WindowsRules.
func osAppRules(FactsSource, func(string) string) ([]diagnosis.AppRule, []error) { return nil, nil }

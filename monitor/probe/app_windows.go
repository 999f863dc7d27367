//go:build windows

package probe

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spotwatch/spotwatch/internal/appconn"
	"github.com/spotwatch/spotwatch/internal/winfw"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// defaultWindowsRules reads Windows Defender Firewall's rules against Spotify (internal/winfw:
// the registry, read-only, no admin). The security suites come from osAppRules' cache.
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

// osAppRules returns the security suites registered in Windows Security Center, from the cache
// file in the user's local application data (%LOCALAPPDATA%\spotwatch, read through getenv),
// which asks PowerShell at most every 6 hours (winfw.SuitesCache): the first check after that
// waits for it, about 1.7 s under wine. Windows Defender Firewall's rules come through
// FactsSource.WindowsRules. With src.AppRoot set (a test's machine), or no %LOCALAPPDATA%,
// Security Center is not asked.
func osAppRules(src FactsSource, getenv func(string) string) ([]diagnosis.AppRule, []string, []error) {
	local := getenv("LOCALAPPDATA")
	if src.AppRoot != "" || local == "" {
		return nil, nil, nil
	}
	cache := winfw.SuitesCache{Path: filepath.Join(local, "spotwatch", "security-center.json"), Lookup: winfw.SecuritySuites}
	suites, err := cache.Suites(context.Background())
	if err != nil {
		return nil, suites, []error{fmt.Errorf("reading the security suites installed: %w", err)}
	}
	return nil, suites, nil
}

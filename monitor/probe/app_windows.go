//go:build windows

package probe

import (
	"context"
	"fmt"
	"os"
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
// file in the user's cache folder (%LOCALAPPDATA%\spotwatch), which asks PowerShell at most every
// 6 hours (winfw.SuitesCache); Windows Defender Firewall's rules come through
// FactsSource.WindowsRules. With src.AppRoot set (a test's machine) Security Center is not asked.
func osAppRules(src FactsSource, _ func(string) string) ([]diagnosis.AppRule, []string, []error) {
	if src.AppRoot != "" {
		return nil, nil, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil, nil, []error{fmt.Errorf("finding the cache folder for Security Center's products: %w", err)}
	}
	cache := winfw.SuitesCache{Path: filepath.Join(dir, "spotwatch", "security-center.json"), Lookup: winfw.SecuritySuites}
	suites, err := cache.Suites(context.Background())
	if err != nil {
		return nil, suites, []error{fmt.Errorf("reading the security suites installed: %w", err)}
	}
	return nil, suites, nil
}

package probe

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// defaultWindowsRules is this OS's reader for FactsSource.WindowsRules: Linux has none.
func defaultWindowsRules() ([]diagnosis.AppRule, []string, error) { return nil, nil, nil }

// defaultConnections is this OS's reader for FactsSource.Connections. internal/appconn reads the
// app's sockets from /proc, but it is not wired in on Linux yet: the checks of every test would
// then see whatever "spotify" process runs on the machine, so it waits for the lab scenario
// that runs a stand-in app next to the check.
func defaultConnections() *diagnosis.AppConnections { return nil }

// snapTimeout bounds `snap connections spotify`: snapd may be slow or hang.
const snapTimeout = 3 * time.Second

// osAppRules reads the Linux rules against Spotify: OpenSnitch's rules, the Flatpak's overrides,
// the snap's network plug and firejail's profiles. Files are read under src.AppRoot; the snap is
// asked only on the real machine, when /snap/bin/spotify exists.
func osAppRules(src FactsSource, getenv func(string) string) ([]diagnosis.AppRule, []error) {
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	var rules []diagnosis.AppRule
	var errs []error
	add := func(r []diagnosis.AppRule, err error) {
		rules = append(rules, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(readOpenSnitch(src.AppRoot))
	add(readFlatpak(src.AppRoot, home))
	if src.AppRoot == "" {
		add(readSnap())
	}
	add(readFirejail(src.AppRoot, home))
	return rules, errs
}

// readSnap asks snapd whether the spotify snap's network plug is connected, if the snap is
// installed.
func readSnap() ([]diagnosis.AppRule, error) {
	if _, err := os.Stat("/snap/bin/spotify"); err != nil {
		return nil, nil
	}
	snap := "/usr/bin/snap"
	if _, err := os.Stat(snap); err != nil {
		snap = filepath.Join("/snap", "bin", "snap")
	}
	ctx, cancel := context.WithTimeout(context.Background(), snapTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, snap, "connections", "spotify").Output()
	if err != nil {
		return nil, nil // snapd not answering is no evidence either way
	}
	if !snapNetworkDisconnected(out) {
		return nil, nil
	}
	return []diagnosis.AppRule{{Product: "snap", Where: "snap connections spotify", Action: "no network", Target: "spotify"}}, nil
}

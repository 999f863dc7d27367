package probe

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spotwatch/spotwatch/internal/appconn"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// defaultWindowsRules is this OS's reader for FactsSource.WindowsRules: Linux has none.
func defaultWindowsRules() ([]diagnosis.AppRule, []string, error) { return nil, nil, nil }

// defaultConnections reads the running Spotify app's TCP connections from /proc
// (internal/appconn), counting only the processes in spotwatch's own network namespace.
func defaultConnections() *diagnosis.AppConnections {
	c := appconn.SnapshotHere("")
	return &c
}

// snapTimeout bounds `snap connections spotify`: snapd may be slow or hang.
const snapTimeout = 3 * time.Second

// osAppRules reads the Linux rules against Spotify: OpenSnitch's rules, the Flatpak's overrides,
// the snap's network plug and firejail's profiles. Files are read under src.AppRoot; the snap is
// asked only on the real machine, when /snap/bin/spotify exists.
// Linux has no registry of security products: the suites are none.
func osAppRules(src FactsSource, getenv func(string) string) ([]diagnosis.AppRule, []string, []error) {
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
	return rules, nil, errs
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

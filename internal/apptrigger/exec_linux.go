//go:build linux

package apptrigger

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/spotwatch/spotwatch/internal/filewatch"
)

// startReads are when, after the app's executable was opened, the process list is read for
// the app: the exec that opened the file has finished by the first as a rule, a launcher's
// chain (snap, flatpak) by the last. Three reads: appconn.Presence reads a new process's name
// for its first three reads only.
func startReads() [3]time.Duration {
	return [3]time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second}
}

// userFlatpak is where a per-user flatpak install puts the app's executable, under a home.
const userFlatpak = ".local/share/flatpak/app/com.spotify.Client/current/active/files/extra/share/spotify/spotify"

// appExecutables lists the Spotify executables on this machine: extra (the configuration's
// spotify.app_executables), then where each way of installing the app puts it, then spotify
// on PATH; each resolved through its links, existing regular files only, each once.
func appExecutables(extra []string) []string {
	candidates := append(slices.Clone(extra),
		"/usr/share/spotify/spotify",                      // Spotify's .deb (/usr/bin/spotify links to it)
		"/opt/spotify/spotify",                            // Arch's AUR package
		"/usr/lib64/spotify-client/spotify",               // Fedora's (negativo17)
		"/snap/spotify/current/usr/share/spotify/spotify", // the snap
		"/var/lib/flatpak/app/com.spotify.Client/current/active/files/extra/share/spotify/spotify", // the flatpak, system-wide
	)
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, userFlatpak))
	}
	// A system daemon follows every user's flatpak.
	if homes, err := filepath.Glob(filepath.Join("/home", "*", userFlatpak)); err == nil {
		candidates = append(candidates, homes...)
	}
	if onPath, err := exec.LookPath("spotify"); err == nil {
		candidates = append(candidates, onPath)
	}
	var found []string
	for _, c := range candidates {
		real, err := filepath.EvalSymlinks(c)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() || slices.Contains(found, real) {
			continue
		}
		found = append(found, real)
	}
	return found
}

// watchProcesses follows the app without a session bus. Where its executable is found, the
// app's start is the kernel telling that the file was opened (running a program opens it:
// filewatch.Opens), so a watcher waiting for the app wakes for nothing else; elsewhere the
// process list is read every ProcessPoll. Either way the process list says whether the app
// runs (an open is a hint: the file may only have been read), and it is read every
// ProcessPoll while the app runs, to see it quit. The executables are looked for again every
// Rescan, and at once when a watched folder goes away.
func watchProcesses(ctx context.Context, running chan bool, emit func(Event), opts Options) {
	was := opts.Present()
	setRunning(running, was)
	for ctx.Err() == nil {
		was = followProcesses(ctx, was, running, emit, opts)
	}
}

// followProcesses is one stretch of watchProcesses, with the executables found at its start,
// until the next Rescan or until a watched folder goes away. It returns whether the app runs.
func followProcesses(ctx context.Context, was bool, running chan bool, emit func(Event), opts Options) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var opened <-chan struct{}
	if exes := opts.executables(); len(exes) > 0 {
		var err error
		if opened, err = filewatch.Opens(ctx, exes); err != nil {
			opts.Logger.Warn("cannot watch the Spotify app's executable: its start is seen from the process list", "executables", exes, "err", err, "every", opts.ProcessPoll)
		} else {
			opts.Logger.Debug("the Spotify app's start is seen from its executable being run", "executables", exes)
		}
	} else {
		opts.Logger.Debug("no Spotify executable found: the app's start is seen from the process list", "every", opts.ProcessPoll)
	}
	rescan := time.NewTimer(opts.Rescan)
	defer rescan.Stop()
	var (
		poll  *time.Ticker
		pollC <-chan time.Time
	)
	// The process list is polled while the app runs (to see it quit) and where no open tells
	// its start.
	setPoll := func(on bool) {
		switch {
		case on && poll == nil:
			poll = time.NewTicker(opts.ProcessPoll)
			pollC = poll.C
		case !on && poll != nil:
			poll.Stop()
			poll, pollC = nil, nil
		}
	}
	defer setPoll(false)
	for {
		setPoll(was || opened == nil)
		var now bool
		seen := "process list"
		select {
		case <-ctx.Done():
			return was
		case <-rescan.C:
			return was
		case _, ok := <-opened:
			if !ok {
				return was // a folder went away: look for the executables again
			}
			if was {
				continue // the app's own helpers run from its executable
			}
			now, seen = presentSoon(ctx, opts.Present), "executable run"
		case <-pollC:
			now = opts.Present()
		}
		if now && !was {
			opts.Logger.Info("the Spotify app started", "seen", seen)
			emit(Event{Reason: ReasonStarted, Detail: seen})
		}
		if !now && was {
			opts.Logger.Info("the Spotify app quit", "seen", "process list")
		}
		if now != was {
			setRunning(running, now)
		}
		was = now
	}
}

// presentSoon reads the process list at each of startReads after an open of the app's
// executable, until the app is there; false when it never is (the file was only read).
func presentSoon(ctx context.Context, present func() bool) bool {
	start := time.Now()
	for _, at := range startReads() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Until(start.Add(at))):
		}
		if present() {
			return true
		}
	}
	return false
}

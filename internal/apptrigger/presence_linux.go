//go:build linux

package apptrigger

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/spotwatch/spotwatch/internal/appconn"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// MPRISName is the name the Spotify desktop app takes on the session bus while it runs.
const MPRISName = "org.mpris.MediaPlayer2.spotify"

// processPoll is how often the process list is read without a session bus (a system daemon; a
// user's session has the bus, and its event) while the app runs, to see it quit, and, where no
// executable of the app is found, to see it start (within 10 s). A read lists /proc and reads
// the names of the processes new since the last (BenchmarkPresence in internal/appconn).
const processPoll = 10 * time.Second

// defaultFind lists the Spotify processes in spotwatch's network namespace with their
// connections (others have another network, see appconn.SnapshotHere).
func defaultFind() diagnosis.AppConnections { return appconn.SnapshotHere("") }

// newDefaultPresent is the cheap process-list read: Spotify's process name in this network
// namespace, no sockets, and only the new processes' names (appconn.Presence).
func newDefaultPresent() func() bool {
	p := appconn.NewPresence("")
	return func() bool {
		ok, _ := p.Running()
		return ok
	}
}

// socketsReader lists the sockets of known Spotify processes.
func socketsReader() func([]int) []uint64 {
	return func(pids []int) []uint64 { return appconn.Sockets("", pids) }
}

// defaultConns reads the connections of known Spotify processes.
func defaultConns(pids []int) diagnosis.AppConnections { return appconn.SnapshotPIDs("", pids) }

// watchPresence follows the app's MPRIS name on the session bus; without a bus it follows the
// app's executable being run (watchProcesses).
func watchPresence(ctx context.Context, running chan bool, emit func(Event), opts Options) {
	if addr := sessionBus(opts.Bus); addr != "" {
		err := watchMPRIS(ctx, addr, running, emit, opts)
		if err == nil || ctx.Err() != nil {
			return
		}
		opts.Logger.Warn("the session bus failed: the Spotify app is followed without it", "err", err)
	}
	watchProcesses(ctx, running, emit, opts)
}

// sessionBus is the session bus's address: given ("none": no bus), DBUS_SESSION_BUS_ADDRESS, or systemd's
// $XDG_RUNTIME_DIR/bus if it exists; "" when there is none. Never autolaunched: a daemon
// must not start a bus of its own.
func sessionBus(given string) string {
	if given == "none" {
		return ""
	}
	if given != "" {
		return given
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		path := filepath.Join(dir, "bus")
		if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + path
		}
	}
	return ""
}

// watchMPRIS waits for NameOwnerChanged signals of MPRISName on a private connection to the
// bus at addr (a shared one would be closed under the tray's feet, see docs/design.md "The
// tray and notifications"). It returns when ctx is done (nil) or the connection fails.
func watchMPRIS(ctx context.Context, addr string, running chan bool, emit func(Event), opts Options) error {
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("connecting to the session bus: %w", err)
	}
	defer conn.Close()
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchArg(0, MPRISName)); err != nil {
		return fmt.Errorf("watching %s on the session bus: %w", MPRISName, err)
	}
	// Asked after the match is in place, so a start in between is not missed.
	var has bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, MPRISName).Store(&has); err != nil {
		return fmt.Errorf("asking the session bus for %s: %w", MPRISName, err)
	}
	setRunning(running, has)
	opts.Logger.Debug("watching the Spotify app's MPRIS name", "name", MPRISName, "running", has)
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig, ok := <-signals:
			if !ok {
				return fmt.Errorf("the session bus connection closed")
			}
			name, owner, ok := nameOwnerChanged(sig)
			if !ok || name != MPRISName {
				continue
			}
			if owner == "" {
				opts.Logger.Info("the Spotify app quit", "seen", "session bus")
				setRunning(running, false)
				continue
			}
			opts.Logger.Info("the Spotify app started", "seen", "session bus", "owner", owner)
			setRunning(running, true)
			emit(Event{Reason: ReasonStarted, Detail: "session bus"})
		}
	}
}

// nameOwnerChanged reads a NameOwnerChanged signal: the name and its new owner ("" = gone).
func nameOwnerChanged(sig *dbus.Signal) (name, owner string, ok bool) {
	if sig == nil || sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
		return "", "", false
	}
	name, ok1 := sig.Body[0].(string)
	owner, ok2 := sig.Body[2].(string)
	return name, owner, ok1 && ok2
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/svc"
	"github.com/spotwatch/spotwatch/tray"
)

// exitNotRunning is `status`'s exit status when no daemon answers (as LSB's "program is not running").
const exitNotRunning = 3

// runStatus is `spotwatch status`: asks the daemon for its state (and history).
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the daemon's state as JSON")
	withHistory := fs.Bool("history", false, "also print the history of state changes")
	limit := fs.Int("limit", 20, "how many history entries to show")
	system := fs.Bool("system", false, "ask the system-wide daemon")
	user := fs.Bool("user", false, "ask the daemon of the user running this")
	configPath := fs.String("config", "", "configuration `FILE` (for api.socket)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: spotwatch status [--json] [--history] [--user|--system]\n\nAsks the running spotwatch daemon for Spotify's state (the user's daemon, else the system's) and\nsays whether the service is installed and running. Exit status 3 when no daemon runs.\n\n")
		printFlags(fs)
	}
	if status, ok := parseArgs(fs, args, stderr); !ok {
		return status
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return exitUsage
	}
	if *user && *system {
		fmt.Fprintln(stderr, "spotwatch status: --user and --system exclude each other")
		return exitUsage
	}
	var scope svc.Scope
	switch {
	case *system:
		scope = svc.System
	case *user:
		scope = svc.User
	}
	services := serviceReports(ctx, scope)
	sockets, err := statusSockets(cfg.API.Socket, scope)
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: %v\n", err)
		return exitInternal
	}
	client := statusapi.NewClient(sockets...) // the first trusted daemon that answers
	st, err := client.Status(ctx)
	if errors.Is(err, statusapi.ErrNoDaemon) {
		if !*asJSON {
			writeServices(stdout, services)
		}
		fmt.Fprintf(stderr, "spotwatch: %v; 'spotwatch check' works without one\n", err)
		return exitNotRunning
	}
	if err != nil {
		fmt.Fprintf(stderr, "spotwatch: asking the daemon: %v\n", err)
		return exitInternal
	}
	var records []history.Record
	if *withHistory {
		if records, err = client.History(ctx, *limit); err != nil {
			fmt.Fprintf(stderr, "spotwatch: reading the history: %v\n", err)
			return exitInternal
		}
	}
	if *asJSON {
		out, err := statusJSON(st, records, services)
		if err != nil {
			fmt.Fprintf(stderr, "spotwatch: encoding the status: %v\n", err)
			return exitInternal
		}
		stdout.Write(out)
		return exitOK
	}
	writeServices(stdout, services)
	writeStatus(stdout, st, time.Now(), isTerminal(stdout))
	if *withHistory {
		writeHistory(stdout, records)
	}
	return exitOK
}

// statusSockets are the sockets `status` asks, in order: api.socket if set; else the scope's
// socket, or without a scope the default scope's and then the other's.
func statusSockets(configured string, scope svc.Scope) ([]string, error) {
	if configured != "" {
		return []string{configured}, nil
	}
	scopes := []svc.Scope{scope}
	if scope == 0 {
		def := svc.DefaultScope(runtime.GOOS)
		scopes = []svc.Scope{def, def.Other()}
	}
	var sockets []string
	for _, s := range scopes {
		paths, err := statusapi.SocketPaths(s == svc.System)
		if err != nil {
			return nil, err
		}
		sockets = append(sockets, paths...)
	}
	return sockets, nil
}

// statusJSON is what `status --json` prints: the daemon's status object with the history and
// the service reports added to it. monitor.Status has a JSON encoding of its own (it adds the
// diagnosis' product and short phrase), which a struct embedding it would inherit, losing its
// other fields; so the status is encoded alone and the other fields are joined to that object.
func statusJSON(st monitor.Status, records []history.Record, services []svc.Report) ([]byte, error) {
	status, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	more, err := json.Marshal(struct {
		History []history.Record `json:"history,omitempty"`
		Service []svc.Report     `json:"service"`
	}{records, services})
	if err != nil {
		return nil, err
	}
	// Both are JSON objects: {status…} and {more…} become {status…,more…}.
	joined := append(append(status[:len(status)-1:len(status)-1], ','), more[1:]...)
	var out bytes.Buffer
	if err := json.Indent(&out, joined, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// writeStatus prints the daemon's state: the diagnosis as `check` prints it, then since when,
// the last check and whether notifications are paused.
func writeStatus(w io.Writer, st monitor.Status, now time.Time, color bool) {
	if st.Cause == diagnosis.CauseChecking {
		fmt.Fprintf(w, "… Checking: the daemon has not finished its first check yet.\n")
		writeStorage(w, st, now)
		return
	}
	writeText(w, st.Result, color)
	fmt.Fprintf(w, "State since %s (%s).", st.Since.Local().Format("Jan 2 15:04"), tray.HumanDuration(now.Sub(st.Since)))
	if !st.LastCheck.IsZero() {
		mode := ""
		if st.Mode == monitor.ModeLight {
			mode = " light" // docs/design.md §6 "Light mode"
		} else if st.Mode == monitor.ModeFull {
			mode = " full"
		}
		fmt.Fprintf(w, " Last%s check %s (%.1f s), %d checks so far.", mode, st.LastCheck.Local().Format("15:04:05"), float64(st.LastCheckMS)/1000, st.Checks)
	}
	fmt.Fprintln(w)
	if st.PendingCause != "" {
		fmt.Fprintf(w, "The last check saw %q; confirming before the state changes.\n", st.PendingCause)
	}
	writeStorage(w, st, now)
	if st.Metered {
		fmt.Fprintf(w, "Metered network: checking every %s while Spotify is reachable (metered_interval).\n", shortDuration(st.MeteredInterval))
	}
	if st.PausedUntil != nil && st.PausedUntil.After(now) {
		fmt.Fprintf(w, "Notifications paused until %s.\n", st.PausedUntil.Local().Format("Jan 2 15:04"))
	}
}

// shortDuration writes d as a configuration would: 15m, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// writeStorage says, when the daemon cannot write its history, what fails and since when.
func writeStorage(w io.Writer, st monitor.Status, now time.Time) {
	if st.Storage == nil {
		return
	}
	fmt.Fprintf(w, "The history cannot be saved since %s (%s): %s. Monitoring goes on; %d state changes are kept in memory and saved once it works again (retried every few seconds).\n",
		st.Storage.Since.Local().Format("Jan 2 15:04"), tray.HumanDuration(now.Sub(st.Storage.Since)), safetext.Terminal(st.Storage.Error), st.Storage.Pending)
}

// writeHistory prints state changes, oldest first; the daemon's text goes through
// safetext.Terminal, as in writeText.
func writeHistory(w io.Writer, records []history.Record) {
	fmt.Fprintf(w, "\nHistory (%d state changes):\n", len(records))
	for _, r := range records {
		line := fmt.Sprintf("  %s  %-16s %s", r.Time.Local().Format("2006-01-02 15:04:05"), safetext.Terminal(r.Cause), safetext.Terminal(r.Title))
		if r.Previous != "" && r.Previous != string(diagnosis.CauseChecking) {
			line += fmt.Sprintf(" (after %s for %s)", safetext.Terminal(r.Previous), tray.HumanDuration(r.Duration))
		}
		fmt.Fprintln(w, line)
	}
}

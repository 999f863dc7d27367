// Package apptrigger tells the monitor when the Spotify app needs a check at once: when the app
// starts, and when its own connections stall. It sends nothing on the network.
//
//   - The app starting is an event where the OS offers one: on Linux the app's MPRIS name
//     (org.mpris.MediaPlayer2.spotify) appearing on the user's session bus, watched with a
//     NameOwnerChanged match, so an idle watcher costs nothing. Without a session bus (a system
//     daemon), and on Windows and macOS, the process list is polled (every ProcessPoll).
//   - While the app runs, its connections are read from the OS's TCP table every ConnPoll
//     (internal/appconn): a connection of the app still in SYN-SENT on two reads in a row has
//     gone unanswered for at least ConnPoll, which no working link explains. On Linux the table
//     (whose every read walks the kernel's whole connection hash) is read only when the app's
//     set of sockets changed or the last read saw a stall; otherwise a poll lists the app's
//     sockets and stops there. Refused connections
//     leave the table at once and cannot be counted from it (see internal/appconn). macOS's
//     table is not read: there the app's start is the only trigger.
//
// The connection trigger fires once per stall (when it begins), and at most once per MinGap: the
// check it sets off, and the monitor's hysteresis and failing schedule, take it from there.
package apptrigger

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// Reasons an Event names.
const (
	ReasonStarted = "app started"            // the Spotify app started
	ReasonStalled = "app connection stalled" // a connection of the app went unanswered
)

// Event asks for a check now, and says why.
type Event struct {
	Reason string
	Detail string // the stalled remotes, or where the start was seen
}

// Defaults of Options.
const (
	DefaultConnPoll = 500 * time.Millisecond
	DefaultMinGap   = 30 * time.Second
	// DefaultRescan is how often, on Linux without a session bus, the watcher looks again for
	// the app's executables: a new install, or a snap or flatpak update that put the
	// executable in a new revision's folder.
	DefaultRescan = 15 * time.Minute
	// pidRefresh is how often, while the app runs, its process list is read again (the app
	// starts helper processes of its own).
	pidRefresh = 5 * time.Second
)

// Options adjust a watch; the zero value is what the daemon uses.
type Options struct {
	Logger      *slog.Logger
	Bus         string        // Linux: the session bus's address; "" = DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus; "none" (or no bus) = poll the process list
	ConnPoll    time.Duration // how often the app's connections are read while it runs; 0 = DefaultConnPoll
	ProcessPoll time.Duration // how often the process list is read where no start event exists; 0 = this OS's (processPoll)
	MinGap      time.Duration // the least time between two connection triggers; 0 = DefaultMinGap

	// Executables are more places of the app's executable, beside the usual ones (Linux
	// without a session bus: the app's start is seen from its executable being run).
	Executables []string
	// Rescan is how often, on Linux without a session bus, the app's executables are looked
	// for again; 0 = DefaultRescan.
	Rescan time.Duration
	// executables finds the app's executables; nil = this OS's (appExecutables on Linux).
	executables func() []string

	// Present reports whether the app runs, for the process-list poll; nil = Find's Running
	// when Find is given, else this OS's reader (Linux: the processes' names only, in this
	// network namespace).
	Present func() bool
	// Find lists the app's processes and their connections; nil = this OS's reader
	// (Linux: those in this network namespace).
	Find func() diagnosis.AppConnections
	// Conns reads the connections of the app's processes pids, cheaply; nil = this OS's reader
	// (none on macOS: the app's connections are not watched there).
	Conns func(pids []int) diagnosis.AppConnections
	// Sockets fingerprints the app's sockets without reading the TCP table (sorted inodes);
	// while it stays the same and no connection stalled, the table is not read. nil = this
	// OS's (Linux: appconn.Sockets; elsewhere none, and the table is read at every poll).
	Sockets func(pids []int) []uint64
}

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ConnPoll <= 0 {
		o.ConnPoll = DefaultConnPoll
	}
	if o.ProcessPoll <= 0 {
		o.ProcessPoll = processPoll
	}
	if o.MinGap <= 0 {
		o.MinGap = DefaultMinGap
	}
	if o.Rescan <= 0 {
		o.Rescan = DefaultRescan
	}
	if o.executables == nil {
		extra := o.Executables
		o.executables = func() []string { return appExecutables(extra) }
	}
	switch {
	case o.Present != nil:
	case o.Find != nil: // a caller's own reader
		find := o.Find
		o.Present = func() bool { return find().Running }
	default:
		o.Present = newDefaultPresent()
	}
	if o.Find == nil {
		o.Find = defaultFind
	}
	if o.Conns == nil {
		o.Conns = defaultConns
		if o.Sockets == nil {
			o.Sockets = socketsReader()
		}
	}
}

// Watch calls emit (from one goroutine at a time) whenever the app needs a check, until ctx is
// done; it returns nil then. It makes no call for an app already running when it starts: the
// caller checks once at start itself.
func Watch(ctx context.Context, emit func(Event), opts Options) error {
	opts.fill()
	running := make(chan bool, 1) // the app's presence, as the start source sees it
	go watchPresence(ctx, running, emit, opts)
	return watchConnections(ctx, running, emit, opts)
}

// setRunning replaces a pending presence value with v: only the latest one matters.
func setRunning(ch chan bool, v bool) {
	select {
	case <-ch:
	default:
	}
	ch <- v
}

// watchConnections reads the app's connections every ConnPoll while it runs, and emits when a
// stall begins.
func watchConnections(ctx context.Context, running chan bool, emit func(Event), opts Options) error {
	var (
		tick    *time.Ticker
		tickC   <-chan time.Time
		pids    []int
		pidsAt  time.Time
		socks   []uint64 // the app's sockets at the last table read
		stall   stallDetector
		lastErr string
	)
	stop := func() {
		if tick != nil {
			tick.Stop()
			tick, tickC = nil, nil
		}
	}
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case on := <-running:
			stop()
			pids, socks, stall = nil, nil, stallDetector{gap: opts.MinGap}
			if on {
				tick = time.NewTicker(opts.ConnPoll)
				tickC = tick.C
			}
			continue
		case <-tickC:
		}
		now := time.Now()
		var c diagnosis.AppConnections
		if pids == nil || now.Sub(pidsAt) >= pidRefresh {
			c = opts.Find()
			pids, pidsAt = slices.Clone(c.PIDs), now
			if pids == nil {
				pids = []int{} // read again only at the next refresh
			}
			if opts.Sockets != nil {
				socks = opts.Sockets(pids)
			}
		} else {
			if opts.Sockets != nil && !stall.previous {
				// Nothing stalled at the last read: a new stall is a new connection, so a new
				// socket. The same sockets need no table read (most of a poll's cost).
				now := opts.Sockets(pids)
				if slices.Equal(now, socks) {
					continue
				}
				socks = now
			}
			c = opts.Conns(pids)
		}
		if c.Note != "" && c.Note != lastErr {
			opts.Logger.Debug("reading the Spotify app's connections", "note", c.Note)
		}
		lastErr = c.Note
		if ev, ok := stall.see(c, now); ok {
			opts.Logger.Info("the Spotify app's connections stall", "remotes", ev.Detail)
			emit(ev)
		}
	}
}

// stallDetector decides from successive readings of the app's connections when a stall begins.
type stallDetector struct {
	gap      time.Duration // the least time between two events
	previous bool          // the last reading had a connection in SYN-SENT
	fired    bool          // this stall has had its event
	last     time.Time     // when the last event was emitted
}

// see takes one reading; it reports an Event when a stall begins: a connection in SYN-SENT on
// two readings in a row, not yet reported, and gap since the last event.
func (d *stallDetector) see(c diagnosis.AppConnections, now time.Time) (Event, bool) {
	stalled := c.Running && c.Stalled > 0
	defer func() { d.previous = stalled }()
	if !stalled {
		d.fired = false
		return Event{}, false
	}
	if !d.previous || d.fired || (!d.last.IsZero() && now.Sub(d.last) < d.gap) {
		return Event{}, false
	}
	d.fired, d.last = true, now
	detail := ""
	for i, r := range c.Remotes {
		if i > 0 {
			detail += " "
		}
		detail += r
	}
	return Event{Reason: ReasonStalled, Detail: detail}, true
}

// Package statusapi is the spotwatch daemon's local status API: an HTTP server on a Unix socket that
// serves the monitor's state, history and events and takes "check now" and "pause" requests, the
// client the tray and the CLI use to talk to it, and optional Prometheus metrics on loopback.
//
// # Endpoints
//
//	GET  /v1/status         the current state: monitor.Status as JSON (the `check --json` object plus state fields)
//	GET  /v1/history?limit=N the newest N state changes (default 100; N up to 10000 is accepted, an
//	                        answer holds at most 1000), oldest first
//	GET  /v1/events         server-sent events: "event: state" or "event: check", "data: <monitor.Event JSON>";
//	                        a comment line every 15 s keeps idle connections alive
//	POST /v1/check          run a check now: 202; requests less than 10 s after the last check
//	                        passed on share one check at the end of those 10 s ("check queued")
//	POST /v1/pause?for=1h   pause notifications for a Go duration ("0" resumes), or until=<RFC 3339 time>,
//	                        or until=tomorrow (the next 08:00 local time): 200 {"paused_until": time or null}
//
// Errors are JSON objects {"error": "…"}: 400 for a bad parameter, 403 when the caller may not
// change the daemon's state, 404 for an unknown path, 405 for a wrong method.
//
// # Who may do what
//
// Any user who can open the socket may read (GET). A user daemon's socket is mode 0600 in a
// directory of mode 0700, so only its owner (and root) can open it. A system daemon's socket is
// mode 0666 so every local user's tray can read the state, and POST requests are allowed only
// when the peer's user id, as the kernel reports it (SO_PEERCRED on Linux, LOCAL_PEERCRED on
// macOS), is the daemon's own or root's. Windows has no peer credentials for AF_UNIX sockets:
// there anyone who can open the socket may also POST; the socket lives in the user's
// %LOCALAPPDATA% or in %ProgramData%, and its access is what the directory's ACL grants.
//
// An administrator is root: a member of an admin group (sudo, wheel, admin) uses sudo.
//
// # Limits
//
// One user cannot starve the others: an ordinary user may hold 16 connections and 4 event
// streams, ordinary users together 112 connections, and the last 16 of the 128 are kept for
// root and the daemon's own user (a connection over a limit is answered 503 and closed at
// once). A connection that sends no request within 3 s, or waits more than 5 s for its next
// one, is closed; event streams are not idle and stay open. The limits per user need the
// peer's credentials; on Windows only the total applies.
//
// The server never listens on TCP. Metrics (ServeMetrics) are an opt-in, loopback-only listener,
// written in Prometheus's text format by internal/promtext (github.com/prometheus/client_golang
// cost the binary about 2.4 MB for these few metrics).
package statusapi

import (
	"errors"
	"time"

	"github.com/spotwatch/spotwatch/monitor"
)

// Source is what the server serves. *monitor.Monitor satisfies it.
type Source interface {
	Status() monitor.Status
	Subscribe() (<-chan monitor.Event, func())
	CheckNow()
	Pause(until time.Time)
}

var _ Source = (*monitor.Monitor)(nil)

var (
	// ErrNoDaemon is returned, wrapped with the socket path, when no daemon listens on the
	// socket: the file is missing or nobody answers on it.
	ErrNoDaemon = errors.New("no spotwatch daemon is running")
	// ErrDaemonRunning is returned, wrapped, by Listen when a live daemon answers on the socket.
	ErrDaemonRunning = errors.New("another spotwatch daemon is running")
	// ErrStreamEnded is what Client.Events reports when the daemon ends the event stream (it
	// shut down, or the client fell too far behind): connect again.
	ErrStreamEnded = errors.New("the daemon ended the event stream")
)

// Limits of the API. A system daemon serves every local user: these keep one user from taking
// what the others (and the daemon's own checks) need.
const (
	defaultHistoryLimit = 100
	// maxHistoryLimit is the largest limit= accepted; maxHistoryRecords the most records one
	// answer holds (about 300 KB of JSON).
	maxHistoryLimit   = 10000
	maxHistoryRecords = 1000
	// heartbeatInterval is the silence after which an event stream gets a comment line, so
	// that a reader with an idle timeout (a proxy in front of a TCP listener, a script) keeps
	// it. A daemon that checks every minute sends an event each minute and no heartbeat; a
	// paused one, or one on a metered network's longer interval, a line every 90 s.
	heartbeatInterval = 90 * time.Second
	// maxConns bounds the open connections (each a file descriptor of the daemon, which its
	// checks need too); reservedConns of them are kept for root and the daemon's own user, so
	// that an administrator can always ask. maxConnsPerUser bounds one other user: a tray
	// holds one event stream, and `spotwatch status` one connection at a time.
	maxConns        = 128
	reservedConns   = 16
	maxConnsPerUser = 16
	// maxStreamsPerUser bounds one user's event streams (each holds a monitor subscription):
	// a tray per session, and a few to spare.
	maxStreamsPerUser = 4
	// readHeaderTimeout bounds reading a request's header, idleTimeout how long a kept-alive
	// connection may wait for its next request, and writeTimeout the writing of one answer:
	// the clients send one small request per connection, so a few seconds are plenty, and a
	// connection that does nothing gives its slot back soon. Event streams are requests in
	// progress: the idle timeout does not apply to them (they still count as connections).
	readHeaderTimeout = 3 * time.Second
	idleTimeout       = 5 * time.Second
	writeTimeout      = 15 * time.Second
	// checkInterval is the least time between two checks requested through the API: requests
	// in between share one check (see checkGate). A full check takes a few seconds.
	checkInterval = 10 * time.Second
	// eventWriteTimeout is how long one event may take to reach a client before the stream is
	// ended: a client that stops reading cannot hold a subscription forever.
	eventWriteTimeout = 10 * time.Second
	// maxEventSize bounds one event the client accepts (a Result with its probes is a few KiB).
	maxEventSize = 4 << 20
	// maxErrorBody bounds the error body the client reads.
	maxErrorBody = 64 << 10
	// tomorrowHour is the local hour "until=tomorrow" means.
	tomorrowHour = 8
)

package statusapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
)

// ServerOptions configure a Server.
type ServerOptions struct {
	Source Source
	// History returns the newest limit state changes, oldest first (history.Store.Last); nil:
	// GET /v1/history answers 501.
	History func(limit int) ([]history.Record, error)
	Logger  *slog.Logger // nil discards
	// System is a system daemon's API: the socket is open to every local user (Listen with
	// system true) and POST requests need the peer to be the daemon's user or root. Where the
	// OS cannot tell the peer's user, a system daemon refuses POSTs except on Windows, where
	// they are allowed (see the package comment); a user daemon allows them.
	System bool
	Now    func() time.Time // nil: time.Now
	// Peers tells the user at the other end of a connection; nil asks the kernel.
	Peers PeerCredentials
	// Served, when set, is called after each answer, and after an event stream's first event:
	// an answer encodes the whole status, which maps in pages of the binary that the daemon's
	// light checks do not use, and the daemon hands them back after its next check (§7 of
	// docs/design.md, Memory).
	Served func()
}

// Server serves the status API. Create it with NewServer.
type Server struct {
	src       Source
	history   func(int) ([]history.Record, error)
	log       *slog.Logger
	now       func() time.Time
	auth      authorizer
	heartbeat time.Duration
	served    func()
	http      *http.Server
	conns     *connLimiter  // open connections per user
	streams   streamCounter // open event streams per user
	checks    *checkGate    // requested checks, coalesced

	stopOnce sync.Once
	stop     chan struct{} // closed when Shutdown begins: ends the event streams
}

// connKey is the request-context key of the request's net.Conn.
type connKey struct{}

// peerKey is the request-context key of the request's peer, as accepted.
type peerKey struct{}

// NewServer returns a server for opts.Source; call Serve.
func NewServer(opts ServerOptions) *Server {
	s := &Server{
		src: opts.Source, history: opts.History, log: opts.Logger, now: opts.Now,
		auth: authorizer{
			peers:      opts.Peers,
			owner:      os.Getuid(),
			unverified: runtime.GOOS == "windows" || !opts.System,
		},
		heartbeat: heartbeatInterval,
		served:    opts.Served,
		stop:      make(chan struct{}),
	}
	if s.served == nil {
		s.served = func() {}
	}
	s.conns = newConnLimiter(s.auth.privileged)
	s.checks = &checkGate{interval: checkInterval, run: s.src.CheckNow}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.auth.peers == nil {
		s.auth.peers = osPeers{}
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		// The write timeout covers one answer; an event stream sets its own deadline per event.
		WriteTimeout:   writeTimeout,
		MaxHeaderBytes: 16 << 10,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if pc, ok := c.(*peerConn); ok {
				ctx = context.WithValue(ctx, peerKey{}, pc.peer)
			}
			return context.WithValue(ctx, connKey{}, c)
		},
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.http.RegisterOnShutdown(s.endStreams)
	return s
}

// Serve answers requests on ln until Shutdown; it returns nil after Shutdown. It admits
// connections within the limits of connLimiter: one over them is answered 503 and closed.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(&limitListener{Listener: ln, peers: s.auth.peers, limiter: s.conns, log: s.log})
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serving the status API: %w", err)
}

// Shutdown stops accepting connections, ends the event streams and waits for the requests in
// progress to finish, or for ctx to be done. It closes the listener, which removes the socket.
func (s *Server) Shutdown(ctx context.Context) error {
	s.endStreams() // also done by the http.Server, but Shutdown before Serve must end them too
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutting down the status API: %w", err)
	}
	return nil
}

// endStreams ends the event streams and drops a queued check.
func (s *Server) endStreams() {
	s.stopOnce.Do(func() {
		close(s.stop)
		s.checks.stop()
	})
}

// route is one endpoint.
type route struct {
	method  string
	handler func(http.ResponseWriter, *http.Request)
}

// ServeHTTP routes a request: unknown paths get 404, wrong methods 405, POSTs from a user who
// may not change the state 403.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rt route
	switch r.URL.Path {
	case "/v1/status":
		rt = route{http.MethodGet, s.handleStatus}
	case "/v1/history":
		rt = route{http.MethodGet, s.handleHistory}
	case "/v1/events":
		rt = route{http.MethodGet, s.handleEvents}
	case "/v1/check":
		rt = route{http.MethodPost, s.handleCheck}
	case "/v1/pause":
		rt = route{http.MethodPost, s.handlePause}
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s", r.URL.Path))
		return
	}
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s needs %s, not %s", r.URL.Path, rt.method, r.Method))
		return
	}
	if rt.method == http.MethodPost {
		if err := s.auth.allowPeer(s.peerOf(r.Context())); err != nil {
			s.log.Warn("refused a status API request", "method", r.Method, "path", r.URL.Path, "reason", err)
			writeError(w, http.StatusForbidden, err.Error())
			return
		}
	}
	s.log.Debug("status API request", "method", r.Method, "path", r.URL.Path)
	if r.URL.Path != "/v1/events" { // a stream calls it after its first event
		defer s.served()
	}
	rt.handler(w, r)
}

func (s *Server) handleStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.src.Status())
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	if s.history == nil {
		writeError(w, http.StatusNotImplemented, "this daemon keeps no history")
		return
	}
	limit := defaultHistoryLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistoryLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want a number from 1 to %d", v, maxHistoryLimit))
			return
		}
		limit = n
	}
	// Any limit up to maxHistoryLimit is accepted (older clients ask for up to 10000), but
	// one answer holds at most maxHistoryRecords: reading and encoding the history is the
	// most expensive thing the API does.
	records, err := s.history(min(limit, maxHistoryRecords))
	if err != nil {
		s.log.Error("reading the history for the status API", "err", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("reading the history: %v", err))
		return
	}
	if records == nil {
		records = []history.Record{}
	}
	writeJSON(w, http.StatusOK, records)
}

// checkReply is the body of a check answer.
type checkReply struct {
	Status string `json:"status"` // "check requested" or "check queued"
	// StartsAt is when a queued check starts: checks run at most once per checkInterval.
	StartsAt *time.Time `json:"starts_at,omitempty"`
}

func (s *Server) handleCheck(w http.ResponseWriter, _ *http.Request) {
	start, queued := s.checks.request(time.Now())
	reply := checkReply{Status: "check requested"}
	if queued {
		reply = checkReply{Status: "check queued", StartsAt: &start}
	}
	writeJSON(w, http.StatusAccepted, reply)
}

// pauseReply is the body of a pause answer.
type pauseReply struct {
	PausedUntil *time.Time `json:"paused_until"` // null: resumed
}

func (s *Server) handlePause(w http.ResponseWriter, r *http.Request) {
	until, err := pauseUntil(r.URL.Query().Get("for"), r.URL.Query().Get("until"), s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.src.Pause(until)
	reply := pauseReply{}
	if !until.IsZero() {
		reply.PausedUntil = &until
	}
	writeJSON(w, http.StatusOK, reply)
}

// pauseUntil turns the parameters of a pause request into the time it ends; the zero time
// resumes.
func pauseUntil(forParam, untilParam string, now time.Time) (time.Time, error) {
	switch {
	case forParam != "" && untilParam != "":
		return time.Time{}, errors.New("give for= or until=, not both")
	case forParam != "":
		d, err := time.ParseDuration(forParam)
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("for=%q: want a duration such as 30m or 2h, or 0 to resume", forParam)
		}
		if d == 0 {
			return time.Time{}, nil
		}
		return now.Add(d), nil
	case untilParam == "tomorrow":
		return nextMorning(now), nil
	case untilParam != "":
		t, err := time.Parse(time.RFC3339, untilParam)
		if err != nil {
			return time.Time{}, fmt.Errorf("until=%q: want an RFC 3339 time or \"tomorrow\"", untilParam)
		}
		if !t.After(now) {
			return time.Time{}, fmt.Errorf("until=%q is not in the future", untilParam)
		}
		return t, nil
	default:
		return time.Time{}, errors.New("give for=DURATION (0 resumes) or until=TIME|tomorrow")
	}
}

// nextMorning is the first tomorrowHour:00 in now's location after now: "until tomorrow"
// pressed at 01:00 means this morning.
func nextMorning(now time.Time) time.Time {
	t := time.Date(now.Year(), now.Month(), now.Day(), tomorrowHour, 0, 0, 0, now.Location())
	if !t.After(now) {
		t = time.Date(now.Year(), now.Month(), now.Day()+1, tomorrowHour, 0, 0, 0, now.Location())
	}
	return t
}

// handleEvents streams the monitor's events until the client goes, the server shuts down or
// the monitor drops the subscription (the client fell behind; it should reconnect).
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	p := s.peerOf(r.Context())
	if !s.streams.acquire(p) {
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("too many event streams: one user may open %d", maxStreamsPerUser))
		return
	}
	defer s.streams.release(p)
	events, cancel := s.src.Subscribe()
	defer cancel()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	var enc eventEncoder
	first := true // Served is called after the first event
	// The heartbeat comes only after a silence: while the daemon checks, its events keep the
	// stream busy, and nobody is woken for a comment line.
	heartbeat := time.NewTimer(s.heartbeat)
	defer heartbeat.Stop()
	for {
		var frame []byte
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case <-heartbeat.C:
			frame = []byte(": heartbeat\n\n")
		case ev, ok := <-events:
			if !ok {
				s.log.Info("ended an event stream whose client fell behind")
				return
			}
			js, err := enc.encode(ev)
			if err != nil {
				s.log.Error("encoding an event", "err", err)
				continue
			}
			frame = fmt.Appendf(nil, "event: %s\ndata: %s\n\n", ev.Type, js)
		}
		if err := rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return
		}
		if _, err := w.Write(frame); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if first {
			s.served()
			first = false
		}
		heartbeat.Reset(s.heartbeat)
	}
}

// errorReply is the body of every error answer.
type errorReply struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorReply{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	js, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		js, _ = json.Marshal(errorReply{Error: "encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(js, '\n'))
}

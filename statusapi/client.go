package statusapi

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
)

// Client talks to a daemon's status API. Its methods are safe for concurrent use; each request
// opens its own connection (it is a local socket), so a Client holds nothing to close.
type Client struct {
	paths []string
	http  *http.Client
}

// StatusError is a request the daemon answered with an error.
type StatusError struct {
	StatusCode int    // the HTTP status: 400, 403, 404…
	Message    string // the daemon's explanation
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("the spotwatch daemon refused: %s (HTTP %d)", e.Message, e.StatusCode)
}

// NewClient returns a client of the daemon whose socket is at the first of socketPaths where a
// trusted daemon answers (SocketPaths lists the default places in order).
//
// A socket is trusted when it and its directory belong to this user or root, or to a service
// account whose directory root made (see verifySocket), and, where the OS tells, the process
// serving it runs as one of them. A socket that fails is not asked anything; when no trusted
// daemon answers, the error wraps ErrUntrustedSocket and names the socket and its owner.
func NewClient(socketPaths ...string) *Client {
	c := &Client{paths: socketPaths}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext:            c.dial,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 16 << 10,
	}}
	return c
}

// where names the client's sockets in messages.
func (c *Client) where() string { return strings.Join(c.paths, " or ") }

// dial connects to the first socket of c.paths where a trusted daemon answers. When none does it
// returns the refusal of an untrusted socket if there was one (wrapping ErrUntrustedSocket),
// else an error wrapping ErrNoDaemon that says why.
func (c *Client) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	if len(c.paths) == 0 {
		return nil, fmt.Errorf("%w (no socket path given)", ErrNoDaemon)
	}
	var untrusted, noDaemon error
	for _, path := range c.paths {
		conn, err := dialTrusted(ctx, path)
		switch {
		case err == nil:
			return conn, nil
		case errors.Is(err, ErrUntrustedSocket):
			untrusted = cmp.Or(untrusted, err)
		case errors.Is(err, ErrNoDaemon):
			noDaemon = cmp.Or(noDaemon, err)
		default:
			return nil, err
		}
	}
	if untrusted != nil {
		return nil, untrusted
	}
	if len(c.paths) > 1 {
		return nil, fmt.Errorf("%w (none answers on %s)", ErrNoDaemon, c.where())
	}
	return nil, noDaemon
}

// dialTrusted connects to the socket at path after checking that it is the daemon's, and checks
// who answers.
func dialTrusted(ctx context.Context, path string) (net.Conn, error) {
	owner, err := verifySocket(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (no socket at %s)", ErrNoDaemon, path)
	}
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if _, statErr := os.Lstat(path); errors.Is(statErr, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w (no socket at %s)", ErrNoDaemon, path)
		}
		if isRefused(err) {
			return nil, fmt.Errorf("%w (nothing answers on %s)", ErrNoDaemon, path)
		}
		return nil, fmt.Errorf("connecting to the spotwatch daemon at %s: %w", path, err)
	}
	if err := verifyPeer(path, conn, owner); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// Status returns the daemon's current state.
func (c *Client) Status(ctx context.Context) (monitor.Status, error) {
	var st monitor.Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, http.StatusOK, &st)
	return st, err
}

// History returns the newest limit state changes, oldest first. limit ≤ 0 asks for the
// daemon's default (100); it gives at most 10000.
func (c *Client) History(ctx context.Context, limit int) ([]history.Record, error) {
	var q url.Values
	if limit > 0 {
		q = url.Values{"limit": {strconv.Itoa(min(limit, maxHistoryLimit))}}
	}
	var records []history.Record
	err := c.do(ctx, http.MethodGet, "/v1/history", q, http.StatusOK, &records)
	return records, err
}

// CheckNow asks the daemon to check at once.
func (c *Client) CheckNow(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/check", nil, http.StatusAccepted, nil)
}

// Pause pauses the daemon's notifications for d and returns when the pause ends; d == 0
// resumes them and returns the zero time.
func (c *Client) Pause(ctx context.Context, d time.Duration) (until time.Time, err error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("pausing notifications: negative duration %v", d)
	}
	return c.pause(ctx, url.Values{"for": {d.String()}})
}

// PauseUntil pauses the daemon's notifications until t.
func (c *Client) PauseUntil(ctx context.Context, t time.Time) error {
	_, err := c.pause(ctx, url.Values{"until": {t.Format(time.RFC3339)}})
	return err
}

func (c *Client) pause(ctx context.Context, q url.Values) (time.Time, error) {
	var reply pauseReply
	if err := c.do(ctx, http.MethodPost, "/v1/pause", q, http.StatusOK, &reply); err != nil {
		return time.Time{}, err
	}
	if reply.PausedUntil == nil {
		return time.Time{}, nil
	}
	return *reply.PausedUntil, nil
}

// do sends one request and decodes the answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, want int, out any) error {
	what := method + " " + path
	resp, err := c.send(ctx, method, path, q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s: %w", what, readError(resp))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: decoding the daemon's answer: %w", what, err)
	}
	return nil
}

// send sends a request to the daemon. Errors wrap ErrNoDaemon when nothing listens.
func (c *Client) send(ctx context.Context, method, path string, q url.Values) (*http.Response, error) {
	u := url.URL{Scheme: "http", Host: "spotwatch", Path: path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, ErrNoDaemon) || errors.Is(err, ErrUntrustedSocket) {
			var ue *url.Error
			if errors.As(err, &ue) {
				return nil, ue.Err // "no spotwatch daemon is running (no socket at …)" as it is
			}
		}
		return nil, fmt.Errorf("asking the spotwatch daemon at %s (%s %s): %w", c.where(), method, path, err)
	}
	return resp, nil
}

// readError turns an error answer into a *StatusError.
func readError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var reply errorReply
	if json.Unmarshal(body, &reply) != nil || reply.Error == "" {
		reply.Error = strings.TrimSpace(string(body))
		if reply.Error == "" {
			reply.Error = http.StatusText(resp.StatusCode)
		}
	}
	return &StatusError{StatusCode: resp.StatusCode, Message: reply.Error}
}

// Events streams the daemon's events, starting with its current state. Both channels close when
// the stream ends; before that, errs receives why, unless ctx ended it: an error wrapping
// ErrNoDaemon when there is no daemon, ErrStreamEnded when the daemon ended the stream (it
// shut down or the client fell behind), or another error. Read events until it closes, or
// cancel ctx: the stream holds a connection and a goroutine until then.
func (c *Client) Events(ctx context.Context) (<-chan monitor.Event, <-chan error) {
	events := make(chan monitor.Event)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		defer close(events)
		err := c.stream(ctx, events)
		if err != nil && ctx.Err() == nil {
			errs <- err
		}
	}()
	return events, errs
}

// stream reads the event stream into events until it ends.
func (c *Client) stream(ctx context.Context, events chan<- monitor.Event) error {
	resp, err := c.send(ctx, http.MethodGet, "/v1/events", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v1/events: %w", readError(resp))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return fmt.Errorf("GET /v1/events: the daemon answered %q, not an event stream", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventSize)
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0: // the end of an event
			if len(data) == 0 {
				continue
			}
			var ev monitor.Event
			if err := json.Unmarshal(data, &ev); err != nil {
				return fmt.Errorf("decoding an event from the daemon: %w", err)
			}
			data = data[:0]
			select {
			case events <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		case line[0] == ':': // a comment: the heartbeat
		case bytes.HasPrefix(line, []byte("data:")):
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(line[len("data:"):], []byte(" "))...)
		default: // "event:" repeats the event's type; other fields are not used
		}
	}
	if err := sc.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrStreamEnded
		}
		return fmt.Errorf("reading the daemon's event stream: %w", err)
	}
	return ErrStreamEnded
}

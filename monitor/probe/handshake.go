package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// The handshake budget (issue 16). A TLS handshake naming Spotify on a connection that opened
// can still go unanswered: an SNI filter that drops the ClientHello instead of resetting the
// connection, or a box that accepts every connection and swallows every handshake. The
// neutral-SNI control tells the two apart, and it must run while the check still has time:
//
//   - once the Spotify handshake has had no byte back for stallAfter (two round trips and a
//     server's think time), the control starts on the same address, beside it;
//   - once the Spotify handshake has had no byte back for the connect budget (pace.go) and the
//     control has its answer (a handshake, or nothing within the budget of its own), the Spotify
//     handshake is given up as timed out.
//
// Only silence counts: a handshake whose server has sent anything is slow, not blocked, and
// keeps the check's whole deadline, so a lossy link (whose losses delay bytes but rarely all of
// them for a whole budget, and never on every endpoint at once) is not taken for a filter.
const (
	stallFloor = 250 * time.Millisecond
	stallRTTs  = 2
	// stallPoll is how often a pending handshake is looked at.
	stallPoll = 20 * time.Millisecond
)

// errHandshakeStalled is what a Spotify handshake given up under the handshake budget failed with.
var errHandshakeStalled = errors.New("the server sent nothing back within the connect budget")

// stallAfter is when a silent handshake gets its neutral-SNI control, on a link with this RTT.
func stallAfter(rtt time.Duration) time.Duration { return stallFloor + stallRTTs*rtt }

// countingConn counts the bytes a connection received, to tell a silent handshake (nothing came
// back) from a slow one.
type countingConn struct {
	net.Conn
	received atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.received.Add(int64(n))
	return n, err
}

// handshakeWatched runs tlsConn's handshake (tlsConn wraps conn, dialled to addr) under the
// handshake budget. It returns the neutral-SNI control when one ran (finished by then) and the
// handshake's error.
func handshakeWatched(ctx context.Context, path *netPath, tlsConn *tls.Conn, conn *countingConn, addr string) (*diagnosis.Probe, error) {
	hctx, giveUp := context.WithCancelCause(ctx)
	defer giveUp(nil)
	done := make(chan error, 1)
	go func() { done <- tlsConn.HandshakeContext(hctx) }()

	start := time.Now()
	tick := time.NewTicker(stallPoll)
	defer tick.Stop()
	var control chan diagnosis.Probe
	var neutral *diagnosis.Probe
	for {
		select {
		case err := <-done:
			if errors.Is(context.Cause(hctx), errHandshakeStalled) {
				err = fmt.Errorf("%w: %w", errHandshakeStalled, os.ErrDeadlineExceeded)
			}
			if control != nil && neutral == nil {
				p := <-control
				neutral = &p
			}
			return neutral, err
		case p := <-control:
			neutral, control = &p, nil
		case <-tick.C:
		}
		if conn.received.Load() > 0 {
			continue // the server answers: slow perhaps, not silent
		}
		rtt, known := path.pace.roundTrip()
		budget := connectBudget(rtt)
		if !known {
			continue // no reference answered yet: no yardstick for this link
		}
		silent := time.Since(start)
		if control == nil && neutral == nil && silent >= stallAfter(rtt) {
			control = make(chan diagnosis.Probe, 1)
			go func() {
				cctx, cancel := context.WithTimeout(ctx, budget)
				defer cancel()
				control <- probeNeutralSNI(cctx, path, addr)
			}()
		}
		if neutral != nil && silent >= budget {
			giveUp(errHandshakeStalled)
		}
	}
}

package statusapi

import (
	"errors"
	"fmt"
	"net"
)

// PeerCredentials tells which user is at the other end of a local connection.
type PeerCredentials interface {
	// PeerUID returns the user id of the process that connected conn. It returns an error
	// wrapping errors.ErrUnsupported where the OS cannot tell (Windows).
	PeerUID(conn net.Conn) (int, error)
}

// osPeers asks the kernel: SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS.
type osPeers struct{}

// PeerUID implements PeerCredentials.
func (osPeers) PeerUID(conn net.Conn) (int, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return 0, fmt.Errorf("reading peer credentials: %T is not a Unix socket", conn)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("reading peer credentials: %w", err)
	}
	var uid int
	var credErr error
	if err := raw.Control(func(fd uintptr) { uid, credErr = peerUID(fd) }); err != nil {
		return 0, fmt.Errorf("reading peer credentials: %w", err)
	}
	if credErr != nil {
		return 0, fmt.Errorf("reading peer credentials: %w", credErr)
	}
	return uid, nil
}

// authorizer decides who may change the daemon's state (the POST endpoints).
type authorizer struct {
	peers PeerCredentials
	owner int // the daemon's user id
	// unverified is whether a peer whose user the OS cannot tell is allowed: on Windows (no
	// peer credentials; documented) and for a user daemon, whose 0600 socket only its owner
	// can open.
	unverified bool
}

// errForbidden is the reason a POST is refused.
var errForbidden = errors.New("only the user running the spotwatch daemon, or an administrator, may do this")

// errNoConn is the peer error of a request whose connection is unknown.
var errNoConn = errors.New("the connection is unknown")

// allow returns nil when the peer on conn may change the daemon's state.
func (a authorizer) allow(conn net.Conn) error {
	if conn == nil {
		return fmt.Errorf("%w (%v)", errForbidden, errNoConn)
	}
	uid, err := a.peers.PeerUID(conn)
	return a.allowPeer(peer{uid: uid, err: err})
}

// allowPeer returns nil when p may change the daemon's state.
func (a authorizer) allowPeer(p peer) error {
	uid, err := p.uid, p.err
	switch {
	case errors.Is(err, errNoConn):
		return fmt.Errorf("%w (%v)", errForbidden, errNoConn)
	case errors.Is(err, errors.ErrUnsupported) && a.unverified:
		return nil
	case err != nil:
		return fmt.Errorf("%w (the caller's user cannot be verified: %v)", errForbidden, err)
	case a.privileged(uid):
		return nil
	default:
		return fmt.Errorf("%w (you are uid %d, the daemon runs as uid %d)", errForbidden, uid, a.owner)
	}
}

// privileged reports whether uid is root or the daemon's user: who may change the daemon's
// state, and who keeps reserved connection slots.
func (a authorizer) privileged(uid int) bool { return uid == a.owner || uid == 0 }

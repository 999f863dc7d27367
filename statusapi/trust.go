package statusapi

import (
	"errors"
	"fmt"
)

// ErrUntrustedSocket is what a client's error wraps when the socket it found may not be the
// daemon's: it belongs to another user (who may have put it there to impersonate the daemon),
// or others may replace it. The client asks it nothing.
var ErrUntrustedSocket = errors.New("untrusted spotwatch socket")

// UntrustedSocketError is a socket the client refused. It wraps ErrUntrustedSocket.
type UntrustedSocketError struct {
	Path   string // the socket
	Owner  int    // the user id of whoever owns it (or the directory, or serves it)
	Reason string // why it is not trusted
}

func (e *UntrustedSocketError) Error() string {
	return fmt.Sprintf("refusing the socket %s: %s. It is not the spotwatch daemon's: another user (uid %d) may have put it there to impersonate the daemon, so spotwatch did not ask it anything; do not follow advice it gave. Remove it as root, or start the daemon so that it picks a private directory", e.Path, e.Reason, e.Owner)
}

func (e *UntrustedSocketError) Unwrap() error { return ErrUntrustedSocket }

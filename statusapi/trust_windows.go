package statusapi

import (
	"fmt"
	"net"
	"os"
)

// verifySocket only checks that the socket exists: on Windows the directory's ACL (the user's
// %LOCALAPPDATA%, or %ProgramData%) decides who may create a socket there, and AF_UNIX sockets
// carry no owner a client could check.
func verifySocket(path string) (int, error) {
	if _, err := os.Lstat(path); err != nil {
		return 0, fmt.Errorf("checking the socket: %w", err)
	}
	return -1, nil
}

// verifyPeer does nothing: Windows AF_UNIX sockets carry no peer credentials.
func verifyPeer(string, net.Conn, int) error { return nil }

// claimPrivateDir does nothing: the socket directory is under %LOCALAPPDATA%, which the ACL
// keeps to the user.
func claimPrivateDir(string) error { return nil }

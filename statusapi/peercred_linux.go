package statusapi

import "golang.org/x/sys/unix"

// peerUID returns the user id of the peer of the Unix socket fd (SO_PEERCRED: the credentials
// of the process that called connect, fixed at that moment).
func peerUID(fd uintptr) (int, error) {
	cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, err
	}
	return int(cred.Uid), nil
}

package statusapi

import "golang.org/x/sys/unix"

// peerUID returns the user id of the peer of the Unix socket fd (LOCAL_PEERCRED: the effective
// credentials of the process that called connect).
func peerUID(fd uintptr) (int, error) {
	cred, err := unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return 0, err
	}
	return int(cred.Uid), nil
}

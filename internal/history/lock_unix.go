//go:build unix

package history

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errWouldBlock is what lockFile returns when another process holds the lock.
var errWouldBlock = unix.EWOULDBLOCK

// lockFile takes an exclusive flock on f without waiting. flock locks belong to the open file,
// so a second Open in the same process is refused as well.
func lockFile(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

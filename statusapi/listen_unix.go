//go:build unix

package statusapi

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSocketPath is the longest socket path bind accepts: sun_path less its terminating NUL.
func maxSocketPath() int {
	if runtime.GOOS == "linux" {
		return 107
	}
	return 103 // the BSDs and macOS
}

// checkDir refuses an existing socket directory another user could tamper with: one owned by
// a user other than this one and root, or writable by group or others without the sticky bit.
func checkDir(dir string, info os.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("checking the socket directory %s: no owner information", dir)
	}
	if uid := int(st.Uid); uid != os.Getuid() && uid != 0 {
		return fmt.Errorf("refusing the socket directory %s: it belongs to uid %d, not to uid %d or root", dir, uid, os.Getuid())
	}
	if m := info.Mode(); m.Perm()&0o022 != 0 && m&os.ModeSticky == 0 {
		return fmt.Errorf("refusing the socket directory %s: others may write to it (mode %v)", dir, m.Perm())
	}
	return nil
}

// lockDir takes an exclusive flock on dir so that two daemons starting together do not both
// take a socket for stale and remove each other's.
func lockDir(dir string) (func(), error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the socket directory to lock it: %w", err)
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("locking the socket directory: %w", err)
	}
	return func() { unix.Close(fd) }, nil // closing releases the lock
}

func chmodDir(dir string, mode os.FileMode) error { return os.Chmod(dir, mode) }

func chmodSocket(path string, mode os.FileMode) error { return os.Chmod(path, mode) }

// isRefused reports whether a dial failed because nobody listens on the socket.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

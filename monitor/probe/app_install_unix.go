//go:build linux || darwin

package probe

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// diskFree is the space free for unprivileged users on the file system holding path.
func diskFree(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// ownsHome: spotwatch runs as the user whose home folder home is (a system daemon running as
// root or its own user does not test another user's folders).
func ownsHome(home string) bool {
	fi, err := os.Stat(home)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// writable reports whether this user may create files in dir, without creating one: access(2)
// with W_OK honours the permission bits and a read-only mount, and costs the check no write.
func writable(dir string) bool {
	return unix.Access(dir, unix.W_OK) == nil
}

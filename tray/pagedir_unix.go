//go:build unix

package tray

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByMe reports whether this process's user owns the file of info.
func ownedByMe(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// privateMode reports whether only the owner may use a file of mode m.
func privateMode(m fs.FileMode) bool { return m.Perm()&0o077 == 0 }

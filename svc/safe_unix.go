//go:build unix

package svc

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// IsAdmin reports whether this process may change system services: whether it runs as root.
func IsAdmin() bool { return os.Geteuid() == 0 }

// CheckFile returns nil when only administrators (and this process's own user) can change the
// file at path: the file and every directory above it belong to root or to this process's user
// and are not writable by group or others, except directories with the sticky bit (/tmp),
// where others cannot replace what is not theirs. A symbolic link is followed and both paths
// are checked. The system daemon refuses a configuration that fails this check: whoever can
// change it can point the daemon's checks, logs and socket wherever they like. The error wraps
// ErrUnsafeFile and says what to run.
func CheckFile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("checking who may change %s: %w", path, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("checking who may change %s: %w", path, err)
	}
	for _, p := range []string{abs, real} {
		if err := checkChain(path, p); err != nil {
			return err
		}
	}
	return nil
}

func checkChain(name, path string) error {
	info, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("checking who may change %s: %w", name, err)
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		if why := unsafeOwner(info); why != "" {
			return unsafeFile(name, path, why, "sudo chown root: "+shQuote(path))
		}
		if info.Mode().Perm()&0o022 != 0 {
			return unsafeFile(name, path, fmt.Sprintf("its mode %v lets group or others write it", info.Mode().Perm()), "sudo chmod go-w "+shQuote(path))
		}
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("checking who may change %s: %w", name, err)
		}
		if why := unsafeOwner(info); why != "" {
			return unsafeFile(name, dir, why, "sudo chown root: "+shQuote(dir))
		}
		if m := info.Mode(); m.Perm()&0o022 != 0 && m&fs.ModeSticky == 0 {
			return unsafeFile(name, dir, fmt.Sprintf("its mode %v lets group or others replace what is in it", m.Perm()), "sudo chmod go-w "+shQuote(dir))
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// unsafeOwner says why the owner of info may not own a system daemon's file ("" if it may).
func unsafeOwner(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "its owner cannot be read"
	}
	uid := int(st.Uid)
	if uid == 0 || uid == os.Geteuid() {
		return ""
	}
	owner := strconv.Itoa(uid)
	if u, err := user.LookupId(owner); err == nil {
		owner = u.Username + " (uid " + owner + ")"
	}
	return "it belongs to " + owner
}

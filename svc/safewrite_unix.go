//go:build unix

package svc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// openDirs opens the directory holding the file below Root, one directory at a time with
// O_NOFOLLOW; with create, missing directories are made and given to Owner. The caller closes
// the descriptor.
func (d safeDir) openDirs(dirs []string, create bool) (int, error) {
	fd, err := unix.Open(d.Root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening %s: %w", d.Root, err)
	}
	path := d.Root
	for _, name := range dirs {
		path = filepath.Join(path, name)
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) && create {
			if err = unix.Mkdirat(fd, name, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
				if err == nil && d.Owner.UID >= 0 {
					if err := unix.Fchownat(fd, name, d.Owner.UID, d.Owner.GID, unix.AT_SYMLINK_NOFOLLOW); err != nil {
						unix.Close(fd)
						return -1, fmt.Errorf("giving %s to its user: %w", path, err)
					}
				}
				next, err = unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			}
		}
		if err != nil && isLink(fd, name) {
			err = errLink
		}
		unix.Close(fd)
		if err != nil {
			return -1, fmt.Errorf("opening %s: %w", path, err)
		}
		fd = next
	}
	return fd, nil
}

// isLink reports whether name in the directory dirfd is a symbolic link.
func isLink(dirfd int, name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// write replaces path with a file holding data, of mode perm, belonging to Owner.
func (d safeDir) write(path string, data []byte, perm fs.FileMode) error {
	dirs, name, err := d.split(path)
	if err != nil {
		return err
	}
	dirfd, err := d.openDirs(dirs, true)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	var random [8]byte
	rand.Read(random[:])
	tmp := ".spotwatch-" + hex.EncodeToString(random[:])
	fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("creating a temporary file beside %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(filepath.Dir(path), tmp))
	err = func() error {
		if _, err := f.Write(data); err != nil {
			return err
		}
		if d.Owner.UID >= 0 {
			if err := f.Chown(d.Owner.UID, d.Owner.GID); err != nil {
				return err
			}
		}
		if err := f.Chmod(perm); err != nil {
			return err
		}
		return f.Sync()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dirfd, tmp, dirfd, name)
	}
	if err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// read returns the content of the regular file at path; a link there is an error.
func (d safeDir) read(path string) ([]byte, error) {
	dirs, name, err := d.split(path)
	if err != nil {
		return nil, err
	}
	dirfd, err := d.openDirs(dirs, false)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("reading %s: not a regular file", path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// remove unlinks path.
func (d safeDir) remove(path string) error {
	dirs, name, err := d.split(path)
	if err != nil {
		return err
	}
	dirfd, err := d.openDirs(dirs, false)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	return unix.Unlinkat(dirfd, name, 0)
}

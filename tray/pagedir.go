package tray

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// pageDir is the private directory the tray writes its pages (and, on Windows, notification
// icons) in: the configured one or the user's cache directory when that is a directory of this
// user's with mode 0700 (made so if this user created it wider), else a new directory of its
// own under the temporary directory. Never a fixed shared path such as /tmp/spotwatch: another
// user could create it first, as a directory of theirs or a link, and read or replace the
// pages the browser opens.
type pageDir struct {
	want string // the configured or cache directory; "" when there is none
	log  *slog.Logger

	mu  sync.Mutex
	got string // the directory in use, once made and checked
}

// dir returns the directory, making and checking it on first use, and checking it again on
// every later one.
func (p *pageDir) dir() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.got != "" {
		if err := checkPrivate(p.got); err == nil {
			return p.got, nil
		} else {
			p.log.Warn("the page directory is no longer private; making another", "dir", p.got, "err", err.Error())
		}
	}
	if p.want != "" {
		err := makePrivate(p.want)
		if err == nil {
			p.got = p.want
			return p.got, nil
		}
		p.log.Warn("not writing pages in this directory; using a new private one", "dir", p.want, "err", err.Error())
	}
	dir, err := os.MkdirTemp("", "spotwatch-pages-") // mode 0700, and new: nobody else's
	if err != nil {
		return "", fmt.Errorf("creating a private directory for the pages: %w", err)
	}
	p.got = dir
	return dir, nil
}

// makePrivate creates dir (mode 0700) unless it exists, then checks it.
func makePrivate(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	info, err := os.Lstat(dir)
	if err == nil && info.IsDir() && ownedByMe(info) && !privateMode(info.Mode()) {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("making %s private: %w", dir, err)
		}
	}
	return checkPrivate(dir)
}

// checkPrivate returns nil when dir is a directory (not a link) of this user's that only this
// user can use.
func checkPrivate(dir string) error {
	info, err := os.Lstat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("checking %s: %w", dir, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link", dir)
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case !ownedByMe(info):
		return fmt.Errorf("%s belongs to another user", dir)
	case !privateMode(info.Mode()):
		return fmt.Errorf("%s has mode %v: others may use it", dir, info.Mode().Perm())
	}
	return nil
}

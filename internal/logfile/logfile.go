// Package logfile is a size-bounded log file: when the file passes its limit it is renamed to
// NAME.1 (replacing the previous one) and a new file is started, so the log never takes more
// than twice the limit on disk.
package logfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// DefaultMaxBytes is the size at which a log file is rotated.
const DefaultMaxBytes = 4 << 20

// File is an io.Writer appending to a log file with rotation. Safe for concurrent use.
type File struct {
	path string
	max  int64

	mu     sync.Mutex
	f      *os.File // nil after Close, or after a failed reopening until the next Write
	size   int64
	closed bool
}

// Open opens (or creates, mode 0600, parent dirs 0700) the log file at path; maxBytes <= 0
// means DefaultMaxBytes.
func Open(path string, maxBytes int64) (*File, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	l := &File{path: path, max: maxBytes}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the log file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("reading the log file's size: %w", err)
	}
	l.f, l.size = f, info.Size()
	return nil
}

// Write appends p, rotating first if p would take the file past its limit. A rotation that
// fails (the rename refused, the disk full) does not stop the log: the file is reopened and
// written on, up to twice the limit (what the log may take on disk anyway), and the next
// write that passes the limit tries the rotation again.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, os.ErrClosed
	}
	if l.f == nil { // a reopening failed: try again
		if err := l.open(); err != nil {
			return 0, err
		}
	}
	if l.size > 0 && l.size+int64(len(p)) > l.max {
		if err := l.rotate(); err != nil {
			if l.f == nil {
				return 0, err
			}
			if l.size+int64(len(p)) > 2*l.max {
				return 0, fmt.Errorf("log file %s is at twice its limit: %w", l.path, err)
			}
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate renames the file to NAME.1 and starts a new one. On failure the file is open again
// (l.f is nil only when even reopening failed; the next Write tries again).
func (l *File) rotate() error {
	// Closed first: Windows cannot rename an open file.
	if err := l.f.Close(); err != nil {
		l.f = nil
		return fmt.Errorf("closing the log file to rotate it: %w", err)
	}
	l.f = nil
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		err = fmt.Errorf("rotating the log file: %w", err)
		if oerr := l.open(); oerr != nil {
			return errors.Join(err, oerr)
		}
		return err
	}
	return l.open()
}

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

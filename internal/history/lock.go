package history

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockName is the lock file a Store takes in its directory: one process at a time writes the
// history (and repairs or compacts it) in a directory.
const LockName = "spotwatch.lock"

// ErrLocked is wrapped by the error of Open when another process holds the directory's lock.
var ErrLocked = errors.New("locked by another process")

// LockedError says which lock another process holds, and its pid when the lock file tells.
type LockedError struct {
	Lock string // the lock file
	PID  int    // the holder's process id as it wrote it; 0 when unknown
}

func (e *LockedError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = fmt.Sprintf("another process (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s holds the lock %s", holder, e.Lock)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// dirLock is an exclusive lock on a directory, held until release or the end of the process
// (the OS drops it then, so a killed daemon leaves no stale lock).
type dirLock struct {
	f *os.File
}

// lockDir takes the lock of dir without waiting: a *LockedError when another process holds
// it. The lock file records the holder's pid, for that error. On a read-only filesystem an
// existing lock file is still locked (no pid is written); without one the error is the
// filesystem's.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	writable := err == nil
	if err != nil {
		var rerr error
		if f, rerr = os.Open(path); rerr != nil {
			return nil, fmt.Errorf("opening the lock %s: %w", path, err)
		}
	}
	if err := lockFile(f); err != nil {
		defer f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &LockedError{Lock: path, PID: readPID(f)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if writable {
		// Best effort: the pid only names the holder in another process's error.
		if err := f.Truncate(0); err == nil {
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
	}
	return &dirLock{f: f}, nil
}

func readPID(f *os.File) int {
	buf := make([]byte, 20)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// release drops the lock.
func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the file releases the lock
	l.f = nil
	return err
}

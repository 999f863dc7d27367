// Package history keeps spotwatch's durable, bounded log of state changes.
//
// # Format
//
// A history file is text, one record a line:
//
//	<crc32c> <len> <json>\n
//
// where json is the Record encoded by encoding/json (which escapes every control character,
// so it holds no newline), len its length in bytes in decimal, and crc32c its CRC-32C
// (Castagnoli) as 8 lowercase hex digits. A line whose frame, length, checksum or JSON is
// wrong is damage: readers skip it and report it, never trust it.
//
// # Durability
//
// Append writes the line at the end of the file with one write and fsyncs it before it
// returns. A crash (kill -9, power loss) can therefore leave only the line being written
// incomplete; Open cuts such an unterminated tail off (truncate, fsync). Any other damage (a
// bad line anywhere) makes Open rewrite the file with the valid records only, after keeping
// the damaged file as <path>.damaged; every damaged region is logged.
//
// # Bound
//
// The file never grows past Options.MaxBytes: an Append that would cross it compacts instead,
// writing the newest records that fit in half of MaxBytes plus the new one to <path>.tmp,
// fsyncing it, renaming it over the file (atomic) and fsyncing the directory. A crash in
// between leaves either the old file or the new one, and a stale <path>.tmp that Open removes.
// Rewrites close the file first, as Windows cannot rename over an open file; a reader holding
// the file open on Windows makes a compaction fail (the Append returns the error, the next
// Append tries again).
//
// # One writer
//
// Open takes an exclusive lock on the file's directory (LockName: flock on Unix, LockFileEx on
// Windows) before it reads or repairs anything, and Close releases it; the OS releases it when
// the process dies. A second Open of the same directory, from any process, fails with an error
// wrapping ErrLocked that names the lock and the holder's pid. Read takes no lock and may run
// beside the writer.
package history

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// DefaultMaxBytes is the size bound of a history file when Options.MaxBytes is 0: about
// 4000 state changes.
const DefaultMaxBytes = 1 << 20

// minMaxBytes is the smallest MaxBytes accepted.
const minMaxBytes = 4 << 10

// Options configure a Store.
type Options struct {
	// MaxBytes bounds the file; 0 means DefaultMaxBytes. It must be between 4 KiB and 64 MiB.
	// Past it the file is compacted to the newest records (see the package comment).
	MaxBytes int64
	// Logger receives the damage found and repaired; nil discards it.
	Logger *slog.Logger
	// Beat is how often a Keeper's owner calls Keeper.Beat; 0 means DefaultBeat. A Store
	// ignores it.
	Beat time.Duration
	// Now is the Keeper's clock for its alive stamps and gaps; nil means time.Now. A Store
	// ignores it.
	Now func() time.Time
}

// Store is an open history file. Its methods are safe for concurrent use.
type Store struct {
	path string
	max  int64
	log  *slog.Logger
	lock *dirLock // the directory's lock, held until Close

	mu     sync.Mutex
	f      *os.File // nil when closed, or after a failed rewrite until the next recovery
	size   int64    // where the next record goes
	closed bool
}

// Open locks the directory of path (see the package comment), then opens the history file at
// path for appending, creating its directory (0700) and the file (0600) when missing, and repairs a damaged file (see the package comment), logging the
// damage to opts.Logger.
func Open(path string, opts Options) (*Store, error) {
	limit := opts.MaxBytes
	switch {
	case limit == 0:
		limit = DefaultMaxBytes
	case limit < minMaxBytes || limit > readLimit:
		return nil, fmt.Errorf("opening history %s: MaxBytes %d is outside [%d, %d]", path, limit, minMaxBytes, readLimit)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the history directory: %w", err)
	}
	// The lock comes before anything is read, repaired or created: a second daemon started
	// beside a running one must not "repair" the file under it.
	lock, err := lockDir(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("opening history %s: %w", path, err)
	}
	s := &Store{path: path, max: limit, log: logger, lock: lock}
	if err := s.recover(); err != nil {
		lock.release()
		return nil, err
	}
	return s, nil
}

// recover (re)opens the file after Open or a failed rewrite: it settles an interrupted
// rewrite, opens or creates the file and repairs damage. On success s.f is open.
func (s *Store) recover() error {
	tmp := s.path + ".tmp"
	if _, err := os.Lstat(tmp); err == nil {
		if _, err := os.Lstat(s.path); errors.Is(err, fs.ErrNotExist) {
			// A repair stopped between moving the damaged file away and renaming the
			// complete (already synced) new file into place: finish it.
			if err := os.Rename(tmp, s.path); err != nil {
				return fmt.Errorf("finishing an interrupted history rewrite: %w", err)
			}
			s.log.Warn("history: finished an interrupted rewrite", "path", s.path)
		} else if err := os.Remove(tmp); err != nil {
			return fmt.Errorf("removing an unfinished history rewrite: %w", err)
		}
	}
	if err := s.openFile(); err != nil {
		return err
	}
	if err := s.repair(); err != nil {
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
		return err
	}
	return nil
}

// openFile opens or creates the file and sets s.f and s.size.
func (s *Store) openFile() error {
	_, statErr := os.Lstat(s.path)
	// Not O_APPEND: records are written at s.size with WriteAt, and on Windows an O_APPEND
	// handle cannot truncate.
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening history: %w", err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(filepath.Dir(s.path)); err != nil {
			f.Close()
			return err
		}
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("opening history: %w", err)
	}
	s.f, s.size = f, info.Size()
	return nil
}

// repair reads the open file and removes any damage from it.
func (s *Store) repair() error {
	p, err := readFile(s.f)
	if err != nil {
		return err
	}
	s.size = p.size
	switch {
	case len(p.damage) == 0:
		return nil
	case p.tornTailOnly():
		d := p.damage[0]
		s.log.Warn("history: cut off an incomplete last record", "path", s.path,
			"offset", d.Offset, "length", d.Length)
		if err := s.f.Truncate(d.Offset); err != nil {
			return fmt.Errorf("cutting the incomplete end off history %s: %w", s.path, err)
		}
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("syncing history %s: %w", s.path, err)
		}
		s.size = d.Offset
		return nil
	}
	for _, d := range p.damage {
		s.log.Warn("history: dropping a damaged region", "path", s.path,
			"offset", d.Offset, "length", d.Length, "reason", d.Reason)
	}
	backup := s.path + ".damaged"
	if err := s.rewrite(p, s.max, nil, backup); err != nil {
		return fmt.Errorf("repairing history %s: %w", s.path, err)
	}
	s.log.Warn("history: rewrote the file with its valid records; the damaged file is kept",
		"path", s.path, "records", len(p.records), "damaged_copy", backup)
	return nil
}

// rewrite atomically replaces the file with the newest valid lines of p that fit, with
// extra, in budget bytes, followed by extra. With a backup name, the old file is moved there
// first. On failure s.f may be nil; the next operation recovers.
func (s *Store) rewrite(p parsed, budget int64, extra []byte, backup string) error {
	total := int64(len(extra))
	first := len(p.lines)
	for first > 0 {
		l := p.lines[first-1]
		if total+l.end-l.off > budget {
			break
		}
		total += l.end - l.off
		first--
	}
	buf := make([]byte, 0, total)
	for _, l := range p.lines[first:] {
		buf = append(buf, p.data[l.off-p.base:l.end-p.base]...)
	}
	buf = append(buf, extra...)

	tmp := s.path + ".tmp"
	if err := writeSynced(tmp, buf); err != nil {
		os.Remove(tmp)
		return err
	}
	s.f.Close() // Windows cannot rename an open file; nothing is buffered.
	s.f = nil
	if backup != "" {
		if err := os.Rename(s.path, backup); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("keeping the damaged history: %w", err)
		}
	}
	if err := os.Rename(tmp, s.path); err != nil {
		// recover() finishes the job when the file was moved away.
		return fmt.Errorf("replacing history %s: %w", s.path, err)
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return err
	}
	return s.openFile()
}

// Append adds r at the end of the history; when it returns nil, r is on disk (written and
// fsynced). A record whose line is longer than half of MaxBytes is refused.
func (s *Store) Append(r Record) error {
	line, err := frame(r)
	if err != nil {
		return err
	}
	if int64(len(line)) > s.max/2 {
		return fmt.Errorf("appending to history: the record takes %d bytes, more than half of MaxBytes (%d)", len(line), s.max)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return fmt.Errorf("appending to history: %w", err)
	}
	if s.size+int64(len(line)) > s.max {
		return s.compact(line)
	}
	if _, err := s.f.WriteAt(line, s.size); err != nil {
		s.undoAppend()
		return fmt.Errorf("appending to history %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		// The record is not known to be on disk: take it back, so that the caller, told it
		// failed, can append it again without the file holding it twice.
		s.undoAppend()
		return fmt.Errorf("syncing history %s: %w", s.path, err)
	}
	s.size += int64(len(line))
	return nil
}

// undoAppend cuts the file back to s.size after a failed write or sync, so that no part of
// the failed record stays for the next one to follow. A failed write may have written part
// of the line even when it reports 0 bytes (os.File.WriteAt drops the count of a write cut
// short by an error such as ENOSPC), so it truncates whatever the count. If even that fails
// the file is closed, and the next call repairs it on reopening (cutting off the torn tail).
func (s *Store) undoAppend() {
	if err := s.f.Truncate(s.size); err != nil {
		s.log.Warn("history: could not cut off a failed append; repairing on the next call", "path", s.path, "err", err)
		s.f.Close()
		s.f = nil
	}
}

// compact rewrites the file with the newest records that fit in half of MaxBytes, then line.
func (s *Store) compact(line []byte) error {
	p, err := readFile(s.f)
	if err != nil {
		return fmt.Errorf("compacting history: %w", err)
	}
	for _, d := range p.damage {
		s.log.Warn("history: dropping a damaged region while compacting", "path", s.path,
			"offset", d.Offset, "length", d.Length, "reason", d.Reason)
	}
	if err := s.rewrite(p, s.max/2, line, ""); err != nil {
		return fmt.Errorf("compacting history: %w", err)
	}
	return nil
}

// ready checks the store is open and reopens the file after a failed rewrite.
func (s *Store) ready() error {
	if s.closed {
		return os.ErrClosed
	}
	if s.f == nil {
		return s.recover()
	}
	return nil
}

// Records returns every record kept, oldest first, read back from the file.
func (s *Store) Records() ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	p, err := readFile(s.f)
	if err != nil {
		return nil, err
	}
	for _, d := range p.damage {
		s.log.Warn("history: skipped a damaged region", "path", s.path,
			"offset", d.Offset, "length", d.Length, "reason", d.Reason)
	}
	return p.records, nil
}

// Last returns the newest n records (fewer when there are fewer), oldest first. It decodes
// only those, so it stays cheap on a full file.
func (s *Store) Last(n int) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	data, _, err := readRaw(s.f)
	if err != nil {
		return nil, err
	}
	return lastRecords(data, n), nil
}

// Close closes the file. Everything appended is already on disk.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	defer s.lock.release()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("closing history: %w", err)
	}
	return nil
}

// writeSynced creates (or truncates) the file at path with data and fsyncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

// syncDir makes a directory's entries (a created or renamed file) durable. Windows has no
// way to fsync a directory and journals renames itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

package history

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// Kinds of Record. A state change has none; the others mark a stretch of time in which spotwatch
// did not watch, so that nobody reads the state before it as having lasted through it.
const (
	// KindStopped: spotwatch was not running from Time for Duration (stopped, killed, or the
	// machine was off); it started again in "checking", and the next state change ends that.
	KindStopped = "stopped"
	// KindAsleep: spotwatch ran but did not get to check from Time for Duration (the machine
	// slept, or the process was stopped); the state before it went on after it.
	KindAsleep = "asleep"
)

// DefaultBeat is how often the Keeper's owner calls Beat when Options.Beat is 0.
const DefaultBeat = time.Minute

// asleepBeats is how many beat intervals may pass between two beats before the time between
// them counts as a stretch spotwatch did not run (KindAsleep).
const asleepBeats = 3

// AliveSuffix is appended to the history's path for the file holding the time the Keeper last
// knew itself alive: read at the next start to date a stop that left no record (a kill, a
// power loss).
const AliveSuffix = ".alive"

// aliveLen is the size of the alive file: "<crc32c of the digits, 8 hex> <unix ns, 20 digits>\n".
// It is overwritten in place with one write of a few bytes, which is never torn in practice;
// a torn one fails its checksum and the file's modification time is used instead.
const aliveLen = 8 + 1 + 20 + 1

// encodeAlive is the alive file's content for t.
func encodeAlive(t time.Time) []byte {
	digits := fmt.Sprintf("%020d", t.UnixNano())
	return fmt.Appendf(nil, "%08x %s\n", crc32.Checksum([]byte(digits), crc32.MakeTable(crc32.Castagnoli)), digits)
}

// decodeAlive reads the alive file's content.
func decodeAlive(b []byte) (time.Time, error) {
	if len(b) != aliveLen || b[8] != ' ' || b[aliveLen-1] != '\n' {
		return time.Time{}, errors.New("not an alive stamp")
	}
	sum, ok := parseHex8(b[:8])
	digits := b[9 : aliveLen-1]
	if !ok || sum != checksum(digits) {
		return time.Time{}, errors.New("alive stamp: checksum mismatch")
	}
	ns, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || ns <= 0 {
		return time.Time{}, errors.New("alive stamp: bad time")
	}
	return time.Unix(0, ns), nil
}

// readAlive returns when the previous owner of the history was last known alive: the stamp,
// or the alive file's modification time when the stamp is damaged. ok is false when there is
// no alive file.
func readAlive(path string) (t time.Time, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading %s: %w", path, err)
	}
	if t, err := decodeAlive(b); err == nil {
		return t, true, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading %s: %w", path, err)
	}
	return info.ModTime(), true, nil
}

// aliveStamp is the alive file as a Keeper writes it every beat: opened once and kept open, so
// a beat is one write of aliveLen bytes in place. A beat is not synced: the stamp is in the
// kernel's page cache the moment it is written, so it survives a kill of the process; only a
// power loss or a crash of the system can lose the beats of the last few seconds, which the
// kernel had not written back yet, and then the stop is dated that much earlier. A sync every
// minute would wake the disk every minute instead (docs/design.md §7). The stamp of a clean
// stop is synced.
type aliveStamp struct {
	f *os.File // nil until the first write, and after a failed one
}

// write stamps t in the file at path, opening it first if needed, and syncs it when sync is
// set. After a failure the file is closed, and the next write opens it again.
func (s *aliveStamp) write(path string, t time.Time, sync bool) error {
	if s.f == nil {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		// A longer file (damaged, or from another program) is cut once; every stamp has the
		// same length, so none needs it again.
		if err := f.Truncate(aliveLen); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", path, err)
		}
		s.f = f
	}
	if _, err := s.f.WriteAt(encodeAlive(t), 0); err != nil {
		s.close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if sync {
		if err := s.f.Sync(); err != nil {
			s.close()
			return fmt.Errorf("syncing %s: %w", path, err)
		}
	}
	return nil
}

// close closes the file, if open.
func (s *aliveStamp) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// gapRecord is the record of a stretch [from, to) in which spotwatch did not watch.
func gapRecord(kind string, from, to time.Time) Record {
	title := "spotwatch was not running"
	if kind == KindAsleep {
		title = "spotwatch did not run (the computer slept, or spotwatch was paused)"
	}
	return Record{Kind: kind, Time: from, Code: -1, Title: title, Duration: to.Sub(from)}
}

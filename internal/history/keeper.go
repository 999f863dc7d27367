package history

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// maxPending bounds the records a Keeper holds in memory while its file cannot be written:
// state changes, so days of them. Past it the oldest are dropped.
const maxPending = 1000

// Health is the state of a Keeper's storage while it is failing.
type Health struct {
	OK      bool      `json:"ok"`      // always false: a working storage has no Health
	Error   string    `json:"error"`   // the last failure
	Since   time.Time `json:"since"`   // when the storage began to fail
	Pending int       `json:"pending"` // records kept in memory only, written once it works
}

// Keeper is a history that outlives storage trouble, for the daemon: when the directory is
// read-only, the disk full or the file unopenable, records are kept in memory (newest
// maxPending), the trouble is logged and reported by Health, and Retry (or the next Append)
// opens the file again and writes them, oldest first. Only a lock held by another process is
// an error of OpenKeeper: writing beside another writer is never right.
//
// Its methods are safe for concurrent use.
type Keeper struct {
	path string
	opts Options
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	store   *Store   // nil while the file cannot be opened
	pending []Record // appended but not on disk, oldest first
	problem error    // nil while the storage works
	since   time.Time
	dropped int // pending records dropped past maxPending since the trouble began
	closed  bool
	trouble chan struct{} // gets a token when the storage begins to fail
}

// OpenKeeper opens the history at path like Open. If the file cannot be opened for any reason
// but another process's lock (an error wrapping ErrLocked, returned as is) or bad options, it
// returns a Keeper that keeps records in memory until Retry succeeds.
func OpenKeeper(path string, opts Options) (*Keeper, error) {
	if opts.MaxBytes != 0 && (opts.MaxBytes < minMaxBytes || opts.MaxBytes > readLimit) {
		return nil, fmt.Errorf("opening history %s: MaxBytes %d is outside [%d, %d]", path, opts.MaxBytes, minMaxBytes, readLimit)
	}
	k := &Keeper{path: path, opts: opts, log: opts.Logger, now: time.Now, trouble: make(chan struct{}, 1)}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	s, err := Open(path, opts)
	if errors.Is(err, ErrLocked) {
		return nil, err
	}
	if err != nil {
		k.fail(err)
		return k, nil
	}
	k.store = s
	return k, nil
}

// Trouble receives a token each time the storage begins to fail: the daemon then calls Retry
// periodically until Health is nil again, and sleeps otherwise.
func (k *Keeper) Trouble() <-chan struct{} { return k.trouble }

// fail records a storage failure; k.mu is held (or k is not shared yet).
func (k *Keeper) fail(err error) {
	if k.problem == nil {
		k.since = k.now()
		k.log.Error("history: cannot write the history file; keeping the history in memory and retrying",
			"path", k.path, "err", err.Error())
		select {
		case k.trouble <- struct{}{}:
		default:
		}
	}
	k.problem = err
}

// Append adds r to the history: on disk when the storage works, else in memory until it works
// again. It returns an error only after Close.
func (k *Keeper) Append(r Record) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return fmt.Errorf("appending to history: %w", os.ErrClosed)
	}
	k.pending = append(k.pending, r)
	if over := len(k.pending) - maxPending; over > 0 {
		k.pending = k.pending[over:]
		k.dropped += over
	}
	k.flush()
	return nil
}

// Retry opens the file if needed and writes the records kept in memory. It does nothing
// while the storage works.
func (k *Keeper) Retry() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed || k.problem == nil {
		return
	}
	k.flush()
}

// flush opens the store if needed and appends the pending records, oldest first, stopping at
// the first failure (Store.Append leaves the file as it was when it fails, so nothing is
// written twice). k.mu is held.
func (k *Keeper) flush() {
	if k.store == nil {
		s, err := Open(k.path, k.opts)
		if err != nil {
			k.fail(err)
			return
		}
		k.store = s
	}
	for len(k.pending) > 0 {
		if err := k.store.Append(k.pending[0]); err != nil {
			k.fail(err)
			return
		}
		k.pending = k.pending[1:]
	}
	if k.problem != nil {
		k.log.Info("history: the history file is writable again; wrote the records kept in memory",
			"path", k.path, "failing_since", k.since, "dropped", k.dropped)
		k.problem, k.dropped = nil, 0
	}
	k.pending = nil
}

// Health is nil while the storage works, else what fails and since when.
func (k *Keeper) Health() *Health {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.problem == nil {
		return nil
	}
	return &Health{Error: k.problem.Error(), Since: k.since, Pending: len(k.pending)}
}

// Last returns the newest n records, oldest first: those on disk, then those kept in memory.
// While the file cannot be opened, the records on disk are read without a lock (Read).
func (k *Keeper) Last(n int) ([]Record, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, fmt.Errorf("reading history: %w", os.ErrClosed)
	}
	var disk []Record
	switch {
	case len(k.pending) >= n:
	case k.store != nil:
		disk, _ = k.store.Last(n - len(k.pending)) // unreadable: what is in memory will do
	default:
		if all, _, err := Read(k.path, nil); err == nil {
			disk = all[max(0, len(all)-(n-len(k.pending))):]
		}
	}
	out := append(disk, k.pending...)
	return out[max(0, len(out)-n):], nil
}

// Close writes what it still can and closes the file; records still in memory are lost, and
// logged as such.
func (k *Keeper) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	if k.problem != nil {
		k.flush()
	}
	k.closed = true
	if len(k.pending) > 0 {
		k.log.Error("history: closing with records the file could not take; they are lost",
			"path", k.path, "records", len(k.pending), "err", k.problem)
	}
	if k.store == nil {
		return nil
	}
	return k.store.Close()
}

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
// It also dates the stretches in which nobody watched, so that a history never shows a state as
// lasting through them: OpenKeeper records the time since the previous owner was last known
// alive (its alive stamp, <path>.alive, or its last record) as a KindStopped record, and Beat,
// called every Options.Beat, stamps the time and records a KindAsleep record when beats stopped
// coming for a while (the machine slept, the process was stopped).
//
// Its methods are safe for concurrent use.
type Keeper struct {
	path  string
	alive string // the alive stamp's file
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	beat  time.Duration

	mu      sync.Mutex
	store   *Store   // nil while the file cannot be opened
	pending []Record // appended but not on disk, oldest first
	problem error    // nil while the storage works
	since   time.Time
	dropped int // pending records dropped past maxPending since the trouble began
	closed  bool
	trouble chan struct{} // gets a token when the storage begins to fail

	seen    time.Time // the latest moment this Keeper knew itself alive: a beat or a record
	beating bool      // Beat has been called: from then on a silence longer than asleepBeats beats is a gap
	stampOK bool      // the last alive stamp was written (a failure is logged once)
	stamper aliveStamp
}

// OpenKeeper opens the history at path like Open. If the file cannot be opened for any reason
// but another process's lock (an error wrapping ErrLocked, returned as is) or bad options, it
// returns a Keeper that keeps records in memory until Retry succeeds.
func OpenKeeper(path string, opts Options) (*Keeper, error) {
	if opts.MaxBytes != 0 && (opts.MaxBytes < minMaxBytes || opts.MaxBytes > readLimit) {
		return nil, fmt.Errorf("opening history %s: MaxBytes %d is outside [%d, %d]", path, opts.MaxBytes, minMaxBytes, readLimit)
	}
	if opts.Beat < 0 {
		return nil, fmt.Errorf("opening history %s: negative beat interval %v", path, opts.Beat)
	}
	k := &Keeper{path: path, alive: path + AliveSuffix, opts: opts, log: opts.Logger, now: opts.Now, beat: opts.Beat,
		trouble: make(chan struct{}, 1), stampOK: true}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.now == nil {
		k.now = time.Now
	}
	if k.beat == 0 {
		k.beat = DefaultBeat
	}
	s, err := Open(path, opts)
	if errors.Is(err, ErrLocked) {
		return nil, err
	}
	if err != nil {
		k.fail(err)
	} else {
		k.store = s
	}
	k.resume()
	return k, nil
}

// BeatInterval is how often the owner should call Beat.
func (k *Keeper) BeatInterval() time.Duration { return k.beat }

// resume records the stretch since the previous owner of the history was last known alive as
// a KindStopped gap, and stamps this one alive. A history without an alive stamp (a first
// start, or one written before spotwatch stamped it) gets no gap.
func (k *Keeper) resume() {
	now := k.now()
	from, known, err := readAlive(k.alive)
	if err != nil {
		k.log.Warn("history: cannot read when spotwatch last ran; no gap recorded for the time it was stopped", "err", err.Error())
	}
	if known {
		// A record written after the last stamp proves the previous owner alive later.
		if last, _ := k.last(1); len(last) == 1 {
			if end := recordEnd(last[0]); end.After(from) {
				from = end
			}
		}
		if now.After(from) {
			k.log.Info("history: spotwatch was not running", "from", from, "for", now.Sub(from).Round(time.Second).String())
			k.add(gapRecord(KindStopped, from, now))
		}
	}
	k.seen = now
	k.stamp(now, false)
}

// recordEnd is when a record stops being news: a gap's end, a state change's start.
func recordEnd(r Record) time.Time {
	if r.Kind != "" {
		return r.Time.Add(r.Duration)
	}
	return r.Time
}

// Beat stamps the Keeper alive; its owner calls it every BeatInterval. When no beat nor record
// came for more than asleepBeats intervals, the silence is recorded as a KindAsleep gap.
func (k *Keeper) Beat() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return
	}
	now := k.now()
	k.beating = true
	k.noteAlive(now)
	k.stamp(now, false)
}

// noteAlive records a gap when the Keeper was silent too long before t, and moves seen to t.
// k.mu is held.
func (k *Keeper) noteAlive(t time.Time) {
	if k.beating && t.Sub(k.seen) > asleepBeats*k.beat {
		k.log.Info("history: spotwatch did not run (the computer slept, or the process was stopped)", "from", k.seen, "for", t.Sub(k.seen).Round(time.Second).String())
		k.add(gapRecord(KindAsleep, k.seen, t))
	}
	if t.After(k.seen) {
		k.seen = t
	}
}

// stamp writes the alive stamp, synced when sync is set (a clean stop), logging the first
// failure of a run of them. k.mu is held.
func (k *Keeper) stamp(t time.Time, sync bool) {
	err := k.stamper.write(k.alive, t, sync)
	switch {
	case err != nil && k.stampOK:
		k.log.Warn("history: cannot stamp the time spotwatch runs; a stop would be dated from an older stamp", "err", err.Error())
	case err == nil && !k.stampOK:
		k.log.Info("history: stamping the time spotwatch runs again", "path", k.alive)
	}
	k.stampOK = err == nil
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
	k.noteAlive(r.Time)
	k.add(r)
	return nil
}

// add appends r to the pending records and writes them. k.mu is held.
func (k *Keeper) add(r Record) {
	k.pending = append(k.pending, r)
	if over := len(k.pending) - maxPending; over > 0 {
		k.pending = k.pending[over:]
		k.dropped += over
	}
	k.flush()
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
	return k.last(n)
}

// last is Last with k.mu held (or k not shared yet).
func (k *Keeper) last(n int) ([]Record, error) {
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
	k.stamp(k.now(), true) // the next start dates the stop from here
	k.stamper.close()
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

package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/filewatch"
	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/internal/logfile"
	"github.com/spotwatch/spotwatch/internal/memtrim"
	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/svc"
)

// configPollInterval is how often the daemon looks at its config file for changes where no
// event tells it (internal/filewatch); configEventPoll is how long it goes at least without
// looking where one does (it looks at the first wake-up after that, see housekeep).
const (
	configPollInterval = 5 * time.Second
	configEventPoll    = time.Minute
)

// beatSlack is how long past a beat interval the housekeeping goroutine waits for a check, or
// anything else that wakes it, before it wakes up on its own to stamp the history alive: a check
// every beat interval, a little late, still comes first.
const beatSlack = 10 * time.Second

// daemon is a running monitor with its API, watchers and history.
type daemon struct {
	log     *slog.Logger
	monitor *monitor.Monitor
	store   *history.Keeper
	server  *statusapi.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	system  bool
	check   probe.Options // how checks are made, for every configuration
	// interval is the configured interval (nanoseconds), for the metrics: it follows reloads.
	interval atomic.Int64

	cfgPath string
	cfgPoll time.Duration
	cfgMod  time.Time
	cfgSize int64
	hup     chan os.Signal
	checked chan struct{} // a token after each check (afterCheck), for housekeep
	// answered is set when the status API answered since the last check: the binary's pages
	// that the answer mapped are handed back after the next light check (afterCheck).
	answered atomic.Bool
}

// start starts everything and returns at once; wait blocks until ctx ends and all stopped.
func start(parent context.Context, opts Options, log *slog.Logger) (*daemon, error) {
	system := opts.System
	ctx, cancel := context.WithCancel(parent)
	d := &daemon{log: log, cancel: cancel, system: system, check: opts.Check, cfgPath: opts.ConfigPath, cfgPoll: opts.ConfigPoll,
		checked: make(chan struct{}, 1)}
	cfg := d.startConfig(opts.Config)
	d.check.Logger = log
	if d.cfgPoll <= 0 {
		d.cfgPoll = configPollInterval
	}
	fail := func(err error) (*daemon, error) {
		cancel()
		d.wg.Wait()
		if d.hup != nil {
			signal.Stop(d.hup)
		}
		if d.store != nil {
			d.store.Close()
		}
		return nil, err
	}
	// The history first: its lock is what tells that another daemon runs on this state
	// directory, before anything is opened, repaired or listened on.
	histPath := opts.HistoryPath
	if histPath == "" {
		var err error
		if histPath, err = history.DefaultPath(system); err != nil {
			return fail(fmt.Errorf("finding the history file: %w", err))
		}
	}
	var err error
	if d.store, err = history.OpenKeeper(histPath, history.Options{Logger: log}); err != nil {
		if errors.Is(err, history.ErrLocked) {
			return fail(fmt.Errorf("another spotwatch daemon is running on the state directory %s; stop it first: %w", filepath.Dir(histPath), err))
		}
		return fail(fmt.Errorf("opening the history: %w", err))
	}
	checker, err := probe.New(cfg, d.check)
	if err != nil {
		return fail(err)
	}
	d.monitor = monitor.New(monitor.SettingsFrom(cfg), d.afterCheck(CheckFunc(checker, log)), monitor.Options{Logger: log, History: d.store})
	d.interval.Store(int64(cfg.Interval))
	metricsSrc := metricsSource{d.monitor, &d.interval}

	// The default places: the first that is provably the daemon's own (see statusapi.SocketPaths).
	socket := cfg.API.Socket
	var ln net.Listener
	if socket == "" {
		ln, socket, err = statusapi.ListenDefault(system, log)
	} else {
		ln, err = statusapi.Listen(socket, system)
	}
	if err != nil {
		return fail(err)
	}
	// SIGHUP is caught from here on, before the socket answers: a SIGHUP sent once the daemon
	// answers never meets the default action (ending the process).
	d.hup = make(chan os.Signal, 1)
	signal.Notify(d.hup, syscall.SIGHUP)
	d.server = statusapi.NewServer(statusapi.ServerOptions{Source: statusWithStorage{d.monitor, d.store}, History: d.store.Last, Logger: log, System: system,
		Served: func() { d.answered.Store(true) }})
	d.run(func() {
		if err := d.server.Serve(ln); err != nil {
			log.Error("status API stopped", "err", err)
		}
	})
	d.run(func() {
		<-ctx.Done()
		shutdown, stop := context.WithTimeout(context.Background(), 2*time.Second)
		defer stop()
		d.server.Shutdown(shutdown)
	})
	if cfg.Metrics.Listen != "" {
		metrics, err := statusapi.ListenMetrics(cfg.Metrics.Listen)
		if err != nil {
			ln.Close()
			return fail(fmt.Errorf("metrics.listen: %w", err))
		}
		d.run(func() {
			if err := statusapi.ServeMetricsOn(ctx, metrics, metricsSrc, log); err != nil {
				log.Error("metrics endpoint stopped", "err", err)
			}
		})
	}
	if path := cfg.Metrics.Textfile; path != "" {
		// A textfile that cannot be written is logged at each new error and never stops
		// monitoring (docs/design.md, "The fleet").
		d.run(func() {
			if err := statusapi.WriteMetricsFile(ctx, path, metricsSrc, log); err != nil {
				log.Error("metrics textfile not written", "err", err)
			}
		})
	}
	d.run(func() { d.monitor.Run(ctx) })
	d.run(func() { WatchNetwork(ctx, d.monitor, log) })
	d.run(func() { WatchApp(ctx, d.monitor, cfg.Spotify.AppExecutables, log) })
	d.run(func() { WatchMetered(ctx, d.monitor, log) })
	d.run(func() { d.housekeep(ctx, d.checked) })
	d.run(func() { d.retryStorage(ctx) })
	log.Info("spotwatch daemon started", "version", version.Version, "socket", socket, "history", histPath, "config", cfgPathOrDefaults(d.cfgPath))
	return d, nil
}

func (d *daemon) run(f func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		f()
	}()
}

// wait blocks until the daemon has stopped, then closes the history.
func (d *daemon) wait() {
	d.wg.Wait()
	signal.Stop(d.hup)
	if err := d.store.Close(); err != nil {
		d.log.Error("closing the history", "err", err)
	}
	d.log.Info("spotwatch daemon stopped")
}

// storageRetryInterval is how often the daemon tries to write its history again while the
// file cannot be written (a read-only or full filesystem). Only then: a healthy daemon does
// not wake up for it.
const storageRetryInterval = 5 * time.Second

// retryStorage retries the history's storage while it fails, until it works again.
func (d *daemon) retryStorage(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.store.Trouble():
		}
		tick := time.NewTicker(storageRetryInterval)
		for d.store.Health() != nil {
			select {
			case <-ctx.Done():
				tick.Stop()
				return
			case <-tick.C:
				d.store.Retry()
			}
		}
		tick.Stop()
	}
}

// statusWithStorage is the monitor as the status API sees it: its status, plus the history's
// storage trouble when there is one.
type statusWithStorage struct {
	*monitor.Monitor
	store *history.Keeper
}

func (s statusWithStorage) Status() monitor.Status {
	st := s.Monitor.Status()
	st.Storage = s.store.Health()
	return st
}

// metricsSource is the monitor as the metrics see it: with the configured interval, which the
// fleet's staleness rule compares the last check's age with. metrics.listen and
// metrics.textfile themselves are read at start only.
type metricsSource struct {
	*monitor.Monitor
	interval *atomic.Int64
}

func (s metricsSource) CheckInterval() time.Duration { return time.Duration(s.interval.Load()) }

// CheckMode is the last check's mode (monitor.ModeLight or monitor.ModeFull) for
// spotwatch_check_mode; the two packages spell the modes alike.
func (s metricsSource) CheckMode() string { return s.Status().Mode }

// housekeep stamps the history alive every beat interval, so that a kill, a power loss or a
// sleep shows in the history as a gap (docs/design.md, "The Monitor"), and reloads the
// configuration on SIGHUP and when its file changes. checked gets a token after each check.
//
// Both ride on the checks, in one goroutine with one timer. Each wake-up of a Go process costs
// far more CPU than the little work done (the scheduler, sysmon), and an idle daemon wakes up for
// its checks anyway: with timers of their own, the beat and the config file's safety look each
// woke it once more a minute. So after a check the beat is taken when it is due, or early from
// half a beat interval on, and the config file is looked at when configEventPoll has passed
// since the last look; the timer fires only when nothing woke the goroutine for a beat interval
// and beatSlack (checks further apart than that: a metered interval). Where no event tells of
// a change of the file it is polled as before, every cfgPoll.
func (d *daemon) housekeep(ctx context.Context, checked <-chan struct{}) {
	var changed <-chan struct{}
	poll := time.Duration(0) // no file, nothing to poll
	if d.cfgPath != "" {
		// An event where the OS has one: no wake-up every few seconds while nothing changes. The
		// slow safety look stays for what the event cannot see (a config that is a link to elsewhere).
		if ch, err := filewatch.Watch(ctx, d.cfgPath); err == nil {
			changed = ch
		} else {
			poll = d.cfgPoll
			d.log.Debug("the config file is polled", "every", poll, "err", err)
		}
	}
	d.keepHouse(ctx, checked, changed, d.newSchedule(poll))
}

// newSchedule is housekeep's schedule, the config file polled every poll (0: it is not).
func (d *daemon) newSchedule(poll time.Duration) *schedule {
	return &schedule{beat: d.store.BeatInterval(), slack: beatSlack, poll: poll, look: max(d.cfgPoll, configEventPoll)}
}

// keepHouse is housekeep's loop, on the file events changed (nil: none) and the schedule s. It
// beats once at once.
func (d *daemon) keepHouse(ctx context.Context, checked, changed <-chan struct{}, s *schedule) {
	d.store.Beat()
	s.lastBeat = time.Now()
	s.lastLook = s.lastBeat
	timer := time.NewTimer(s.wait())
	defer timer.Stop()
	for {
		own, event := false, false
		select {
		case <-ctx.Done():
			return
		case <-d.hup:
			d.reload("SIGHUP")
		case _, ok := <-changed:
			if !ok { // the directory went away: poll
				changed, s.poll = nil, d.cfgPoll
			}
			event = true
		case <-checked:
		case <-timer.C:
			own = true
			s.ownWakes++
		}
		now := time.Now()
		beat, look := s.due(now, own)
		if beat {
			s.lastBeat = now
			d.store.Beat()
		}
		if look || event {
			s.lastLook = now
			d.lookAtConfig()
		}
		timer.Reset(s.wait())
	}
}

// schedule is when housekeep stamps the history alive, looks at the config file and wakes up on
// its own.
type schedule struct {
	beat  time.Duration // the history's beat interval
	slack time.Duration // how long past beat the timer waits for something else to wake the goroutine
	poll  time.Duration // while the config file is polled (no event tells of a change), how often; else 0
	look  time.Duration // with events, how long the config file goes at least without a look

	lastBeat, lastLook time.Time
	ownWakes           int // how often the timer woke the goroutine (none while checks come every beat and slack)
}

// wait is how long the goroutine sleeps when nothing wakes it: a beat interval and the slack,
// or the poll interval while the config file is polled.
func (s *schedule) wait() time.Duration {
	if s.poll > 0 {
		return min(s.poll, s.beat)
	}
	return s.beat + s.slack
}

// due tells whether to beat and to look at the config file at now, on a wake-up by the timer
// (own) or by anything else. A beat is due a beat interval after the last one; another wake-up
// takes it from half an interval on rather than wake up again for it, so that checks every beat
// interval, a little early or late, beat at each check (and failing checks every 15 s no more
// than every half interval). Beats then stay less than 1.5 beat intervals and the slack apart,
// well within the history's asleep rule (a silence of more than three). The config file is
// looked at on every wake-up while it is polled, else once look has passed since the last look.
func (s *schedule) due(now time.Time, own bool) (beat, look bool) {
	since := now.Sub(s.lastBeat)
	beat = since >= s.beat || !own && since >= s.beat/2
	look = s.poll > 0 || now.Sub(s.lastLook) >= s.look
	return beat, look
}

// startConfig takes the config file's stamp, which later looks compare against, and returns the
// configuration to start with: loaded, the file as it is now when that differs. The caller read
// the file before the stamp was taken, so a write in between (an editor or a package manager
// still writing it) would otherwise never be seen: the file would be as stamped, and the daemon
// would run on what the caller read half-written. The file is read again after the stamp, so a
// write after it changes the stamp and is reloaded.
func (d *daemon) startConfig(loaded *config.Config) *config.Config {
	if d.cfgPath == "" {
		return loaded
	}
	d.cfgMod, d.cfgSize = fileStamp(d.cfgPath)
	now, err := config.Load(d.cfgPath)
	if err != nil {
		// Half-written now, or gone: the caller's read stands, and the write's end changes
		// the stamp.
		d.log.Warn("the configuration file changed while the daemon started; starting on what was read", "err", err.Error())
		return loaded
	}
	if reflect.DeepEqual(now, loaded) {
		return loaded
	}
	d.log.Info("the configuration file changed while the daemon started; starting on the file as it is now", "config", d.cfgPath)
	return now
}

// lookAtConfig reloads the config file when its modification time or size changed.
func (d *daemon) lookAtConfig() {
	if d.cfgPath == "" {
		return
	}
	if mod, size := fileStamp(d.cfgPath); !mod.Equal(d.cfgMod) || size != d.cfgSize {
		d.cfgMod, d.cfgSize = mod, size
		d.reload("file changed")
	}
}

// reload applies a new configuration, or logs why it cannot and keeps the running one.
func (d *daemon) reload(why string) {
	if d.cfgPath == "" {
		d.log.Info("no configuration file to reload; running on defaults", "trigger", why)
		return
	}
	if d.system {
		// Checked on every reload, not only at start: a file made writable by others since
		// would otherwise let them point the daemon's checks, log and socket anywhere.
		if err := svc.CheckFile(d.cfgPath); err != nil {
			d.log.Error("configuration not reloaded: keeping the last good one", "trigger", why,
				"reason", "a system daemon refuses a configuration others may change", "err", err.Error())
			return
		}
	}
	cfg, err := config.Load(d.cfgPath)
	if err != nil {
		d.log.Error("configuration not reloaded: keeping the last good one", "trigger", why, "err", err.Error())
		return
	}
	checker, err := probe.New(cfg, d.check)
	if err != nil {
		d.log.Error("configuration not reloaded: keeping the last good one", "trigger", why, "err", err.Error())
		return
	}
	d.monitor.Reload(monitor.SettingsFrom(cfg), d.afterCheck(CheckFunc(checker, d.log)))
	d.interval.Store(int64(cfg.Interval))
	d.monitor.CheckNow()
	d.log.Info("configuration reloaded", "trigger", why, "config", d.cfgPath)
}

// afterCheck is check, then a token on d.checked (never waiting: one pending is enough), so
// that housekeep does its work while the process is awake for the check anyway. It only
// signals: the monitor's loop runs it, and what calls the monitor is done on housekeep's goroutine.
//
// After a light check that followed answers of the status API (a tray that subscribed,
// `spotwatch status`), it also unmaps the binary's pages those answers mapped: an answer
// encodes the whole status, whose types a light check does not touch, and a tray subscribes
// after the full check that trimmed them (§7 of docs/design.md, Memory). At most once a check,
// whatever the API's traffic.
func (d *daemon) afterCheck(check monitor.CheckFunc) monitor.CheckFunc {
	return func(ctx context.Context) diagnosis.Result {
		defer func() {
			select {
			case d.checked <- struct{}{}:
			default:
			}
		}()
		res := check(ctx)
		if res.Light && d.answered.Swap(false) {
			trimBinary(d.log)
		}
		return res
	}
}

// CheckFunc runs the check the monitor asks for (light or full, with the last good round
// trip), then, after a full check, hands the memory it used back to the OS: the heap it grew
// (debug.FreeOSMemory) and the pages of the binary that start-up and the full check mapped
// (memtrim.Trim; docs/design.md, "Memory"). A daemon that checks once a minute should not keep
// a full check's worth of memory resident in between. A light check touches little; releasing
// after it would cost more CPU than it saves. While light checks run, the garbage collector
// keeps a small heap and runs only when it is full (collectForLightChecks); a full check runs
// with the usual target, so its allocations are not collected over and over. The tray's
// in-process monitor uses it too.
func CheckFunc(checker *probe.Checker, log *slog.Logger) monitor.CheckFunc {
	return func(ctx context.Context) diagnosis.Result {
		req := monitor.RequestFrom(ctx)
		if req.Light {
			collectForLightChecks()
		} else {
			collectForFullChecks()
			defer ReleaseMemory(log)
		}
		return checker.DiagnoseWith(ctx, probe.CheckOptions{Light: req.Light, LastRTT: req.LastRTT, LinkRTT: req.LinkRTT})
	}
}

// ReleaseMemory returns the freed heap to the OS and unmaps the binary's idle pages (§7 of
// docs/design.md, Memory): after the daemon's full checks, and once the tray has started.
func ReleaseMemory(log *slog.Logger) {
	debug.FreeOSMemory()
	trimBinary(log)
}

// trimBinary unmaps the binary's idle pages (memtrim.Trim).
func trimBinary(log *slog.Logger) {
	n, err := memtrim.Trim()
	if err != nil {
		log.Debug("could not trim the resident pages of the binary", "err", err)
		return
	}
	log.Debug("handed memory back to the OS", "binary_bytes_trimmed", n)
}

func fileStamp(path string) (time.Time, int64) {
	if path == "" {
		return time.Time{}, 0
	}
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}, -1
	}
	return info.ModTime(), info.Size()
}

func cfgPathOrDefaults(path string) string {
	if path == "" {
		return "(built-in defaults)"
	}
	return path
}

// NewLogger is the log of the daemon and the tray: on stderr at the configured level, as text or
// JSON per log.format, and, when log.file is set, in that size-bounded file as well. close
// closes the file.
func NewLogger(cfg *config.Config, stderr io.Writer) (log *slog.Logger, close func(), err error) {
	if cfg.Log.File == "" {
		return newLogger(cfg, stderr), func() {}, nil
	}
	file, err := logfile.Open(cfg.Log.File, 0)
	if err != nil {
		return nil, nil, err
	}
	return newLogger(cfg, io.MultiWriter(stderr, file)), func() { file.Close() }, nil
}

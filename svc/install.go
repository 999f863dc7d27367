package svc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// ErrNeedAdmin is returned, wrapped with the action, when a system service is changed without
// administrator rights (root, or an elevated Windows process).
var ErrNeedAdmin = errors.New("this needs administrator rights")

// ErrNotInstalled is returned, wrapped, when a service to start, stop or restart is not installed.
var ErrNotInstalled = errors.New("the service is not installed")

// Installer carries out a Plan, saying what it did on Out, one line per step.
type Installer struct {
	Plan Plan
	Out  io.Writer
	// DaemonTimeout bounds the wait for the daemon to answer after a start, or to stop
	// answering after a stop; 0 means 15 s.
	DaemonTimeout time.Duration
	// runKey is the Windows Run key; nil for the real HKCU key.
	runKey runKey
}

func (in *Installer) say(step, format string, args ...any) {
	fmt.Fprintf(in.Out, "  %-8s %s\n", step, fmt.Sprintf(format, args...))
}

func (in *Installer) timeout() time.Duration {
	if in.DaemonTimeout > 0 {
		return in.DaemonTimeout
	}
	return 15 * time.Second
}

func (in *Installer) needAdmin(action string) error {
	if in.Plan.Scope == System && !IsAdmin() {
		return fmt.Errorf("%s the system service: %w", action, ErrNeedAdmin)
	}
	return nil
}

// Install installs and starts the daemon's service and the tray: the binary (copied for a system
// service when needed), the service account, a configuration file when there is none, the
// service definition, the tray's autostart entry and icon; then it starts the service and waits
// until the daemon answers on its socket, and starts the tray when there is a desktop session
// to show it in. What is already in place is left as it is and said so; what differs from the
// Plan is updated (the service is stopped for that and started again).
func (in *Installer) Install(ctx context.Context) error {
	p := in.Plan
	if err := in.needAdmin("installing"); err != nil {
		return err
	}
	fmt.Fprintf(in.Out, "spotwatch %s\n", p.Describe())
	m, err := newManager(p)
	if err != nil {
		return err
	}
	if err := in.ensureConfig(); err != nil {
		return err
	}
	def, installed, err := m.installed()
	if err != nil {
		return err
	}
	same := installed && def == m.want()
	binaryStale := false
	if p.Source != "" {
		if binaryStale, err = differs(p.Source, p.Binary); err != nil {
			return err
		}
	}
	state := NotInstalled
	if installed {
		if state, err = m.status(ctx); err != nil {
			return err
		}
	}
	if state == Running && (!same || binaryStale) {
		if err := m.stop(); err != nil {
			return err
		}
		in.say("service", "stopped it to update it")
		state = Stopped
	}
	if binaryStale {
		// A running tray holds the old binary (Windows cannot replace it); it starts again below.
		if msg, err := stopTray(ctx, p); err == nil && msg != "" {
			in.say("tray", "%s to update it", msg)
		}
	}
	if err := in.installBinary(binaryStale); err != nil {
		return err
	}
	if err := in.prepareSystem(ctx); err != nil {
		return err
	}
	switch {
	case same:
		in.say("service", "already installed: %s", p.Describe())
	case installed:
		if err := m.uninstall(); err != nil {
			return err
		}
		if err := m.install(); err != nil {
			return err
		}
		in.say("service", "updated %s", where(p))
	default:
		if err := m.install(); err != nil {
			return err
		}
		in.say("service", "installed %s", where(p))
	}
	if state == Running {
		in.say("daemon", "already running")
	} else if err := in.startAndWait(ctx, m); err != nil {
		return err
	}
	return in.installTray(ctx)
}

func where(p Plan) string {
	if p.ServiceFile != "" {
		return p.ServiceFile
	}
	return "the SCM service " + p.Name
}

// defaultConfig is what install writes where there is no configuration file yet.
const defaultConfig = `# spotwatch configuration. Every key is optional: without one, the built-in default applies.
# config.example.yaml (https://github.com/spotwatch/spotwatch) lists every key, its default and
# what it does. The daemon reloads this file when it changes.
`

// ensureConfig writes a configuration file when there is none, then checks that the daemon will
// accept it: it must parse, and a system daemon's must be changeable by administrators only.
func (in *Installer) ensureConfig() error {
	path := in.Plan.Config
	_, err := os.Lstat(path) // a link there (even one to nothing) is someone's: never written through
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := systemDir(path)
		if in.Plan.Scope == System {
			// Root must not create files in a directory others can change or link elsewhere.
			if err := CheckFile(dir.Root); err != nil {
				return fmt.Errorf("the system daemon's configuration would be in an unsafe directory: %w", err)
			}
		}
		if err := dir.write(path, []byte(defaultConfig), 0o644); err != nil {
			return fmt.Errorf("writing the configuration file: %w", err)
		}
		in.say("config", "wrote %s (all defaults; edit it to change them)", path)
	case err != nil:
		return fmt.Errorf("reading the configuration file: %w", err)
	default:
		in.say("config", "using %s", path)
	}
	if in.Plan.Scope == System {
		if err := CheckFile(path); err != nil {
			return fmt.Errorf("the system daemon would refuse its configuration: %w", err)
		}
	}
	if _, err := config.Load(path); err != nil {
		return fmt.Errorf("the daemon would not start with this configuration: %w", err)
	}
	return nil
}

// installBinary copies the running binary to where a system service runs it.
func (in *Installer) installBinary(stale bool) error {
	p := in.Plan
	if p.Source == "" {
		return nil
	}
	if !stale {
		in.say("binary", "%s is up to date", p.Binary)
		return nil
	}
	if err := copyFile(p.Source, p.Binary, 0o755); err != nil {
		return fmt.Errorf("copying the binary for the system service: %w", err)
	}
	in.say("binary", "copied %s to %s", p.Source, p.Binary)
	return nil
}

// prepareSystem creates the system daemon's account and directories.
func (in *Installer) prepareSystem(ctx context.Context) error {
	p := in.Plan
	if p.Account != "" && p.Platform != PlatformWindows {
		created, err := ensureAccount(ctx, p.Account, p.StateDir)
		if err != nil {
			return err
		}
		if created {
			in.say("account", "created the system user %s for the daemon", p.Account)
		} else {
			in.say("account", "the daemon runs as the system user %s", p.Account)
		}
	}
	if p.Platform == PlatformWindows && p.Scope == System {
		if err := prepareDataDir(p); err != nil {
			return err
		}
	}
	if p.StateDir != "" {
		if err := os.MkdirAll(p.StateDir, 0o755); err != nil {
			return fmt.Errorf("creating the state directory: %w", err)
		}
		if err := chownAccount(p.StateDir, p.Account); err != nil {
			return err
		}
	}
	if p.LogDir != "" {
		if err := os.MkdirAll(p.LogDir, 0o755); err != nil {
			return fmt.Errorf("creating the log directory: %w", err)
		}
	}
	return nil
}

// startAndWait starts the service and waits until its daemon answers on the status socket.
func (in *Installer) startAndWait(ctx context.Context, m *manager) error {
	if err := m.start(); err != nil {
		return fmt.Errorf("%w%s%s", err, in.logHint(), in.logTail())
	}
	socket, err := in.socket()
	if err != nil {
		return err
	}
	st, err := waitDaemon(ctx, socket, in.timeout())
	if err != nil {
		return fmt.Errorf("the service started, but its daemon does not answer on %s: %w%s%s", socket, err, in.logHint(), in.logTail())
	}
	in.say("daemon", "started; it answers on %s (%s)", socket, describeStatus(st))
	return nil
}

// logHint says where the daemon's output is.
func (in *Installer) logHint() string {
	p := in.Plan
	switch {
	case p.LogDir != "":
		return "; see " + filepath.Join(p.LogDir, "daemon.log")
	case p.Platform == PlatformSystemd && p.Scope == User:
		return "; see journalctl --user -u " + p.Name
	case p.Platform == PlatformSystemd:
		return "; see journalctl -u " + p.Name
	case p.Platform == PlatformWindows:
		return "; see the Event Viewer, Windows Logs > Application, source " + p.Name
	}
	return ""
}

// logTail is the end of the daemon's log file, where the init system keeps one.
func (in *Installer) logTail() string {
	if in.Plan.LogDir == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(in.Plan.LogDir, "daemon.log"))
	if err != nil || len(data) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	lines = lines[max(len(lines)-3, 0):]
	return ". Its log ends with:\n  " + strings.Join(lines, "\n  ")
}

// socket is where the installed daemon listens: api.socket of its configuration, or the default.
func (in *Installer) socket() (string, error) {
	cfg, err := config.Load(in.Plan.Config)
	if err != nil {
		return "", err
	}
	if cfg.API.Socket != "" {
		return cfg.API.Socket, nil
	}
	return statusapi.DefaultSocketPath(in.Plan.Scope == System)
}

func describeStatus(st monitor.Status) string {
	if st.Cause == diagnosis.CauseChecking {
		return "first check running"
	}
	return fmt.Sprintf("Spotify: %s", st.Cause)
}

// waitDaemon polls the socket until the daemon answers.
func waitDaemon(ctx context.Context, socket string, timeout time.Duration) (monitor.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := statusapi.NewClient(socket)
	for {
		try, stop := context.WithTimeout(ctx, 2*time.Second)
		st, err := client.Status(try)
		stop()
		if err == nil {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return monitor.Status{}, fmt.Errorf("no answer within %v: %w", timeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitGone polls the socket until no daemon answers.
func waitGone(ctx context.Context, socket string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := statusapi.NewClient(socket)
	for {
		try, stop := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.Status(try)
		stop()
		if errors.Is(err, statusapi.ErrNoDaemon) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the daemon still answers on %s after %v", socket, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// installTray writes the tray's autostart entry and icon and starts the tray.
func (in *Installer) installTray(ctx context.Context) error {
	if err := in.installTrayFiles(); err != nil {
		return err
	}
	msg, err := startTray(ctx, in.Plan)
	if err != nil {
		return fmt.Errorf("starting the tray: %w", err)
	}
	in.say("tray", "%s", msg)
	return nil
}

// installTrayFiles writes the tray's autostart entry and icon for the tray's user.
func (in *Installer) installTrayFiles() error {
	p := in.Plan
	changed, err := in.autostart().enable()
	if err != nil {
		return fmt.Errorf("registering the tray's autostart: %w", err)
	}
	if changed {
		in.say("tray", "starts at login: %s", in.autostart().describe())
	} else {
		in.say("tray", "already starts at login: %s", in.autostart().describe())
	}
	icon := icons.PNG(icons.OK, icons.NotificationSize)
	if userDir(p.Tray, p.Tray.Icon).sameFile(p.Tray.Icon, icon) {
		in.say("icon", "already installed: %s", p.Tray.Icon)
	} else {
		if err := writeUserFile(p.Tray, p.Tray.Icon, icon); err != nil {
			return fmt.Errorf("installing the icon: %w", err)
		}
		in.say("icon", "installed %s", p.Tray.Icon)
	}
	return nil
}

func (in *Installer) autostart() *autostart {
	return &autostart{plan: in.Plan, key: in.runKey}
}

// Uninstall stops and removes the service, the copied binary, the tray's autostart entry and
// icon, and stops the tray. It keeps the history, the configuration, the logs and the service
// account unless purge. What is already gone is said so.
func (in *Installer) Uninstall(ctx context.Context, purge bool) error {
	p := in.Plan
	if err := in.needAdmin("removing"); err != nil {
		return err
	}
	fmt.Fprintf(in.Out, "spotwatch %s\n", p.Describe())
	m, err := newManager(p)
	if err != nil {
		return err
	}
	state, err := m.status(ctx)
	if err != nil {
		return err
	}
	if state == Running {
		if err := m.stop(); err != nil {
			return err
		}
		in.say("service", "stopped")
	}
	if state != NotInstalled {
		if err := m.uninstall(); err != nil {
			return err
		}
		in.say("service", "removed %s", where(p))
	} else {
		in.say("service", "not installed: nothing to remove")
	}
	if p.Scope == System {
		copied := systemBinary(p.GOOS, os.Getenv)
		if err := os.Remove(copied); err == nil {
			os.Remove(filepath.Dir(copied))
			in.say("binary", "removed %s", copied)
		} else if exe, _ := os.Executable(); exe == copied {
			in.say("binary", "remove %s yourself once this command has ended (a running program cannot delete itself here)", copied)
		} else if !errors.Is(err, fs.ErrNotExist) {
			in.say("binary", "could not remove %s: %v", copied, err)
		}
	}
	if err := in.uninstallTray(ctx); err != nil {
		return err
	}
	return in.purge(ctx, purge)
}

func (in *Installer) uninstallTray(ctx context.Context) error {
	p := in.Plan
	msg, err := stopTray(ctx, p)
	if err != nil {
		in.say("tray", "could not stop it: %v", err)
	} else if msg != "" {
		in.say("tray", "%s", msg)
	}
	removed, err := in.autostart().disable(true)
	if err != nil {
		return fmt.Errorf("removing the tray's autostart: %w", err)
	}
	if removed {
		in.say("tray", "no longer starts at login (removed %s)", in.autostart().describe())
	} else {
		in.say("tray", "autostart not registered: nothing to remove")
	}
	if err := userDir(p.Tray, p.Tray.Icon).removeFile(p.Tray.Icon); err == nil {
		in.say("icon", "removed %s", p.Tray.Icon)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the icon: %w", err)
	}
	return nil
}

// purge deletes (or, without purge, names) what a user may want to keep.
func (in *Installer) purge(ctx context.Context, purge bool) error {
	p := in.Plan
	hist, err := history.DefaultPath(p.Scope == System)
	if err != nil {
		return err
	}
	keep := []struct{ what, path string }{{"history", filepath.Dir(hist)}}
	if p.Config == p.DefaultConfig {
		keep = append(keep, struct{ what, path string }{"config", p.Config})
	} else if _, err := os.Stat(p.Config); err == nil {
		in.say("config", "kept %s (yours: given with --config)", p.Config)
	}
	if p.LogDir != "" {
		keep = append(keep, struct{ what, path string }{"logs", p.LogDir})
	}
	for _, k := range keep {
		if _, err := os.Stat(k.path); err != nil {
			continue
		}
		if !purge {
			in.say(k.what, "kept %s (uninstall --purge deletes it)", k.path)
			continue
		}
		if err := os.RemoveAll(k.path); err != nil {
			return fmt.Errorf("deleting the %s: %w", k.what, err)
		}
		in.say(k.what, "deleted %s", k.path)
	}
	if p.Scope == System {
		if dir := filepath.Dir(p.Config); filepath.Base(dir) == Name {
			os.Remove(dir) // only when empty
		}
	}
	if p.Account != "" && p.Platform != PlatformWindows {
		removed, err := removeAccount(ctx, p.Account, purge)
		if err != nil {
			return err
		}
		switch {
		case removed:
			in.say("account", "deleted the system user %s", p.Account)
		case !purge && accountExists(p.Account):
			in.say("account", "kept the system user %s (uninstall --purge deletes it)", p.Account)
		}
	}
	return nil
}

// installed checks the privileges for verb ("starting"…), and returns the manager of the
// installed service and its state; a service that is not installed is an error.
func (in *Installer) installed(ctx context.Context, verb string) (*manager, State, error) {
	if err := in.needAdmin(verb); err != nil {
		return nil, 0, err
	}
	m, err := newManager(in.Plan)
	if err != nil {
		return nil, 0, err
	}
	state, err := m.status(ctx)
	if err != nil {
		return nil, 0, err
	}
	if state == NotInstalled {
		return nil, 0, fmt.Errorf("%s the %s service: %w (spotwatch install installs it)", verb, in.Plan.Scope, ErrNotInstalled)
	}
	return m, state, nil
}

// Start starts the installed service and waits for its daemon to answer.
func (in *Installer) Start(ctx context.Context) error {
	m, state, err := in.installed(ctx, "starting")
	if err != nil {
		return err
	}
	if state == Running {
		in.say("daemon", "already running (%s)", in.Plan.Describe())
		return nil
	}
	return in.startAndWait(ctx, m)
}

// Stop stops the installed service and waits until its daemon no longer answers.
func (in *Installer) Stop(ctx context.Context) error {
	m, state, err := in.installed(ctx, "stopping")
	if err != nil {
		return err
	}
	if state == Stopped {
		in.say("daemon", "already stopped (%s)", in.Plan.Describe())
		return nil
	}
	return in.stopAndWait(ctx, m)
}

func (in *Installer) stopAndWait(ctx context.Context, m *manager) error {
	if err := m.stop(); err != nil {
		return err
	}
	socket, err := in.socket()
	if err != nil {
		return err
	}
	if err := waitGone(ctx, socket, in.timeout()); err != nil {
		return err
	}
	in.say("daemon", "stopped (%s)", in.Plan.Describe())
	return nil
}

// Restart stops the service if it runs, starts it and waits for its daemon to answer.
func (in *Installer) Restart(ctx context.Context) error {
	m, state, err := in.installed(ctx, "restarting")
	if err != nil {
		return err
	}
	if state == Running {
		if err := in.stopAndWait(ctx, m); err != nil {
			return err
		}
	}
	return in.startAndWait(ctx, m)
}

// Report is the state of one scope's service and of the tray's autostart.
type Report struct {
	Scope       string `json:"scope"`
	Platform    string `json:"platform"`
	Definition  string `json:"definition"` // the service's file, or the SCM service name
	State       string `json:"state"`      // not installed, stopped, running
	TrayAtLogin bool   `json:"tray_at_login"`
	TrayEntry   string `json:"tray_entry"`
	Error       string `json:"error,omitempty"` // why the state could not be told
}

// Status reports the service's state and whether the tray starts at login.
func (in *Installer) Status(ctx context.Context) Report {
	p := in.Plan
	r := Report{Scope: p.Scope.String(), Platform: p.Platform, Definition: where(p), State: NotInstalled.String()}
	a := in.autostart()
	r.TrayEntry = a.describe()
	if on, err := a.enabled(); err == nil {
		r.TrayAtLogin = on
	}
	m, err := newManager(p)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	state, err := m.status(ctx)
	r.State = state.String()
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// differs reports whether the files at a and b differ (b missing counts).
func differs(a, b string) (bool, error) {
	da, err := os.ReadFile(a)
	if err != nil {
		return false, fmt.Errorf("reading the binary: %w", err)
	}
	db, err := os.ReadFile(b)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the installed binary: %w", err)
	}
	return !bytes.Equal(da, db), nil
}

// copyFile copies src to dst atomically (a temporary file renamed over dst, see safeDir),
// creating dst's directory (mode 0755).
func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return systemDir(dst).write(dst, data, mode)
}

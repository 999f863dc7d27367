package svc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kardianos/service"
)

// State is a service's state.
type State int

// The states.
const (
	NotInstalled State = iota
	Stopped
	Running
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "stopped"
	case Running:
		return "running"
	}
	return "not installed"
}

// Definition is the service definition file rendered for p's init system ("" on Windows, whose
// registration WindowsSettings describes).
func (p Plan) Definition() string {
	switch p.Platform {
	case PlatformSystemd:
		return SystemdUnit(p, "")
	case PlatformSysV:
		return SysVScript(p)
	case PlatformOpenRC:
		return OpenRCScript(p)
	case PlatformLaunchd:
		return LaunchdDaemon(p)
	}
	return ""
}

// kardianosConfig is the kardianos/service configuration of p. The definition rendered here is
// handed over as the platform's custom template: it holds no template action, so kardianos
// writes it as it is and does the rest (enabling, starting, the SCM).
func kardianosConfig(p Plan) (*service.Config, error) {
	c := &service.Config{
		Name:        p.Name,
		DisplayName: displayName,
		Description: description,
		Executable:  p.Binary,
		Arguments:   p.DaemonArgs(),
		Option:      service.KeyValue{"UserService": p.Scope == User},
	}
	def := p.Definition()
	if strings.Contains(def, "{{") {
		return nil, fmt.Errorf("a path or setting contains {{, which the service definition cannot hold: %q", def)
	}
	switch p.Platform {
	case PlatformSystemd:
		c.Option["SystemdScript"] = def
	case PlatformSysV:
		c.Option["SysvScript"] = def
	case PlatformOpenRC:
		c.Option["OpenRCScript"] = def
	case PlatformLaunchd:
		c.Option["LaunchdConfig"] = def
	case PlatformWindows:
		w := WindowsSettings(p)
		c.UserName = w.Account
		c.EnvVars = map[string]string{}
		for _, e := range p.serviceEnv() {
			c.EnvVars[e.Key] = e.Value
		}
		c.Option["StartType"] = w.StartType
		c.Option["DelayedAutoStart"] = w.DelayedAutoStart
		c.Option["OnFailure"] = w.OnFailure
		c.Option["OnFailureDelayDuration"] = w.OnFailureDelay
		c.Option["OnFailureResetPeriod"] = w.ResetPeriod
	default:
		return nil, fmt.Errorf("%w: %s", ErrNoInitSystem, p.Platform)
	}
	return c, nil
}

// manager controls one service through kardianos/service.
type manager struct {
	p Plan
	s service.Service
}

func newManager(p Plan) (*manager, error) {
	c, err := kardianosConfig(p)
	if err != nil {
		return nil, err
	}
	s, err := service.New(noProgram{}, c)
	if err != nil {
		return nil, fmt.Errorf("setting up %s: %w", serviceOf(p.Platform), err)
	}
	return &manager{p: p, s: s}, nil
}

// noProgram is the kardianos Interface of a process that only controls the service.
type noProgram struct{}

func (noProgram) Start(service.Service) error { return nil }
func (noProgram) Stop(service.Service) error  { return nil }

// installed returns the installed definition: the file's content, or on Windows the SCM's
// registration rendered as WindowsSettings would.
func (m *manager) installed() (string, bool, error) {
	if m.p.Platform == PlatformWindows {
		return windowsInstalled(m.p)
	}
	data, err := os.ReadFile(m.p.ServiceFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading the service definition: %w", err)
	}
	return string(data), true, nil
}

// want is what installed returns once p is installed.
func (m *manager) want() string {
	if m.p.Platform == PlatformWindows {
		return windowsWant(m.p)
	}
	return m.p.Definition()
}

func (m *manager) install() error {
	if m.p.ServiceFile != "" {
		if err := os.MkdirAll(filepath.Dir(m.p.ServiceFile), 0o755); err != nil {
			return fmt.Errorf("creating the service directory: %w", err)
		}
	}
	err := m.s.Install()
	// Windows deletes a service only once every handle to it is closed: a service just removed
	// (to update it) may still be "marked for deletion" for a moment.
	for i := 0; i < 40 && markedForDeletion(err); i++ {
		time.Sleep(250 * time.Millisecond)
		err = m.s.Install()
	}
	if err != nil {
		hint := ""
		if m.p.Platform == PlatformSystemd && m.p.Scope == User {
			hint = " (systemctl --user needs your user session's service manager: run this in your desktop session, or over ssh after `loginctl enable-linger $USER`)"
		}
		return fmt.Errorf("installing %s: %w%s", serviceOf(m.p.Platform), err, hint)
	}
	return nil
}

func (m *manager) uninstall() error {
	if err := m.s.Uninstall(); err != nil {
		return fmt.Errorf("removing %s: %w", serviceOf(m.p.Platform), err)
	}
	if m.p.Platform == PlatformSysV {
		// kardianos links the script into the runlevels but leaves the links behind.
		links, _ := filepath.Glob("/etc/rc[0-6S].d/[SK][0-9][0-9]" + m.p.Name)
		for _, l := range links {
			if target, err := os.Readlink(l); err == nil && target == m.p.ServiceFile {
				os.Remove(l)
			}
		}
	}
	return nil
}

func (m *manager) start() error {
	if err := m.s.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", serviceOf(m.p.Platform), err)
	}
	return nil
}

func (m *manager) stop() error {
	if err := m.s.Stop(); err != nil {
		return fmt.Errorf("stopping %s: %w", serviceOf(m.p.Platform), err)
	}
	return nil
}

// status asks the init system. kardianos's SysV status takes the LSB "not running" exit status
// for an error, so SysV is asked directly.
func (m *manager) status(ctx context.Context) (State, error) {
	_, installed, err := m.installed()
	if err != nil {
		return NotInstalled, err
	}
	if !installed {
		return NotInstalled, nil
	}
	if m.p.Platform == PlatformSysV {
		out, err := exec.CommandContext(ctx, "service", m.p.Name, "status").Output()
		switch {
		case strings.HasPrefix(string(out), "Running"):
			return Running, nil
		case strings.HasPrefix(string(out), "Stopped"):
			return Stopped, nil
		case err != nil:
			return Stopped, fmt.Errorf("asking SysV init for the status: %w", err)
		}
		return Stopped, fmt.Errorf("asking SysV init for the status: unexpected answer %q", out)
	}
	st, err := m.s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return NotInstalled, nil
	case err != nil:
		return Stopped, fmt.Errorf("asking %s for the status: %w", initName(m.p.Platform), err)
	case st == service.StatusRunning:
		return Running, nil
	}
	return Stopped, nil
}

// windowsWant is the canonical text of the Windows registration windowsInstalled compares.
func windowsWant(p Plan) string {
	w := WindowsSettings(p)
	return windowsDefinition(w.CommandLine, w.Account, w.Environment)
}

// windowsDefinition sorts env: kardianos writes the Environment value from a map, in any order.
func windowsDefinition(commandLine, account string, env []string) string {
	env = slices.Sorted(slices.Values(env))
	return fmt.Sprintf("command line: %s\naccount: %s\nenvironment: %s\n", commandLine, account, strings.Join(env, " "))
}

// UseInstalled takes the configuration file from the installed service's definition: the
// commands that act on an installed service (start, stop, restart, status, uninstall) then
// find the daemon's socket, and --purge the configuration, where install put them. Nothing
// changes when no service is installed.
func (p *Plan) UseInstalled() error {
	m := &manager{p: *p}
	def, ok, err := m.installed()
	if err != nil || !ok {
		return err
	}
	var path string
	if p.Platform == PlatformWindows {
		path, ok = windowsInstalledConfig(def)
	} else {
		path, ok = installedConfig(def)
	}
	if ok {
		p.Config = path
	}
	return nil
}

// Package svc installs spotwatch once: the OS service that runs `spotwatch daemon`, the tray's
// autostart at login, and the icon, and it starts, stops and reports on them.
//
// A user service (the default on Linux and macOS) is a systemd user unit wanted by
// default.target or a launchd LaunchAgent with RunAtLoad; a system service is a systemd system
// unit, an OpenRC or SysV init script, a launchd LaunchDaemon, or a Windows SCM service (the
// only kind on Windows). The service manager is the one github.com/kardianos/service detects;
// the files it writes are rendered here (render.go) so that each one is exact, golden-tested on
// any OS, and carries what kardianos's own templates lack: default.target for user units,
// restart on failure, a dedicated unprivileged account for the system daemon (DynamicUser on
// systemd, a "spotwatch" system user with SysV and OpenRC, NT AUTHORITY\LocalService on
// Windows), and the daemon's environment.
//
// Everything install does is first resolved into a Plan (NewPlan), a plain value the
// renderers and the Installer work from; running a command twice is safe and says so.
package svc

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Scope is whose service: one user's or the machine's.
type Scope int

// The scopes.
const (
	User   Scope = iota + 1 // runs as the installing user, started at their login
	System                  // runs at boot, for every user
)

func (s Scope) String() string {
	switch s {
	case User:
		return "user"
	case System:
		return "system"
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// Other returns the other scope.
func (s Scope) Other() Scope {
	if s == User {
		return System
	}
	return User
}

// DefaultScope is the scope without --user or --system: System on Windows, where an SCM service
// is the only kind, else User.
func DefaultScope(goos string) Scope {
	if goos == "windows" {
		return System
	}
	return User
}

// Names of what is installed.
const (
	// Name is the service's name on Linux and Windows: the unit spotwatch.service, the init
	// script /etc/init.d/spotwatch, the SCM service and the Event Log source "spotwatch".
	Name = "spotwatch"
	// DaemonLabel and TrayLabel are the launchd labels (and plist file names) on macOS.
	DaemonLabel = "com.github.spotwatch.daemon"
	TrayLabel   = "com.github.spotwatch.tray"
	// Account is the dedicated system user a SysV or OpenRC system daemon runs as.
	Account = "spotwatch"
	// WindowsAccount is the built-in low-privilege account the Windows service runs as.
	WindowsAccount = `NT AUTHORITY\LocalService`
	// RunValue is the value name of the tray's entry under HKCU\…\CurrentVersion\Run.
	RunValue = "spotwatch"
	// ServiceEnv is set in the daemon's environment by every service definition, to the init
	// system's name: the daemon then also logs to the service logger (ServiceLogHandler).
	ServiceEnv = "SPOTWATCH_SERVICE"
)

// The init systems (kardianos's platform names) spotwatch writes definitions for.
const (
	PlatformSystemd = "linux-systemd"
	PlatformOpenRC  = "linux-openrc"
	PlatformSysV    = "unix-systemv"
	PlatformLaunchd = "darwin-launchd"
	PlatformWindows = "windows-service"
)

const (
	displayName = "spotwatch"
	description = "Tells whether Spotify's Error Code 4 or 7 is your internet or something blocking Spotify"
	homepage    = "https://github.com/spotwatch/spotwatch"
)

// Plan is everything install writes, resolved for one OS, init system, scope and user.
type Plan struct {
	GOOS     string // the target OS (runtime.GOOS)
	Platform string // the init system: one of the Platform constants
	Scope    Scope
	Name     string // the service's name: Name, or DaemonLabel on macOS

	// Binary is the absolute path of the binary the service and the tray run. For a system
	// service it is in a directory only administrators can write (a root service must not run
	// a file its user can replace): when the running binary is elsewhere, Source names it and
	// install copies it to Binary.
	Binary string
	Source string

	Config string // the configuration file the daemon reads (created by install if missing)
	// DefaultConfig is the scope's own configuration file; uninstall --purge deletes Config
	// only when it is this one, never a file of the user's given with --config.
	DefaultConfig string
	Env           []EnvVar // extra environment of the daemon, sorted by key
	Account       string   // the user the system daemon runs as; "" for the init system's own (systemd's DynamicUser, root)

	ServiceFile string // the service definition's file ("" on Windows: the SCM holds it)
	LogDir      string // where the init system writes the daemon's output (SysV, OpenRC, launchd)
	StateDir    string // the system daemon's history directory, handed to Account
	RunDir      string // the system daemon's socket directory, handed to Account

	Tray Tray
}

// Tray is the tray's autostart for the installing user (under sudo: the user who ran sudo).
type Tray struct {
	User     string
	Home     string
	UID, GID int    // owner of the files written for the user; -1 on Windows
	Entry    string // the .desktop file (Linux), LaunchAgent plist (macOS) or Run value name (Windows)
	Icon     string // the PNG installed for the desktop entry and notifications
}

// EnvVar is one variable of the daemon's environment.
type EnvVar struct{ Key, Value string }

// ParseEnv parses KEY=VALUE settings (given with --env) into sorted, checked variables; a later
// setting of a key replaces an earlier one.
func ParseEnv(settings []string) ([]EnvVar, error) {
	byKey := map[string]string{}
	for _, s := range settings {
		key, value, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("environment setting %q: want KEY=VALUE", s)
		}
		if !validEnvKey(key) {
			return nil, fmt.Errorf("environment setting %q: %q is not a variable name (letters, digits and _, not starting with a digit)", s, key)
		}
		if strings.ContainsAny(value, "\x00\r\n") {
			return nil, fmt.Errorf("environment setting %q: the value may not hold a line break or NUL", key)
		}
		if u, err := url.Parse(value); err == nil && u.User != nil {
			if _, hasPassword := u.User.Password(); hasPassword {
				return nil, fmt.Errorf("environment setting %q holds a password: service definitions (systemd units, init scripts, "+
					"launchd plists, the Windows service's registry key) are readable by every local user, so spotwatch does not "+
					"write one there; use a proxy that needs no password in its URL (one that authenticates the machine), or run "+
					"`spotwatch run` in your own session with the variable set", key)
			}
		}
		if key == ServiceEnv {
			return nil, fmt.Errorf("environment setting %q: %s is set by the service definition itself", key, ServiceEnv)
		}
		byKey[key] = value
	}
	env := make([]EnvVar, 0, len(byKey))
	for k, v := range byKey {
		env = append(env, EnvVar{k, v})
	}
	slices.SortFunc(env, func(a, b EnvVar) int { return strings.Compare(a.Key, b.Key) })
	return env, nil
}

func validEnvKey(key string) bool {
	if key == "" || (key[0] >= '0' && key[0] <= '9') {
		return false
	}
	for _, c := range key {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// DaemonArgs are the arguments the service gives the binary. Without a Config (the packages'
// unit) the daemon reads the per-user config file if there is one.
func (p Plan) DaemonArgs() []string {
	args := []string{"daemon"}
	if p.Scope == System {
		args = append(args, "--system")
	}
	if p.Config != "" {
		args = append(args, "--config", p.Config)
	}
	return args
}

// serviceEnv is the daemon's whole environment: ServiceEnv first, then p.Env.
func (p Plan) serviceEnv() []EnvVar {
	return append([]EnvVar{{ServiceEnv, p.Platform}}, p.Env...)
}

// Describe names the service for messages: "system service (unix-systemv, /etc/init.d/spotwatch)".
func (p Plan) Describe() string {
	where := p.ServiceFile
	if where == "" {
		where = "SCM service " + p.Name
	}
	return fmt.Sprintf("%s service (%s, %s)", p.Scope, p.Platform, where)
}

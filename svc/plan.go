package svc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/kardianos/service"

	"github.com/spotwatch/spotwatch/internal/config"
)

// Options are the choices of the command line.
type Options struct {
	Scope  Scope
	Config string   // --config FILE; "" for the default of the scope and OS
	Env    []EnvVar // --env KEY=VALUE
}

// ErrNoInitSystem is returned, wrapped with what was looked for, when no supported init system
// is found.
var ErrNoInitSystem = errors.New("no supported init system found")

// ErrNoUserServices is returned, wrapped, when the init system has no per-user services.
var ErrNoUserServices = errors.New("this init system has no per-user services")

// host is what NewPlan reads from the running system; tests fill one in by hand.
type host struct {
	goos       string
	platform   string // the init system kardianos chose
	executable string // the running binary, absolute
	getenv     func(string) string
	current    *user.User // the user running this process
	sudoUser   *user.User // under sudo as root: the user who ran it; else nil
	userConfig string     // config.UserConfigPath() of the current user
	sysvReady  bool       // /etc/init.d exists and the service command is on PATH
	trusted    func(path string) bool
}

// NewPlan resolves what install does here: the init system kardianos detects, the running
// binary, the users and the per-OS paths.
func NewPlan(opts Options) (Plan, error) {
	h, err := thisHost()
	if err != nil {
		return Plan{}, err
	}
	return h.plan(opts)
}

func thisHost() (host, error) {
	exe, err := os.Executable()
	if err != nil {
		return host{}, fmt.Errorf("finding the spotwatch binary: %w", err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return host{}, fmt.Errorf("finding the spotwatch binary: %w", err)
	}
	cur, err := user.Current()
	if err != nil {
		return host{}, fmt.Errorf("finding the current user: %w", err)
	}
	h := host{
		goos:       runtime.GOOS,
		platform:   service.Platform(),
		executable: exe,
		getenv:     os.Getenv,
		current:    cur,
		trusted:    func(path string) bool { return CheckFile(path) == nil },
	}
	if name := os.Getenv("SUDO_USER"); name != "" && IsAdmin() && runtime.GOOS != "windows" {
		if u, err := user.Lookup(name); err == nil && u.Uid != cur.Uid {
			h.sudoUser = u
		}
	}
	h.userConfig, _ = config.UserConfigPath()
	if info, err := os.Stat("/etc/init.d"); err == nil && info.IsDir() {
		_, err := exec.LookPath("service")
		h.sysvReady = err == nil
	}
	return h, nil
}

// home is the current user's home: $HOME as os.UserHomeDir (and kardianos) read it, else the
// user database's.
func (h host) home() string {
	if home := h.getenv("HOME"); home != "" && h.goos != "windows" {
		return home
	}
	if h.current.HomeDir != "" {
		return h.current.HomeDir
	}
	return h.getenv("USERPROFILE")
}

// lookedFor says which init systems spotwatch looks for, for the error when none is found.
const lookedFor = "looked for systemd (/run/systemd/system), OpenRC (openrc-init), SysV init (/etc/init.d and the service command), launchd (macOS) and the Windows service manager"

func (h host) plan(opts Options) (Plan, error) {
	p := Plan{GOOS: h.goos, Platform: h.platform, Scope: opts.Scope, Env: opts.Env, Name: Name}
	if p.Scope == 0 {
		p.Scope = DefaultScope(h.goos)
	}
	switch h.platform {
	case PlatformSystemd, PlatformOpenRC, PlatformLaunchd, PlatformWindows:
	case PlatformSysV:
		if !h.sysvReady {
			return Plan{}, fmt.Errorf("%w: %s; found none that can run a service here", ErrNoInitSystem, lookedFor)
		}
	default:
		return Plan{}, fmt.Errorf("%w: %s; this system uses %q, which spotwatch does not write services for", ErrNoInitSystem, lookedFor, h.platform)
	}
	if p.Scope == User {
		switch h.platform {
		case PlatformWindows:
			return Plan{}, fmt.Errorf("%w: Windows runs services only under the service manager; install the system service from an administrator terminal: spotwatch install", ErrNoUserServices)
		case PlatformSysV, PlatformOpenRC:
			return Plan{}, fmt.Errorf("%w: %s starts services only for the whole machine; install the system service instead: sudo spotwatch install --system", ErrNoUserServices, initName(h.platform))
		}
		if h.sudoUser != nil {
			return Plan{}, fmt.Errorf("a user service is installed by its user: run this without sudo (as %s)", h.sudoUser.Username)
		}
	}

	home := h.home()
	join := joiner(h.goos)

	// The binary.
	p.Binary = h.executable
	if p.Scope == System && !h.trustedBinary(h.executable) {
		p.Binary, p.Source = systemBinary(h.goos, h.getenv), h.executable
	}

	// The configuration.
	if p.Scope == System {
		p.DefaultConfig = systemConfig(h.goos, h.getenv)
	} else {
		if h.userConfig == "" {
			return Plan{}, errors.New("finding the per-user config file: no user config directory")
		}
		p.DefaultConfig = h.userConfig
	}
	p.Config = p.DefaultConfig
	if opts.Config != "" {
		p.Config = opts.Config
	}

	if strings.ContainsAny(p.Config, "\r\n") {
		return Plan{}, fmt.Errorf("the configuration file's name %q holds a line break, which a service definition cannot", p.Config)
	}

	// The service definition and the directories the init system prepares.
	switch {
	case h.platform == PlatformSystemd && p.Scope == User:
		p.ServiceFile = join(home, ".config", "systemd", "user", Name+".service")
	case h.platform == PlatformSystemd:
		p.ServiceFile = "/etc/systemd/system/" + Name + ".service"
	case h.platform == PlatformSysV || h.platform == PlatformOpenRC:
		p.ServiceFile = "/etc/init.d/" + Name
		p.Account = Account
		p.LogDir = "/var/log/" + Name
		p.StateDir = "/var/lib/" + Name
		p.RunDir = "/run/" + Name
	case h.platform == PlatformLaunchd:
		p.Name = DaemonLabel
		if p.Scope == User {
			p.ServiceFile = join(home, "Library", "LaunchAgents", DaemonLabel+".plist")
			p.LogDir = join(home, "Library", "Logs", Name)
		} else {
			p.ServiceFile = "/Library/LaunchDaemons/" + DaemonLabel + ".plist"
			p.LogDir = "/Library/Logs/" + Name
		}
	case h.platform == PlatformWindows:
		p.Account = WindowsAccount
	}

	// The tray, for the installing user.
	p.Tray = h.tray(home, join)
	return p, nil
}

// tray resolves the tray's autostart entry and icon for the installing user.
func (h host) tray(home string, join func(...string) string) Tray {
	u := h.current
	xdg := h.getenv
	if h.sudoUser != nil {
		u = h.sudoUser
		home = u.HomeDir
		xdg = func(string) string { return "" } // root's environment says nothing about the user's
	}
	t := Tray{User: u.Username, Home: home, UID: -1, GID: -1}
	if h.goos != "windows" {
		t.UID, _ = strconv.Atoi(u.Uid)
		t.GID, _ = strconv.Atoi(u.Gid)
	}
	switch h.goos {
	case "windows":
		t.Entry = RunValue
		local := h.getenv("LocalAppData")
		if local == "" {
			local = join(home, "AppData", "Local")
		}
		t.Icon = join(local, Name, Name+".png")
	case "darwin":
		t.Entry = join(home, "Library", "LaunchAgents", TrayLabel+".plist")
		t.Icon = join(home, "Library", "Application Support", Name, Name+".png")
	default:
		configHome := xdg("XDG_CONFIG_HOME")
		if !path.IsAbs(configHome) {
			configHome = join(home, ".config")
		}
		dataHome := xdg("XDG_DATA_HOME")
		if !path.IsAbs(dataHome) {
			dataHome = join(home, ".local", "share")
		}
		t.Entry = join(configHome, "autostart", Name+".desktop")
		t.Icon = join(dataHome, "icons", "hicolor", "64x64", "apps", Name+".png")
	}
	return t
}

// trustedBinary reports whether a system service may run exe where it is: in a system binary
// directory and writable only by administrators.
func (h host) trustedBinary(exe string) bool {
	dir := path.Dir(exe)
	if h.goos == "windows" {
		dir = exe[:max(strings.LastIndex(exe, `\`), 0)]
		lower := strings.ToLower(dir)
		ok := false
		for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)", "SystemRoot"} {
			if root := strings.ToLower(h.getenv(env)); root != "" && (lower == root || strings.HasPrefix(lower, root+`\`)) {
				ok = true
			}
		}
		return ok && h.trusted(exe)
	}
	switch dir {
	case "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin":
		return h.trusted(exe)
	}
	return false
}

// systemBinary is where install copies the binary for a system service.
func systemBinary(goos string, getenv func(string) string) string {
	if goos == "windows" {
		dir := getenv("ProgramFiles")
		if dir == "" {
			dir = `C:\Program Files`
		}
		return windowsJoin(dir, Name, Name+".exe")
	}
	return "/usr/local/lib/" + Name + "/" + Name
}

// systemConfig is the system daemon's configuration file.
func systemConfig(goos string, getenv func(string) string) string {
	switch goos {
	case "windows":
		dir := getenv("ProgramData")
		if dir == "" {
			dir = `C:\ProgramData`
		}
		return windowsJoin(dir, Name, "config.yaml")
	case "darwin":
		return "/Library/Application Support/" + Name + "/config.yaml"
	}
	return "/etc/" + Name + "/config.yaml"
}

// serviceOf names spotwatch's service under platform for a message: "the systemd service", "the
// Windows service" (not "the the Windows service manager service").
func serviceOf(platform string) string {
	if platform == PlatformWindows {
		return "the Windows service"
	}
	return "the " + initName(platform) + " service"
}

func initName(platform string) string {
	switch platform {
	case PlatformSysV:
		return "SysV init"
	case PlatformOpenRC:
		return "OpenRC"
	case PlatformSystemd:
		return "systemd"
	case PlatformLaunchd:
		return "launchd"
	case PlatformWindows:
		return "the Windows service manager"
	}
	return platform
}

// joiner joins paths with the target OS's separator, whatever OS runs this (tests build
// Windows plans on Linux, and Linux and macOS plans on Windows).
func joiner(goos string) func(...string) string {
	if goos == "windows" {
		return windowsJoin
	}
	return path.Join
}

func windowsJoin(elem ...string) string {
	p := elem[0]
	for _, e := range elem[1:] {
		if p != "" && !strings.HasSuffix(p, `\`) {
			p += `\`
		}
		p += e
	}
	return p
}

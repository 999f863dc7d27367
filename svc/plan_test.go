package svc

import (
	"errors"
	"fmt"
	"os/user"
	"strings"
	"testing"
)

// TestPlan: what install does on each OS, init system and scope, and the errors that say what
// to do instead.
func TestPlan(t *testing.T) {
	untrusted := func(h host) host { h.trusted = func(string) bool { return false }; return h }
	sudo := func(h host) host {
		h.sudoUser = &user.User{Username: "bob", Uid: "1001", Gid: "1001", HomeDir: "/home/bob"}
		return h
	}
	tests := []struct {
		name string
		host host
		opts Options
		want func(p Plan) string // "" when p is right, else what is wrong
		err  string
	}{
		{
			name: "linux systemd user",
			host: fakeHost("linux", PlatformSystemd, "/home/ann/bin/spotwatch", linuxEnv),
			opts: Options{},
			want: func(p Plan) string {
				return expect(p.Scope == User, "scope", p.Scope) + expect(p.Binary == "/home/ann/bin/spotwatch" && p.Source == "", "binary", p.Binary) +
					expect(p.ServiceFile == "/home/ann/.config/systemd/user/spotwatch.service", "unit", p.ServiceFile) +
					expect(p.Config == "/home/ann/.config/spotwatch/config.yaml", "config", p.Config) +
					expect(p.Tray.Entry == "/home/ann/.config/autostart/spotwatch.desktop", "entry", p.Tray.Entry) +
					expect(p.Tray.Icon == "/home/ann/.local/share/icons/hicolor/64x64/apps/spotwatch.png", "icon", p.Tray.Icon) +
					expect(p.Account == "", "account", p.Account)
			},
		},
		{
			name: "XDG directories of the user",
			host: fakeHost("linux", PlatformSystemd, "/usr/bin/spotwatch", map[string]string{"HOME": "/home/ann", "XDG_CONFIG_HOME": "/cfg", "XDG_DATA_HOME": "/data"}),
			want: func(p Plan) string {
				return expect(p.Tray.Entry == "/cfg/autostart/spotwatch.desktop", "entry", p.Tray.Entry) +
					expect(p.Tray.Icon == "/data/icons/hicolor/64x64/apps/spotwatch.png", "icon", p.Tray.Icon)
			},
		},
		{
			name: "system service copies a binary from a user's directory",
			host: fakeHost("linux", PlatformSysV, "/home/ann/Downloads/spotwatch", linuxEnv),
			opts: Options{Scope: System},
			want: func(p Plan) string {
				return expect(p.Binary == "/usr/local/lib/spotwatch/spotwatch" && p.Source == "/home/ann/Downloads/spotwatch", "binary", p.Binary+" from "+p.Source) +
					expect(p.Account == Account && p.StateDir == "/var/lib/spotwatch" && p.RunDir == "/run/spotwatch" && p.LogDir == "/var/log/spotwatch", "dirs", p) +
					expect(p.Config == "/etc/spotwatch/config.yaml" && p.DefaultConfig == p.Config, "config", p.Config) +
					expect(p.ServiceFile == "/etc/init.d/spotwatch", "script", p.ServiceFile)
			},
		},
		{
			name: "system service runs a packaged binary in place",
			host: fakeHost("linux", PlatformSystemd, "/usr/bin/spotwatch", linuxEnv),
			opts: Options{Scope: System, Config: "/srv/spotwatch.yaml"},
			want: func(p Plan) string {
				return expect(p.Binary == "/usr/bin/spotwatch" && p.Source == "", "binary", p.Binary) +
					expect(p.Config == "/srv/spotwatch.yaml" && p.DefaultConfig == "/etc/spotwatch/config.yaml", "config", p.Config) +
					expect(p.Account == "", "account (systemd: DynamicUser)", p.Account) +
					expect(p.ServiceFile == "/etc/systemd/system/spotwatch.service", "unit", p.ServiceFile)
			},
		},
		{
			name: "system binary directory writable by a user is not trusted",
			host: untrusted(fakeHost("linux", PlatformSystemd, "/usr/local/bin/spotwatch", linuxEnv)),
			opts: Options{Scope: System},
			want: func(p Plan) string { return expect(p.Source == "/usr/local/bin/spotwatch", "source", p.Source) },
		},
		{
			name: "sudo: the tray is for the user who ran sudo",
			host: sudo(fakeHost("linux", PlatformSysV, "/usr/bin/spotwatch", map[string]string{"HOME": "/root", "XDG_CONFIG_HOME": "/root/.config"})),
			opts: Options{Scope: System},
			want: func(p Plan) string {
				return expect(p.Tray.User == "bob" && p.Tray.UID == 1001 && p.Tray.Entry == "/home/bob/.config/autostart/spotwatch.desktop", "tray", p.Tray)
			},
		},
		{
			name: "sudo with a user service",
			host: sudo(fakeHost("linux", PlatformSystemd, "/usr/bin/spotwatch", linuxEnv)),
			opts: Options{Scope: User},
			err:  "run this without sudo (as bob)",
		},
		{
			name: "SysV has no user services",
			host: fakeHost("linux", PlatformSysV, "/usr/bin/spotwatch", linuxEnv),
			opts: Options{Scope: User},
			err:  "SysV init starts services only for the whole machine; install the system service instead: sudo spotwatch install --system",
		},
		{
			name: "OpenRC has no user services",
			host: fakeHost("linux", PlatformOpenRC, "/usr/bin/spotwatch", linuxEnv),
			opts: Options{},
			err:  "OpenRC starts services only for the whole machine",
		},
		{
			name: "no init system",
			host: func() host {
				h := fakeHost("linux", PlatformSysV, "/usr/bin/spotwatch", linuxEnv)
				h.sysvReady = false
				return h
			}(),
			opts: Options{Scope: System},
			err:  "no supported init system found: looked for systemd (/run/systemd/system), OpenRC (openrc-init), SysV init (/etc/init.d and the service command)",
		},
		{
			name: "an init system spotwatch does not write for",
			host: fakeHost("linux", "linux-upstart", "/usr/bin/spotwatch", linuxEnv),
			opts: Options{Scope: System},
			err:  `this system uses "linux-upstart"`,
		},
		{
			name: "macOS user agent",
			host: fakeHost("darwin", PlatformLaunchd, "/usr/local/bin/spotwatch", darwinEnv),
			want: func(p Plan) string {
				return expect(p.Name == DaemonLabel && p.ServiceFile == "/Users/ann/Library/LaunchAgents/com.github.spotwatch.daemon.plist", "agent", p.ServiceFile) +
					expect(p.Tray.Entry == "/Users/ann/Library/LaunchAgents/com.github.spotwatch.tray.plist", "tray", p.Tray.Entry) +
					expect(p.LogDir == "/Users/ann/Library/Logs/spotwatch", "logs", p.LogDir)
			},
		},
		{
			name: "macOS system daemon",
			host: fakeHost("darwin", PlatformLaunchd, "/usr/local/bin/spotwatch", darwinEnv),
			opts: Options{Scope: System},
			want: func(p Plan) string {
				return expect(p.ServiceFile == "/Library/LaunchDaemons/com.github.spotwatch.daemon.plist", "daemon", p.ServiceFile) +
					expect(p.Config == "/Library/Application Support/spotwatch/config.yaml", "config", p.Config)
			},
		},
		{
			name: "Windows: system by default, binary copied to Program Files",
			host: fakeHost("windows", PlatformWindows, `C:\Users\ann\Downloads\spotwatch.exe`, windowsEnv),
			want: func(p Plan) string {
				return expect(p.Scope == System, "scope", p.Scope) +
					expect(p.Binary == `C:\Program Files\spotwatch\spotwatch.exe` && p.Source == `C:\Users\ann\Downloads\spotwatch.exe`, "binary", p.Binary) +
					expect(p.Config == `C:\ProgramData\spotwatch\config.yaml`, "config", p.Config) +
					expect(p.Account == WindowsAccount, "account", p.Account) +
					expect(p.Tray.Entry == RunValue && p.Tray.Icon == `C:\Users\ann\AppData\Local\spotwatch\spotwatch.png`, "tray", p.Tray)
			},
		},
		{
			name: "Windows: a binary in Program Files runs in place",
			host: fakeHost("windows", PlatformWindows, `C:\Program Files\Spotwatch\spotwatch.exe`, windowsEnv),
			want: func(p Plan) string { return expect(p.Source == "", "source", p.Source) },
		},
		{
			name: "Windows has no user services",
			host: fakeHost("windows", PlatformWindows, `C:\spotwatch.exe`, windowsEnv),
			opts: Options{Scope: User},
			err:  "Windows runs services only under the service manager",
		},
		{
			name: "a config file name with a line break",
			host: fakeHost("linux", PlatformSystemd, "/usr/bin/spotwatch", linuxEnv),
			opts: Options{Config: "/tmp/a\nb.yaml"},
			err:  "holds a line break",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.host.plan(tt.opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bad := tt.want(p); bad != "" {
				t.Errorf("%s\nplan: %+v", bad, p)
			}
		})
	}
}

func expect(ok bool, what string, got any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf("wrong %s: %+v\n", what, got)
}

// TestPlanErrorsWrap: callers can tell the errors apart.
func TestPlanErrorsWrap(t *testing.T) {
	h := fakeHost("linux", PlatformSysV, "/usr/bin/spotwatch", linuxEnv)
	if _, err := h.plan(Options{Scope: User}); !errors.Is(err, ErrNoUserServices) {
		t.Errorf("user service on SysV: %v, want ErrNoUserServices", err)
	}
	h.sysvReady = false
	if _, err := h.plan(Options{Scope: System}); !errors.Is(err, ErrNoInitSystem) {
		t.Errorf("no init system: %v, want ErrNoInitSystem", err)
	}
}

// TestParseEnv: --env settings.
func TestParseEnv(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		err  string
	}{
		{in: nil, want: ""},
		{in: []string{"SSL_CERT_FILE=/a b.pem", "HTTPS_PROXY=http://p:3128"}, want: "HTTPS_PROXY=http://p:3128 SSL_CERT_FILE=/a b.pem"},
		{in: []string{"A=1", "A=2"}, want: "A=2"},
		{in: []string{"EMPTY="}, want: "EMPTY="},
		{in: []string{"NOEQUALS"}, err: "want KEY=VALUE"},
		{in: []string{"1A=x"}, err: "is not a variable name"},
		{in: []string{"A-B=x"}, err: "is not a variable name"},
		{in: []string{"A=x\ny"}, err: "line break"},
		{in: []string{ServiceEnv + "=x"}, err: "set by the service definition"},
		{in: []string{"HTTPS_PROXY=http://alice:s3cret@proxy:3128"}, err: "readable by every local user"},
		{in: []string{"ALL_PROXY=socks5://bob:pw@127.0.0.1:1080"}, err: "holds a password"},
		{in: []string{"HTTPS_PROXY=http://alice@proxy:3128"}, want: "HTTPS_PROXY=http://alice@proxy:3128"},
	}
	for _, tt := range tests {
		env, err := ParseEnv(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseEnv(%q): %v, want an error saying %q", tt.in, err, tt.err)
			}
			continue
		}
		var got []string
		for _, e := range env {
			got = append(got, e.Key+"="+e.Value)
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("ParseEnv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestServiceOf checks how messages name the service on each platform: initName's "the Windows
// service manager" once made "setting up the the Windows service manager service".
func TestServiceOf(t *testing.T) {
	for platform, want := range map[string]string{
		PlatformWindows: "the Windows service",
		PlatformSystemd: "the systemd service",
		PlatformLaunchd: "the launchd service",
		PlatformSysV:    "the SysV init service",
		PlatformOpenRC:  "the OpenRC service",
	} {
		if got := serviceOf(platform); got != want {
			t.Errorf("serviceOf(%q) = %q, want %q", platform, got, want)
		}
	}
}

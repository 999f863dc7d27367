package svc

import (
	"fmt"
	"strings"
)

// The renderers turn a Plan into the exact bytes of each file install writes. They are pure, so
// the golden tests (testdata/) cover every OS on any OS.

// generatedBy heads every file install writes.
const generatedBy = "Written by `spotwatch install`; `spotwatch uninstall` removes it. Run `spotwatch install` again rather than editing it."

// SystemdUnit renders the systemd unit: a user unit wanted by default.target (started at the
// user's login, or at boot with lingering), or a system unit for multi-user.target that runs the
// daemon as a DynamicUser in a read-only system. header is the comment on top; "" for the one
// of `spotwatch install`.
func SystemdUnit(p Plan, header string) string {
	if header == "" {
		header = "spotwatch daemon as a systemd " + p.Scope.String() + " unit. " + generatedBy
	}
	var b strings.Builder
	for _, line := range wrap(header, 96) {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	writeConfigMarker(&b, p)
	b.WriteString("[Unit]\n")
	fmt.Fprintf(&b, "Description=spotwatch: is Spotify's Error Code 4 or 7 your internet or a block?\n")
	fmt.Fprintf(&b, "Documentation=%s\n", homepage)
	if p.Scope == System {
		b.WriteString("Wants=network-online.target\nAfter=network-online.target\n")
	}
	b.WriteString("StartLimitIntervalSec=300\nStartLimitBurst=5\n\n[Service]\nType=simple\n")
	args := []string{systemdQuote(p.Binary)}
	for _, a := range p.DaemonArgs() {
		args = append(args, systemdQuote(a))
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(args, " "))
	b.WriteString("ExecReload=/bin/kill -HUP $MAINPID\n")
	for _, e := range p.serviceEnv() {
		fmt.Fprintf(&b, "Environment=%s\n", systemdQuote(e.Key+"="+e.Value))
	}
	b.WriteString("Restart=on-failure\nRestartSec=5\n")
	if p.Scope == System {
		b.WriteString(`# No root: a user made up for the service, owning only the directories below.
DynamicUser=yes
RuntimeDirectory=spotwatch
RuntimeDirectoryMode=0755
StateDirectory=spotwatch
LogsDirectory=spotwatch
CapabilityBoundingSet=
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native
`)
	}
	b.WriteString("\n[Install]\n")
	if p.Scope == System {
		b.WriteString("WantedBy=multi-user.target\n")
	} else {
		b.WriteString("WantedBy=default.target\n")
	}
	return b.String()
}

// configMarkerPrefix starts the comment line of a definition that names the daemon's
// configuration file, for the commands that act on an installed service (installedConfig).
const configMarkerPrefix = "# spotwatch-config: "

func configMarker(p Plan) string {
	if p.Config == "" {
		return ""
	}
	return configMarkerPrefix + p.Config + "\n"
}

func writeConfigMarker(b *strings.Builder, p Plan) { b.WriteString(configMarker(p)) }

// installedConfig returns the configuration file named in an installed definition.
func installedConfig(def string) (string, bool) {
	for _, line := range strings.Split(def, "\n") {
		if path, ok := strings.CutPrefix(line, configMarkerPrefix); ok {
			return path, true
		}
	}
	// A launchd plist: the <string> after <string>--config</string>.
	if _, after, ok := strings.Cut(def, "<string>--config</string>"); ok {
		if _, rest, ok := strings.Cut(after, "<string>"); ok {
			if path, _, ok := strings.Cut(rest, "</string>"); ok {
				return xmlUnescape(path), true
			}
		}
	}
	return "", false
}

func xmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&amp;", "&").Replace(s)
}

// systemdQuote quotes one word of a unit file's command line or Environment= setting:
// specifiers (%) and variables ($) are escaped, and words with blanks, quotes or backslashes are
// double-quoted with C-style escapes.
func systemdQuote(s string) string {
	s = strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// SysVScript renders the init script of a system service under SysV init: an LSB script that
// prepares the run, state and log directories, hands them to the service account and starts the
// daemon as that account with setpriv (util-linux), logging its output to LogDir/daemon.log.
// `status` prints "Running" or "Stopped" (exit 3), as kardianos and the LSB expect.
func SysVScript(p Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/sh
# spotwatch daemon under SysV init. %s
### BEGIN INIT INFO
# Provides:          %s
# Required-Start:    $network $remote_fs $syslog
# Required-Stop:     $network $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: spotwatch: is Spotify's Code 4 or 7 your internet or a block?
# Description:       %s.
### END INIT INFO
# chkconfig: 2345 90 10
%s
name=%s
user=%s
pid_file=/run/%s.pid
log_file=%s
run_dir=%s
state_dir=%s

`, generatedBy, p.Name, description, configMarker(p), shQuote(p.Name), shQuote(p.Account), p.Name,
		shQuote(p.LogDir+"/daemon.log"), shQuote(p.RunDir), shQuote(p.StateDir))
	for _, e := range p.serviceEnv() {
		fmt.Fprintf(&b, "export %s=%s\n", e.Key, shQuote(e.Value))
	}
	fmt.Fprintf(&b, "\naction=$1\nset -- %s\n", shWords(append([]string{p.Binary}, p.DaemonArgs()...)))
	b.WriteString(`
is_running() {
	[ -f "$pid_file" ] || return 1
	pid=$(cat "$pid_file" 2>/dev/null)
	[ -n "$pid" ] && { kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ]; }
}

# run_as runs the daemon as $user: setpriv drops root before the daemon starts.
run_as() {
	if [ -n "$user" ] && [ "$(id -u)" = 0 ]; then
		if command -v setpriv >/dev/null 2>&1; then
			exec setpriv --reuid="$user" --regid="$user" --clear-groups --no-new-privs -- "$@"
		fi
		echo "$name: setpriv (util-linux) not found: running as root" >&2
	fi
	exec "$@"
}

case "$action" in
start)
	if is_running; then
		echo "Running: $name is already started (pid $pid)"
		exit 0
	fi
	mkdir -p "$run_dir" "$state_dir" "$(dirname "$log_file")"
	if [ -n "$user" ]; then
		chown "$user:" "$run_dir" "$state_dir"
	fi
	chmod 0755 "$run_dir" "$state_dir"
	(run_as "$@") >>"$log_file" 2>&1 </dev/null &
	echo $! >"$pid_file"
	sleep 1
	if is_running; then
		echo "Started $name (pid $pid)"
	else
		rm -f "$pid_file"
		echo "$name did not start: see $log_file" >&2
		tail -n 5 "$log_file" >&2
		exit 1
	fi
	;;
stop)
	if ! is_running; then
		rm -f "$pid_file"
		echo "Stopped: $name is not running"
		exit 0
	fi
	kill "$pid"
	i=0
	while is_running && [ $i -lt 20 ]; do
		sleep 0.5 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	if is_running; then
		echo "$name (pid $pid) did not stop within 10 s" >&2
		exit 1
	fi
	rm -f "$pid_file"
	echo "Stopped $name"
	;;
restart|force-reload)
	"$0" stop && "$0" start
	;;
reload)
	if is_running; then
		kill -HUP "$pid" && echo "Reloaded the configuration of $name"
	else
		echo "$name is not running" >&2
		exit 7
	fi
	;;
status)
	if is_running; then
		echo "Running (pid $pid)"
	else
		echo "Stopped"
		exit 3
	fi
	;;
*)
	echo "Usage: $0 {start|stop|restart|reload|force-reload|status}" >&2
	exit 2
	;;
esac
exit 0
`)
	return b.String()
}

// OpenRCScript renders the OpenRC service script: supervise-daemon runs the daemon as the
// service account and respawns it when it fails.
func OpenRCScript(p Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, `#!/sbin/openrc-run
# spotwatch daemon under OpenRC. %s
%s
name=%s
description=%s
supervisor=supervise-daemon
command=%s
command_args=%s
command_user=%s
output_log=%s
error_log=%s
respawn_delay=5
respawn_max=5
respawn_period=300
extra_started_commands="reload"

`, generatedBy, configMarker(p), shQuote(p.Name), shQuote(description), shQuote(p.Binary), shQuote(shWords(p.DaemonArgs())),
		shQuote(p.Account+":"+p.Account), shQuote(p.LogDir+"/daemon.log"), shQuote(p.LogDir+"/daemon.log"))
	for _, e := range p.serviceEnv() {
		fmt.Fprintf(&b, "export %s=%s\n", e.Key, shQuote(e.Value))
	}
	fmt.Fprintf(&b, `
depend() {
	need net
	use dns logger
	after firewall
}

start_pre() {
	checkpath --directory --owner %[1]s:%[1]s --mode 0755 %[2]s
	checkpath --directory --owner %[1]s:%[1]s --mode 0755 %[3]s
	checkpath --directory --owner %[1]s:%[1]s --mode 0755 %[4]s
}

reload() {
	ebegin "Reloading the configuration of ${name}"
	supervise-daemon "${RC_SVCNAME}" --signal HUP
	eend $?
}
`, p.Account, shQuote(p.RunDir), shQuote(p.StateDir), shQuote(p.LogDir))
	return b.String()
}

// shQuote quotes s for a POSIX shell: bare when it is made of safe characters only, else in
// single quotes.
func shQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shQuote(w)
	}
	return strings.Join(q, " ")
}

// LaunchdDaemon renders the daemon's launchd job: a LaunchAgent (user) or LaunchDaemon
// (system) loaded at login or boot (RunAtLoad) and restarted when it exits with a failure.
func LaunchdDaemon(p Plan) string {
	var b strings.Builder
	b.WriteString(plistHead)
	plistKey(&b, "Label", p.Name)
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{p.Binary}, p.DaemonArgs()...) {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", xmlEscape(a))
	}
	b.WriteString("\t</array>\n\t<key>EnvironmentVariables</key>\n\t<dict>\n")
	for _, e := range p.serviceEnv() {
		fmt.Fprintf(&b, "\t\t<key>%s</key>\n\t\t<string>%s</string>\n", xmlEscape(e.Key), xmlEscape(e.Value))
	}
	b.WriteString("\t</dict>\n")
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>KeepAlive</key>\n\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	b.WriteString("\t<key>ThrottleInterval</key>\n\t<integer>10</integer>\n")
	plistKey(&b, "ProcessType", "Background")
	plistKey(&b, "StandardOutPath", p.LogDir+"/daemon.log")
	plistKey(&b, "StandardErrorPath", p.LogDir+"/daemon.log")
	b.WriteString(plistTail)
	return b.String()
}

// LaunchdTray renders the tray's LaunchAgent: started at login into the graphical (Aqua)
// session only, not restarted after the user quits it.
func LaunchdTray(p Plan) string {
	var b strings.Builder
	b.WriteString(plistHead)
	plistKey(&b, "Label", TrayLabel)
	fmt.Fprintf(&b, "\t<key>ProgramArguments</key>\n\t<array>\n\t\t<string>%s</string>\n\t\t<string>tray</string>\n\t</array>\n", xmlEscape(p.Binary))
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n\t<key>KeepAlive</key>\n\t<false/>\n")
	plistKey(&b, "LimitLoadToSessionType", "Aqua")
	plistKey(&b, "ProcessType", "Interactive")
	b.WriteString(plistTail)
	return b.String()
}

const plistHead = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- ` + generatedBy + ` -->
<plist version="1.0">
<dict>
`

const plistTail = "</dict>\n</plist>\n"

func plistKey(b *strings.Builder, key, value string) {
	fmt.Fprintf(b, "\t<key>%s</key>\n\t<string>%s</string>\n", key, xmlEscape(value))
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// DesktopEntry renders the tray's XDG autostart entry (freedesktop Desktop Entry and Autostart
// specifications): it runs `BINARY tray` at login. icon is a path or an icon-theme name.
// header is the comment on top; "" for the one of `spotwatch install`.
func DesktopEntry(binary, icon, header string) string {
	if header == "" {
		header = "spotwatch tray, started at login. " + generatedBy
	}
	var b strings.Builder
	for _, line := range wrap(header, 96) {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	b.WriteString("[Desktop Entry]\nType=Application\nName=spotwatch\nGenericName=Spotify connection monitor\n")
	fmt.Fprintf(&b, "Comment=%s\n", description)
	fmt.Fprintf(&b, "Exec=%s tray\n", desktopString(desktopExecArg(binary)))
	fmt.Fprintf(&b, "TryExec=%s\n", desktopString(binary))
	fmt.Fprintf(&b, "Icon=%s\n", desktopString(icon))
	b.WriteString("Terminal=false\nCategories=Network;Monitor;\nNoDisplay=true\nX-GNOME-Autostart-enabled=true\n")
	return b.String()
}

// desktopExecArg quotes one argument of an Exec key: reserved characters need double quotes,
// inside which ", `, $ and \ are escaped with a backslash; % is doubled.
func desktopExecArg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`") {
		return s
	}
	return `"` + strings.NewReplacer(`"`, `\"`, "`", "\\`", `$`, `\$`, `\`, `\\`).Replace(s) + `"`
}

// desktopString escapes a value of type string: backslashes and control characters.
func desktopString(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
}

// RunKeyValue is the data of the tray's value under
// HKCU\Software\Microsoft\Windows\CurrentVersion\Run: the quoted binary and "tray".
func RunKeyValue(binary string) string {
	return windowsCommandLine(binary, "tray")
}

// windowsCommandLine joins a program and its arguments the way the SCM and CreateProcess read
// them back (CommandLineToArgvW): the program always quoted, arguments as syscall.EscapeArg does.
func windowsCommandLine(program string, args ...string) string {
	parts := []string{`"` + program + `"`}
	for _, a := range args {
		parts = append(parts, windowsEscapeArg(a))
	}
	return strings.Join(parts, " ")
}

// scmCommandLine is the BinaryPathName golang.org/x/sys/windows/svc/mgr registers for a program
// and its arguments: each escaped with syscall.EscapeArg.
func scmCommandLine(program string, args ...string) string {
	parts := []string{windowsEscapeArg(program)}
	for _, a := range args {
		parts = append(parts, windowsEscapeArg(a))
	}
	return strings.Join(parts, " ")
}

// windowsEscapeArg is syscall.EscapeArg, which exists only on Windows.
func windowsEscapeArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, "\"\\ \t") {
		return s
	}
	var b strings.Builder
	quote := strings.ContainsAny(s, " \t")
	if quote {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			for ; slashes > 0; slashes-- {
				b.WriteByte('\\')
			}
			b.WriteByte('\\')
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	if quote {
		for ; slashes > 0; slashes-- {
			b.WriteByte('\\')
		}
		b.WriteByte('"')
	}
	return b.String()
}

// WindowsService is how the Windows service is registered with the SCM.
type WindowsService struct {
	Name             string   `json:"name"`
	DisplayName      string   `json:"display_name"`
	Description      string   `json:"description"`
	CommandLine      string   `json:"command_line"` // the service's BinaryPathName
	Account          string   `json:"account"`
	StartType        string   `json:"start_type"`
	DelayedAutoStart bool     `json:"delayed_auto_start"`
	OnFailure        string   `json:"on_failure"`         // recovery action
	OnFailureDelay   string   `json:"on_failure_delay"`   // before the restart
	ResetPeriod      int      `json:"reset_period_s"`     // seconds without failure that reset the failure count
	Environment      []string `json:"environment"`        // the service key's Environment value
	EventLogSource   string   `json:"event_log_source"`   // registered for the daemon's Event Log entries
	DataDirectory    string   `json:"data_directory"`     // created by install, writable by Account
	ProtectedConfig  string   `json:"protected_config"`   // the config file, refused when non-admins may write it
	TrayRunKeyValue  string   `json:"tray_run_key_value"` // HKCU\…\Run\spotwatch
}

// WindowsSettings renders the Windows service's registration: an automatic (delayed) start as
// LocalService, restarted 10 s after a failure, with its own Event Log source.
func WindowsSettings(p Plan) WindowsService {
	env := []string{}
	for _, e := range p.serviceEnv() {
		env = append(env, e.Key+"="+e.Value)
	}
	dir := p.Config
	if i := strings.LastIndex(dir, `\`); i >= 0 {
		dir = dir[:i]
	}
	return WindowsService{
		Name:             p.Name,
		DisplayName:      displayName,
		Description:      description + ".",
		CommandLine:      scmCommandLine(p.Binary, p.DaemonArgs()...),
		Account:          p.Account,
		StartType:        "automatic",
		DelayedAutoStart: true,
		OnFailure:        "restart",
		OnFailureDelay:   "10s",
		ResetPeriod:      86400,
		Environment:      env,
		EventLogSource:   p.Name,
		DataDirectory:    dir,
		ProtectedConfig:  p.Config,
		TrayRunKeyValue:  RunKeyValue(p.Binary),
	}
}

// PackageFiles renders the files the .deb and .rpm packages install (see packaging/): the
// systemd user unit /usr/lib/systemd/user/spotwatch.service and the autostart entry
// /etc/xdg/autostart/spotwatch.desktop, both running /usr/bin/spotwatch.
func PackageFiles() (unit, desktop string) {
	p := Plan{GOOS: "linux", Platform: PlatformSystemd, Scope: User, Name: Name, Binary: "/usr/bin/" + Name}
	unit = SystemdUnit(p, "spotwatch daemon as a systemd user unit, installed by the spotwatch package and enabled for "+
		"every user (systemctl --global enable spotwatch). `systemctl --user disable --now spotwatch` turns it off "+
		"for you; `spotwatch install` writes a unit of your own in ~/.config/systemd/user that takes its place. "+
		"Generated from svc/render.go (go test ./svc -update): edit that, not this file.")
	desktop = DesktopEntry(p.Binary, Name, "spotwatch tray, started at login for every user; installed by the spotwatch "+
		"package. Generated from svc/render.go (go test ./svc -update): edit that, not this file.")
	return unit, desktop
}

// wrap breaks text into lines of at most width characters at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

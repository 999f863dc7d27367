package history

import (
	"errors"
	"os"
	"path"
	"runtime"
	"strings"
)

// DefaultPath returns where the history lives.
//
// Per user (system false), following each OS's convention for state an application keeps:
//   - Linux and other Unix: $XDG_STATE_HOME/spotwatch/history.log when XDG_STATE_HOME is an
//     absolute path, else ~/.local/state/spotwatch/history.log (the XDG base directory
//     specification's state directory, for "actions history"; not a cache, which may be purged);
//   - macOS: ~/Library/Application Support/spotwatch/history.log (os.UserConfigDir);
//   - Windows: %LocalAppData%\spotwatch\history.log (os.UserCacheDir: local, not roaming).
//
// For the system service (system true): /var/lib/spotwatch/history.log on Linux and other
// Unix, /Library/Application Support/spotwatch/history.log on macOS and
// %ProgramData%\spotwatch\history.log on Windows.
func DefaultPath(system bool) (string, error) {
	return defaultPath(runtime.GOOS, system, os.Getenv)
}

// defaultPath is DefaultPath for the OS goos, with goos's path rules whatever OS runs it (tests
// ask for every OS): package path for Unix targets, windowsJoin for Windows.
func defaultPath(goos string, system bool, getenv func(string) string) (string, error) {
	const app, file = "spotwatch", "history.log"
	switch {
	case goos == "windows" && system:
		dir := getenv("ProgramData")
		if dir == "" {
			dir = `C:\ProgramData`
		}
		return windowsJoin(dir, app, file), nil
	case goos == "windows":
		dir := getenv("LocalAppData")
		if dir == "" {
			return "", errors.New("finding the history directory: %LocalAppData% is not set")
		}
		return windowsJoin(dir, app, file), nil
	case (goos == "darwin" || goos == "ios") && system:
		return path.Join("/Library/Application Support", app, file), nil
	case system:
		return path.Join("/var/lib", app, file), nil
	}
	if dir := getenv("XDG_STATE_HOME"); goos != "darwin" && goos != "ios" && path.IsAbs(dir) {
		return path.Join(dir, app, file), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("finding the history directory: $HOME is not set")
	}
	if goos == "darwin" || goos == "ios" {
		return path.Join(home, "Library", "Application Support", app, file), nil
	}
	return path.Join(home, ".local", "state", app, file), nil
}

// windowsJoin joins a Windows directory and names with one backslash between them, on any OS
// (filepath.Join uses the running OS's separator).
func windowsJoin(dir string, names ...string) string {
	return strings.TrimRight(dir, `\/`) + `\` + strings.Join(names, `\`)
}

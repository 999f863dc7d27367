package svc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spotwatch/spotwatch/tray/icons"
)

// xdgSystemAutostart is where the packages install the tray's autostart entry for every user.
const xdgSystemAutostart = "/etc/xdg/autostart/" + Name + ".desktop"

// runKeyPath is the tray's autostart key on Windows, under HKEY_CURRENT_USER.
const runKeyPath = `Software\Microsoft\Windows\CurrentVersion\Run`

// runKey is the Windows Run key: the real HKCU key on Windows (registry_windows.go); tests on
// any OS use a map.
type runKey interface {
	get(name string) (value string, ok bool, err error)
	set(name, value string) error
	remove(name string) error
}

// autostart is the tray's start at login for the plan's tray user: an XDG autostart entry on
// Linux, a LaunchAgent on macOS, a value of the Run key on Windows.
type autostart struct {
	plan Plan
	key  runKey // Windows only; nil for HKCU
}

func (a *autostart) runKey() runKey {
	if a.key == nil {
		return hkcuRun{}
	}
	return a.key
}

// describe names the entry.
func (a *autostart) describe() string {
	if a.plan.GOOS == "windows" {
		return `HKCU\` + runKeyPath + `\` + a.plan.Tray.Entry
	}
	return a.plan.Tray.Entry
}

// content is the entry's file (or on Windows the Run value).
func (a *autostart) content() string {
	p := a.plan
	switch p.GOOS {
	case "windows":
		return RunKeyValue(p.Binary)
	case "darwin":
		return LaunchdTray(p)
	}
	return DesktopEntry(p.Binary, p.Tray.Icon, "")
}

// enabled reports whether the tray starts at login. On Linux a user's entry overrides the
// packages' entry for every user (XDG autostart), and Hidden=true in it turns autostart off.
func (a *autostart) enabled() (bool, error) {
	if a.plan.GOOS == "windows" {
		_, ok, err := a.runKey().get(a.plan.Tray.Entry)
		return ok, err
	}
	data, err := os.ReadFile(a.plan.Tray.Entry)
	if errors.Is(err, fs.ErrNotExist) {
		if a.plan.GOOS == "darwin" {
			return false, nil
		}
		_, err := os.Stat(xdgSystemAutostart)
		return err == nil, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the autostart entry: %w", err)
	}
	return !bytes.Contains(data, []byte("\nHidden=true")), nil
}

// enable registers the entry; changed is false when it was already exactly in place.
func (a *autostart) enable() (changed bool, err error) {
	want := a.content()
	if a.plan.GOOS == "windows" {
		k := a.runKey()
		old, ok, err := k.get(a.plan.Tray.Entry)
		if err != nil {
			return false, err
		}
		if ok && old == want {
			return false, nil
		}
		return true, k.set(a.plan.Tray.Entry, want)
	}
	if userDir(a.plan.Tray, a.plan.Tray.Entry).sameFile(a.plan.Tray.Entry, []byte(want)) {
		return false, nil
	}
	return true, writeUserFile(a.plan.Tray, a.plan.Tray.Entry, []byte(want))
}

// disable stops the tray from starting at login. With remove (uninstall) the user's entry is
// deleted; without (the tray's "Start at login" switch) an entry with Hidden=true is written
// where the packages' entry for every user would otherwise still start it.
func (a *autostart) disable(remove bool) (changed bool, err error) {
	if a.plan.GOOS == "windows" {
		k := a.runKey()
		if _, ok, err := k.get(a.plan.Tray.Entry); err != nil || !ok {
			return false, err
		}
		return true, k.remove(a.plan.Tray.Entry)
	}
	if !remove && a.plan.GOOS != "darwin" {
		if _, err := os.Stat(xdgSystemAutostart); err == nil {
			hidden := a.content() + "Hidden=true\n"
			if userDir(a.plan.Tray, a.plan.Tray.Entry).sameFile(a.plan.Tray.Entry, []byte(hidden)) {
				return false, nil
			}
			return true, writeUserFile(a.plan.Tray, a.plan.Tray.Entry, []byte(hidden))
		}
	}
	err = userDir(a.plan.Tray, a.plan.Tray.Entry).removeFile(a.plan.Tray.Entry)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// writeUserFile writes a file for the tray's user, creating missing directories, without
// following a link of theirs (safeDir); under sudo the files and directories created are given
// to that user.
func writeUserFile(t Tray, path string, data []byte) error {
	return userDir(t, path).write(path, data, 0o644)
}

// TrayAutostart is the tray's "Start at login" switch for the user running it; it satisfies
// tray.Autostart. The entry runs the binary of this process.
type TrayAutostart struct {
	a *autostart
}

// NewTrayAutostart returns the switch for this process's user and binary.
func NewTrayAutostart() (*TrayAutostart, error) {
	h, err := thisHost()
	if err != nil {
		return nil, err
	}
	home := h.home()
	h.sudoUser = nil
	p := Plan{GOOS: h.goos, Binary: h.executable, Tray: h.tray(home, joiner(h.goos))}
	return &TrayAutostart{a: &autostart{plan: p}}, nil
}

// Enabled reports whether the tray starts at login.
func (t *TrayAutostart) Enabled() (bool, error) { return t.a.enabled() }

// SetEnabled turns starting at login on (also installing the icon the entry names) or off.
func (t *TrayAutostart) SetEnabled(on bool) error {
	if !on {
		_, err := t.a.disable(false)
		return err
	}
	p := t.a.plan
	if _, err := os.Stat(p.Tray.Icon); err != nil {
		if err := writeUserFile(p.Tray, p.Tray.Icon, icons.PNG(icons.OK, icons.NotificationSize)); err != nil {
			return fmt.Errorf("installing the icon: %w", err)
		}
	}
	_, err := t.a.enable()
	return err
}

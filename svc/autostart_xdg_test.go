//go:build !windows && !darwin

package svc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/tray/icons"
)

// The XDG autostart entry is the tray's "Start at login" on Linux and the BSDs; Windows has its
// Run key (TestRunKeyAutostart) and macOS its LaunchAgent.

// TestDesktopAutostart: the XDG entry on a real file system, with the tray's "Start at login"
// switch (TrayAutostart) turning it off and on.
func TestDesktopAutostart(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_DATA_HOME", "")
	sw, err := NewTrayAutostart()
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(home, ".config", "autostart", "spotwatch.desktop")
	if sw.a.plan.Tray.Entry != entry {
		t.Fatalf("entry %s, want %s", sw.a.plan.Tray.Entry, entry)
	}
	if on, err := sw.Enabled(); on || err != nil {
		t.Fatalf("Enabled before = %v, %v", on, err)
	}
	must(t, sw.SetEnabled(true))
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if !strings.Contains(string(data), "Exec="+desktopExecArg(exe)+" tray\n") {
		t.Errorf("the entry does not run this binary's tray:\n%s", data)
	}
	icon, err := os.ReadFile(sw.a.plan.Tray.Icon)
	if err != nil || !bytes.Equal(icon, icons.PNG(icons.OK, icons.NotificationSize)) {
		t.Errorf("the icon the entry names was not installed: %v", err)
	}
	if on, err := sw.Enabled(); !on || err != nil {
		t.Fatalf("Enabled after SetEnabled(true) = %v, %v", on, err)
	}
	must(t, sw.SetEnabled(false))
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("SetEnabled(false) left %s: %v", entry, err)
	}
	if on, _ := sw.Enabled(); on {
		t.Error("Enabled after SetEnabled(false)")
	}
	// Hidden=true in the user's entry turns autostart off.
	must(t, os.WriteFile(entry, []byte(DesktopEntry(exe, "x", "")+"Hidden=true\n"), 0o644))
	if on, _ := sw.Enabled(); on {
		t.Error("an entry with Hidden=true counts as enabled")
	}
}

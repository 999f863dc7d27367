//go:build linux

package tray

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/spotwatch/spotwatch/tray/internal/desktoptest"
)

// TestNotificationEscapedForTheServerThatShowsIt sends notifications while the notification
// server on a real session bus changes under the tray: one that reads markup gets the body
// escaped, its replacement that reads plain text gets it as it is, and with no server at all
// beeep's kdialog fallback (which renders rich text) gets the markup neutralised.
func TestNotificationEscapedForTheServerThatShowsIt(t *testing.T) {
	bus := desktoptest.StartBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	// Only a recording kdialog on PATH: no notify-send, so the fallback is kdialog's.
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "kdialog.args")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + record + "\n"
	if err := os.WriteFile(filepath.Join(bin, "kdialog"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)

	const title, body = "Spotify Error Code 7 — <b>Filter</b>", `Open <a href="x">this</a> & run <name>`
	n := newDesktopNotifier(nil, slog.New(slog.DiscardHandler))
	send := func() {
		t.Helper()
		if err := n.notify(Note{Title: title, Body: body, Urgency: UrgencyNormal}); err != nil {
			t.Fatalf("notify: %v", err)
		}
	}

	markup := newFakeDesktop(t, bus, false)
	send()
	if got := markup.waitNote(); got.Body != escapeMarkup(body) || got.Summary != title {
		t.Errorf("markup server got %q / %q, want the body escaped: %q", got.Summary, got.Body, escapeMarkup(body))
	}

	markup.conn.Close()
	waitNameGone(t, bus, notificationsName)
	plain := newFakeDesktop(t, bus, false)
	plain.setCapabilities("body")
	send()
	if got := plain.waitNote(); got.Body != body {
		t.Errorf("plain-text server got body %q, want it as it is: %q", got.Body, body)
	}

	plain.conn.Close()
	waitNameGone(t, bus, notificationsName)
	send()
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the kdialog fallback did not run: %v", err)
	}
	args := string(data)
	for _, want := range []string{neutraliseMarkup(title), neutraliseMarkup(body)} {
		if !strings.Contains(args, want+"\n") {
			t.Errorf("kdialog got %q, want %q among its arguments", args, want)
		}
	}
	if strings.ContainsAny(args, "<>&") {
		t.Errorf("kdialog, which renders rich text, got markup characters: %q", args)
	}
}

func TestNeutraliseMarkup(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":                "plain text",
		"<b>bold</b> & <i>":         "‹b›bold‹/b› ＆ ‹i›",
		`<a href="https://x">x</a>`: `‹a href="https://x"›x‹/a›`,
	} {
		if got := neutraliseMarkup(in); got != want {
			t.Errorf("neutraliseMarkup(%q) = %q, want %q", in, got, want)
		}
	}
}

// waitNameGone waits until nobody owns name on the bus at addr.
func waitNameGone(t *testing.T, addr, name string) {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var has bool
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err != nil {
			t.Fatalf("asking for %s: %v", name, err)
		}
		if !has {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s still owned", name)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

//go:build linux

package tray

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/tray/icons"
	"github.com/spotwatch/spotwatch/tray/internal/desktoptest"
)

// wantPixmap is the IconPixmap the tray must show for icon id: its 32 px PNG as straight
// ARGB, exactly.
func wantPixmap(t *testing.T, id icons.ID) pixmap {
	t.Helper()
	return pixmap{W: icons.TraySize, H: icons.TraySize, Pix: straightARGB(t, icons.PNG(id, icons.TraySize))}
}

func sameIcon(got, want pixmap) error {
	if got.W != want.W || got.H != want.H || len(got.Pix) != len(want.Pix) {
		return fmt.Errorf("icon %dx%d (%d bytes), want %dx%d", got.W, got.H, len(got.Pix), want.W, want.H)
	}
	for i := range got.Pix {
		if got.Pix[i] != want.Pix[i] {
			return fmt.Errorf("icon byte %d (pixel %d,%d) is %d, want %d", i, i/4%int(want.W), i/4/int(want.W), got.Pix[i], want.Pix[i])
		}
	}
	return nil
}

// wantImage is the image-data hint a notification must carry for icon id: its 64 px PNG.
func wantImage(t *testing.T, id icons.ID) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(icons.PNG(id, icons.NotificationSize)))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba.Pix
}

// expectTray waits until the item shows icon id, the tooltip and the menu.
func expectTray(t *testing.T, it item, id icons.ID, tooltip, menu string) {
	t.Helper()
	want := wantPixmap(t, id)
	err := it.d.waitFor(func() error {
		pm, err := it.icon()
		if err != nil {
			return err
		}
		if err := sameIcon(pm, want); err != nil {
			return fmt.Errorf("not the %s icon: %w", id, err)
		}
		if got := it.tooltip(); got != tooltip {
			return fmt.Errorf("tooltip %q, want %q", got, tooltip)
		}
		root, err := it.menu()
		if err != nil {
			return err
		}
		if got := root.String(); got != menu {
			return fmt.Errorf("menu:\n%s\nwant:\n%s", got, menu)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// expectNote waits for the next notification and checks it.
func expectNote(t *testing.T, d *fakeDesktop, summary string, urgency byte, id icons.ID, body string) sentNote {
	t.Helper()
	n := d.waitNote()
	if n.App != "spotwatch" || n.Summary != summary || n.Urgency != urgency {
		t.Fatalf("notification from %q: %q urgency %d, want %q urgency %d", n.App, n.Summary, n.Urgency, summary, urgency)
	}
	if body != "" && n.Body != body {
		t.Errorf("notification body %q, want %q", n.Body, body)
	}
	if !bytes.Equal(n.Image, wantImage(t, id)) || n.ImageW != icons.NotificationSize {
		t.Errorf("notification %q does not carry the %s icon (%dx%d, %d bytes)", summary, id, n.ImageW, n.ImageH, len(n.Image))
	}
	return n
}

// expectNoNewNotes checks nothing was sent beyond the first n notifications.
func expectNoNewNotes(t *testing.T, d *fakeDesktop, n int) {
	t.Helper()
	if sent := d.sent(); len(sent) != n {
		var titles []string
		for _, s := range sent {
			titles = append(titles, s.Summary)
		}
		t.Fatalf("%d notifications, want %d: %q", len(sent), n, titles)
	}
}

// problemBody is the body of a problem notification for cause: the first fix step, escaped
// for a server that reads markup.
func problemBody(c diagnosis.Cause) string {
	return escapeMarkup(firstStep(diag(c, diagnosis.Findings{})))
}

// menu builds the expected menu text from its changing lines.
func menu(state, cause, lastCheck string, fix bool, pauseLabel, hour, tomorrow string, atLogin string) string {
	causeLine := cause + " [disabled]"
	if cause == "" {
		causeLine = " [disabled] [hidden]"
	}
	fixLine := "What to do…"
	if !fix {
		fixLine += " [disabled]"
	}
	return state + " [disabled]\n" + causeLine + "\n" + lastCheck + " [disabled]\n----\nCheck now\n" + fixLine + "\n" +
		pauseLabel + "\n  For 1 hour " + hour + "\n  Until tomorrow " + tomorrow + "\nOpen history\nStart at login " + atLogin + "\n----\nQuit\n"
}

// TestTrayOnTheSessionBus runs the tray as its own process on a private session bus where
// this test plays the desktop: it owns org.kde.StatusNotifierWatcher and
// org.freedesktop.Notifications and records what spotwatch registers and sends. It checks the
// icon's pixels, the tooltip and the whole menu in each state, that "Check now" reaches the
// monitor, the pause entries, "What to do…", "Open history", "Start at login", Quit, and the
// exact notifications for a scripted sequence of check results (hysteresis of 2 failing
// checks, a reminder after repeat_after, nothing during a pause, a recovery).
func TestTrayOnTheSessionBus(t *testing.T) {
	addr := desktoptest.StartBus(t)
	d := newFakeDesktop(t, addr, true)
	tray := startTray(t, addr)
	tray.expect("ready")
	tray.expect("started") // Options.Started: the menu exists and the first state is shown
	it := item{d: d, name: d.waitItem()}

	for prop, want := range map[string]string{"Id": "spotwatch", "Title": "spotwatch", "Status": "Active", "ItemIsMenu": "true", "Menu": "/StatusNotifierItem/menu"} {
		if got := it.str(prop); got != want {
			t.Errorf("item property %s = %q, want %q", prop, got, want)
		}
	}
	// Before the first check: "checking".
	expectTray(t, it, icons.Checking, "spotwatch: checking whether Spotify is reachable…",
		menu("Checking whether Spotify is reachable…", "", "No check finished yet", false, "Pause notifications", "[ ]", "[ ]", "[ ]"))

	// "Check now" reaches the monitor: it checks, and Spotify is reachable. No notification.
	okSummary := diag(diagnosis.CauseOK, diagnosis.Findings{}).Summary
	it.click(t, "Check now")
	tray.expect("checked ok")
	tray.expect("step event check ok checks=1")
	expectTray(t, it, icons.OK, "spotwatch: Spotify reachable",
		menu("Spotify reachable", truncateRunes(okSummary, maxMenuLine), "Last check 12:00 (0.2 s)", true, "Pause notifications", "[ ]", "[ ]", "[ ]"))
	tray.send("sync")
	expectNoNewNotes(t, d, 0)

	// A DNS filter appears. The first failing check changes nothing (thresholds.fail = 2)…
	tray.send("result dns_filtered")
	it.click(t, "Check now")
	tray.expect("step event check ok checks=2")
	tray.send("sync")
	expectNoNewNotes(t, d, 0)
	// …the second does: one critical notification.
	it.click(t, "Check now")
	tray.expect("step event state dns_filtered")
	expectNote(t, d, "Spotify Error Code 7 — blocked by your DNS filter", 2, icons.Blocked, problemBody(diagnosis.CauseDNSFiltered))
	filtered := diag(diagnosis.CauseDNSFiltered, diagnosis.Findings{})
	blockedMenu := menu("Error Code 7 — DNS filter blocks Spotify", truncateRunes(filtered.Summary, maxMenuLine), "Last check 12:00 (0.2 s)", true, "Pause notifications", "[ ]", "[ ]", "[ ]")
	expectTray(t, it, icons.Blocked, "spotwatch: Spotify Error Code 7 — blocked by your DNS filter", blockedMenu)
	// More checks of the same state: never a second notification.
	it.click(t, "Check now")
	tray.expect("step event check dns_filtered checks=4")
	tray.send("sync")
	expectNoNewNotes(t, d, 1)

	// "What to do…" opens the fix page of the state.
	it.click(t, "What to do…")
	page := strings.TrimPrefix(tray.expect("open "), "open ")
	if data, err := os.ReadFile(page); err != nil || !strings.Contains(string(data), "Spotify Error Code 7 — blocked by your DNS filter") ||
		!strings.Contains(string(data), "<ol><li>") {
		t.Errorf("fix page %s: %v\n%s", page, err, data)
	}

	// A reminder no sooner than repeat_after (1 h).
	tray.send("advance 59m")
	expectNoNewNotes(t, d, 1)
	tray.send("advance 1m")
	expectNote(t, d, "Spotify Error Code 7 for 1 h — blocked by your DNS filter", 2, icons.Blocked, problemBody(diagnosis.CauseDNSFiltered))

	// Pause for an hour (13:00 → 14:00): the entry is checked, the icon says paused, and a new
	// problem during the pause is not notified…
	it.click(t, "For 1 hour")
	tray.expect("step event state dns_filtered")
	expectTray(t, it, icons.Paused, "spotwatch: Spotify Error Code 7 — blocked by your DNS filter (notifications paused until 14:00)",
		menu("Error Code 7 — DNS filter blocks Spotify", truncateRunes(filtered.Summary, maxMenuLine), "Last check 12:00 (0.2 s)", true,
			"Notifications paused until 14:00", "[x]", "[ ]", "[ ]"))
	tray.send("result no_network")
	it.click(t, "Check now")
	tray.expect("step event check dns_filtered")
	it.click(t, "Check now")
	tray.expect("step event state no_network")
	tray.send("sync")
	expectNoNewNotes(t, d, 2)
	// …until the pause ends, if it still lasts.
	tray.send("advance 1h")
	expectNote(t, d, "Spotify Error Code 4 — not connected to a network", 2, icons.NoInternet, problemBody(diagnosis.CauseNoNetwork))
	noNet := diag(diagnosis.CauseNoNetwork, diagnosis.Findings{})
	expectTray(t, it, icons.NoInternet, "spotwatch: Spotify Error Code 4 — not connected to a network",
		menu("Error Code 4 — Not connected to a network", truncateRunes(noNet.Summary, maxMenuLine), "Last check 13:00 (0.2 s)", true, "Pause notifications", "[ ]", "[ ]", "[ ]"))

	// Recovery (thresholds.recover = 1): a normal-urgency notification with the outage's length.
	tray.send("result ok")
	it.click(t, "Check now")
	tray.expect("step event state ok")
	expectNote(t, d, "Spotify is reachable again after 2 h", 1, icons.OK, "Gone: Spotify Error Code 4 — not connected to a network.")
	tray.send("sync")
	expectNoNewNotes(t, d, 4)

	// "Until tomorrow" pauses to 08:00 and is the one checked; clicking it again resumes.
	it.click(t, "Until tomorrow")
	tray.expect("step event state ok")
	okTray := func(pause, hour, tomorrow, atLogin string, icon icons.ID, tooltip string) {
		expectTray(t, it, icon, tooltip, menu("Spotify reachable", truncateRunes(okSummary, maxMenuLine), "Last check 14:00 (0.2 s)", true, pause, hour, tomorrow, atLogin))
	}
	okTray("Notifications paused until Tue 08:00", "[ ]", "[x]", "[ ]", icons.Paused, "spotwatch: Spotify reachable (notifications paused until Tue 08:00)")
	it.click(t, "Until tomorrow")
	tray.expect("step event state ok")
	okTray("Pause notifications", "[ ]", "[ ]", "[ ]", icons.OK, "spotwatch: Spotify reachable")

	// "Start at login" turns autostart on and shows it checked.
	it.click(t, "Start at login")
	tray.expect("step done changing start at login")
	okTray("Pause notifications", "[ ]", "[ ]", "[x]", icons.OK, "spotwatch: Spotify reachable")

	// "Open history" lists the state changes, newest first.
	it.click(t, "Open history")
	page = strings.TrimPrefix(tray.expect("open "), "open ")
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	_, h, _ := strings.Cut(string(data), "<h2>State changes</h2>") // the table, after the timeline
	if i, j := strings.Index(h, "Spotify Error Code 4"), strings.Index(h, "Spotify Error Code 7"); i < 0 || j < 0 || i > j {
		t.Errorf("history page does not list the changes newest first:\n%s", h)
	}

	// The whole sequence, exactly.
	var got []string
	for _, n := range d.sent() {
		got = append(got, fmt.Sprintf("%d %s", n.Urgency, n.Summary))
	}
	want := []string{
		"2 Spotify Error Code 7 — blocked by your DNS filter",
		"2 Spotify Error Code 7 for 1 h — blocked by your DNS filter",
		"2 Spotify Error Code 4 — not connected to a network",
		"1 Spotify is reachable again after 2 h",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notifications:\n%q\nwant\n%q", got, want)
	}

	// Quit ends the process, and its item leaves the bus.
	it.clickQuit(t)
	tray.expect("exit <nil>")
	if err := tray.waitExit(); err != nil {
		t.Fatalf("the tray exited with %v", err)
	}
	var has bool
	if err := d.conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, it.name).Store(&has); err != nil || has {
		t.Errorf("the tray's connection %s is still on the bus (%v)", it.name, err)
	}
}

// TestNoTrayOnTheDesktop: on a session with no StatusNotifierWatcher, the tray says so once in
// a notification (and the log) and keeps notifying state changes.
func TestNoTrayOnTheDesktop(t *testing.T) {
	addr := desktoptest.StartBus(t)
	d := newFakeDesktop(t, addr, false)
	tray := startTray(t, addr)
	expectNote(t, d, "spotwatch has no tray icon on this desktop", 1, icons.Checking, "")
	tray.expect("ready")
	// The menu is still exported under systray's name; use it to drive checks.
	it := item{d: d, name: fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", tray.cmd.Process.Pid)}
	tray.send("result firewall_drop")
	it.click(t, "Check now")
	tray.expect("step event state firewall_drop")
	expectNote(t, d, "Spotify Error Code 7 — blocked by a firewall", 2, icons.Blocked, problemBody(diagnosis.CauseFirewallDrop))
	tray.send("sync")
	expectNoNewNotes(t, d, 2)
	tray.send("quit")
	tray.expect("exit <nil>")
	tray.waitExit()
	if n := strings.Count(tray.stderr.String(), "this desktop has no system tray"); n != 1 {
		t.Errorf("the log says %d times that there is no tray, want once", n)
	}
}

// TestNoSessionBus: without a session bus the tray neither shows anything nor crashes (fyne's
// Quit panics there): it logs, and ends cleanly.
func TestNoSessionBus(t *testing.T) {
	tray := startTray(t, "unix:path="+t.TempDir()+"/no-bus")
	tray.send("result dns_filtered")
	tray.expect("started")  // with no icon, once the loop has the monitor's first state
	tray.send("advance 0s") // the monitor's first check
	tray.expect("step event state dns_filtered")
	tray.send("quit")
	tray.expect("exit <nil>")
	if err := tray.waitExit(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	log := tray.stderr.String()
	if !strings.Contains(log, "no desktop session bus") || !strings.Contains(log, "spotwatch: Spotify Error Code 7 — blocked by your DNS filter") {
		t.Errorf("the log does not say there is no bus, or lacks the state change:\n%s", log)
	}
}

//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"slices"

	"github.com/godbus/dbus/v5"
)

// Names on the session bus.
const (
	watcherName       = "org.kde.StatusNotifierWatcher"
	notificationsName = "org.freedesktop.Notifications"
	notificationsPath = "/org/freedesktop/Notifications"
)

// desktop is what the session offers.
type desktop struct {
	bus  bool   // a session bus answers
	tray bool   // a StatusNotifierWatcher is on it
	why  string // what is missing, for the log
}

// probeDesktop looks for the session bus and a StatusNotifierWatcher. It uses a private
// connection, closed at once: the shared one belongs to systray, and anything of ours on it
// could stop the icon from re-registering after a panel restart (docs/design.md, "The tray and notifications").
func probeDesktop() desktop {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return desktop{why: "connecting to the session bus: " + err.Error()}
	}
	defer conn.Close()
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has); err != nil {
		return desktop{bus: true, why: "asking the session bus for " + watcherName + ": " + err.Error()}
	}
	if !has {
		return desktop{bus: true, why: "nobody owns " + watcherName}
	}
	return desktop{bus: true, tray: true}
}

// notificationBodyFormat asks the notification server now on the bus how it reads bodies. It is
// asked before every notification, not once: the server can be restarted or replaced by one
// with other capabilities while the tray runs. Asking may start the server by D-Bus activation,
// as sending a notification would anyway. No answer is bodyUnknown: beeep then falls back to
// notify-send or kdialog, and kdialog renders rich text.
func notificationBodyFormat() bodyFormat {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return bodyUnknown
	}
	defer conn.Close()
	var caps []string
	obj := conn.Object(notificationsName, notificationsPath)
	if err := obj.Call(notificationsName+".GetCapabilities", 0).Store(&caps); err != nil {
		return bodyUnknown
	}
	if slices.Contains(caps, "body-markup") {
		return bodyMarkup
	}
	return bodyPlain
}

//go:build !linux && !freebsd && !openbsd && !netbsd

package tray

// desktop is what the session offers: on Windows and macOS, always a tray and notifications.
type desktop struct {
	bus  bool
	tray bool
	why  string
}

func probeDesktop() desktop { return desktop{bus: true, tray: true} }

// notificationBodyFormat: Windows toasts and macOS notifications take plain text.
func notificationBodyFormat() bodyFormat { return bodyPlain }

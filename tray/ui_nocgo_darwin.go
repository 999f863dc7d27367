//go:build darwin && !cgo

package tray

import (
	"errors"
	"log/slog"
)

// newTrayUI: fyne.io/systray needs cgo on macOS; a build without it runs with notifications only.
func newTrayUI(*slog.Logger) (ui, error) {
	return nil, errors.New("this build of spotwatch has no tray icon on macOS: it was built without cgo")
}

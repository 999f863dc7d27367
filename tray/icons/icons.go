// Package icons holds spotwatch's tray icons, one per state, as files embedded in the binary:
// PNG for Linux and macOS, a macOS template PNG, and ICO for Windows.
//
// The files are generated: the package draw paints them from geometry, and
// `go generate ./tray/icons` writes png/ and ico/ (the ICO files are assembled from the PNGs
// just written). The tests check that the files are exactly what the generator makes now, that
// each ICO holds the PNGs' pixels, and that every icon stays readable at 16–32 px on light and
// dark panels and differs from the others in shape, not only in colour.
package icons

//go:generate go run ./internal/gen

import (
	"embed"
	"fmt"
)

//go:embed png/*.png ico/*.ico
var files embed.FS

// ID names an icon.
type ID string

// The icons, one per tray state.
const (
	OK         ID = "ok"          // Spotify reachable
	Degraded   ID = "degraded"    // reachable, part of the way impaired
	NoInternet ID = "no-internet" // Spotify's Code 4
	Blocked    ID = "blocked"     // Spotify's Code 7
	Checking   ID = "checking"    // not known yet, or reconnecting to the daemon
	Paused     ID = "paused"      // notifications paused
)

// All lists every icon.
func All() []ID { return []ID{OK, Degraded, NoInternet, Blocked, Checking, Paused} }

// Sizes are the PNG sizes shipped, in pixels.
var Sizes = []int{16, 20, 22, 24, 32, 40, 48, 64}

// ICOSizes are the images inside each ICO file: Windows picks 16 at 100 % scaling, 20 at
// 125 %, 24 at 150 %, 32 at 200 %, 40 at 250 % and 48 at 300 %.
var ICOSizes = []int{16, 20, 24, 32, 40, 48}

// TemplateSize is the size of the macOS template icons: 16 points at 2x.
const TemplateSize = 32

// TraySize is the PNG size given to a Linux tray (StatusNotifierItem pixmap); hosts scale it.
const TraySize = 32

// NotificationSize is the PNG size given to notifications.
const NotificationSize = 64

// PNG returns icon id at size pixels (one of Sizes).
func PNG(id ID, size int) []byte {
	return mustRead(fmt.Sprintf("png/%s-%d.png", id, size))
}

// Template returns icon id as a macOS template PNG: black, the sign cut out.
func Template(id ID) []byte {
	return mustRead(fmt.Sprintf("png/%s-template-%d.png", id, TemplateSize))
}

// ICO returns icon id as a Windows .ico file holding ICOSizes.
func ICO(id ID) []byte {
	return mustRead(fmt.Sprintf("ico/%s.ico", id))
}

// mustRead reads an embedded file. A missing file is a programming error (an unknown id or
// size), which the tests rule out for every id and size.
func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("icons: " + err.Error())
	}
	return b
}

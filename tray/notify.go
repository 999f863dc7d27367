package tray

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/gen2brain/beeep"

	"github.com/spotwatch/spotwatch/tray/icons"
)

// notifier sends a notification.
type notifier interface {
	notify(Note) error
}

// logNotifier writes notifications to the log: the tray's output where there is no desktop.
type logNotifier struct{ log *slog.Logger }

func (l logNotifier) notify(n Note) error {
	l.log.Warn("spotwatch: "+n.Title, "detail", strings.ReplaceAll(n.Body, "\n", " "))
	return nil
}

// desktopNotifier sends desktop notifications with beeep: D-Bus org.freedesktop.Notifications
// on Linux, toasts on Windows, Notification Center on macOS.
type desktopNotifier struct {
	pages *pageDir // Windows keeps the icons in its "icons" subdirectory
	log   *slog.Logger

	iconMu    sync.Mutex
	iconFiles map[icons.ID]string
}

func newDesktopNotifier(pages *pageDir, log *slog.Logger) *desktopNotifier {
	beeep.AppName = "spotwatch"
	return &desktopNotifier{pages: pages, log: log, iconFiles: map[icons.ID]string{}}
}

// notify sends n: critical urgency (beeep.Alert, with a sound) for problems, normal otherwise.
func (d *desktopNotifier) notify(n Note) error {
	title, body := n.Title, n.Body
	switch notificationBodyFormat() {
	case bodyMarkup:
		body = escapeMarkup(body)
	case bodyUnknown:
		title, body = neutraliseMarkup(title), neutraliseMarkup(body)
	}
	icon, err := d.icon(n)
	if err != nil {
		return err
	}
	if n.Urgency == UrgencyCritical {
		return beeep.Alert(title, body, icon)
	}
	return beeep.Notify(title, body, icon)
}

// icon is what beeep takes as the icon: PNG bytes, except on Windows, where toasts need the
// absolute path of an installed PNG file (docs/design.md, "The tray and notifications").
func (d *desktopNotifier) icon(n Note) (any, error) {
	id := n.Icon
	if id == "" {
		id = icons.OK
	}
	data := icons.PNG(id, icons.NotificationSize)
	if runtime.GOOS != "windows" {
		return data, nil
	}
	d.iconMu.Lock()
	defer d.iconMu.Unlock()
	if path, ok := d.iconFiles[id]; ok {
		return path, nil
	}
	dir, err := d.pages.dir()
	if err != nil {
		return nil, err
	}
	iconDir := filepath.Join(dir, "icons")
	if err := os.Mkdir(iconDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("creating the notification icon directory: %w", err)
	}
	path := filepath.Join(iconDir, string(id)+".png")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("writing the notification icon: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	d.iconFiles[id] = abs
	return abs, nil
}

// bodyFormat is how the program that shows a notification reads its text.
type bodyFormat int

const (
	bodyUnknown bodyFormat = iota // no notification server answered: a fallback program may read markup
	bodyPlain                     // plain text, shown as it is
	bodyMarkup                    // the freedesktop "body-markup" capability: <b>, <a href>, &amp;…
)

// neutraliseMarkup makes text safe for a program whose reading of markup is not known (beeep's
// kdialog fallback renders rich text, notify-send passes it to whatever server there is):
// the markup characters become look-alikes that read the same in every format.
func neutraliseMarkup(s string) string {
	return strings.NewReplacer("<", "‹", ">", "›", "&", "＆").Replace(s)
}

// escapeMarkup escapes a body for servers that parse markup (the freedesktop spec's
// "body-markup"): fix texts hold "<name>" and "&".
func escapeMarkup(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

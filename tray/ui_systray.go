//go:build !darwin || cgo

package tray

import (
	"log/slog"
	"runtime"
	"sync"

	"fyne.io/systray"

	"github.com/spotwatch/spotwatch/tray/icons"
)

// trayUI is the thin layer over fyne.io/systray. It applies the library's caveats (docs/design.md,
// "The tray and notifications"): the icon, title and tooltip are set before systray.Run on Linux and in onReady on
// Windows; on Linux they are set again once the item is exported (see run); a goroutine always
// waits on every item's ClickedCh; Quit is only reached with a session bus (Run checks for one
// first).
type trayUI struct {
	log *slog.Logger

	quitting chan struct{} // closed by quit: ends run's own loop (Linux)
	quitOnce sync.Once

	mu      sync.Mutex
	built   bool
	shown   View
	pending *View
	items   menuItems

	iconMu sync.Mutex
	sni    map[icons.ID][]byte // Linux icons re-encoded for systray (see sniPNG)
}

// menuItems are the menu's entries.
type menuItems struct {
	state, cause, lastCheck         *systray.MenuItem
	checkNow, whatToDo              *systray.MenuItem
	pause, pauseHour, pauseTomorrow *systray.MenuItem
	history, startAtLogin, quit     *systray.MenuItem
}

func newTrayUI(log *slog.Logger) (ui, error) {
	return &trayUI{log: log, sni: map[icons.ID][]byte{}, quitting: make(chan struct{})}, nil
}

func (t *trayUI) run(v View, actions chan<- action, ready func()) {
	if runtime.GOOS != "windows" {
		t.setIcon(v.Icon)
		systray.SetTitle("spotwatch")
		systray.SetTooltip(v.Tooltip)
	}
	onReady := func() {
		if runtime.GOOS == "windows" {
			t.setIcon(v.Icon)
			systray.SetTooltip(v.Tooltip)
		}
		t.build(v, actions)
		ready()
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		systray.Run(onReady, nil)
		return
	}
	// Over D-Bus, systray starts onReady and then exports the item, its properties a copy of
	// the icon and tooltip set so far: a change made in between (the first state, when it
	// comes at once) is kept but never exported, and the icon stays wrong until it next
	// changes. So the export is run here, and what the tray shows is set again after it.
	start, end := systray.RunWithExternalLoop(onReady, nil)
	start()
	t.exported()
	<-t.quitting
	end()
}

// exported sets the icon and tooltip shown again, now that the item's properties exist.
// Before the menu is built, build sets them itself.
func (t *trayUI) exported() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.built {
		t.setIcon(t.shown.Icon)
		systray.SetTooltip(t.shown.Tooltip)
	}
}

// build adds the menu and starts one goroutine per item that always waits on its ClickedCh.
func (t *trayUI) build(v View, actions chan<- action) {
	m := menuItems{}
	m.state = systray.AddMenuItem(v.State, "The state of Spotify's connection")
	m.state.Disable()
	m.cause = systray.AddMenuItem(v.Cause, "What spotwatch found")
	m.cause.Disable()
	m.lastCheck = systray.AddMenuItem(v.LastCheck, "When spotwatch last checked")
	m.lastCheck.Disable()
	systray.AddSeparator()
	m.checkNow = systray.AddMenuItem("Check now", "Check Spotify's connection at once")
	m.whatToDo = systray.AddMenuItem("What to do…", "How to fix the problem found")
	m.pause = systray.AddMenuItem(v.PauseLabel, "Pause notifications")
	m.pauseHour = m.pause.AddSubMenuItemCheckbox("For 1 hour", "No notifications for an hour", v.Pause == PauseHour)
	m.pauseTomorrow = m.pause.AddSubMenuItemCheckbox("Until tomorrow", "No notifications until 08:00", v.Pause == PauseTomorrow)
	m.history = systray.AddMenuItem("Open history", "Every change of Spotify's connection")
	m.startAtLogin = systray.AddMenuItemCheckbox("Start at login", "Start spotwatch's tray icon when you log in", v.StartAtLogin)
	systray.AddSeparator()
	m.quit = systray.AddMenuItem("Quit", "Quit spotwatch's tray icon")
	for item, act := range map[*systray.MenuItem]action{
		m.checkNow: actCheckNow, m.whatToDo: actWhatToDo, m.pauseHour: actPauseHour, m.pauseTomorrow: actPauseTomorrow,
		m.history: actHistory, m.startAtLogin: actAutostart, m.quit: actQuit,
	} {
		go t.forward(item, act, actions)
	}
	t.mu.Lock()
	t.items, t.built = m, true
	t.shown = v
	t.apply(v, true)
	if t.pending != nil {
		t.apply(*t.pending, false)
		t.pending = nil
	}
	t.mu.Unlock()
}

// forward waits on an item's clicks for as long as the item lives, so none is dropped, and
// passes them on without blocking.
func (t *trayUI) forward(item *systray.MenuItem, act action, actions chan<- action) {
	for range item.ClickedCh {
		select {
		case actions <- act:
		default:
			t.log.Warn("menu click dropped: too many waiting")
		}
	}
}

func (t *trayUI) show(v View) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.built {
		t.pending = &v
		return
	}
	t.apply(v, false)
}

// apply changes what differs between the shown view and v (every change is a D-Bus signal on
// Linux). all forces every entry, for the first view.
func (t *trayUI) apply(v View, all bool) {
	old, m := t.shown, t.items
	if all || v.Icon != old.Icon {
		t.setIcon(v.Icon)
	}
	if all || v.Tooltip != old.Tooltip {
		systray.SetTooltip(v.Tooltip)
	}
	setText(m.state, v.State, old.State, all)
	setText(m.cause, v.Cause, old.Cause, all)
	setShown(m.cause, v.Cause != "", old.Cause != "", all)
	setText(m.lastCheck, v.LastCheck, old.LastCheck, all)
	setEnabled(m.whatToDo, v.CanFix, old.CanFix, all)
	setText(m.pause, v.PauseLabel, old.PauseLabel, all)
	setChecked(m.pauseHour, v.Pause == PauseHour, old.Pause == PauseHour, all)
	setChecked(m.pauseTomorrow, v.Pause == PauseTomorrow, old.Pause == PauseTomorrow, all)
	setEnabled(m.history, v.CanOpenHistory, old.CanOpenHistory, all)
	setEnabled(m.startAtLogin, v.CanStartAtLogin, old.CanStartAtLogin, all)
	setChecked(m.startAtLogin, v.StartAtLogin, old.StartAtLogin, all)
	t.shown = v
}

func setText(item *systray.MenuItem, now, was string, all bool) {
	if all || now != was {
		item.SetTitle(now)
	}
}

func setShown(item *systray.MenuItem, now, was, all bool) {
	if !all && now == was {
		return
	}
	if now {
		item.Show()
	} else {
		item.Hide()
	}
}

func setEnabled(item *systray.MenuItem, now, was, all bool) {
	if !all && now == was {
		return
	}
	if now {
		item.Enable()
	} else {
		item.Disable()
	}
}

func setChecked(item *systray.MenuItem, now, was, all bool) {
	if !all && now == was {
		return
	}
	if now {
		item.Check()
	} else {
		item.Uncheck()
	}
}

// setIcon shows icon id in the form each OS wants: ICO bytes on Windows, a template image on
// macOS (the menu bar tints it; the shapes tell the states apart), elsewhere a PNG re-encoded
// so systray's StatusNotifierItem pixmap is right (sniPNG).
func (t *trayUI) setIcon(id icons.ID) {
	switch runtime.GOOS {
	case "windows":
		systray.SetIcon(icons.ICO(id))
	case "darwin":
		systray.SetTemplateIcon(icons.Template(id), icons.PNG(id, icons.TraySize))
	default:
		systray.SetIcon(t.sniIcon(id))
	}
}

// sniIcon is icon id for a StatusNotifierItem, made once per icon.
func (t *trayUI) sniIcon(id icons.ID) []byte {
	t.iconMu.Lock()
	defer t.iconMu.Unlock()
	if b, ok := t.sni[id]; ok {
		return b
	}
	b, err := sniPNG(icons.PNG(id, icons.TraySize))
	if err != nil {
		t.log.Error("preparing the tray icon", "icon", string(id), "err", err.Error())
		b = icons.PNG(id, icons.TraySize)
	}
	t.sni[id] = b
	return b
}

func (t *trayUI) quit() {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		systray.Quit()
		return
	}
	t.quitOnce.Do(func() { close(t.quitting) })
}

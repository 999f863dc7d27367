package tray

// The menu as data, for a drawing backend that builds the menu itself (macOS's NSMenu, see
// ui_darwin.go): menuPlan lists the entries a View shows, in order, with the same texts as the
// systray backend's menu on Linux and Windows; menuChanges is what differs between two plans,
// so an update touches only the entries that changed. Both are pure and tested on every OS.

// menuKey names a menu entry; NSMenuItem's tag carries it back on a click.
type menuKey int

// The entries, in menu order.
const (
	keyState menuKey = iota + 1 // tags start at 1: 0 is every NSMenuItem's default tag
	keyCause
	keyLastCheck
	keySeparator1
	keyCheckNow
	keyWhatToDo
	keyPause
	keyPauseHour
	keyPauseTomorrow
	keyHistory
	keyStartAtLogin
	keySeparator2
	keyQuit
)

// noParent is the Parent of a top-level entry.
const noParent menuKey = 0

// menuEntry is one entry of the menu as a View shows it.
type menuEntry struct {
	Key       menuKey
	Parent    menuKey // the entry whose submenu holds this one; noParent at the top
	Separator bool
	Title     string
	Tooltip   string
	Enabled   bool
	Hidden    bool
	Checked   bool
	Clicks    bool   // a click is an action (Act)
	Act       action // what a click asks for, when Clicks
}

// menuPlan is the menu v shows, entries in order (a submenu's entries after their parent).
func menuPlan(v View) []menuEntry {
	info := func(k menuKey, title, tip string, hidden bool) menuEntry {
		return menuEntry{Key: k, Title: title, Tooltip: tip, Hidden: hidden}
	}
	item := func(k menuKey, title, tip string, enabled bool, act action) menuEntry {
		return menuEntry{Key: k, Title: title, Tooltip: tip, Enabled: enabled, Clicks: true, Act: act}
	}
	check := func(e menuEntry, parent menuKey, on bool) menuEntry {
		e.Parent, e.Checked = parent, on
		return e
	}
	return []menuEntry{
		info(keyState, v.State, "The state of Spotify's connection", false),
		info(keyCause, v.Cause, "What spotwatch found", v.Cause == ""),
		info(keyLastCheck, v.LastCheck, "When spotwatch last checked", false),
		{Key: keySeparator1, Separator: true},
		item(keyCheckNow, "Check now", "Check Spotify's connection at once", true, actCheckNow),
		item(keyWhatToDo, "What to do…", "How to fix the problem found", v.CanFix, actWhatToDo),
		{Key: keyPause, Title: v.PauseLabel, Tooltip: "Pause notifications", Enabled: true},
		check(item(keyPauseHour, "For 1 hour", "No notifications for an hour", true, actPauseHour), keyPause, v.Pause == PauseHour),
		check(item(keyPauseTomorrow, "Until tomorrow", "No notifications until 08:00", true, actPauseTomorrow), keyPause, v.Pause == PauseTomorrow),
		item(keyHistory, "Open history", "Every change of Spotify's connection", v.CanOpenHistory, actHistory),
		check(item(keyStartAtLogin, "Start at login", "Start spotwatch's tray icon when you log in", v.CanStartAtLogin, actAutostart), noParent, v.StartAtLogin),
		{Key: keySeparator2, Separator: true},
		item(keyQuit, "Quit", "Quit spotwatch's tray icon", true, actQuit),
	}
}

// menuChanges are the entries of next that differ from the same entry in prev. Plans of two
// Views always have the same entries in the same order; an entry prev lacks counts as changed.
func menuChanges(prev, next []menuEntry) []menuEntry {
	var out []menuEntry
	for i, e := range next {
		if i >= len(prev) || prev[i] != e {
			out = append(out, e)
		}
	}
	return out
}

// clickAction is the action of a click on the entry tagged tag; false for a tag that names no
// clickable entry (a Cocoa callback's argument is not trusted to be ours).
func clickAction(tag int) (action, bool) {
	for _, e := range menuPlan(View{}) {
		if int(e.Key) == tag && e.Clicks {
			return e.Act, true
		}
	}
	return 0, false
}

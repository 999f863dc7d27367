package tray

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestMenuPlan: the entries each kind of View gives, as the macOS NSMenu shows them.
func TestMenuPlan(t *testing.T) {
	base := View{State: "Error Code 7 — DNS filter blocks Spotify", Cause: "NextDNS answers 0.0.0.0", LastCheck: "Last check 12:03 (0.2 s)",
		PauseLabel: "Pause notifications", CanFix: true, CanOpenHistory: true, CanStartAtLogin: true}
	with := func(f func(*View)) View { v := base; f(&v); return v }
	tests := []struct {
		name string
		v    View
		want map[menuKey]menuEntry // the entries to compare (Key, Title, Enabled, Hidden, Checked)
	}{
		{name: "a cause to fix", v: base, want: map[menuKey]menuEntry{
			keyState:         {Title: base.State},
			keyCause:         {Title: "NextDNS answers 0.0.0.0"},
			keyLastCheck:     {Title: "Last check 12:03 (0.2 s)"},
			keyWhatToDo:      {Title: "What to do…", Enabled: true},
			keyPause:         {Title: "Pause notifications", Enabled: true},
			keyPauseHour:     {Title: "For 1 hour", Enabled: true},
			keyPauseTomorrow: {Title: "Until tomorrow", Enabled: true},
			keyHistory:       {Title: "Open history", Enabled: true},
			keyStartAtLogin:  {Title: "Start at login", Enabled: true},
		}},
		{name: "nothing found: the cause line hidden, nothing to do", v: with(func(v *View) { v.Cause, v.CanFix = "", false }), want: map[menuKey]menuEntry{
			keyCause:    {Hidden: true},
			keyWhatToDo: {Title: "What to do…"},
		}},
		{name: "paused for an hour", v: with(func(v *View) { v.Pause, v.PauseLabel = PauseHour, "Notifications paused until 13:03" }), want: map[menuKey]menuEntry{
			keyPause:         {Title: "Notifications paused until 13:03", Enabled: true},
			keyPauseHour:     {Title: "For 1 hour", Enabled: true, Checked: true},
			keyPauseTomorrow: {Title: "Until tomorrow", Enabled: true},
		}},
		{name: "paused until tomorrow", v: with(func(v *View) { v.Pause = PauseTomorrow }), want: map[menuKey]menuEntry{
			keyPauseHour:     {Title: "For 1 hour", Enabled: true},
			keyPauseTomorrow: {Title: "Until tomorrow", Enabled: true, Checked: true},
		}},
		{name: "no history, no autostart", v: with(func(v *View) { v.CanOpenHistory, v.CanStartAtLogin = false, false }), want: map[menuKey]menuEntry{
			keyHistory:      {Title: "Open history"},
			keyStartAtLogin: {Title: "Start at login"},
		}},
		{name: "starts at login", v: with(func(v *View) { v.StartAtLogin = true }), want: map[menuKey]menuEntry{
			keyStartAtLogin: {Title: "Start at login", Enabled: true, Checked: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := menuPlan(tt.v)
			if len(plan) != int(keyQuit) {
				t.Fatalf("%d entries, want %d", len(plan), keyQuit)
			}
			for i, e := range plan {
				if e.Key != menuKey(i+1) {
					t.Errorf("entry %d has key %d: the plan is out of order", i, e.Key)
				}
				want, ok := tt.want[e.Key]
				if !ok {
					continue
				}
				if want.Title != "" && e.Title != want.Title {
					t.Errorf("entry %d title %q, want %q", e.Key, e.Title, want.Title)
				}
				if e.Enabled != want.Enabled || e.Hidden != want.Hidden || e.Checked != want.Checked {
					t.Errorf("entry %d (%q): enabled %v hidden %v checked %v, want %v %v %v",
						e.Key, e.Title, e.Enabled, e.Hidden, e.Checked, want.Enabled, want.Hidden, want.Checked)
				}
			}
		})
	}
}

// TestMenuChanges: an update touches only the entries that changed.
func TestMenuChanges(t *testing.T) {
	a := View{State: "Spotify reachable", LastCheck: "Last check 12:03 (0.2 s)", PauseLabel: "Pause notifications", CanFix: true}
	b := a
	b.LastCheck = "Last check 12:04 (0.3 s)"
	c := b
	c.Pause, c.PauseLabel = PauseTomorrow, "Notifications paused until Tue 08:00"
	tests := []struct {
		name       string
		prev, next []menuEntry
		want       []menuKey
	}{
		{"the same view", menuPlan(a), menuPlan(a), nil},
		{"a new check time", menuPlan(a), menuPlan(b), []menuKey{keyLastCheck}},
		{"paused", menuPlan(b), menuPlan(c), []menuKey{keyPause, keyPauseTomorrow}},
		{"nothing shown yet", nil, menuPlan(a), keysOf(menuPlan(a))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keysOf(menuChanges(tt.prev, tt.next))
			if len(got) != len(tt.want) {
				t.Fatalf("changed %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("changed %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func keysOf(es []menuEntry) []menuKey {
	var ks []menuKey
	for _, e := range es {
		ks = append(ks, e.Key)
	}
	return ks
}

// TestClickAction: a click's tag maps back to its action; a tag of an entry that is not
// clickable, or of nothing, is no action.
func TestClickAction(t *testing.T) {
	tests := []struct {
		tag  int
		want action
		ok   bool
	}{
		{int(keyCheckNow), actCheckNow, true},
		{int(keyWhatToDo), actWhatToDo, true},
		{int(keyPauseHour), actPauseHour, true},
		{int(keyPauseTomorrow), actPauseTomorrow, true},
		{int(keyHistory), actHistory, true},
		{int(keyStartAtLogin), actAutostart, true},
		{int(keyQuit), actQuit, true},
		{int(keyState), 0, false},
		{int(keyPause), 0, false},
		{int(keySeparator1), 0, false},
		{0, 0, false},
		{-1, 0, false},
		{1 << 40, 0, false},
	}
	for _, tt := range tests {
		got, ok := clickAction(tt.tag)
		if got != tt.want || ok != tt.ok {
			t.Errorf("clickAction(%d) = %v, %v; want %v, %v", tt.tag, got, ok, tt.want, tt.ok)
		}
	}
}

// TestMenuPlanMatchesSystrayMenu: the macOS menu has the same entries, in the same order, with
// the same fixed titles and tooltips as the menu ui_systray.go builds on Linux and Windows.
// It reads ui_systray.go's build calls (AddMenuItem…, AddSeparator) from its source.
func TestMenuPlanMatchesSystrayMenu(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "ui_systray.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var build *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "build" {
			build = fd
		}
	}
	if build == nil {
		t.Fatal("ui_systray.go has no build function")
	}
	type entry struct {
		sep          bool
		title, tip   string // "" when not a literal (a View field)
		viewField    string // the View field a title comes from
		checkboxItem bool
	}
	var systray []entry
	ast.Inspect(build.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		switch sel.Sel.Name {
		case "AddSeparator":
			systray = append(systray, entry{sep: true})
		case "AddMenuItem", "AddMenuItemCheckbox", "AddSubMenuItemCheckbox":
			e := entry{checkboxItem: sel.Sel.Name != "AddMenuItem"}
			e.title, e.viewField = literalOrField(call.Args[0])
			e.tip, _ = literalOrField(call.Args[1])
			systray = append(systray, e)
		}
		return true
	})
	v := View{State: "<State>", Cause: "<Cause>", LastCheck: "<LastCheck>", PauseLabel: "<PauseLabel>"}
	plan := menuPlan(v)
	if len(plan) != len(systray) {
		t.Fatalf("the macOS menu has %d entries, ui_systray.go's %d", len(plan), len(systray))
	}
	for i, e := range plan {
		s := systray[i]
		switch {
		case s.sep != e.Separator:
			t.Errorf("entry %d: separator %v on macOS, %v in ui_systray.go", i, e.Separator, s.sep)
		case s.sep:
		case s.viewField != "" && e.Title != "<"+s.viewField+">":
			t.Errorf("entry %d: title %q on macOS, View.%s in ui_systray.go", i, e.Title, s.viewField)
		case s.viewField == "" && e.Title != s.title:
			t.Errorf("entry %d: title %q on macOS, %q in ui_systray.go", i, e.Title, s.title)
		case e.Tooltip != s.tip:
			t.Errorf("entry %d: tooltip %q on macOS, %q in ui_systray.go", i, e.Tooltip, s.tip)
		}
	}
}

// literalOrField is a call argument's string literal, or the field name of a v.Field.
func literalOrField(e ast.Expr) (lit, field string) {
	switch x := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(x.Value)
		if err == nil {
			return s, ""
		}
	case *ast.SelectorExpr:
		return "", x.Sel.Name
	}
	return "", ""
}

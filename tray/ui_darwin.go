//go:build darwin && !cgo

package tray

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"structs"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"

	"github.com/spotwatch/spotwatch/tray/icons"
)

// The macOS tray without cgo (docs/design.md, "The tray and notifications"): an NSStatusItem in
// the menu bar with a template icon and an NSMenu built from menuPlan, driven through the
// Objective-C runtime from pure Go (github.com/ebitengine/purego/objc), so the release
// cross-built on Linux has it. The presenter and policy are the same as everywhere; this file
// only draws. Cocoa's rules it keeps: everything happens on the main thread (Run is called from
// the main goroutine, locked to it by init); updates from other goroutines go through
// performSelectorOnMainThread; quit stops the run loop and posts an event so it notices.
// It has never run on a Mac here (README: "What is tested on macOS").

func init() {
	// AppKit works only on the process's first thread: keep the main goroutine, which calls
	// Run, there.
	runtime.LockOSThread()
}

// nsSize and nsPoint are CGSize and CGPoint (CGFloat is a double on 64-bit macOS).
type nsSize struct {
	_             structs.HostLayout
	Width, Height float64
}

type nsPoint struct {
	_    structs.HostLayout
	X, Y float64
}

// cocoa sends the messages of cocoa_darwin.go.
type cocoa struct {
	mu   sync.Mutex
	sels map[selector]objc.SEL
}

// newCocoa loads AppKit and checks its classes are there.
func newCocoa() (*cocoa, error) {
	if _, err := purego.Dlopen(appKitPath, purego.RTLD_GLOBAL|purego.RTLD_NOW); err != nil {
		return nil, fmt.Errorf("loading AppKit: %w", err)
	}
	for _, name := range []cocoaClass{clsNSApplication, clsNSAutoreleasePool, clsNSData, clsNSEvent, clsNSImage,
		clsNSMenu, clsNSMenuItem, clsNSObject, clsNSStatusBar, clsNSString, clsNSThread} {
		if objc.GetClass(string(name)) == 0 {
			return nil, fmt.Errorf("loading AppKit: no class %s", name)
		}
	}
	return &cocoa{sels: map[selector]objc.SEL{}}, nil
}

func (c *cocoa) sel(s selector) objc.SEL {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.sels[s]; ok {
		return id
	}
	id := objc.RegisterName(string(s))
	c.sels[s] = id
	return id
}

func (c *cocoa) class(name cocoaClass) objc.ID { return objc.ID(objc.GetClass(string(name))) }

// send sends s to id and returns the object it answers. A call with the wrong number of
// arguments is not made (TestCocoaCallsMatchSelectors keeps there being none): it answers nil,
// and messages to nil do nothing.
func (c *cocoa) send(id objc.ID, s selector, args ...any) objc.ID {
	if len(args) != s.arity() || id == 0 {
		return 0
	}
	return id.Send(c.sel(s), args...)
}

// sendAs is send for a message answering something other than an object.
func sendAs[T any](c *cocoa, id objc.ID, s selector, args ...any) T {
	if len(args) != s.arity() || id == 0 {
		var zero T
		return zero
	}
	return objc.Send[T](id, c.sel(s), args...)
}

// newObject is [[cls alloc] init…] with the init message and its arguments.
func (c *cocoa) newObject(cls cocoaClass, init selector, args ...any) objc.ID {
	return c.send(c.send(c.class(cls), selAlloc), init, args...)
}

// pool starts an autorelease pool; drain it when done.
func (c *cocoa) pool() objc.ID { return c.send(c.class(clsNSAutoreleasePool), selNew) }

// str is s as an NSString the caller owns (release it). Invalid UTF-8 is replaced so the
// string always exists.
func (c *cocoa) str(s string) objc.ID {
	b := []byte(strings.ToValidUTF8(s, "\uFFFD"))
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	ns := c.newObject(clsNSString, selInitWithBytesLenEncoding, p, uint(len(b)), uint(nsUTF8StringEncoding))
	runtime.KeepAlive(b)
	return ns
}

// setString sends obj a message taking one string.
func (c *cocoa) setString(obj objc.ID, s selector, text string) {
	ns := c.str(text)
	if ns == 0 {
		return
	}
	c.send(obj, s, ns)
	c.send(ns, selRelease)
}

// templateImage is a template PNG as an NSImage of trayIconPoints points, owned by the
// caller; 0 if AppKit cannot read it.
func (c *cocoa) templateImage(png []byte) objc.ID {
	if len(png) == 0 {
		return 0
	}
	data := c.send(c.class(clsNSData), selDataWithBytesLength, unsafe.Pointer(&png[0]), uint(len(png)))
	runtime.KeepAlive(png)
	img := c.newObject(clsNSImage, selInitWithData, data)
	c.send(img, selSetTemplate, true)
	c.send(img, selSetSize, nsSize{Width: trayIconPoints, Height: trayIconPoints})
	return img
}

// trayUI is the menu-bar item. Fields after mu are shared with other goroutines; the others
// belong to the main thread.
type trayUI struct {
	log    *slog.Logger
	c      *cocoa
	target objc.ID // our object: receives menu clicks and the main-thread calls

	app, bar, item, button objc.ID
	items                  map[menuKey]objc.ID
	images                 map[icons.ID]objc.ID
	plan                   []menuEntry
	shown                  View

	mu      sync.Mutex
	built   bool
	pending *View
	actions chan<- action
}

func newTrayUI(log *slog.Logger) (ui, error) {
	c, err := newCocoa()
	if err != nil {
		return nil, err
	}
	if !sendAs[bool](c, c.class(clsNSThread), selIsMainThread) {
		return nil, errors.New("the macOS tray must run on the main thread: tray.Run was not called from the main goroutine")
	}
	t := &trayUI{log: log, c: c, items: map[menuKey]objc.ID{}, images: map[icons.ID]objc.ID{}}
	name := fmt.Sprintf("%s%x", targetClassNamePrefix, uintptr(unsafe.Pointer(t)))
	cls, err := objc.RegisterClass(name, objc.GetClass(string(clsNSObject)), nil, nil, []objc.MethodDef{
		{Cmd: c.sel(selMenuClicked), Fn: t.clicked},
		{Cmd: c.sel(selRefresh), Fn: t.refresh},
		{Cmd: c.sel(selQuitTray), Fn: t.stop},
	})
	if err != nil {
		return nil, fmt.Errorf("registering the tray's Objective-C class: %w", err)
	}
	t.target = c.send(objc.ID(cls), selNew)
	if t.target == 0 {
		return nil, errors.New("creating the tray's Objective-C object failed")
	}
	return t, nil
}

func (t *trayUI) run(v View, actions chan<- action, ready func()) {
	c := t.c
	pool := c.pool()
	t.mu.Lock()
	t.actions = actions
	t.mu.Unlock()
	t.app = c.send(c.class(clsNSApplication), selSharedApplication)
	c.send(t.app, selSetActivationPolicy, nsApplicationActivationPolicyAccessory)
	t.bar = c.send(c.class(clsNSStatusBar), selSystemStatusBar)
	t.item = c.send(c.send(t.bar, selStatusItemWithLength, float64(nsVariableStatusItemLength)), selRetain)
	t.button = c.send(t.item, selButton)
	if t.item == 0 || t.button == 0 {
		t.log.Error("no tray icon: the menu bar gave no status item")
	}
	c.send(t.item, selSetMenu, t.buildMenu())
	t.apply(v, true)
	t.mu.Lock()
	t.built = true
	t.mu.Unlock()
	t.refresh(t.target, 0, 0) // a view that came while building
	ready()
	c.send(pool, selDrain)

	c.send(t.app, selRun) // until stop: (quit)

	pool = c.pool()
	c.send(t.bar, selRemoveStatusItem, t.item)
	c.send(t.item, selRelease)
	c.send(pool, selDrain)
}

// buildMenu makes the NSMenu of menuPlan, the items addressed by their keys, their tags the
// keys (clicked reads them back).
func (t *trayUI) buildMenu() objc.ID {
	c := t.c
	newMenu := func() objc.ID {
		m := c.str("spotwatch")
		menu := c.newObject(clsNSMenu, selInitWithTitle, m)
		c.send(m, selRelease)
		c.send(menu, selSetAutoenablesItems, false) // setEnabled: decides, not the responder chain
		return menu
	}
	menu := newMenu()
	submenus := map[menuKey]objc.ID{}
	empty := c.str("")
	defer c.send(empty, selRelease)
	for _, e := range menuPlan(View{}) {
		var item objc.ID
		if e.Separator {
			item = c.send(c.class(clsNSMenuItem), selSeparatorItem)
		} else {
			var act objc.SEL
			if e.Clicks {
				act = c.sel(selMenuClicked)
			}
			item = c.newObject(clsNSMenuItem, selInitWithTitleActionKey, empty, act, empty)
			c.send(item, selSetTarget, t.target)
			c.send(item, selSetTag, int(e.Key))
		}
		parent := menu
		if e.Parent != noParent {
			sub, ok := submenus[e.Parent]
			if !ok {
				sub = newMenu()
				c.send(t.items[e.Parent], selSetSubmenu, sub)
				submenus[e.Parent] = sub
			}
			parent = sub
		}
		c.send(parent, selAddItem, item)
		t.items[e.Key] = item
	}
	return menu
}

// apply changes what differs between the shown view and v; all sets everything.
func (t *trayUI) apply(v View, all bool) {
	c := t.c
	if all || v.Icon != t.shown.Icon {
		c.send(t.button, selSetImage, t.image(v.Icon))
	}
	if all || v.Tooltip != t.shown.Tooltip {
		c.setString(t.button, selSetToolTip, v.Tooltip)
	}
	plan := menuPlan(v)
	changed := plan
	if !all {
		changed = menuChanges(t.plan, plan)
	}
	for _, e := range changed {
		item := t.items[e.Key]
		if e.Separator || item == 0 {
			continue
		}
		c.setString(item, selSetTitle, e.Title)
		c.setString(item, selSetToolTip, e.Tooltip)
		c.send(item, selSetEnabled, e.Enabled)
		c.send(item, selSetHidden, e.Hidden)
		state := nsControlStateValueOff
		if e.Checked {
			state = nsControlStateValueOn
		}
		c.send(item, selSetState, state)
	}
	t.plan, t.shown = plan, v
}

// image is icon id's template image, made once.
func (t *trayUI) image(id icons.ID) objc.ID {
	if img, ok := t.images[id]; ok {
		return img
	}
	img := t.c.templateImage(icons.Template(id))
	if img == 0 {
		t.log.Error("macOS could not read the tray icon", "icon", string(id))
	}
	t.images[id] = img
	return img
}

// clicked is the menu items' action (main thread).
func (t *trayUI) clicked(_ objc.ID, _ objc.SEL, sender objc.ID) {
	act, ok := clickAction(sendAs[int](t.c, sender, selTag))
	if !ok {
		return
	}
	t.mu.Lock()
	actions := t.actions
	t.mu.Unlock()
	select {
	case actions <- act:
	default:
		t.log.Warn("menu click dropped: too many waiting")
	}
}

// refresh shows the latest view show was given (main thread).
func (t *trayUI) refresh(_ objc.ID, _ objc.SEL, _ objc.ID) {
	t.mu.Lock()
	v := t.pending
	t.pending = nil
	t.mu.Unlock()
	if v == nil {
		return
	}
	pool := t.c.pool()
	t.apply(*v, false)
	t.c.send(pool, selDrain)
}

func (t *trayUI) show(v View) {
	t.mu.Lock()
	t.pending = &v
	built := t.built
	t.mu.Unlock()
	if built {
		t.c.send(t.target, selPerformOnMainThread, t.c.sel(selRefresh), objc.ID(0), false)
	}
}

func (t *trayUI) quit() {
	t.c.send(t.target, selPerformOnMainThread, t.c.sel(selQuitTray), objc.ID(0), false)
}

// stop ends run's run loop (main thread). stop: takes effect after the next event, so one is
// posted.
func (t *trayUI) stop(_ objc.ID, _ objc.SEL, _ objc.ID) {
	c := t.c
	pool := c.pool()
	c.send(t.app, selStop, objc.ID(0))
	ev := c.send(c.class(clsNSEvent), selOtherEvent, uint(nsEventTypeApplicationDefined), nsPoint{},
		uint(0), float64(0), 0, objc.ID(0), int16(0), 0, 0)
	c.send(t.app, selPostEventAtStart, ev, true)
	c.send(pool, selDrain)
}

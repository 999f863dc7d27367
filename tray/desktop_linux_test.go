//go:build linux

package tray

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// sentNote is a notification as the server received it.
type sentNote struct {
	App, Icon, Summary, Body string
	Urgency                  byte
	Image                    []byte // image-data hint: RGBA pixels
	ImageW, ImageH           int32
}

// fakeDesktop owns org.kde.StatusNotifierWatcher and org.freedesktop.Notifications on a
// private bus and records what is registered and sent, as a desktop's tray and notification
// daemon would see it.
type fakeDesktop struct {
	t    *testing.T
	conn *dbus.Conn

	mu         sync.Mutex
	caps       []string // what GetCapabilities answers; nil: body and body-markup
	items      []string // unique bus names of registered StatusNotifierItems
	notes      []sentNote
	registered chan string
	notified   chan sentNote
	signals    chan *dbus.Signal
}

// newFakeDesktop connects to the bus at addr and takes the names; watcher false leaves the
// StatusNotifierWatcher out (a desktop without a tray).
func newFakeDesktop(t *testing.T, addr string, watcher bool) *fakeDesktop {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the test bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	d := &fakeDesktop{t: t, conn: conn, registered: make(chan string, 8), notified: make(chan sentNote, 32), signals: make(chan *dbus.Signal, 256)}
	if err := conn.Export(notificationServer{d}, notificationsPath, notificationsName); err != nil {
		t.Fatal(err)
	}
	own(t, conn, notificationsName)
	if watcher {
		if err := conn.Export(watcherServer{d}, "/StatusNotifierWatcher", watcherName); err != nil {
			t.Fatal(err)
		}
		own(t, conn, watcherName)
	}
	if err := conn.AddMatchSignal(); err != nil { // every signal: the item's changes wake the waits
		t.Fatal(err)
	}
	conn.Signal(d.signals)
	return d
}

func own(t *testing.T, conn *dbus.Conn, name string) {
	t.Helper()
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v (reply %d)", name, err, reply)
	}
}

type watcherServer struct{ d *fakeDesktop }

// RegisterStatusNotifierItem is what systray calls; service is its object path.
func (w watcherServer) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.d.mu.Lock()
	w.d.items = append(w.d.items, string(sender))
	w.d.mu.Unlock()
	w.d.registered <- string(sender)
	return nil
}

type notificationServer struct{ d *fakeDesktop }

func (n notificationServer) GetCapabilities() ([]string, *dbus.Error) {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if n.d.caps != nil {
		return n.d.caps, nil
	}
	return []string{"body", "body-markup"}, nil
}

// setCapabilities sets what the notification server says it can do.
func (d *fakeDesktop) setCapabilities(caps ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.caps = caps
}

func (n notificationServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "spotwatch tests", "1", "1.2", nil
}

func (n notificationServer) CloseNotification(uint32) *dbus.Error { return nil }

func (n notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	note := sentNote{App: app, Icon: icon, Summary: summary, Body: body}
	if u, ok := hints["urgency"].Value().(byte); ok {
		note.Urgency = u
	}
	if img, ok := hints["image-data"]; ok {
		var data struct {
			W, H, Stride int32
			Alpha        bool
			Bits, Chans  int32
			Pix          []byte
		}
		if err := dbus.Store([]any{img.Value()}, &data); err == nil {
			note.Image, note.ImageW, note.ImageH = data.Pix, data.W, data.H
		}
	}
	n.d.mu.Lock()
	n.d.notes = append(n.d.notes, note)
	id := uint32(len(n.d.notes))
	n.d.mu.Unlock()
	n.d.notified <- note
	return id, nil
}

// sent returns the notifications received so far.
func (d *fakeDesktop) sent() []sentNote {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]sentNote(nil), d.notes...)
}

// waitItem waits for a StatusNotifierItem to register and returns its bus name.
func (d *fakeDesktop) waitItem() string {
	d.t.Helper()
	select {
	case name := <-d.registered:
		return name
	case <-time.After(wait):
		d.t.Fatal("no StatusNotifierItem registered")
	}
	return ""
}

// waitNote waits for the next notification.
func (d *fakeDesktop) waitNote() sentNote {
	d.t.Helper()
	select {
	case n := <-d.notified:
		return n
	case <-time.After(wait):
		d.t.Fatalf("no notification within %v (so far: %+v)", wait, d.sent())
	}
	return sentNote{}
}

// waitFor re-evaluates cond at every signal on the bus (the item's NewIcon, NewToolTip,
// LayoutUpdated…) and at least every half second, until it holds; then it returns nil, or
// cond's last complaint after the deadline.
func (d *fakeDesktop) waitFor(cond func() error) error {
	deadline := time.After(wait)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		select {
		case <-d.signals:
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			return err
		}
	}
}

// item reads a StatusNotifierItem over D-Bus.
type item struct {
	d    *fakeDesktop
	name string
}

func (it item) prop(name string) (dbus.Variant, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var v dbus.Variant
	err := it.d.conn.Object(it.name, "/StatusNotifierItem").CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.kde.StatusNotifierItem", name).Store(&v)
	return v, err
}

func (it item) str(name string) string {
	v, err := it.prop(name)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprint(v.Value())
}

// pixmap is the item's icon as (width, height, ARGB bytes).
type pixmap struct {
	W, H int32
	Pix  []byte
}

func (it item) icon() (pixmap, error) {
	v, err := it.prop("IconPixmap")
	if err != nil {
		return pixmap{}, err
	}
	var pms []pixmap
	if err := dbus.Store([]any{v.Value()}, &pms); err != nil {
		return pixmap{}, err
	}
	if len(pms) != 1 {
		return pixmap{}, fmt.Errorf("%d pixmaps", len(pms))
	}
	return pms[0], nil
}

func (it item) tooltip() string {
	v, err := it.prop("ToolTip")
	if err != nil {
		return "error: " + err.Error()
	}
	var tip struct {
		Name  string
		Icons []pixmap
		Title string
		Text  string
	}
	if err := dbus.Store([]any{v.Value()}, &tip); err != nil {
		return "error: " + err.Error()
	}
	return tip.Title
}

// menuNode is an entry of the item's com.canonical.dbusmenu tree.
type menuNode struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []menuNode
}

func (n menuNode) label() string {
	s, _ := n.Props["label"].Value().(string)
	return s
}

// menu reads the whole menu tree. (fyne's first GetLayout answers one level only: ask twice.)
func (it item) menu() (menuNode, error) {
	obj := it.d.conn.Object(it.name, "/StatusNotifierItem/menu")
	var root menuNode
	for range 2 {
		var rev uint32
		var layout []any
		call := obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
		if call.Err != nil {
			return menuNode{}, call.Err
		}
		if err := call.Store(&rev, &layout); err != nil {
			return menuNode{}, err
		}
		var err error
		if root, err = parseLayout(layout); err != nil {
			return menuNode{}, err
		}
	}
	return root, nil
}

func parseLayout(v []any) (menuNode, error) {
	if len(v) != 3 {
		return menuNode{}, fmt.Errorf("layout of %d fields", len(v))
	}
	n := menuNode{}
	var ok bool
	if n.ID, ok = v[0].(int32); !ok {
		return n, fmt.Errorf("id %T", v[0])
	}
	if n.Props, ok = v[1].(map[string]dbus.Variant); !ok {
		return n, fmt.Errorf("props %T", v[1])
	}
	children, ok := v[2].([]dbus.Variant)
	if !ok {
		return n, fmt.Errorf("children %T", v[2])
	}
	for _, c := range children {
		fields, ok := c.Value().([]any)
		if !ok {
			return n, fmt.Errorf("child %T", c.Value())
		}
		child, err := parseLayout(fields)
		if err != nil {
			return n, err
		}
		n.Children = append(n.Children, child)
	}
	return n, nil
}

// render writes the tree one entry a line: "label [disabled] [hidden] [x]/[ ]", "----" for a
// separator, submenus indented.
func (n menuNode) render(b *strings.Builder, depth int) {
	for _, c := range n.Children {
		b.WriteString(strings.Repeat("  ", depth))
		if t, _ := c.Props["type"].Value().(string); t == "separator" {
			b.WriteString("----\n")
			continue
		}
		b.WriteString(c.label())
		if on, ok := c.Props["enabled"].Value().(bool); ok && !on {
			b.WriteString(" [disabled]")
		}
		if vis, ok := c.Props["visible"].Value().(bool); ok && !vis {
			b.WriteString(" [hidden]")
		}
		if tt, _ := c.Props["toggle-type"].Value().(string); tt == "checkmark" {
			if st, _ := c.Props["toggle-state"].Value().(int32); st == 1 {
				b.WriteString(" [x]")
			} else {
				b.WriteString(" [ ]")
			}
		}
		b.WriteString("\n")
		c.render(b, depth+1)
	}
}

func (n menuNode) String() string {
	var b strings.Builder
	n.render(&b, 0)
	return b.String()
}

// find returns the entry labelled label, anywhere in the tree.
func (n menuNode) find(label string) (menuNode, bool) {
	for _, c := range n.Children {
		if c.label() == label {
			return c, true
		}
		if f, ok := c.find(label); ok {
			return f, true
		}
	}
	return menuNode{}, false
}

// click clicks the entry labelled label, as a tray host does.
func (it item) click(t *testing.T, label string) {
	t.Helper()
	if err := it.event(t, label); err != nil {
		t.Fatalf("clicking %q: %v", label, err)
	}
}

// clickQuit clicks "Quit". The tray leaves the bus for it, and may do so before its reply to
// the click is out (godbus replies once the handler returned, while the click already runs):
// the bus then answers for it that it left without replying, which a host sees just the same.
// Whether the tray really quit is for the caller to check.
func (it item) clickQuit(t *testing.T) {
	t.Helper()
	err := it.event(t, "Quit")
	var dbusErr dbus.Error
	if err != nil && !(errors.As(err, &dbusErr) && dbusErr.Name == "org.freedesktop.DBus.Error.NoReply") {
		t.Fatalf("clicking \"Quit\": %v", err)
	}
}

// event sends the "clicked" event of the entry labelled label and returns the call's error.
func (it item) event(t *testing.T, label string) error {
	t.Helper()
	root, err := it.menu()
	if err != nil {
		t.Fatalf("reading the menu: %v", err)
	}
	n, ok := root.find(label)
	if !ok {
		t.Fatalf("no menu entry %q in\n%s", label, root)
	}
	obj := it.d.conn.Object(it.name, "/StatusNotifierItem/menu")
	return obj.Call("com.canonical.dbusmenu.Event", 0, n.ID, "clicked", dbus.MakeVariant(""), uint32(0)).Err
}

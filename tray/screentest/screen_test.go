//go:build linux

package screentest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testnet"
	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/tray/internal/desktoptest"
)

// The desktop's programs come from Debian packages: xvfb, dbus, dunst, imagemagick (import),
// xdotool and haskell-gtk-sni-tray-utils (gtk-sni-tray-standalone).

// wait bounds every wait: generous, the CI machine is shared.
const wait = 60 * time.Second

// The screen, and gtk-sni-tray-standalone's panel at its top. (One tray host: a second one
// on the same watcher shows items twice and updates only one of them. The icons' contrast on
// light and dark panels is the icons package's test.)
const (
	screenW, screenH = 800, 400
	panelH           = 30
	panelColour      = "#2b2b2b"
)

var (
	panel      = image.Rect(0, 0, screenW, panelH)
	okGreen    = color.RGBA{0x2E, 0x9E, 0x44, 0xFF} // the ok icon's fill (tray/icons/draw)
	blockedRed = color.RGBA{0xD3, 0x2F, 0x2F, 0xFF} // the blocked icon's fill
	checkGrey  = color.RGBA{0x7A, 0x7A, 0x7A, 0xFF} // the checking icon's ring
	dunstRed   = color.RGBA{0x90, 0x00, 0x00, 0xFF} // dunst's default background of a critical notification
)

// binary is spotwatch, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	if os.Getenv(standInBusEnv) != "" { // the stand-in Spotify of apptrigger_test.go
		os.Exit(runStandIn())
	}
	dir, err := os.MkdirTemp("", "spotwatch-screentest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "spotwatch")
	// spotwatch_fastschedule allows the tests' 3 s schedule (internal/config/minimum_fast.go);
	// otherwise it is built as released (static, no cgo, stripped), so that BenchmarkIdleTray
	// measures what users run.
	build := exec.Command("go", "build", "-trimpath", "-tags=spotwatch_fastschedule", "-ldflags=-s -w", "-o", binary, "github.com/spotwatch/spotwatch/cmd/spotwatch")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building spotwatch:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// artifacts is where the screenshots go: $SPOTWATCH_ARTIFACTS (kept, for CI), else a
// temporary directory of the test.
func artifacts(t testing.TB) string {
	dir := os.Getenv("SPOTWATCH_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// session is a virtual desktop: an X display and a session bus, and the environment of
// programs run in it.
type session struct {
	t       testing.TB
	display string
	bus     string
	env     []string
}

// startSession starts Xvfb on a free display (it picks one and tells it on a pipe) and a
// private session bus.
func startSession(t testing.TB) *session {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", screenW, screenH), "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	desktoptest.Start(t, x)
	w.Close()
	num := make(chan string, 1)
	go func() {
		b := make([]byte, 16)
		n, _ := r.Read(b)
		num <- strings.TrimSpace(string(b[:n]))
	}()
	s := &session{t: t}
	select {
	case n := <-num:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb said display %q", n)
		}
		s.display = ":" + n
	case <-time.After(wait):
		t.Fatal("Xvfb did not start")
	}
	s.bus = desktoptest.StartBus(t)
	home := t.TempDir()
	s.env = append(os.Environ(), "DISPLAY="+s.display, "DBUS_SESSION_BUS_ADDRESS="+s.bus, "HOME="+home,
		"XDG_RUNTIME_DIR="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"NO_AT_BRIDGE=1", "GDK_BACKEND=x11", statusapi.SystemSocketEnv+"="+filepath.Join(home, "system.sock"))
	return s
}

func (s *session) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = s.env
	return cmd
}

// run runs a short command in the session and returns its output.
func (s *session) run(name string, args ...string) []byte {
	s.t.Helper()
	cmd := s.command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

// screenshot takes the whole screen with ImageMagick's import.
func (s *session) screenshot() image.Image {
	s.t.Helper()
	img, err := png.Decode(bytes.NewReader(s.run("import", "-window", "root", "png:-")))
	if err != nil {
		s.t.Fatalf("decoding the screenshot: %v", err)
	}
	return img
}

// save writes a screenshot as a PNG artifact.
func save(t testing.TB, img image.Image, name string) {
	t.Helper()
	path := filepath.Join(artifacts(t), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

// near reports whether c is within 12 of want in every channel.
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(v uint32, w uint8) bool { x := int(v>>8) - int(w); return x >= -12 && x <= 12 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// region is where the pixels of a colour are in a rectangle: how many, and their bounds.
type region struct {
	n      int
	bounds image.Rectangle
}

func find(img image.Image, in image.Rectangle, want color.RGBA) region {
	var reg region
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			if near(img.At(x, y), want) {
				reg.n++
				reg.bounds = reg.bounds.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return reg
}

// countBright counts the pixels in r brighter than 0xE0 in every channel.
func countBright(img image.Image, in image.Rectangle) int {
	n := 0
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 0xE0 && g>>8 > 0xE0 && b>>8 > 0xE0 {
				n++
			}
		}
	}
	return n
}

// waitScreen takes screenshots until check accepts one, and returns it.
func (s *session) waitScreen(what string, check func(image.Image) error) image.Image {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		img := s.screenshot()
		err := check(img)
		if err == nil {
			return img
		}
		if time.Now().After(deadline) {
			save(s.t, img, "tray-failed.png")
			s.t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// iconIn checks that the panel shows one icon of fill colour want, with its white sign, and
// nothing of colour other; it returns where the icon is.
func iconIn(img image.Image, want, other color.RGBA) (image.Rectangle, error) {
	least := 150 // pixels of fill a 30 px disc or octagon has at least
	if want == checkGrey {
		least = 50 // a ring
	}
	reg := find(img, panel, want)
	if reg.n < least {
		return reg.bounds, fmt.Errorf("the panel shows %d pixels of the icon's colour %v, want at least %d", reg.n, want, least)
	}
	if s := reg.bounds.Size(); s.X > panelH || s.Y > panelH {
		return reg.bounds, fmt.Errorf("the icon's colour spans %v: more than one icon", s)
	}
	if o := find(img, panel, other); o.n > 0 {
		return reg.bounds, fmt.Errorf("the panel still shows %d pixels of %v", o.n, other)
	}
	if n := countBright(img, reg.bounds); n < 20 {
		return reg.bounds, fmt.Errorf("the icon has %d white pixels: no sign inside", n)
	}
	return reg.bounds, nil
}

// startDesktop starts a session with gtk-sni-tray-standalone as the tray host (and
// StatusNotifierWatcher) and dunst as the notification daemon, and returns what dunst shows.
func startDesktop(t testing.TB) (*session, <-chan dunstNote) {
	t.Helper()
	s := startSession(t)
	startTrayHost(t, s)
	dunst := s.command("dunst", "-print", "-config", dunstConfig(t))
	dunstOut, err := dunst.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	desktoptest.Start(t, dunst)
	notes := dunstNotes(desktoptest.Lines(t, "dunst", dunstOut))
	desktoptest.WaitName(t, s.bus, "org.freedesktop.Notifications", wait)
	return s, notes
}

// startTrayHost starts gtk-sni-tray-standalone as the tray host and StatusNotifierWatcher.
// Debian's build sometimes takes the watcher's name and then dies in its own start-up ("Pattern
// match failure" after a D-Bus UnknownObject error, before any icon of ours exists), so a host
// that has not stayed up for hostSettles is started again, up to three times.
func startTrayHost(t testing.TB, s *session) {
	t.Helper()
	const attempts, hostSettles = 3, 2 * time.Second
	for try := 1; ; try++ {
		ended := desktoptest.Start(t, s.command("gtk-sni-tray-standalone", "--watcher", "--top", "--beginning", "--size", strconv.Itoa(panelH), "--color", panelColour))
		desktoptest.WaitName(t, s.bus, "org.kde.StatusNotifierWatcher", wait)
		select {
		case <-time.After(hostSettles):
			return
		case <-ended:
			if try == attempts {
				t.Fatalf("gtk-sni-tray-standalone ended in its start-up %d times in a row", attempts)
			}
			t.Logf("gtk-sni-tray-standalone ended in its start-up (try %d of %d); starting it again", try, attempts)
		}
	}
}

// startWorld starts the loopback Internet and writes a configuration for it that checks every
// 3 s and changes state at the first check that differs; extra is appended.
func startWorld(t testing.TB, extra string) (*testworld.World, string) {
	t.Helper()
	w, err := testworld.New(t.TempDir())
	if err != nil {
		t.Fatalf("starting the loopback world: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	cfg, err := w.WriteConfig("interval: 3s\nfailing_interval: 3s\ntimeout: 3s\nthresholds: {fail: 1, recover: 1}\n" +
		"notify: {enabled: true, on_recovery: true, repeat_after: 1h}\nlog: {level: debug}\n" + extra)
	if err != nil {
		t.Fatal(err)
	}
	return w, cfg
}

// proc is a running spotwatch: its log lines and its end.
type proc struct {
	cmd    *exec.Cmd
	log    <-chan string
	exited chan error
}

// start runs the spotwatch binary in the session with the extra environment variable env and
// args; it is killed when the test ends.
func (s *session) start(t testing.TB, name, env string, args ...string) *proc {
	t.Helper()
	cmd := s.command(binary, args...)
	cmd.Env = append(cmd.Env, env)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = desktoptest.LogWriter(t, name+" stdout")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: desktoptest.Lines(t, name, stderr), exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		err := <-p.exited
		p.exited <- err
	})
	return p
}

// stop ends p with SIGTERM and waits for it.
func (p *proc) stop(t testing.TB) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Fatalf("%s ended with %v", p.cmd.Args, err)
		}
	case <-time.After(wait):
		t.Fatalf("%s did not stop", p.cmd.Args)
	}
}

// dunstConfig is Debian's dunstrc plus a rule that keeps spotwatch's notifications on screen
// until the test has its screenshot (beeep asks for 5 s, which a busy machine can miss).
func dunstConfig(t testing.TB) string {
	t.Helper()
	base, err := os.ReadFile("/etc/xdg/dunst/dunstrc")
	if err != nil {
		t.Fatalf("reading dunst's default configuration (Debian package dunst): %v", err)
	}
	path := filepath.Join(t.TempDir(), "dunstrc")
	rule := "\n[spotwatch_stays]\n    appname = spotwatch\n    timeout = 0\n"
	if err := os.WriteFile(path, append(base, rule...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dunstNote is a notification as `dunst -print` reports it.
type dunstNote map[string]string

// dunstNotes parses dunst -print's blocks: "{", "\tkey: value" lines, where a quoted value
// may go on over several lines, and "}".
func dunstNotes(lines <-chan string) <-chan dunstNote {
	out := make(chan dunstNote, 16)
	go func() {
		defer close(out)
		var cur dunstNote
		var key string // a quoted value still open
		for line := range lines {
			t := strings.TrimSpace(line)
			switch {
			case key != "":
				cur[key] += "\n" + strings.TrimSuffix(line, "'")
				if strings.HasSuffix(line, "'") {
					key = ""
				}
			case t == "{":
				cur = dunstNote{}
			case t == "}" && cur != nil:
				out <- cur
				cur = nil
			case cur != nil:
				k, v, ok := strings.Cut(t, ": ")
				if !ok {
					continue
				}
				if strings.HasPrefix(v, "'") && (len(v) == 1 || !strings.HasSuffix(v, "'")) {
					key = k
				}
				cur[k] = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
			}
		}
	}()
	return out
}

// waitNote waits for a notification whose summary starts with prefix.
func waitNote(t testing.TB, notes <-chan dunstNote, prefix string) dunstNote {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case n, ok := <-notes:
			if !ok {
				t.Fatalf("dunst ended before %q", prefix)
			}
			if strings.HasPrefix(n["summary"], prefix) {
				return n
			}
		case <-deadline:
			t.Fatalf("dunst showed no notification %q within %v", prefix, wait)
		}
	}
}

// waitLine waits for a line of spotwatch's log containing all of parts.
func waitLine(t testing.TB, lines <-chan string, parts ...string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("spotwatch's log ended before a line with %q", parts)
			}
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return
			}
		case <-deadline:
			t.Fatalf("spotwatch logged no line with %q within %v", parts, wait)
		}
	}
}

// TestTrayOnScreen runs `spotwatch run` on a virtual desktop against a loopback Internet:
// the ok icon on a light and a dark panel, a DNS filter injected, dunst showing the Code 7
// notification and the icon turning to blocked, the menu opened with a mouse click on the
// icon and "Check now" chosen from it, the recovery notification, and Quit from the menu.
// Screenshots: tray-ok.png, tray-ok-menu.png, tray-blocked.png (with the notification),
// tray-blocked-menu.png; tray-failed.png when a wait for the screen fails.
// Screenshots of each state are kept (SPOTWATCH_ARTIFACTS).
func TestTrayOnScreen(t *testing.T) {
	s, notes := startDesktop(t)
	w, cfg := startWorld(t, "")
	sw := s.start(t, "spotwatch", "SSL_CERT_FILE="+w.SystemPEM, "run", "--config", cfg)
	log, exited := sw.log, sw.exited

	// Spotify reachable: the ok icon. A click on it opens the menu; Escape closes it.
	waitLine(t, log, `msg="state changed"`, "to=ok")
	var icon image.Rectangle
	img := s.waitScreen("the ok icon", func(img image.Image) (err error) { icon, err = iconIn(img, okGreen, blockedRed); return err })
	save(t, img, "tray-ok.png")
	under := image.Rect(0, panelH+2, 200, panelH+100) // the menu drops below the panel
	openMenu := func() {
		t.Helper()
		c := icon.Min.Add(icon.Size().Div(2))
		s.run("xdotool", "mousemove", strconv.Itoa(c.X), strconv.Itoa(c.Y), "click", "1")
		s.waitScreen("the menu", func(img image.Image) error {
			if n := countBright(img, under); n < 5000 {
				return fmt.Errorf("no menu below the icon (%d light pixels)", n)
			}
			return nil
		})
	}
	openMenu()
	save(t, s.screenshot(), "tray-ok-menu.png")
	s.run("xdotool", "key", "Escape")
	s.waitScreen("the menu closed", func(img image.Image) error {
		if n := countBright(img, under); n > 500 {
			return fmt.Errorf("the menu is still open (%d light pixels)", n)
		}
		return nil
	})

	// A DNS filter starts answering 0.0.0.0 for Spotify: dunst shows the critical Code 7
	// notification, on screen, and the icon turns to blocked.
	w.Zone.SetModeSuffix("spotify.com", testnet.Sinkhole)
	n := waitNote(t, notes, "Spotify Error Code 7")
	if n["summary"] != "Spotify Error Code 7 — blocked by your DNS filter" || n["appname"] != "spotwatch" || n["urgency"] != "CRITICAL" {
		t.Errorf("dunst showed %q from %q, urgency %s", n["summary"], n["appname"], n["urgency"])
	}
	if !strings.Contains(n["body"], "Open spotwatch for the rest") {
		t.Errorf("notification body %q", n["body"])
	}
	img = s.waitScreen("the blocked icon and the notification", func(img image.Image) error {
		var err error
		if icon, err = iconIn(img, blockedRed, okGreen); err != nil {
			return err
		}
		if reg := find(img, image.Rect(0, panelH, screenW, screenH), dunstRed); reg.n < 2000 {
			return fmt.Errorf("no critical notification on screen (%d pixels of its colour)", reg.n)
		}
		return nil
	})
	save(t, img, "tray-blocked.png")

	// The menu again; the keyboard picks its first active entry, "Check now", which reaches
	// the monitor.
	openMenu()
	save(t, s.screenshot(), "tray-blocked-menu.png")
	s.run("xdotool", "key", "Down", "Return")
	waitLine(t, log, "check requested from the tray menu")

	// The filter goes: the recovery notification, normal urgency.
	w.Zone.SetModeSuffix("spotify.com", testnet.Answer)
	n = waitNote(t, notes, "Spotify is reachable again")
	if n["urgency"] != "NORMAL" {
		t.Errorf("recovery notification with urgency %s", n["urgency"])
	}
	s.waitScreen("the ok icon again", func(img image.Image) (err error) { icon, err = iconIn(img, okGreen, blockedRed); return err })

	// Quit, the menu's last entry, ends spotwatch.
	openMenu()
	s.run("xdotool", "key", "Up", "Return")
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("spotwatch ended with %v", err)
		}
	case <-time.After(wait):
		t.Fatal("spotwatch did not quit")
	}
}

// TestTrayFollowsTheDaemon runs `spotwatch daemon` and `spotwatch tray` on the desktop: the
// tray shows the daemon's state and notifies its changes; when the daemon stops it shows
// "checking" and reconnects once the daemon is back, without notifying the same state twice;
// with no daemon at all, `spotwatch tray` checks by itself.
func TestTrayFollowsTheDaemon(t *testing.T) {
	s, notes := startDesktop(t)
	sock := filepath.Join(t.TempDir(), "api.sock")
	w, cfg := startWorld(t, fmt.Sprintf("api: {socket: %q}\n", sock))
	env := "SSL_CERT_FILE=" + w.SystemPEM
	ok := func(img image.Image) error { _, err := iconIn(img, okGreen, blockedRed); return err }
	blocked := func(img image.Image) error { _, err := iconIn(img, blockedRed, okGreen); return err }

	// The tray starts once the daemon knows the state, as at a login with the service running:
	// the first state comes at once, maybe while systray still exports the item (ui_systray.go).
	daemon := s.start(t, "daemon", env, "daemon", "--config", cfg)
	waitLine(t, daemon.log, `msg="state changed"`, "to=ok")
	tr := s.start(t, "tray", env, "tray", "--config", cfg)
	waitLine(t, tr.log, "following the daemon")
	s.waitScreen("the ok icon", ok)

	w.Zone.SetModeSuffix("spotify.com", testnet.Sinkhole)
	if n := waitNote(t, notes, "Spotify"); n["summary"] != "Spotify Error Code 7 — blocked by your DNS filter" {
		t.Fatalf("first notification %q", n["summary"])
	}
	s.waitScreen("the blocked icon", blocked)

	// The daemon stops: "checking" while the tray waits for it.
	daemon.stop(t)
	waitLine(t, tr.log, "lost the connection to the spotwatch service")
	s.waitScreen("the checking icon", func(img image.Image) error { _, err := iconIn(img, checkGrey, blockedRed); return err })

	// It comes back: the tray follows it again; the state has not changed, so no notification.
	daemon = s.start(t, "daemon", env, "daemon", "--config", cfg)
	waitLine(t, tr.log, "connected to the spotwatch service")
	s.waitScreen("the blocked icon again", blocked)
	w.Zone.SetModeSuffix("spotify.com", testnet.Answer)
	if n := waitNote(t, notes, "Spotify"); !strings.HasPrefix(n["summary"], "Spotify is reachable again") {
		t.Fatalf("after the daemon's restart, notification %q, want only the recovery", n["summary"])
	}
	s.waitScreen("the ok icon again", ok)
	tr.stop(t)
	daemon.stop(t)

	// No daemon: the tray checks in its own process.
	tr = s.start(t, "tray", env, "tray", "--config", cfg)
	waitLine(t, tr.log, "no spotwatch daemon answers: checking in this process")
	s.waitScreen("the ok icon of the tray alone", ok)
	tr.stop(t)
}

// Package browsertest runs Debian's headless Chromium for tests of spotwatch's local HTML pages
// and drives it over the DevTools protocol on a pipe (--remote-debugging-pipe: nothing listens,
// not even on loopback). Chromium runs in a network namespace of its own with no interface but
// loopback (unshare -n, root), with a dead proxy and a resolver that resolves nothing, so a page
// that tried to fetch anything would fail to, and the test can see it.
package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Browser is a running headless Chromium.
type Browser struct {
	t      testing.TB
	cmd    *exec.Cmd
	in     io.WriteCloser // to Chromium (its fd 3)
	stderr *bytes.Buffer

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan reply
	dead    error // set when the pipe from Chromium ends
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Start runs Chromium for the test; it is stopped when the test ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the browser test runs Chromium in a network namespace of its own: run it as root")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("Chromium (Debian package chromium; scripts/install-deps.sh installs it): %v", err)
	}
	home := t.TempDir()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--net", "--", bin,
		"--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--user-data-dir="+filepath.Join(home, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio",
		"--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
		"--hide-scrollbars", "--force-color-profile=srgb", "--font-render-hinting=none",
		"about:blank")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	cmd.ExtraFiles = []*os.File{inR, outW} // Chromium's fds 3 (commands) and 4 (replies)
	b := &Browser{t: t, cmd: cmd, in: inW, stderr: &bytes.Buffer{}, waiting: map[int]chan reply{}}
	cmd.Stderr = &lockedWriter{w: b.stderr, mu: &b.mu}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	inR.Close()
	outW.Close()
	go b.read(outR)
	t.Cleanup(func() {
		b.in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		outR.Close()
	})
	return b
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// read dispatches Chromium's replies (NUL-terminated JSON) to their callers; events are dropped.
func (b *Browser) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	var err error
	for {
		var msg []byte
		msg, err = br.ReadBytes(0)
		if err != nil {
			break
		}
		var m struct {
			ID int `json:"id"`
			reply
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
			continue
		}
		b.mu.Lock()
		ch := b.waiting[m.ID]
		delete(b.waiting, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.reply
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dead = fmt.Errorf("the DevTools pipe from Chromium ended (%v); its stderr:\n%s", err, b.stderr.String())
	for id, ch := range b.waiting {
		close(ch)
		delete(b.waiting, id)
	}
}

// call sends one DevTools command (to the page of session, or to the browser when "") and
// decodes its result into out (when not nil).
func (b *Browser) call(ctx context.Context, session, method string, params, out any) error {
	b.mu.Lock()
	if b.dead != nil {
		b.mu.Unlock()
		return b.dead
	}
	b.nextID++
	id := b.nextID
	ch := make(chan reply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		return fmt.Errorf("%s: writing to Chromium: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			b.mu.Lock()
			defer b.mu.Unlock()
			return fmt.Errorf("%s: %w", method, b.dead)
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Tab is one page of the browser.
type Tab struct {
	b       *Browser
	session string
	width   int
}

// TabOptions set up a tab before it loads its page.
type TabOptions struct {
	Width    int  // the viewport's width in CSS pixels
	Dark     bool // prefers-color-scheme: dark
	NoScript bool // JavaScript off
}

// Open opens url in a new tab set up by opts and waits until it has loaded.
func (b *Browser) Open(ctx context.Context, url string, opts TabOptions) (*Tab, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	t := &Tab{b: b, session: att.SessionID, width: opts.Width}
	scheme := "light"
	if opts.Dark {
		scheme = "dark"
	}
	steps := []struct {
		method string
		params map[string]any
	}{
		{"Emulation.setDeviceMetricsOverride", map[string]any{"width": opts.Width, "height": 900, "deviceScaleFactor": 1, "mobile": false}},
		{"Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": scheme}}}},
		{"Emulation.setScriptExecutionDisabled", map[string]any{"value": opts.NoScript}},
		{"Page.navigate", map[string]any{"url": url}},
	}
	for _, s := range steps {
		if err := b.call(ctx, t.session, s.method, s.params, nil); err != nil {
			return nil, err
		}
	}
	for {
		var state string
		if err := t.Eval(ctx, "document.readyState", &state); err != nil {
			return nil, err
		}
		if state == "complete" {
			return t, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("loading %s: %w", url, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Eval evaluates a JavaScript expression in the page (a promise is awaited; the page's
// Content-Security-Policy does not apply to it) and decodes its JSON value into out.
func (t *Tab) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	params := map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true, "userGesture": true}
	if err := t.b.call(ctx, t.session, "Runtime.evaluate", params, &r); err != nil {
		return err
	}
	if r.Exception != nil {
		return fmt.Errorf("evaluating %q: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out == nil {
		return nil
	}
	if len(r.Result.Value) == 0 {
		return errors.New("evaluating: no value")
	}
	return json.Unmarshal(r.Result.Value, out)
}

// Call sends a DevTools command to the tab's page.
func (t *Tab) Call(ctx context.Context, method string, params, out any) error {
	return t.b.call(ctx, t.session, method, params, out)
}

// Screenshot is the whole page, as tall as its content, as a PNG.
func (t *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	var height int
	if err := t.Eval(ctx, "Math.ceil(document.documentElement.scrollHeight)", &height); err != nil {
		return nil, err
	}
	if err := t.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": t.width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		return nil, err
	}
	var shot struct {
		Data string `json:"data"`
	}
	if err := t.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}

// Close closes the tab.
func (t *Tab) Close(ctx context.Context) error {
	return t.b.call(ctx, t.session, "Page.close", map[string]any{}, nil)
}

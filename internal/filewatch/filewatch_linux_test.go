//go:build linux

package filewatch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWatch: every way an editor or a package manager changes a file is an event — written in
// place, replaced by a rename, deleted, created; a file beside it is an event too (the caller
// compares); the directory going away closes the channel, and so does ctx.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spotwatch.yaml")
	must(t, os.WriteFile(path, []byte("interval: 60s\n"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed, err := Watch(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func()
	}{
		{"written in place", func() { must(t, os.WriteFile(path, []byte("interval: 2m\n"), 0o644)) }},
		{"replaced by a rename", func() {
			must(t, os.WriteFile(path+".tmp", []byte("interval: 3m\n"), 0o644))
			must(t, os.Rename(path+".tmp", path))
		}},
		{"mode changed", func() { must(t, os.Chmod(path, 0o600)) }},
		{"deleted", func() { must(t, os.Remove(path)) }},
		{"created again", func() { must(t, os.WriteFile(path, []byte("interval: 60s\n"), 0o644)) }},
	}
	for _, step := range steps {
		drain(changed)
		step.do()
		select {
		case _, ok := <-changed:
			if !ok {
				t.Fatalf("%s: the channel closed", step.name)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no event in 5 s", step.name)
		}
	}
	// Nothing happens: nothing is sent. The last step's events may come in two reads (the
	// create, then the close of the write): they are let in first.
	time.Sleep(100 * time.Millisecond)
	drain(changed)
	select {
	case <-changed:
		t.Fatal("an event while nothing changed")
	case <-time.After(200 * time.Millisecond):
	}
	must(t, os.RemoveAll(dir))
	waitClosed(t, changed, "the directory removed")

	// ctx ends the watch.
	dir2 := t.TempDir()
	ctx2, cancel2 := context.WithCancel(context.Background())
	changed2, err := Watch(ctx2, filepath.Join(dir2, "spotwatch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cancel2()
	waitClosed(t, changed2, "ctx done")

	if _, err := Watch(ctx, filepath.Join(t.TempDir(), "missing", "spotwatch.yaml")); err == nil {
		t.Error("watching a file in a directory that does not exist: no error")
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: the channel is still open after 5 s", what)
		}
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpens: a program run from the watched file is an event, and so is the file read; the
// other files of its directory are not; the file replaced by a rename (a package upgrade) is
// still followed; the directory going away, or ctx, closes the channel.
func TestOpens(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "spotify")
	program, err := os.ReadFile("/bin/true")
	must(t, err)
	must(t, os.WriteFile(prog, program, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "resources.pak"), []byte("data"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opened, err := Opens(ctx, []string{prog})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		do    func()
		event bool
	}{
		{"the program run", func() { must(t, exec.Command(prog).Run()) }, true},
		{"another file of its folder read", func() { _, err := os.ReadFile(filepath.Join(dir, "resources.pak")); must(t, err) }, false},
		{"another file of its folder written", func() { must(t, os.WriteFile(filepath.Join(dir, "prefs"), []byte("x"), 0o644)) }, false},
		{"the program read", func() { _, err := os.ReadFile(prog); must(t, err) }, true},
		{"the program replaced by a rename, then run", func() {
			must(t, os.WriteFile(prog+".new", program, 0o755))
			must(t, os.Rename(prog+".new", prog))
			drain(opened) // writing the new file opened nothing of the watched name; the rename neither
			must(t, exec.Command(prog).Run())
		}, true},
	}
	for _, step := range steps {
		drain(opened)
		step.do()
		select {
		case _, ok := <-opened:
			if !ok {
				t.Fatalf("%s: the channel closed", step.name)
			}
			if !step.event {
				t.Errorf("%s: an event", step.name)
			}
		case <-time.After(300 * time.Millisecond):
			if step.event {
				t.Errorf("%s: no event", step.name)
			}
		}
	}
	must(t, os.RemoveAll(dir))
	waitClosed(t, opened, "the directory removed")

	dir2 := t.TempDir()
	ctx2, cancel2 := context.WithCancel(context.Background())
	opened2, err := Opens(ctx2, []string{filepath.Join(dir2, "spotify")})
	if err != nil {
		t.Fatal(err)
	}
	cancel2()
	waitClosed(t, opened2, "ctx done")

	for _, files := range [][]string{nil, {filepath.Join(t.TempDir(), "missing", "spotify")}} {
		if _, err := Opens(ctx, files); err == nil {
			t.Errorf("Opens(%q): no error", files)
		}
	}
}

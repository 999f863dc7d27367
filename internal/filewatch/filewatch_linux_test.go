//go:build linux

package filewatch

import (
	"context"
	"os"
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
	// Nothing happens: nothing is sent.
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

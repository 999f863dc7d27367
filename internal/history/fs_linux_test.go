//go:build linux

package history

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// mountTmpfs mounts a tmpfs of size bytes (rounded up to whole pages by the kernel) on a new
// directory and unmounts it when the test ends. It needs root, as CI has.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Fatalf("mounting a tmpfs on %s (the test needs root): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// fillUp writes a file in dir until the filesystem is full, leaving no free block.
func fillUp(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := bytes.Repeat([]byte{'.'}, 512)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the tmpfs: %v", err)
			}
			return
		}
	}
}

// TestAppendOnFullFilesystem appends to a history on a real tmpfs until the filesystem is
// full: every failed Append must leave the file exactly as it was, with no torn record for
// the next Append to follow, and the store must keep working once space is freed.
func TestAppendOnFullFilesystem(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	path := filepath.Join(dir, "history.log")
	s := open(t, path, Options{MaxBytes: 1 << 20})
	// A record of about 300 bytes seldom ends on a page boundary, so the write that meets the
	// end of the space is usually cut short in the middle of a line.
	appendAll(t, s, records(0, 3))
	fillUp(t, dir)
	var failures int
	for i := 3; i < 40; i++ {
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Append(rec(i)); err == nil {
			continue
		} else if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append %d: %v, want ENOSPC", i, err)
		}
		failures++
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Fatalf("append %d failed (%d bytes before) but changed the file: %d bytes after, ending %q",
				i, len(before), len(after), after[max(0, len(after)-40):])
		}
	}
	if failures == 0 {
		t.Fatal("no append failed on a full filesystem")
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(rec(100)); err != nil {
		t.Fatalf("append after space was freed: %v", err)
	}
	_, damage, err := Read(path, nil)
	if err != nil || len(damage) > 0 {
		t.Fatalf("history after the full filesystem: damage %v, err %v", damage, err)
	}
}

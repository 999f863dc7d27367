//go:build linux

package history

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// remount makes the bind mount at dir read-only or writable again.
func remount(t *testing.T, dir string, readOnly bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT | syscall.MS_BIND)
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("", dir, "", flags, ""); err != nil {
		t.Fatalf("remounting %s (read-only %v): %v", dir, readOnly, err)
	}
}

// bindMount bind-mounts a new directory on itself, so that the test can make it read-only,
// and unmounts it when the test ends.
func bindMount(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mounting %s (the test needs root): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// TestKeeperOnReadOnlyDirectory: on a real read-only filesystem the keeper opens anyway, keeps
// the records in memory and says so in Health; once the filesystem is writable, Retry writes
// them to the file, oldest first, and Health is nil.
func TestKeeperOnReadOnlyDirectory(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string) // before the keeper opens; the mount is read-only after
		onDisk  []Record
	}{
		{"no state directory yet", func(*testing.T, string) {}, nil},
		{"a history already there", func(t *testing.T, dir string) {
			s := open(t, filepath.Join(dir, "spotwatch", "history.log"), Options{})
			appendAll(t, s, records(0, 2))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}, records(0, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mnt := bindMount(t)
			tt.prepare(t, mnt)
			remount(t, mnt, true)
			var logs logBuffer
			path := filepath.Join(mnt, "spotwatch", "history.log")
			k, err := OpenKeeper(path, Options{Logger: logs.logger()})
			if err != nil {
				t.Fatalf("OpenKeeper on a read-only filesystem: %v", err)
			}
			defer k.Close()
			h := k.Health()
			if h == nil || !strings.Contains(h.Error, "read-only file system") || h.Since.IsZero() {
				t.Fatalf("Health on a read-only filesystem: %+v, want the error", h)
			}
			if !strings.Contains(logs.String(), "read-only file system") {
				t.Errorf("the trouble was not logged:\n%s", logs.String())
			}
			select {
			case <-k.Trouble():
			default:
				t.Error("no token on Trouble")
			}
			for _, r := range records(10, 13) {
				if err := k.Append(r); err != nil {
					t.Fatalf("Append while read-only: %v", err)
				}
			}
			want := append(append([]Record(nil), tt.onDisk...), records(10, 13)...)
			got, err := k.Last(100)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, want)
			k.Retry()
			if h := k.Health(); h == nil || h.Pending != 3 {
				t.Fatalf("Health after a retry while read-only: %+v, want 3 pending", h)
			}

			remount(t, mnt, false)
			k.Retry()
			if h := k.Health(); h != nil {
				t.Fatalf("Health after the filesystem became writable: %+v, want nil", h)
			}
			if err := k.Append(rec(13)); err != nil {
				t.Fatal(err)
			}
			onDisk, damage, err := Read(path, nil)
			if err != nil || len(damage) > 0 {
				t.Fatalf("history after recovery: damage %v, err %v", damage, err)
			}
			checkRecords(t, onDisk, append(want, rec(13)))
			if !strings.Contains(logs.String(), "writable again") {
				t.Errorf("the recovery was not logged:\n%s", logs.String())
			}
		})
	}
}

// TestKeeperOnFullFilesystem: on a real full filesystem appends go to memory, none is lost or
// written twice once space is freed.
func TestKeeperOnFullFilesystem(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	path := filepath.Join(dir, "history.log")
	k, err := OpenKeeper(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	fillUp(t, dir)
	for _, r := range records(0, 40) {
		if err := k.Append(r); err != nil {
			t.Fatalf("Append on a full filesystem: %v", err)
		}
	}
	h := k.Health()
	if h == nil || !strings.Contains(h.Error, "no space left on device") || h.Pending == 0 {
		t.Fatalf("Health on a full filesystem: %+v", h)
	}
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	k.Retry()
	if h := k.Health(); h != nil {
		t.Fatalf("Health after space was freed: %+v", h)
	}
	got, damage, err := Read(path, nil)
	if err != nil || len(damage) > 0 {
		t.Fatalf("history: damage %v, err %v", damage, err)
	}
	checkRecords(t, got, records(0, 40))
}

// TestKeeperRefusesALockedHistory: another writer's lock is the one error OpenKeeper returns.
func TestKeeperRefusesALockedHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.log")
	open(t, path, Options{})
	if _, err := OpenKeeper(path, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("OpenKeeper of a locked history: %v, want ErrLocked", err)
	}
}

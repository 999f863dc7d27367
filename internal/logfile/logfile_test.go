package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// privateMode is the mode a log file must have: 0600 on Unix. Windows has no Unix permission bits:
// Go reports 0666 for any file that is not read-only, whatever its ACL.
var privateMode = func() os.FileMode {
	if runtime.GOOS == "windows" {
		return 0o666
	}
	return 0o600
}()

func TestRotationBoundsSize(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "logs", "spotwatch.log")
	l, err := Open(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Repeat([]byte("x"), 99)
	line = append(line, '\n')
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if _, err := l.Write(line); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".1"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if info.Size() > 1000 || info.Size()%100 != 0 {
			t.Errorf("%s is %d bytes: over the limit or a torn line", p, info.Size())
		}
		if info.Mode().Perm() != privateMode {
			t.Errorf("%s has mode %v, want %v", p, info.Mode().Perm(), privateMode)
		}
	}
	if _, err := l.Write(line); err == nil {
		t.Error("a write after Close succeeded")
	}
}

func TestReopenAppends(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "a.log")
	for _, s := range []string{"one\n", "two\n"} {
		l, err := Open(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		l.Write([]byte(s))
		l.Close()
	}
	data, _ := os.ReadFile(path)
	if string(data) != "one\ntwo\n" {
		t.Errorf("file holds %q", data)
	}
}

// TestFailedRotationRecovers makes a rotation fail for real (NAME.1 is a non-empty directory,
// so the rename cannot replace it): the log must go on being written, and rotate as soon as
// the obstacle is gone.
func TestFailedRotationRecovers(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "spotwatch.log")
	l, err := Open(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.MkdirAll(filepath.Join(path+".1", "in-the-way"), 0o700); err != nil {
		t.Fatal(err)
	}
	line := append(bytes.Repeat([]byte("x"), 99), '\n')
	for i := range 15 { // the 11th write needs a rotation, which fails
		if _, err := l.Write(line); err != nil {
			t.Fatalf("write %d while rotation fails: %v", i, err)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Size() != 1500 {
		t.Fatalf("while rotation fails the log holds %v bytes (err %v), want all 1500", info.Size(), err)
	}
	// Two os.Remove calls, not os.RemoveAll: Wine 8 cannot run RemoveAll.
	if err := os.Remove(filepath.Join(path+".1", "in-the-way")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + ".1"); err != nil {
		t.Fatal(err)
	}
	last := []byte("after the obstacle\n")
	if _, err := l.Write(last); err != nil {
		t.Fatalf("write after the obstacle went: %v", err)
	}
	old, err := os.ReadFile(path + ".1")
	if err != nil || len(old) != 1500 {
		t.Fatalf("rotated file: %d bytes, err %v; want the 1500 bytes written before", len(old), err)
	}
	cur, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(cur, last) {
		t.Fatalf("current log %q (err %v), want %q", cur, err, last)
	}
}

// TestFailedRotationStaysBounded: when rotation keeps failing, the file still stops growing at
// twice the limit (what the log may take on disk) instead of filling the disk.
func TestFailedRotationStaysBounded(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "spotwatch.log")
	l, err := Open(path, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.MkdirAll(filepath.Join(path+".1", "in-the-way"), 0o700); err != nil {
		t.Fatal(err)
	}
	line := append(bytes.Repeat([]byte("x"), 99), '\n')
	var refused int
	for range 40 {
		if _, err := l.Write(line); err != nil {
			refused++
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 2000 || refused != 20 {
		t.Fatalf("log is %d bytes after 40 writes with %d refused; want 2000 bytes and 20 refused", info.Size(), refused)
	}
}

package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestRotationBoundsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "spotwatch.log")
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
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, info.Mode().Perm())
		}
	}
	if _, err := l.Write(line); err == nil {
		t.Error("a write after Close succeeded")
	}
}

func TestReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
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

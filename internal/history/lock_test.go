package history

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// TestSecondOpenIsRefused: while one process has a history open, a second Open of the same
// directory, from another process or from this one, fails with an error naming the lock and
// the holder's pid, and changes nothing: not even a torn last record is "repaired" under the
// writer. The lock goes with the process that held it, even when it is killed.
func TestSecondOpenIsRefused(t *testing.T) {
	dir := testutil.TempDir(t)
	path := filepath.Join(dir, "history.log")
	a := startAppender(t, path, readLimit)
	select {
	case <-a.acked:
	case <-time.After(30 * time.Second):
		a.kill(t)
		t.Fatalf("the appender appended nothing in 30 s: %s", a.stderr.String())
	}
	// The appender may be mid-write at any moment, leaving an incomplete last record that a
	// second Open without the lock would take for a crash's and cut off under the writer.
	var refused []error
	for range 20 {
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, Options{})
		if err == nil {
			s.Close()
			a.kill(t)
			t.Fatal("a second Open succeeded while another process appends")
		}
		refused = append(refused, err)
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(after, before) {
			a.kill(t)
			t.Fatalf("the refused Open changed the file: %d bytes before, %d after", len(before), len(after))
		}
	}
	pid := a.cmd.Process.Pid
	a.kill(t)
	for _, err := range refused {
		var le *LockedError
		if !errors.Is(err, ErrLocked) || !errors.As(err, &le) {
			t.Fatalf("second Open: %v, want an error wrapping ErrLocked", err)
		}
		want := fmt.Sprintf("another process (pid %d) holds the lock %s", pid, filepath.Join(dir, LockName))
		if le.PID != pid || !strings.Contains(err.Error(), want) {
			t.Fatalf("second Open: %q, want it to say %q", err, want)
		}
	}
	if _, err := os.Stat(path + ".damaged"); err == nil {
		t.Error("a refused Open left a .damaged copy")
	}

	// Killed, the appender holds nothing: Open works, and then refuses a second Open here.
	s := open(t, path, Options{})
	if _, err := Open(path, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second Open in the same process: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path, Options{})
	if err := s2.Append(rec(1_000_000)); err != nil {
		t.Fatalf("append after the lock was released: %v", err)
	}
}

package testworld

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestNewFailsCleanly checks that a New that fails returns its error, wrapped, instead of
// panicking in its own cleanup (which once closed the nil world it was about to return).
func TestNewFailsCleanly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	w, err := New(dir)
	if err == nil {
		w.Close()
		t.Fatalf("New(%s) succeeded, want an error", dir)
	}
	if w != nil {
		t.Errorf("New(%s) = %v with error %v, want no world", dir, w, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("New(%s) error %v is not fs.ErrNotExist", dir, err)
	}
	if _, statErr := os.Stat(dir); !errors.Is(statErr, fs.ErrNotExist) {
		t.Errorf("New left %s behind: %v", dir, statErr)
	}
}

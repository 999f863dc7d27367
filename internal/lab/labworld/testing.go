//go:build linux

package labworld

import (
	"testing"

	"github.com/spotwatch/spotwatch/internal/lab"
)

// NewForTest builds a lab and starts a world in it for a test; both go when the test ends.
// It fails the test (never skips it) when either cannot be built.
func NewForTest(t testing.TB) *World {
	t.Helper()
	l := lab.NewForTest(t, lab.Config{})
	w, err := Start(t.Context(), l)
	if err != nil {
		t.Fatalf("starting the lab world: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("stopping the lab world: %v", err)
		}
	})
	return w
}

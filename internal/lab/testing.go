//go:build linux

package lab

import "testing"

// NewForTest builds a lab for a test and tears it down when the test ends, failing the test
// (never skipping it) when the lab cannot be built or does not come down cleanly. Register
// servers after it, so that t.Cleanup stops them before the lab goes.
func NewForTest(t testing.TB, cfg Config) *Lab {
	t.Helper()
	l, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("building the network lab: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("tearing the network lab down: %v", err)
		}
	})
	return l
}

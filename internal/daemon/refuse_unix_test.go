//go:build unix

package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefuseUnsafeConfig: a system daemon refuses a configuration others may change and says
// what to run; a user daemon and the defaults are not checked.
func TestRefuseUnsafeConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open.yaml")
	safe := filepath.Join(dir, "safe.yaml")
	for path, mode := range map[string]os.FileMode{open: 0o666, safe: 0o644} {
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		system bool
		path   string
		refuse bool
	}{
		{true, open, true},
		{true, safe, false},
		{false, open, false},
		{true, "", false},
	}
	for _, tt := range tests {
		err := refuseUnsafeConfig(tt.system, tt.path)
		if got := err != nil; got != tt.refuse {
			t.Errorf("refuseUnsafeConfig(%v, %q) = %v, want refused %v", tt.system, tt.path, err, tt.refuse)
		}
		if tt.refuse && (err == nil || !strings.Contains(err.Error(), "sudo chmod go-w "+tt.path)) {
			t.Errorf("the refusal does not say what to run: %v", err)
		}
	}
}

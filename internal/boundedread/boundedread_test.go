package boundedread

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

func TestFile(t *testing.T) {
	dir := testutil.TempDir(t)
	for _, tc := range []struct {
		name    string
		size    int
		wantErr string
	}{
		{"empty", 0, ""},
		{"at the limit", 16, ""},
		{"one byte over", 17, "larger than 16 bytes"},
		{"far over", 4096, "larger than 16 bytes"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
		if err := os.WriteFile(path, []byte(strings.Repeat("x", tc.size)), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := File(path, 16)
		switch {
		case tc.wantErr == "" && (err != nil || len(b) != tc.size):
			t.Errorf("%s: read %d bytes, %v; want %d bytes", tc.name, len(b), err, tc.size)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.wantErr)
		}
	}
	if _, err := File(filepath.Join(dir, "missing"), 16); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v, want not-exist", err)
	}
}

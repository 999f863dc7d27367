package probe

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// TestHostsCacheRereadsOnlyAChangedFile: after a full check's read, a light check's
// readIfChanged reads the hosts file again only when it is another file or its size or
// modification time changed; a read is seen by the names it asks isSpotify about.
func TestHostsCacheRereadsOnlyAChangedFile(t *testing.T) {
	dir := testutil.TempDir(t)
	path := filepath.Join(dir, "hosts")
	stamp := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	write := func(content string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	blocked := "0.0.0.0 ap.spotify.com\n"
	tests := []struct {
		name     string
		change   func() // what happens to the file after the full check's read
		wantRead bool
		wantAddr string // the first entry's address; "" = no entry
	}{
		{"unchanged", func() {}, false, "0.0.0.0"},
		{"touched", func() { write(blocked, stamp.Add(time.Second)) }, true, "0.0.0.0"},
		{"rewritten, same time", func() { write("127.0.0.1 localhost\n", stamp) }, true, ""},
		{"the same bytes in another file", func() {
			other := filepath.Join(dir, "hosts.new")
			if err := os.WriteFile(other, []byte("1.1.1.1 ap.spotify.com\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(other, stamp, stamp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}, true, "1.1.1.1"},
		{"removed", func() { os.Remove(path) }, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(blocked, stamp)
			var h hostsCache
			if got, err := h.read(path, isSpotifyForTest); err != nil || len(got) != 1 {
				t.Fatalf("the full check's read: %v, %v", got, err)
			}
			tt.change()
			asked := 0
			got, err := h.readIfChanged(path, func(host string) bool { asked++; return isSpotifyForTest(host) })
			if read := asked > 0 || err != nil; read != tt.wantRead {
				t.Errorf("the file was read again: %v, want %v", read, tt.wantRead)
			}
			addr := ""
			if len(got) > 0 {
				addr = got[0].Addr
			}
			if addr != tt.wantAddr {
				t.Errorf("entries %v (err %v), want the first at %q", got, err, tt.wantAddr)
			}
		})
	}
}

//go:build linux

package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// TestCacheNotWritable: a cache folder on a read-only mount cannot be written, even by root
// (who ignores mode bits): a read-only bind mount of the folder onto itself.
func TestCacheNotWritable(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("this test mounts a file system: run it as root, as make test and CI do")
	}
	root := testutil.TempDir(t)
	mkdirUnder(t, root, "/snap/spotify/current")
	cache := hostPath(root, "/home/ana/snap/spotify/common/.cache/spotify")
	mkdirUnder(t, root, "/home/ana/snap/spotify/common/.cache/spotify")
	if out, err := exec.Command("mount", "--bind", cache, cache).CombinedOutput(); err != nil {
		t.Fatalf("bind-mounting the cache folder: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", cache).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", cache, err, out)
		}
	})
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", cache).CombinedOutput(); err != nil {
		t.Fatalf("remounting it read-only: %v %s", err, out)
	}
	if writable(cache) {
		t.Fatal("a read-only mount counts as writable")
	}
	got := readInstall(installEnv{root: root, goos: "linux", getenv: func(string) string { return "/home/ana" }, asUser: true, free: plenty})
	want := "the cache folder /home/ana/snap/spotify/common/.cache/spotify is not writable"
	if got == nil || strings.Join(got.Problems, "\n") != want {
		t.Errorf("readInstall = %+v, want the problem %q", got, want)
	}
	if !writable(filepath.Dir(cache)) || leftovers(t, root) {
		t.Error("a writable folder does not count as writable, or the test file was left")
	}
}

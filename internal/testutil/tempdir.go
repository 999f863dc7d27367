package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TempDir is t.TempDir, except under Wine: Wine 8 cannot run os.RemoveAll (it lacks
// NtSetInformationFile(FileDispositionInformationEx), so every t.TempDir cleanup fails the test
// with "Invalid function."), while os.Remove works. Under Wine the directory is made with
// os.MkdirTemp and removed one entry at a time, deepest first.
func TempDir(t testing.TB) string {
	t.Helper()
	if !UnderWine() {
		return t.TempDir()
	}
	name := strings.NewReplacer("/", "_", `\`, "_", ":", "_").Replace(t.Name())
	dir, err := os.MkdirTemp("", name)
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() {
		if err := removeTree(dir); err != nil {
			t.Errorf("TempDir cleanup: %v", err)
		}
	})
	return dir
}

// removeTree removes dir and everything in it with os.Remove, children before their parents.
func removeTree(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(paths) // WalkDir lists a directory before its entries
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}

package testutil

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
)

func TestJSONStrings(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"a":["b",{"c":"d"}],"e":1,"f":null}`), &v); err != nil {
		t.Fatal(err)
	}
	got := JSONStrings(v)
	slices.Sort(got)
	if want := []string{"a", "b", "c", "d", "e", "f"}; !slices.Equal(got, want) {
		t.Errorf("JSONStrings = %q, want %q", got, want)
	}
}

func TestLockedBufferConcurrentWrites(t *testing.T) {
	var b LockedBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if n := len(b.String()); n != 800 {
		t.Errorf("%d bytes written, want 800", n)
	}
}

// TestUnderWine checks the detection against what scripts/wine/exec.sh tells the test binary in
// SPOTWATCH_UNDER_WINE, when it does; on Linux and macOS it is false.
func TestUnderWine(t *testing.T) {
	if runtime.GOOS != "windows" && UnderWine() {
		t.Errorf("UnderWine() = true on %s", runtime.GOOS)
	}
	if want, ok := os.LookupEnv("SPOTWATCH_UNDER_WINE"); ok && UnderWine() != (want == "1") {
		t.Errorf("UnderWine() = %v, SPOTWATCH_UNDER_WINE=%s", UnderWine(), want)
	}
	t.Logf("UnderWine() = %v", UnderWine())
}

func TestRemoveTree(t *testing.T) {
	dir := filepath.Join(TempDir(t), "tree")
	for _, p := range []string{"a/b/c", "a/d", "e"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := removeTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists: %v", dir, err)
	}
}

func TestTempDirIsWritable(t *testing.T) {
	dir := TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}

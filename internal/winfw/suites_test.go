package winfw

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseSuites parses testdata/suites/*.txt (recorded-style output, see its README.md) and
// compares with the matching .want, one name a line.
func TestParseSuites(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "suites", "*.txt"))
	if err != nil || len(files) < 8 {
		t.Fatalf("testdata: %v, %d files", err, len(files))
	}
	for _, f := range files {
		out, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		wantText, err := os.ReadFile(strings.TrimSuffix(f, ".txt") + ".want")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, line := range strings.Split(string(wantText), "\n") {
			if line != "" {
				want = append(want, line)
			}
		}
		if got := ParseSuites(string(out)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", filepath.Base(f), got, want)
		}
	}
}

func TestParseSuitesBounded(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 100; i++ {
		b.WriteString("Suite " + strings.Repeat("x", i) + "\r\n")
	}
	if got := ParseSuites(b.String()); len(got) != MaxSuites {
		t.Errorf("kept %d names, want %d", len(got), MaxSuites)
	}
}

func TestLimitedBuffer(t *testing.T) {
	b := limitedBuffer{max: 5}
	for _, s := range []string{"abc", "defg", "hij"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.buf.String(); got != "abcde" {
		t.Errorf("kept %q, want %q", got, "abcde")
	}
	if got := safeMsg([]byte("Get-CimInstance : Invalid namespace\x1b[0m\r\n")); got != "Get-CimInstance : Invalid namespace" {
		t.Errorf("safeMsg = %q", got)
	}
}

package winfw

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// recorded returns a Lookup that answers with testdata/suites/name.txt parsed as SecuritySuites
// parses PowerShell's output, and counts its calls.
func recorded(t *testing.T, name string, calls *int) func(context.Context) ([]string, error) {
	t.Helper()
	out, err := os.ReadFile(filepath.Join("testdata", "suites", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return func(context.Context) ([]string, error) {
		*calls++
		return ParseSuites(string(out)), nil
	}
}

func TestSuitesCache(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	norton := []string{"Norton 360", "Windows Defender"}
	timeout := fmt.Errorf("asking Security Center with PowerShell: %w", context.DeadlineExceeded)
	noPowerShell := fmt.Errorf("asking Security Center with PowerShell: %w", &fs.PathError{Op: "exec", Path: "powershell.exe", Err: fs.ErrNotExist})

	type step struct {
		after   time.Duration // since start
		fail    error         // the lookup's error, if it fails
		refresh bool          // Refresh instead of Suites
		want    []string
		wantErr bool
		lookups int // the lookups made so far
	}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"asked once, then from the file until it is 6 h old", []step{
			{after: 0, want: norton, lookups: 1},
			{after: time.Minute, want: norton, lookups: 1},
			{after: 5*time.Hour + 59*time.Minute, want: norton, lookups: 1},
			{after: 6 * time.Hour, want: norton, lookups: 2},
		}},
		{"on demand", []step{
			{after: 0, want: norton, lookups: 1},
			{after: time.Minute, refresh: true, want: norton, lookups: 2},
		}},
		{"a failure is reported once and asked again after 10 min", []step{
			{after: 0, fail: timeout, wantErr: true, lookups: 1},
			{after: 9 * time.Minute, lookups: 1},
			{after: 10 * time.Minute, want: norton, lookups: 2},
		}},
		{"no PowerShell: nothing stored, asked every time", []step{
			{after: 0, fail: noPowerShell, wantErr: true, lookups: 1},
			{after: time.Second, fail: noPowerShell, wantErr: true, lookups: 2},
		}},
		{"a clock set back: the file is not trusted", []step{
			{after: time.Hour, want: norton, lookups: 1},
			{after: 0, want: norton, lookups: 2},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := testutil.TempDir(t)
			var now time.Time
			calls := 0
			answer := recorded(t, "norton", &calls)
			var fail error
			c := SuitesCache{
				Path: filepath.Join(dir, "spotwatch", "security-center.json"),
				Now:  func() time.Time { return now },
				Lookup: func(ctx context.Context) ([]string, error) {
					if fail != nil {
						calls++
						return nil, fail
					}
					return answer(ctx)
				},
			}
			for i, s := range tt.steps {
				now, fail = start.Add(s.after), s.fail
				get := c.Suites
				if s.refresh {
					get = c.Refresh
				}
				got, err := get(context.Background())
				if !reflect.DeepEqual(got, s.want) || (err != nil) != s.wantErr || calls != s.lookups {
					t.Fatalf("step %d: %q, %v after %d lookups; want %q, error %v after %d", i, got, err, calls, s.want, s.wantErr, s.lookups)
				}
				if s.wantErr && !errors.Is(err, s.fail) {
					t.Errorf("step %d: error %v does not wrap %v", i, err, s.fail)
				}
			}
		})
	}
}

// TestSuitesCacheFile: a file that does not parse is asked again; names written into it by hand
// are cleaned as PowerShell's are; a cache that cannot be written still answers, with the error.
func TestSuitesCacheFile(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	dir := testutil.TempDir(t)
	path := filepath.Join(dir, "security-center.json")
	calls := 0
	c := SuitesCache{Path: path, Now: func() time.Time { return now }, Lookup: recorded(t, "eset", &calls)}

	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Suites(context.Background()); err != nil || calls != 1 || len(got) == 0 {
		t.Fatalf("corrupt file: %q, %v, %d lookups", got, err, calls)
	}

	edited := `{"checked":"2026-03-01T08:00:00Z","suites":["Evil\u001b[2J Suite","","evil\u001b[2j suite"]}`
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := c.Suites(context.Background())
	if err != nil || calls != 1 || len(got) != 1 || strings.ContainsRune(got[0], 0x1b) {
		t.Errorf("edited file: %q, %v, %d lookups", got, err, calls)
	}

	blocked := SuitesCache{Path: filepath.Join(path, "under-a-file.json"), Now: c.Now, Lookup: recorded(t, "eset", &calls)}
	got, err = blocked.Suites(context.Background())
	if err == nil || len(got) == 0 {
		t.Errorf("unwritable cache: %q, %v", got, err)
	}
}

// BenchmarkParseSuites: parsing Security Center's answer (the part of a lookup that is not
// PowerShell's start).
func BenchmarkParseSuites(b *testing.B) {
	out, err := os.ReadFile(filepath.Join("testdata", "suites", "messy.txt"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ParseSuites(string(out))
	}
}

// BenchmarkSuitesCacheHit: what a check pays when the cached answer is fresh.
func BenchmarkSuitesCacheHit(b *testing.B) {
	dir := testutil.TempDir(b)
	calls := 0
	c := SuitesCache{Path: filepath.Join(dir, "security-center.json"), Lookup: func(context.Context) ([]string, error) {
		calls++
		return []string{"Norton 360", "Windows Defender"}, nil
	}}
	if _, err := c.Suites(context.Background()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Suites(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	if calls != 1 {
		b.Errorf("%d lookups, want 1", calls)
	}
}

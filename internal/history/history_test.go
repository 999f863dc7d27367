package history

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// rec returns the i-th record of a test sequence; its Title carries i.
func rec(i int) Record {
	return Record{
		Time:     time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
		Code:     []int{0, 4, 7}[i%3],
		Cause:    []string{"ok", "internet_down", "dns_filtered"}[i%3],
		Title:    fmt.Sprintf("state %d", i),
		Summary:  "Your DNS server answers 0.0.0.0 for apresolve.spotify.com; a public resolver gives 35.186.224.24.",
		Previous: "ok",
		Duration: time.Duration(i) * time.Second,
	}
}

func seq(t testing.TB, r Record) int {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(r.Title, "state %d", &i); err != nil {
		t.Fatalf("record %+v has no sequence number: %v", r, err)
	}
	return i
}

func sameRecord(a, b Record) bool {
	return a.Time.Equal(b.Time) && a.Code == b.Code && a.Cause == b.Cause && a.Title == b.Title &&
		a.Summary == b.Summary && a.Previous == b.Previous && a.Duration == b.Duration
}

func checkRecords(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range got {
		if !sameRecord(got[i], want[i]) {
			t.Fatalf("record %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func records(from, to int) []Record {
	var rs []Record
	for i := from; i < to; i++ {
		rs = append(rs, rec(i))
	}
	return rs
}

// logBuffer is a logger whose output a test can read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func open(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendAll(t testing.TB, s *Store, rs []Record) {
	t.Helper()
	for _, r := range rs {
		if err := s.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	odd := Record{
		Time:    time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600)),
		Code:    -1,
		Cause:   "unknown",
		Title:   "line\nbreak, \"quotes\", tab\t, nul \x00, <html>&",
		Summary: "ünïcödé ✓ " + strings.Repeat("long ", 200),
	}
	tests := []struct {
		name string
		in   []Record
	}{
		{"none", nil},
		{"one", records(0, 1)},
		{"many", records(0, 50)},
		{"odd strings and zero values", []Record{odd, {}, rec(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(testutil.TempDir(t), "state", "spotwatch", "history.log")
			s := open(t, path, Options{})
			appendAll(t, s, tt.in)
			got, err := s.Records()
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, tt.in)
			fromRead, damage, err := Read(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(damage) != 0 {
				t.Fatalf("damage in a clean file: %v", damage)
			}
			checkRecords(t, fromRead, tt.in)
		})
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(testutil.TempDir(t), "a", "b")
	path := filepath.Join(dir, "history.log")
	open(t, path, Options{})
	for name, want := range map[string]fs.FileMode{dir: 0o700 | fs.ModeDir, path: 0o600} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		// Windows has no permission bits (Go shows 0666/0777 unless read-only): the history's
		// privacy there is its directory's, in the user's own %LocalAppData%.
		if runtime.GOOS == "windows" {
			continue
		}
		if info.Mode() != want {
			t.Errorf("%s has mode %v, want %v", name, info.Mode(), want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := testutil.TempDir(t)
	tests := []struct {
		name string
		path string
		opts Options
	}{
		{"MaxBytes too small", filepath.Join(dir, "h1"), Options{MaxBytes: 100}},
		{"MaxBytes too large", filepath.Join(dir, "h2"), Options{MaxBytes: 1 << 30}},
		{"path is a directory", dir, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Open(tt.path, tt.opts); err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
	if _, _, err := Read(filepath.Join(dir, "missing"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "history.log")
	for round := range 3 {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		appendAll(t, s, records(round*10, round*10+10))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, path, Options{})
	got, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, got, records(0, 30))
}

func TestClosed(t *testing.T) {
	s, err := Open(filepath.Join(testutil.TempDir(t), "history.log"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Append(rec(0)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Append after Close: %v, want os.ErrClosed", err)
	}
	if _, err := s.Records(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Records after Close: %v, want os.ErrClosed", err)
	}
}

func TestAppendTooLarge(t *testing.T) {
	s := open(t, filepath.Join(testutil.TempDir(t), "history.log"), Options{MaxBytes: 4096})
	big := rec(0)
	big.Summary = strings.Repeat("x", 2100)
	if err := s.Append(big); err == nil {
		t.Fatal("a record longer than MaxBytes/2 was accepted")
	}
	if err := s.Append(Record{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Fatal("a record with an unencodable time was accepted")
	}
	appendAll(t, s, records(0, 1))
	got, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, got, records(0, 1))
}

func TestLast(t *testing.T) {
	s := open(t, filepath.Join(testutil.TempDir(t), "history.log"), Options{})
	appendAll(t, s, records(0, 10))
	tests := []struct {
		n    int
		want []Record
	}{
		{-1, nil},
		{0, nil},
		{1, records(9, 10)},
		{5, records(5, 10)},
		{10, records(0, 10)},
		{15, records(0, 10)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			got, err := s.Last(tt.n)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, tt.want)
		})
	}
}

func TestConcurrentAppends(t *testing.T) {
	const writers, each = 8, 40
	s := open(t, filepath.Join(testutil.TempDir(t), "history.log"), Options{})
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				r := rec(w*1000 + i)
				if err := s.Append(r); err != nil {
					errs <- err
				}
				if i%10 == 0 {
					if _, err := s.Last(3); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*each {
		t.Fatalf("got %d records, want %d", len(got), writers*each)
	}
	next := make([]int, writers) // each writer's records appear once, in its order
	for _, r := range got {
		n := seq(t, r)
		w, i := n/1000, n%1000
		if i != next[w] {
			t.Fatalf("writer %d: record %d follows %d", w, i, next[w]-1)
		}
		next[w]++
	}
}

// TestTornTail cuts the file inside its last record at every byte offset, as a crash during
// the write would: the earlier records survive, Open cuts the fragment off, appends go on.
func TestTornTail(t *testing.T) {
	const n = 5
	orig := filepath.Join(testutil.TempDir(t), "history.log")
	s := open(t, orig, Options{})
	appendAll(t, s, records(0, n))
	s.Close()
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	lastStart := bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	for cut := lastStart; cut < len(data); cut++ {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			path := filepath.Join(testutil.TempDir(t), "history.log")
			if err := os.WriteFile(path, data[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			got, damage, err := Read(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, records(0, n-1))
			var want []Damage
			if cut > lastStart {
				want = []Damage{{Offset: int64(lastStart), Length: int64(cut - lastStart), Reason: reasonTorn}}
			}
			if fmt.Sprint(damage) != fmt.Sprint(want) {
				t.Fatalf("damage %v, want %v", damage, want)
			}

			var logs logBuffer
			s := open(t, path, Options{Logger: logs.logger()})
			if info, err := os.Stat(path); err != nil || info.Size() != int64(lastStart) {
				t.Fatalf("after Open the file is %v bytes (%v), want %d", info.Size(), err, lastStart)
			}
			if cut > lastStart && !strings.Contains(logs.String(), "incomplete last record") {
				t.Errorf("the repair was not logged: %q", logs.String())
			}
			appendAll(t, s, records(n, n+1))
			got, err = s.Records()
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, append(records(0, n-1), rec(n)))
			if _, err := os.Stat(path + ".damaged"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a torn tail left a .damaged copy (%v)", err)
			}
		})
	}
}

// TestCorruptMiddle damages records inside the file: Read skips exactly the damaged lines and
// reports them; Open keeps the damaged file aside and rewrites the history clean.
func TestCorruptMiddle(t *testing.T) {
	const n = 6
	orig := filepath.Join(testutil.TempDir(t), "history.log")
	s := open(t, orig, Options{})
	appendAll(t, s, records(0, n))
	s.Close()
	clean, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	var starts []int // starts[i] is where record i's line begins; starts[n] is the end
	for i := 0; i < len(clean); i++ {
		if i == 0 || clean[i-1] == '\n' {
			starts = append(starts, i)
		}
	}
	starts = append(starts, len(clean))
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(clean)) }
	tests := []struct {
		name       string
		data       []byte
		keep       []int // record numbers kept
		damage     Damage
		reasonPart string
	}{
		{"flipped bit in JSON", edit(func(b []byte) []byte { b[starts[2]+40] ^= 0x01; return b }),
			[]int{0, 1, 3, 4, 5}, Damage{Offset: int64(starts[2]), Length: int64(starts[3] - starts[2])}, "checksum mismatch"},
		{"bad checksum digit", edit(func(b []byte) []byte { b[starts[1]] = 'x'; return b }),
			[]int{0, 2, 3, 4, 5}, Damage{Offset: int64(starts[1]), Length: int64(starts[2] - starts[1])}, "bad checksum field"},
		{"wrong length", edit(func(b []byte) []byte { b[starts[3]+10]++; return b }),
			[]int{0, 1, 2, 4, 5}, Damage{Offset: int64(starts[3]), Length: int64(starts[4] - starts[3])}, "length mismatch"},
		{"lost newline joins two records", edit(func(b []byte) []byte { b[starts[2]-1] = ' '; return b }),
			[]int{0, 3, 4, 5}, Damage{Offset: int64(starts[1]), Length: int64(starts[3] - starts[1])}, "length mismatch"},
		{"zeroed block across records", edit(func(b []byte) []byte {
			clear(b[starts[1]+5 : starts[3]+5])
			return b
		}), []int{0, 4, 5}, Damage{Offset: int64(starts[1]), Length: int64(starts[4] - starts[1])}, "not a record line"},
		{"inserted garbage lines", slicesConcat(clean[:starts[4]], []byte("garbage\n\n{\"code\":7}\n"), clean[starts[4]:]),
			[]int{0, 1, 2, 3, 4, 5}, Damage{Offset: int64(starts[4]), Length: 20}, "not a record line (and 2 more invalid lines)"},
		{"bad last line with newline", edit(func(b []byte) []byte { b[starts[5]+30] = '#'; return b }),
			[]int{0, 1, 2, 3, 4}, Damage{Offset: int64(starts[5]), Length: int64(starts[6] - starts[5])}, "checksum mismatch"},
		{"bad first line", edit(func(b []byte) []byte { b[starts[0]+8] = '-'; return b }),
			[]int{1, 2, 3, 4, 5}, Damage{Offset: 0, Length: int64(starts[1])}, "not a record line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []Record
			for _, i := range tt.keep {
				want = append(want, rec(i))
			}
			path := filepath.Join(testutil.TempDir(t), "history.log")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			var readLogs logBuffer
			got, damage, err := Read(path, readLogs.logger())
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, want)
			if len(damage) != 1 || damage[0].Offset != tt.damage.Offset || damage[0].Length != tt.damage.Length ||
				!strings.HasPrefix(damage[0].Reason, tt.reasonPart) {
				t.Fatalf("damage %v, want one region %d+%d: %s…", damage, tt.damage.Offset, tt.damage.Length, tt.reasonPart)
			}
			if !strings.Contains(readLogs.String(), "skipped a damaged region") {
				t.Errorf("Read did not log the damage: %q", readLogs.String())
			}

			var logs logBuffer
			s := open(t, path, Options{Logger: logs.logger()})
			if !strings.Contains(logs.String(), "dropping a damaged region") || !strings.Contains(logs.String(), ".damaged") {
				t.Errorf("Open did not log the repair: %q", logs.String())
			}
			kept, err := os.ReadFile(path + ".damaged")
			if err != nil || !bytes.Equal(kept, tt.data) {
				t.Errorf("the damaged file was not kept as it was (%v)", err)
			}
			appendAll(t, s, records(n, n+1))
			s.Close()
			got, damage, err = Read(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(damage) != 0 {
				t.Fatalf("damage after the repair: %v", damage)
			}
			checkRecords(t, got, append(want, rec(n)))
		})
	}
}

func slicesConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestNoValidRecord opens a file that is not a history at all: it is moved aside, not lost.
func TestNoValidRecord(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "history.log")
	notes := []byte("# my notes\nnot a history\n")
	if err := os.WriteFile(path, notes, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, path, Options{})
	if kept, err := os.ReadFile(path + ".damaged"); err != nil || !bytes.Equal(kept, notes) {
		t.Fatalf("the foreign file was not kept (%v): %q", err, kept)
	}
	appendAll(t, s, records(0, 2))
	got, err := s.Records()
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, got, records(0, 2))
}

// TestInterruptedRewrite leaves the files as a crash inside a rewrite would.
func TestInterruptedRewrite(t *testing.T) {
	var lines [][]byte
	for i := range 4 {
		l, err := frame(rec(i))
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	old := bytes.Join(lines[:3], nil)
	tests := []struct {
		name      string
		file, tmp []byte // nil: absent
		want      []Record
	}{
		{"crash while writing the temp file", old, lines[3][:20], records(0, 3)},
		{"crash before the rename", old, bytes.Join(lines[1:], nil), records(0, 3)},
		{"crash between moving the damaged file away and the rename", nil, bytes.Join(lines[1:], nil), records(1, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(testutil.TempDir(t), "history.log")
			for name, data := range map[string][]byte{path: tt.file, path + ".tmp": tt.tmp} {
				if data != nil {
					if err := os.WriteFile(name, data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			s := open(t, path, Options{})
			got, err := s.Records()
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, tt.want)
			if _, err := os.Stat(path + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the temp file is still there (%v)", err)
			}
		})
	}
}

// TestRotation appends 10k records to a small bound: the file never passes it and always
// holds the newest records, in order, with none missing in between.
func TestRotation(t *testing.T) {
	const total, maxBytes = 10_000, 16 << 10
	path := filepath.Join(testutil.TempDir(t), "history.log")
	s := open(t, path, Options{MaxBytes: maxBytes})
	line, err := frame(rec(total))
	if err != nil {
		t.Fatal(err)
	}
	minKept := (maxBytes/2)/len(line) - 1
	for i := range total {
		if err := s.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > maxBytes {
			t.Fatalf("after %d appends the file has %d bytes, more than %d", i+1, info.Size(), maxBytes)
		}
		if i%997 != 0 && i != total-1 {
			continue
		}
		got, err := s.Records()
		if err != nil {
			t.Fatal(err)
		}
		if want := min(i+1, minKept); len(got) < want {
			t.Fatalf("after %d appends only %d records kept, want at least %d", i+1, len(got), want)
		}
		if last := seq(t, got[len(got)-1]); last != i {
			t.Fatalf("after %d appends the newest record is %d", i+1, last)
		}
		for j := 1; j < len(got); j++ {
			if seq(t, got[j]) != seq(t, got[j-1])+1 {
				t.Fatalf("record %d follows %d", seq(t, got[j]), seq(t, got[j-1]))
			}
		}
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a temp file is left (%v)", err)
	}
}

package history

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

func TestAliveStamp(t *testing.T) {
	at := time.Date(2026, 11, 24, 19, 0, 0, 123, time.UTC)
	good := encodeAlive(at)
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"a stamp", good, true},
		{"torn", good[:len(good)-3], false},
		{"a flipped digit", []byte(strings.Replace(string(good), "0", "1", 1)), false},
		{"no newline", append(good[:len(good)-1:len(good)-1], ' '), false},
		{"empty", nil, false},
		{"garbage of the right length", []byte(strings.Repeat("x", aliveLen)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAlive(tt.in)
			if tt.ok != (err == nil) || (tt.ok && !got.Equal(at)) {
				t.Errorf("decodeAlive(%q) = %v, %v; want ok %v", tt.in, got, err, tt.ok)
			}
		})
	}
}

// fakeNow is a clock a test moves by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) set(t time.Time) { f.mu.Lock(); defer f.mu.Unlock(); f.t = t }

func gaps(t *testing.T, path string) []Record {
	t.Helper()
	recs, damage, err := Read(path, nil)
	if err != nil || len(damage) > 0 {
		t.Fatalf("reading the history: damage %v, err %v", damage, err)
	}
	var out []Record
	for _, r := range recs {
		if r.Kind != "" {
			out = append(out, r)
		}
	}
	return out
}

// TestKeeperDatesStopsAndSleeps: a restart records the time since the last stamp (or the last
// record, when later) as a "stopped" gap; a silence of beats and records longer than three beat
// intervals is an "asleep" gap; a first start and regular beats record none.
func TestKeeperDatesStopsAndSleeps(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)
	type gap struct {
		kind     string
		from, to time.Duration // after t0
	}
	tests := []struct {
		name string
		run  func(t *testing.T, path string, clk *fakeNow)
		want []gap
	}{
		{"a first start", func(t *testing.T, path string, clk *fakeNow) {
			k := openKeeper(t, path, clk)
			k.Close()
		}, nil},
		{"a clean stop and a restart", func(t *testing.T, path string, clk *fakeNow) {
			k := openKeeper(t, path, clk)
			clk.set(t0.Add(10 * time.Minute))
			k.Close()
			clk.set(t0.Add(70 * time.Minute))
			openKeeper(t, path, clk).Close()
		}, []gap{{KindStopped, 10 * time.Minute, 70 * time.Minute}}},
		{"a record after the last stamp", func(t *testing.T, path string, clk *fakeNow) {
			k := openKeeper(t, path, clk)
			k.Append(Record{Time: t0.Add(5 * time.Minute), Code: 0, Cause: "ok"})
			k.Close()
			writeAlive(path+AliveSuffix, t0.Add(time.Minute)) // as if killed before the next beat
			clk.set(t0.Add(time.Hour))
			openKeeper(t, path, clk).Close()
		}, []gap{{KindStopped, 5 * time.Minute, time.Hour}}},
		{"a damaged stamp: its file's time", func(t *testing.T, path string, clk *fakeNow) {
			openKeeper(t, path, clk).Close()
			alive := path + AliveSuffix
			if err := os.WriteFile(alive, []byte("0000"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(alive, t0.Add(2*time.Minute), t0.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			clk.set(t0.Add(time.Hour))
			openKeeper(t, path, clk).Close()
		}, []gap{{KindStopped, 2 * time.Minute, time.Hour}}},
		{"regular beats", func(t *testing.T, path string, clk *fakeNow) {
			k := openKeeper(t, path, clk)
			for i := 1; i <= 10; i++ {
				clk.set(t0.Add(time.Duration(i) * time.Minute))
				k.Beat()
			}
			k.Close()
		}, nil},
		{"beats stop for a while", func(t *testing.T, path string, clk *fakeNow) {
			k := openKeeper(t, path, clk)
			clk.set(t0.Add(time.Minute))
			k.Beat()
			clk.set(t0.Add(40 * time.Minute))
			k.Beat()
			clk.set(t0.Add(41 * time.Minute))
			k.Beat()
			k.Close()
		}, []gap{{KindAsleep, time.Minute, 40 * time.Minute}}},
		{"a record after a silence, before the next beat", func(t *testing.T, path string, clk *fakeNow) {
			k := openKeeper(t, path, clk)
			clk.set(t0.Add(time.Minute))
			k.Beat()
			k.Append(Record{Time: t0.Add(30 * time.Minute), Code: 7, Cause: "dns_filtered"})
			clk.set(t0.Add(30 * time.Minute))
			k.Beat()
			k.Close()
		}, []gap{{KindAsleep, time.Minute, 30 * time.Minute}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(testutil.TempDir(t), "history.log")
			clk := &fakeNow{t: t0}
			tt.run(t, path, clk)
			got := gaps(t, path)
			if len(got) != len(tt.want) {
				t.Fatalf("gaps %+v, want %+v", got, tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Kind != w.kind || !g.Time.Equal(t0.Add(w.from)) || g.Duration != w.to-w.from || g.Code != -1 || g.Title == "" {
					t.Errorf("gap %d: %+v, want %s from +%v to +%v", i, g, w.kind, w.from, w.to)
				}
			}
		})
	}
}

// TestKeeperBeatsOnlyAfterOpen: the records of a Keeper that never beats are never split by
// gaps however far apart they are (a history read back, a test's records).
func TestKeeperBeatsOnlyAfterOpen(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "history.log")
	k, err := OpenKeeper(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range records(0, 5) {
		r.Time = r.Time.Add(time.Duration(i) * 24 * time.Hour)
		k.Append(r)
	}
	k.Close()
	if g := gaps(t, path); len(g) != 0 {
		t.Errorf("gaps %+v in a history that never beat", g)
	}
}

func openKeeper(t *testing.T, path string, clk *fakeNow) *Keeper {
	t.Helper()
	k, err := OpenKeeper(path, Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const beaterPathEnv = "SPOTWATCH_HISTORY_BEATER"

// TestHelperBeater is the child process of TestKeeperDatesAKill, not a test of its own
// (without the environment variable it does nothing): it opens a Keeper on the history named by
// SPOTWATCH_HISTORY_BEATER, appends a record, prints "beat" after each of its beats (every
// 20 ms) until it is killed.
func TestHelperBeater(t *testing.T) {
	path := os.Getenv(beaterPathEnv)
	if path == "" {
		return
	}
	// Beats come every 20 ms, well within the interval, so that a busy machine's scheduling
	// never makes a silence of three intervals (an "asleep" gap) in this test.
	k, err := OpenKeeper(path, Options{Beat: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	k.Append(Record{Time: time.Now(), Code: 0, Cause: "ok", Title: "Spotify is reachable"})
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		k.Beat()
		fmt.Println("beat")
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "beater: not killed within a minute")
	os.Exit(3)
}

// TestKeeperDatesAKill: a Keeper SIGKILLed in a real child process leaves no record of its
// end; the next Keeper records the time from the child's last alive stamp to its own start as
// "stopped", and the state record before it is kept whole.
func TestKeeperDatesAKill(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "history.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBeater$", "-test.count=1")
	cmd.Env = append(os.Environ(), beaterPathEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for beats := 0; beats < 5 && sc.Scan(); {
		if sc.Text() == "beat" {
			beats++
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if !wasKilled(cmd.ProcessState) {
		t.Fatalf("the beater ended (%v) before it was killed: %s", cmd.ProcessState, stderr.String())
	}
	killed := time.Now()
	lastStamp, known, err := readAlive(path + AliveSuffix)
	if err != nil || !known || lastStamp.After(killed) {
		t.Fatalf("the killed child's alive stamp: %v, %v, %v", lastStamp, known, err)
	}
	time.Sleep(300 * time.Millisecond) // the time nobody watched

	k, err := OpenKeeper(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	recs, err := k.Last(10)
	k.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Kind != "" || recs[0].Cause != "ok" || recs[1].Kind != KindStopped {
		t.Fatalf("records after the kill: %+v, want the state change then a stop", recs)
	}
	g := recs[1]
	if !g.Time.Equal(lastStamp) || g.Time.Before(recs[0].Time) {
		t.Errorf("the stop begins at %v, want the last stamp %v (after the record at %v)", g.Time, lastStamp, recs[0].Time)
	}
	if end := g.Time.Add(g.Duration); end.Before(killed) || end.After(started) {
		t.Errorf("the stop ends at %v, want between the kill %v and the restart %v", end, killed, started)
	}
}

// TestAliveStampKeptOpen: a beat's stamp is one write in place into the file opened by the
// first, which cut a longer file to a stamp's length; a write that fails closes the file, and
// the next one opens it again.
func TestAliveStampKeptOpen(t *testing.T) {
	path := filepath.Join(testutil.TempDir(t), "history.log"+AliveSuffix)
	if err := os.WriteFile(path, []byte(strings.Repeat("damaged ", 20)), 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var s aliveStamp
	defer s.close()
	wantStamp := func(step string, at time.Time) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeAlive(b); err != nil || !got.Equal(at) {
			t.Fatalf("%s: the file holds %q (%v, %v), want the stamp of %v", step, b, got, err, at)
		}
	}

	if err := s.write(path, t0, false); err != nil {
		t.Fatalf("first stamp: %v", err)
	}
	wantStamp("first stamp over a damaged file", t0)
	opened := s.f
	if err := s.write(path, t0.Add(time.Minute), false); err != nil {
		t.Fatalf("second stamp: %v", err)
	}
	wantStamp("second stamp", t0.Add(time.Minute))
	if s.f != opened {
		t.Error("the second stamp opened the file again; want one open file for every beat")
	}

	opened.Close() // the file fails under the stamp
	if err := s.write(path, t0.Add(2*time.Minute), false); err == nil {
		t.Fatal("a stamp into a closed file succeeded")
	}
	if s.f != nil {
		t.Fatal("the failed file is kept; want it closed so the next stamp opens it again")
	}
	if err := s.write(path, t0.Add(3*time.Minute), true); err != nil {
		t.Fatalf("the stamp after a failure: %v", err)
	}
	wantStamp("the stamp after a failure", t0.Add(3*time.Minute))
}

// writeAlive stamps t in the alive file at path once, synced, as a Keeper that stopped there.
func writeAlive(path string, t time.Time) error {
	var s aliveStamp
	defer s.close()
	return s.write(path, t, true)
}

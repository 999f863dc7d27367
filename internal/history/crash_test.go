package history

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

const (
	appenderPathEnv = "SPOTWATCH_HISTORY_APPENDER"
	appenderMaxEnv  = "SPOTWATCH_HISTORY_APPENDER_MAXBYTES"
)

// TestHelperAppender is the child process of TestCrashSafety, not a test of its own (without
// the environment variable it does nothing). It opens the history named by
// SPOTWATCH_HISTORY_APPENDER, prints "start N" with the number of the next record, then
// appends records N, N+1, … as fast as it can, printing "ack N" each time Append returns,
// until it is killed.
func TestHelperAppender(t *testing.T) {
	path := os.Getenv(appenderPathEnv)
	if path == "" {
		return
	}
	maxBytes, err := strconv.ParseInt(os.Getenv(appenderMaxEnv), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad", appenderMaxEnv, err)
		os.Exit(2)
	}
	s, err := Open(path, Options{MaxBytes: maxBytes})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	last, err := s.Last(1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	next := 0
	if len(last) == 1 {
		next = seq(t, last[0]) + 1
	}
	fmt.Printf("start %d\n", next)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); next++ {
		if err := s.Append(rec(next)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("ack %d\n", next)
	}
	fmt.Fprintln(os.Stderr, "appender: not killed within a minute")
	os.Exit(3)
}

// appender is one run of the child process.
type appender struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	acked  chan struct{} // closed at the first ack
	done   chan struct{} // closed when stdout is drained

	mu      sync.Mutex
	start   int // -1 until "start N" is read
	lastAck int // -1 until an "ack N" is read
}

func startAppender(t *testing.T, path string, maxBytes int64) *appender {
	t.Helper()
	a := &appender{acked: make(chan struct{}), done: make(chan struct{}), start: -1, lastAck: -1}
	a.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperAppender$", "-test.count=1")
	a.cmd.Env = append(os.Environ(), appenderPathEnv+"="+path, appenderMaxEnv+"="+strconv.FormatInt(maxBytes, 10))
	a.cmd.Stderr = &a.stderr
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(a.done)
		var once sync.Once
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			word, num, _ := strings.Cut(sc.Text(), " ")
			n, err := strconv.Atoi(num)
			if err != nil {
				continue // the test framework's own output
			}
			a.mu.Lock()
			switch word {
			case "start":
				a.start = n
			case "ack":
				a.lastAck = n
				once.Do(func() { close(a.acked) })
			}
			a.mu.Unlock()
		}
	}()
	return a
}

// kill SIGKILLs the child and waits for it; it fails the test if the child died otherwise.
func (a *appender) kill(t *testing.T) {
	t.Helper()
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatalf("killing the appender: %v", err)
	}
	<-a.done
	a.cmd.Wait()
	if ps := a.cmd.ProcessState; !wasKilled(ps) {
		t.Fatalf("the appender exited (%v) before it was killed: %s", ps, a.stderr.String())
	}
}

// wasKilled reports whether the process ended by os.Process.Kill: on Unix by SIGKILL; on Windows,
// where Kill is TerminateProcess with exit status 1 (ExitCode is -1 only for a signal), by status
// 1, a status the appender's own exits do not use (2 and 3).
func wasKilled(ps *os.ProcessState) bool {
	if runtime.GOOS == "windows" {
		return ps.Exited() && ps.ExitCode() == 1
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// TestCrashSafety runs a child process that appends in a tight loop and SIGKILLs it at random
// moments, 25 times on the same file, checking the history after each kill: no damage but an
// incomplete last record, the records in order with none missing, every acknowledged record
// kept, at most the one being written lost.
func TestCrashSafety(t *testing.T) {
	tests := []struct {
		name     string
		maxBytes int64
		rotates  bool
	}{
		{"no rotation", readLimit, false},
		{"with rotation", 8 << 10, true}, // about 30 records, compacting every 15 appends
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 0))
			path := filepath.Join(testutil.TempDir(t), "history.log")
			prevFirst, prevLast, prevCount, progressed := 0, -1, 0, 0
			torn, midRewrite := 0, 0 // kills that cut a record or a compaction short
			for run := range 25 {
				a := startAppender(t, path, tt.maxBytes)
				if run%3 == 0 {
					// Any moment, also during start-up, Open's repair or the first append.
					time.Sleep(time.Duration(rng.IntN(15_000)) * time.Microsecond)
				} else {
					select {
					case <-a.acked:
					case <-time.After(30 * time.Second):
						a.kill(t)
						t.Fatalf("run %d: no record appended in 30 s: %s", run, a.stderr.String())
					}
					time.Sleep(time.Duration(rng.IntN(20_000)) * time.Microsecond)
				}
				a.kill(t)

				got, damage, err := Read(path, nil)
				missing := errors.Is(err, fs.ErrNotExist) && prevLast < 0 // killed before it created the file
				if missing {
					err = nil
				}
				if err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				for _, d := range damage {
					if d.Reason != reasonTorn {
						t.Fatalf("run %d: damage other than an incomplete last record: %v", run, d)
					}
					torn++
				}
				if _, err := os.Stat(path + ".tmp"); err == nil {
					midRewrite++
				}
				first, last := prevFirst, -1
				if len(got) > 0 {
					first, last = seq(t, got[0]), seq(t, got[len(got)-1])
				}
				for j := 1; j < len(got); j++ {
					if seq(t, got[j]) != seq(t, got[j-1])+1 {
						t.Fatalf("run %d: record %d follows %d", run, seq(t, got[j]), seq(t, got[j-1]))
					}
				}
				a.mu.Lock()
				start, lastAck := a.start, a.lastAck
				a.mu.Unlock()
				if start >= 0 && start != prevLast+1 {
					t.Fatalf("run %d: the appender started at %d after record %d", run, start, prevLast)
				}
				kept := max(prevLast, lastAck) // every record acknowledged so far
				if last < kept || last > kept+1 {
					t.Fatalf("run %d: the newest record is %d; acknowledged up to %d, so it must be %d or %d",
						run, last, kept, kept, kept+1)
				}
				if tt.rotates {
					if first < prevFirst {
						t.Fatalf("run %d: the oldest record went from %d back to %d", run, prevFirst, first)
					}
					if info, err := os.Stat(path); !missing && (err != nil || info.Size() > tt.maxBytes) {
						t.Fatalf("run %d: the file is past its bound of %d bytes (%v)", run, tt.maxBytes, err)
					}
				} else if len(got) > 0 && first != 0 || len(got) < prevCount {
					t.Fatalf("run %d: records %d-%d kept, previously %d records", run, first, last, prevCount)
				}
				if last > prevLast {
					progressed++
				}
				prevFirst, prevLast, prevCount = first, last, len(got)
			}
			if progressed < 15 {
				t.Fatalf("only %d of 25 runs appended anything", progressed)
			}
			t.Logf("%d records written over 25 kills; %d kills left an incomplete record, %d an unfinished compaction",
				prevLast+1, torn, midRewrite)

			s := open(t, path, Options{MaxBytes: tt.maxBytes})
			appendAll(t, s, []Record{rec(prevLast + 1)})
			got, err := s.Last(2)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, records(prevLast, prevLast+2))
		})
	}
}

package probe_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// fdChildEnv tells the test binary it is the child of TestCheckOutOfFileDescriptors, and where
// to write its result.
const fdChildEnv = "SPOTWATCH_TEST_OUT_OF_FDS_RESULT"

// TestCheckOutOfFileDescriptors runs a real check against a healthy loopback world in a child
// process whose file descriptors are all in use (RLIMIT_NOFILE lowered to what is open), as when
// hundreds of held connections to the daemon's socket exhausted them. Every socket of the check
// fails with EMFILE: the verdict must be an internal error, never Code 4 (no network) or Code 7.
func TestCheckOutOfFileDescriptors(t *testing.T) {
	if out := os.Getenv(fdChildEnv); out != "" {
		checkWithoutFileDescriptors(t, out)
		return
	}
	out := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckOutOfFileDescriptors$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), fdChildEnv+"="+out)
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the child check failed: %v\n%s", err, log)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("reading the child's result: %v", err)
	}
	var res diagnosis.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("parsing the child's result: %v\n%s", err, data)
	}
	exhausted := 0
	for _, p := range res.Probes {
		if p.Failure == failure.LocalResourceExhausted {
			exhausted++
		}
	}
	if exhausted == 0 {
		t.Fatalf("no probe failed with %s: the child did not run out of file descriptors\n%s", failure.LocalResourceExhausted, data)
	}
	if res.Code == diagnosis.CodeNoInternet || res.Code == diagnosis.CodeBlocked || res.Cause != diagnosis.CauseInternalError {
		t.Errorf("verdict %d %s (%s), want %d %s\nevidence: %q", res.Code, res.Cause, res.Title, diagnosis.CodeUnknown, diagnosis.CauseInternalError, res.Evidence)
	}
}

// checkWithoutFileDescriptors is the child: it starts the world, uses up its file descriptors,
// runs one check, gives the descriptors back and writes the result to out.
func checkWithoutFileDescriptors(t *testing.T, out string) {
	w := newWorld(t)
	checker, err := probe.New(w.Config(), probe.Options{
		SystemRoots: w.SystemRoots(),
		Getenv:      func(string) string { return "" },
		Facts:       probe.FactsSource{PrefsFiles: []string{}},
		GOOS:        "linux",
	})
	if err != nil {
		t.Fatalf("NewChecker: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res diagnosis.Result
	func() {
		restore := useUpFileDescriptors(t)
		defer restore()
		rep := checker.Check(ctx)
		res = diagnosis.NewResult(rep, diagnosis.Classify(rep))
	}()
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// useUpFileDescriptors lowers the soft RLIMIT_NOFILE to just above the highest descriptor open
// and fills the free numbers below it, so the next socket or file fails with EMFILE. It returns
// the function that undoes both.
func useUpFileDescriptors(t *testing.T) (restore func()) {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("listing open file descriptors: %v", err)
	}
	highest := 0
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > highest {
			highest = fd
		}
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatalf("reading RLIMIT_NOFILE: %v", err)
	}
	lowered := old
	lowered.Cur = uint64(highest + 1)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatalf("lowering RLIMIT_NOFILE: %v", err)
	}
	var fillers []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("filling the descriptor table: %v", err)
			}
			break
		}
		fillers = append(fillers, f)
	}
	return func() {
		for _, f := range fillers {
			f.Close()
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Errorf("restoring RLIMIT_NOFILE: %v", err)
		}
	}
}

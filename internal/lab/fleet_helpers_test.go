//go:build linux

package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sys/unix"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/testutil"
)

// fleetProcess is a program of the simulated fleet (a daemon, a node_exporter, Prometheus)
// running in a desktop namespace, killed by its PID when the test ends.
type fleetProcess struct {
	name   string
	cmd    *exec.Cmd
	log    testutil.LockedBuffer
	exited chan error
}

// startIn starts cmd (made by Desktop.Command) and registers its end: SIGKILL by PID, and its
// log shown if the test failed.
func startIn(t *testing.T, name string, cmd *exec.Cmd) *fleetProcess {
	t.Helper()
	p := &fleetProcess{name: name, cmd: cmd, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = &p.log, &p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("lab error: starting %s: %v", name, err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if p.running() {
			cmd.Process.Kill()
		}
		select {
		case err := <-p.exited:
			p.exited <- err
		case <-time.After(10 * time.Second):
			t.Errorf("lab error: %s (pid %d) did not end when killed", name, cmd.Process.Pid)
		}
		if t.Failed() {
			t.Logf("%s log (last 2 KB):\n%s", name, tail(p.log.String(), 2048))
		}
	})
	return p
}

func (p *fleetProcess) running() bool {
	select {
	case err := <-p.exited:
		p.exited <- err
		return false
	default:
		return true
	}
}

// stop sends SIGTERM (through `ip netns exec`, which execs the program: the PID is the
// program's) and waits for a clean exit.
func (p *fleetProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stopping %s: %v", p.name, err)
	}
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Errorf("%s exited with %v on SIGTERM, want status 0", p.name, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not stop within 10 s of SIGTERM", p.name)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// promAPI queries a Prometheus that listens in a lab namespace, dialling from inside it.
type promAPI struct {
	base   string
	client *http.Client
}

func newPromAPI(mon *lab.Desktop, port int) *promAPI {
	return &promAPI{
		base:   fmt.Sprintf("http://%s:%d", mon.Addr, port),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: mon.Dial, DisableKeepAlives: true}},
	}
}

// sample is one series of an instant vector.
type sample struct {
	Metric map[string]string
	Value  float64
}

// query runs an instant query and returns its vector (a scalar result is one sample).
func (p *promAPI) query(ctx context.Context, expr string) ([]sample, error) {
	var body struct {
		Status    string `json:"status"`
		Error     string `json:"error"`
		ErrorType string `json:"errorType"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := p.get(ctx, "/api/v1/query?query="+url.QueryEscape(expr), &body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s: %s", expr, body.ErrorType, body.Error)
	}
	parse := func(v [2]any) (float64, error) {
		s, _ := v[1].(string)
		return strconv.ParseFloat(s, 64)
	}
	switch body.Data.ResultType {
	case "vector":
		var raw []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &raw); err != nil {
			return nil, fmt.Errorf("query %q: %w", expr, err)
		}
		var out []sample
		for _, r := range raw {
			v, err := parse(r.Value)
			if err != nil {
				return nil, fmt.Errorf("query %q: value %v: %w", expr, r.Value, err)
			}
			out = append(out, sample{r.Metric, v})
		}
		return out, nil
	case "scalar":
		var raw [2]any
		if err := json.Unmarshal(body.Data.Result, &raw); err != nil {
			return nil, err
		}
		v, err := parse(raw)
		return []sample{{Value: v}}, err
	}
	return nil, fmt.Errorf("query %q: result type %s", expr, body.Data.ResultType)
}

func (p *promAPI) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %d: %w", path, resp.StatusCode, err)
	}
	return nil
}

// fastRules is the fleet's rules with every `for:` shortened to forDur, for a test that cannot
// wait ten minutes; the expressions and thresholds stay as shipped.
func fastRules(rules string, forDur string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(rules), &doc); err != nil {
		return nil, fmt.Errorf("parsing the rules: %w", err)
	}
	groups, _ := doc["groups"].([]any)
	n := 0
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		rs, _ := gm["rules"].([]any)
		for _, r := range rs {
			if rm, ok := r.(map[string]any); ok && rm["for"] != nil {
				rm["for"] = forDur
				n++
			}
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no rule with a for: in the rules")
	}
	return yaml.Marshal(doc)
}

// renameCounter counts, with inotify, the files renamed into each watched directory: the
// textfile writes as node_exporter sees them.
type renameCounter struct {
	f    *os.File // the inotify descriptor, non-blocking, so that Close ends a pending Read
	mu   sync.Mutex
	dirs map[int]string // watch descriptor -> directory
	n    map[string]int // directory -> renames into it
	done chan struct{}
}

func newRenameCounter(t *testing.T) *renameCounter {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	c := &renameCounter{f: os.NewFile(uintptr(fd), "inotify"), dirs: map[int]string{}, n: map[string]int{}, done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() {
		c.f.Close() // ends read
		<-c.done
	})
	return c
}

func (c *renameCounter) watch(t *testing.T, dir string) {
	t.Helper()
	wd, err := unix.InotifyAddWatch(int(c.f.Fd()), dir, unix.IN_MOVED_TO)
	if err != nil {
		t.Fatalf("watching %s: %v", dir, err)
	}
	c.mu.Lock()
	c.dirs[wd] = dir
	c.mu.Unlock()
}

func (c *renameCounter) read() {
	defer close(c.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.f.Read(buf)
		if err != nil || n <= 0 {
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			c.mu.Lock()
			c.n[c.dirs[int(ev.Wd)]]++
			c.mu.Unlock()
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

func (c *renameCounter) count(dir string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[dir]
}

// fileChecks is spotwatch_checks_total in a metrics file, or -1.
func fileChecks(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "spotwatch_checks_total "); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
		}
	}
	return -1
}

// fileSize is the size of path, or -1.
func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return info.Size()
}

// writeFile writes a test's file (a product's or the fleet's configuration), with its
// directory, failing the test on error.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

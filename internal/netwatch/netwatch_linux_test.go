package netwatch

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	changeWait = time.Second            // a change must be reported within this
	quietWait  = time.Second            // no change may be reported within this when nothing changed
	settleWait = 300 * time.Millisecond // a burst of changes is over after this much silence
)

// step is one thing done to a test namespace, and what a watcher must make of it.
type step struct {
	name string
	ip   []string // arguments of `ip -n NS …`; none: do nothing
	want string   // Watch: the Reason of the first change; "": no change
	poll bool     // Poller: whether it sees a change
}

// netnsSteps build a network in an empty namespace, make noise that is no change, and take the
// network apart again.
func netnsSteps() []step {
	return []step{
		{"nothing happens", nil, "", false},
		{"veth pair added", []string{"link", "add", "sw0", "type", "veth", "peer", "name", "sw1"}, ReasonLink, true},
		// Without a link-local address, no address goes when the link goes down (see newNetns).
		{"no IPv6 link-local address", []string{"link", "set", "sw0", "addrgenmode", "none"}, "", false},
		{"peer up", []string{"link", "set", "sw1", "up"}, ReasonLink, true},
		{"link up", []string{"link", "set", "sw0", "up"}, ReasonLink, true},
		{"IPv4 address added", []string{"addr", "add", "198.51.100.2/24", "dev", "sw0"}, ReasonAddress, true},
		{"IPv6 address added", []string{"addr", "add", "2001:db8::2/64", "dev", "sw0"}, ReasonAddress, true},
		{"default route added", []string{"route", "add", "default", "via", "198.51.100.1", "dev", "sw0"}, ReasonRoute, true},
		{"IPv6 default route added", []string{"-6", "route", "add", "default", "via", "2001:db8::1", "dev", "sw0"}, ReasonRoute, true},
		{"other route added", []string{"route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "sw0"}, ReasonRoute, false},
		{"default route replaced by itself", []string{"route", "replace", "default", "via", "198.51.100.1", "dev", "sw0"}, "", false},
		{"IPv6 default route replaced by itself", []string{"-6", "route", "replace", "default", "via", "2001:db8::1", "dev", "sw0"}, "", false},
		{"neighbour added", []string{"neigh", "add", "198.51.100.9", "lladdr", "02:00:00:00:00:09", "dev", "sw0"}, "", false},
		{"alias set", []string{"link", "set", "sw0", "alias", "uplink"}, "", false},
		{"address lifetime set", []string{"addr", "change", "198.51.100.2/24", "dev", "sw0", "valid_lft", "1000", "preferred_lft", "500"}, ReasonAddress, false},
		{"address lifetime refreshed", []string{"addr", "change", "198.51.100.2/24", "dev", "sw0", "valid_lft", "900", "preferred_lft", "400"}, "", false},
		{"IPv6 default route replaced", []string{"-6", "route", "replace", "default", "via", "2001:db8::3", "dev", "sw0"}, ReasonRoute, true},
		{"IPv6 default route set back", []string{"-6", "route", "replace", "default", "via", "2001:db8::1", "dev", "sw0"}, ReasonRoute, true},
		{"default route deleted", []string{"route", "del", "default"}, ReasonRoute, true},
		{"default route added again", []string{"route", "add", "default", "via", "198.51.100.1", "dev", "sw0"}, ReasonRoute, true},
		{"link down", []string{"link", "set", "sw0", "down"}, ReasonLink, true},
		{"link up again", []string{"link", "set", "sw0", "up"}, ReasonLink, true},
		// The kernel dropped the IPv4 default route with the link, without a message.
		{"same default route after link flap", []string{"route", "add", "default", "via", "198.51.100.1", "dev", "sw0"}, ReasonRoute, true},
		{"address deleted", []string{"addr", "del", "198.51.100.2/24", "dev", "sw0"}, ReasonAddress, true},
		{"link deleted", []string{"link", "del", "sw0"}, ReasonLink, true},
		{"nothing happens at the end", nil, "", false},
	}
}

// TestWatchNetns runs Watch in a fresh network namespace through steps, and measures how long a
// change takes to reach onChange.
func TestWatchNetns(t *testing.T) {
	t.Parallel()
	ns := newNetns(t)
	w := startInNetns(t, ns, Watch)
	for _, s := range netnsSteps() {
		got, ok := w.step(t, ns, s.ip, s.want != "")
		switch {
		case !ok:
		case s.want == "" && len(got.reasons) > 0:
			t.Errorf("%s: got changes %q, the first after %v, want none", s.name, got.reasons, got.sinceStart)
		case s.want != "" && !slices.Contains(got.reasons, s.want):
			t.Errorf("%s: got changes %q, want a %q", s.name, got.reasons, s.want)
		case s.want != "":
			t.Logf("%s: changes %q, the first %v after `ip` started, %v after it exited", s.name, got.reasons,
				got.sinceStart.Round(10*time.Microsecond), got.sinceExit.Round(10*time.Microsecond))
		}
	}
	w.stop(t)
}

// TestPollerNetns runs the Poller, polling every 50 ms, through the same steps.
func TestPollerNetns(t *testing.T) {
	t.Parallel()
	ns := newNetns(t)
	w := startInNetns(t, ns, NewPoller(50*time.Millisecond).Watch)
	for _, s := range netnsSteps() {
		got, ok := w.step(t, ns, s.ip, s.poll)
		switch {
		case !ok:
		case !s.poll && len(got.reasons) > 0:
			t.Errorf("%s: got changes %q, the first after %v, want none", s.name, got.reasons, got.sinceStart)
		case s.poll && !slices.Contains(got.reasons, ReasonPoll):
			t.Errorf("%s: got changes %q, want a %q", s.name, got.reasons, ReasonPoll)
		}
	}
	w.stop(t)
}

// TestWatchIdleCPU checks that an idle watcher blocks rather than spins.
func TestWatchIdleCPU(t *testing.T) {
	ns := newNetns(t)
	w := startInNetns(t, ns, Watch)
	time.Sleep(200 * time.Millisecond) // let it start and seed its state
	const idle = 2 * time.Second
	before := cpuTime(t)
	time.Sleep(idle)
	used := cpuTime(t) - before
	t.Logf("CPU used by the test process over %v of idle watching: %v", idle, used)
	if used > 50*time.Millisecond {
		t.Errorf("CPU used over %v idle = %v, want about 0 (a blocked read)", idle, used)
	}
	select {
	case c := <-w.changes:
		t.Errorf("a %q change while idle", c.Reason)
	default:
	}
	w.stop(t)
}

// cpuTime is the user and system CPU time the test process has used.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stamped is a change and when onChange got it.
type stamped struct {
	Change
	at time.Time
}

// watcher is a Watch (or Poller.Watch) running in a test namespace.
type watcher struct {
	changes chan stamped
	cancel  context.CancelFunc
	done    chan error
}

// startInNetns runs watch on a goroutine locked to a thread that entered namespace ns. The thread
// is never unlocked, so it ends with the goroutine instead of serving others in ns.
func startInNetns(t *testing.T, ns string, watch func(context.Context, func(Change), *slog.Logger) error) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{changes: make(chan stamped, 1024), cancel: cancel, done: make(chan error, 1)}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() {
		runtime.LockOSThread()
		if err := enterNetns(ns); err != nil {
			w.done <- err
			return
		}
		w.done <- watch(ctx, func(c Change) { w.changes <- stamped{c, time.Now()} }, logger)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			t.Error("the watcher did not stop within 5 s of its context's end")
		}
	})
	return w
}

// stop cancels the watcher and checks it returns promptly and without error.
func (w *watcher) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	w.cancel()
	select {
	case err := <-w.done:
		if err != nil {
			t.Errorf("watch returned %v", err)
		}
		t.Logf("watch returned %v after cancel", time.Since(start).Round(10*time.Microsecond))
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("watch took %v to return after cancel, want < 100 ms", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not return within 5 s of cancel")
	}
	w.done <- nil // for the cleanup
}

// observed is what a watcher reported after a step.
type observed struct {
	reasons               []string      // of the changes until they settled
	sinceStart, sinceExit time.Duration // from the start and the end of `ip` to the first change
}

// step runs `ip -n ns args…` (if any args), waits for a first change for changeWait when one
// is expected, else for quietWait, then collects the changes until settleWait passes without
// one. It returns false when the step could not be run (the test has failed then).
func (w *watcher) step(t *testing.T, ns string, args []string, expect bool) (observed, bool) {
	t.Helper()
	select {
	case err := <-w.done:
		t.Fatalf("watch returned early: %v", err)
	default:
	}
	start := time.Now()
	if args != nil {
		out, err := exec.Command(tool("ip"), append([]string{"-n", ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
			return observed{}, false
		}
	}
	exited := time.Now()
	wait := quietWait
	if expect {
		wait = changeWait
	}
	var got observed
	select {
	case c := <-w.changes:
		got = observed{reasons: []string{c.Reason}, sinceStart: c.at.Sub(start), sinceExit: c.at.Sub(exited)}
	case <-time.After(time.Until(start.Add(wait))):
		return got, true
	}
	for {
		select {
		case c := <-w.changes:
			got.reasons = append(got.reasons, c.Reason)
		case <-time.After(settleWait):
			return got, true
		}
	}
}

// newNetns creates an empty network namespace, deleted when the test ends. IPv6 duplicate address
// detection and router solicitation are off in it: they would change addresses on their own a
// second after a link comes up. IPv6 addresses stay on a link that goes down, so that only the
// link message tells that the kernel dropped the link's IPv4 routes.
func newNetns(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("sw-nw-%08x", rand.Uint32())
	if out, err := exec.Command(tool("ip"), "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(tool("ip"), "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	out, err := exec.Command(tool("ip"), "netns", "exec", name, tool("sysctl"), "-qw",
		"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
		"net.ipv6.conf.default.router_solicitations=0",
		"net.ipv6.conf.all.keep_addr_on_down=1", "net.ipv6.conf.default.keep_addr_on_down=1").CombinedOutput()
	if err != nil {
		t.Fatalf("sysctl in %s: %v: %s", name, err, out)
	}
	return name
}

// enterNetns moves the calling thread into namespace name.
func enterNetns(name string) error {
	fd, err := unix.Open(filepath.Join("/run/netns", name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening namespace %s: %w", name, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("entering namespace %s: %w", name, err)
	}
	return nil
}

// tool finds a system tool also when PATH lacks the sbin directories.
func tool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return name
}

// TestWatchOverflow lets events overflow a small socket buffer before the watcher reads: it must
// report the loss once, learn the network state anew without reporting it, and then report
// changes again.
func TestWatchOverflow(t *testing.T) {
	t.Parallel()
	ns := newNetns(t)
	for _, args := range [][]string{
		{"link", "add", "sw0", "type", "veth", "peer", "name", "sw1"},
		{"link", "set", "sw1", "up"},
		{"link", "set", "sw0", "up"},
		{"addr", "add", "198.51.100.2/24", "dev", "sw0"},
	} {
		ipIn(t, ns, args...)
	}
	var batch strings.Builder // 500 host routes: far more than 32 KiB of messages
	for i := range 500 {
		fmt.Fprintf(&batch, "route add 203.0.113.%d/32 via 198.51.100.1 dev sw0 metric %d\n", i%250, i/250)
	}
	batchFile := filepath.Join(t.TempDir(), "routes")
	if err := os.WriteFile(batchFile, []byte(batch.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	opened := make(chan *netlinkWatcher, 1)
	flooded := make(chan struct{})
	w := startInNetns(t, ns, func(ctx context.Context, onChange func(Change), logger *slog.Logger) error {
		nw, err := openNetlink(logger)
		if err != nil {
			opened <- nil
			return err
		}
		err = nw.sock.rc.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 32<<10)
		})
		opened <- nw
		if err != nil {
			return fmt.Errorf("shrinking the receive buffer: %w", err)
		}
		<-flooded
		return watch(ctx, onChange, logger, nw.run, defaultResume())
	})
	if <-opened == nil {
		t.Fatalf("opening rtnetlink: %v", <-w.done)
	}
	ipIn(t, ns, "-batch", batchFile)
	close(flooded)

	got, _ := w.step(t, ns, nil, true)
	if !slices.Equal(got.reasons, []string{ReasonOverflow}) {
		t.Errorf("after the flood: got changes %q, want one %q", got.reasons, ReasonOverflow)
	}
	if got, _ := w.step(t, ns, nil, false); len(got.reasons) > 0 {
		t.Errorf("after the state was read anew: got changes %q, want none", got.reasons)
	}
	got, _ = w.step(t, ns, []string{"route", "del", "203.0.113.7/32", "metric", "1"}, true)
	if !slices.Equal(got.reasons, []string{ReasonRoute}) {
		t.Errorf("route deleted: got changes %q, want one %q", got.reasons, ReasonRoute)
	}
	got, _ = w.step(t, ns, []string{"route", "add", "203.0.113.7/32", "via", "198.51.100.1", "dev", "sw0", "metric", "1"}, true)
	if !slices.Equal(got.reasons, []string{ReasonRoute}) {
		t.Errorf("route added back: got changes %q, want one %q", got.reasons, ReasonRoute)
	}
	w.stop(t)
}

// ipIn runs `ip -n ns args…`.
func ipIn(t *testing.T, ns string, args ...string) {
	t.Helper()
	if out, err := exec.Command(tool("ip"), append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// TestWatchSeedsState starts Watch on a network that is already set up: it must know the links,
// addresses and routes from its first dump, and so take repeats of them for no change.
func TestWatchSeedsState(t *testing.T) {
	t.Parallel()
	ns := newNetns(t)
	for _, args := range [][]string{
		{"link", "add", "sw0", "type", "veth", "peer", "name", "sw1"},
		{"link", "set", "sw1", "up"},
		{"link", "set", "sw0", "up"},
		{"addr", "add", "198.51.100.2/24", "dev", "sw0", "valid_lft", "1000", "preferred_lft", "500"},
		{"addr", "add", "2001:db8::2/64", "dev", "sw0"},
		{"-6", "route", "add", "default", "via", "2001:db8::1", "dev", "sw0"},
	} {
		ipIn(t, ns, args...)
	}
	w := startInNetns(t, ns, Watch)
	tests := []step{
		{"nothing happens", nil, "", false},
		{"address lifetime refreshed", []string{"addr", "change", "198.51.100.2/24", "dev", "sw0", "valid_lft", "900", "preferred_lft", "400"}, "", false},
		{"IPv6 default route replaced by itself", []string{"-6", "route", "replace", "default", "via", "2001:db8::1", "dev", "sw0"}, "", false},
		{"peer down", []string{"link", "set", "sw1", "down"}, ReasonLink, false},
	}
	for _, s := range tests {
		got, ok := w.step(t, ns, s.ip, s.want != "")
		switch {
		case !ok:
		case s.want == "" && len(got.reasons) > 0:
			t.Errorf("%s: got changes %q, want none", s.name, got.reasons)
		case s.want != "" && !slices.Contains(got.reasons, s.want):
			t.Errorf("%s: got changes %q, want a %q", s.name, got.reasons, s.want)
		}
	}
	w.stop(t)
}

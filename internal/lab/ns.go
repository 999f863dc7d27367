//go:build linux

package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// toolPath finds a system tool also when PATH lacks the sbin directories.
func toolPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return name
}

// run runs a system tool in the current namespace and returns its standard output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, toolPath(name), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// exec runs a tool (iptables, tc, …) inside a lab namespace.
func (l *Lab) exec(ctx context.Context, ns NS, name string, args ...string) (string, error) {
	return run(ctx, "ip", append([]string{"netns", "exec", l.NSName(ns), toolPath(name)}, args...)...)
}

// ip runs `ip -n NS args…`.
func (l *Lab) ip(ctx context.Context, ns NS, args ...string) (string, error) {
	return run(ctx, "ip", append([]string{"-n", l.NSName(ns)}, args...)...)
}

// inNS runs f on an OS thread that has entered the namespace, then returns the thread to the
// host's namespace. If that return fails the thread stays locked and dies with its goroutine,
// so no other goroutine ever runs in a lab namespace by accident. Sockets made by f stay in
// the namespace for their whole life.
func (l *Lab) inNS(ns NS, f func() error) error {
	return inNamedNS(l.NSName(ns), f)
}

// inNamedNS is inNS for a namespace named as `ip netns` knows it.
func inNamedNS(name string, f func() error) error {
	path := filepath.Join(netnsRun, name)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("opening this thread's namespace: %w", err)
			return
		}
		defer unix.Close(home)
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("opening namespace %s: %w", path, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("entering namespace %s: %w", path, err)
			return
		}
		err = f()
		if unix.Setns(home, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// sysctl writes /proc/sys keys (slash-separated) inside a namespace. Network sysctls belong to
// the namespace of the thread that opens them.
func (l *Lab) sysctl(ns NS, kv map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return l.inNS(ns, func() error {
		for _, k := range keys {
			path := filepath.Join("/proc/sys", k)
			if err := os.WriteFile(path, []byte(kv[k]), 0o644); err != nil {
				return fmt.Errorf("setting %s in %s: %w", k, ns, err)
			}
		}
		return nil
	})
}

// Listen opens a listener inside a lab namespace (for example a server on one of the Plan's
// addresses in Servers). The lab closes it at teardown if its owner has not.
func (l *Lab) Listen(ns NS, network, addr string) (net.Listener, error) {
	var ln net.Listener
	err := l.inNS(ns, func() (err error) {
		ln, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		return nil, labError(fmt.Sprintf("listen %s %s in %s", network, addr, ns), err)
	}
	if err := l.track(ln); err != nil {
		return nil, err
	}
	return ln, nil
}

// ListenPacket opens a packet listener (UDP) inside a lab namespace, closed at teardown.
func (l *Lab) ListenPacket(ns NS, network, addr string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := l.inNS(ns, func() (err error) {
		pc, err = net.ListenPacket(network, addr)
		return err
	})
	if err != nil {
		return nil, labError(fmt.Sprintf("listen %s %s in %s", network, addr, ns), err)
	}
	if err := l.track(pc); err != nil {
		return nil, err
	}
	return pc, nil
}

// Dial connects from inside a lab namespace to an IP:port (names are not resolved). The
// error is the kernel's own (ECONNREFUSED, ECONNRESET, timeouts…), not a lab error.
func (l *Lab) Dial(ctx context.Context, ns NS, network, addr string) (net.Conn, error) {
	if _, err := hostPortIP(addr); err != nil {
		return nil, err
	}
	var conn net.Conn
	var dialErr error
	err := l.inNS(ns, func() error {
		var d net.Dialer
		conn, dialErr = d.DialContext(ctx, network, addr)
		return nil
	})
	if err != nil {
		return nil, labError("dial from "+string(ns), err)
	}
	return conn, dialErr
}

// DialFromClient is Dial from the client namespace; its signature fits
// http.Transport.DialContext.
func (l *Lab) DialFromClient(ctx context.Context, network, addr string) (net.Conn, error) {
	return l.Dial(ctx, Client, network, addr)
}

// Command prepares a command to run in the client namespace with the client's /etc/hosts and
// /etc/resolv.conf and the client's environment (see Env).
func (l *Lab) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return l.CommandIn(ctx, Client, name, args...)
}

// CommandIn prepares a command to run in any lab namespace (`ip netns exec`). Commands in the
// client namespace get Env; the others get the host's environment without proxy settings.
// Processes still running at teardown are killed.
func (l *Lab) CommandIn(ctx context.Context, ns NS, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, toolPath("ip"), append([]string{"netns", "exec", l.NSName(ns), name}, args...)...)
	if ns == Client {
		cmd.Env = l.Env()
	} else {
		cmd.Env = cleanEnviron()
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// dropped are host variables that would leak the host's network setup into the client.
var dropped = []string{"http_proxy", "https_proxy", "no_proxy", "all_proxy", "ftp_proxy", "ssl_cert_file", "ssl_cert_dir"}

func cleanEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(dropped, strings.ToLower(k)) {
			env = append(env, kv)
		}
	}
	return env
}

// Env is the environment of client commands: the host's without proxy variables,
// SSL_CERT_FILE and SSL_CERT_DIR, plus what SetEnv and TrustCA set.
func (l *Lab) Env() []string {
	env := cleanEnviron()
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.env))
	for k := range l.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") })
		env = append(env, k+"="+l.env[k])
	}
	return env
}

// linkStats is an interface's counters.
type linkStats struct {
	RX, TX Traffic
}

func (l *Lab) linkStats(ctx context.Context, ns NS, dev string) (linkStats, error) {
	out, err := l.ip(ctx, ns, "-j", "-s", "link", "show", "dev", dev)
	if err != nil {
		return linkStats{}, err
	}
	var links []struct {
		Stats struct {
			RX struct{ Bytes, Packets uint64 } `json:"rx"`
			TX struct{ Bytes, Packets uint64 } `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		return linkStats{}, fmt.Errorf("parsing `ip -s link` of %s: %v: %q", dev, err, out)
	}
	s := links[0].Stats
	return linkStats{
		RX: Traffic{Packets: s.RX.Packets, Bytes: s.RX.Bytes},
		TX: Traffic{Packets: s.TX.Packets, Bytes: s.TX.Bytes},
	}, nil
}

// defaultRoutes lists the devices of a namespace's IPv4 default routes.
func (l *Lab) defaultRoutes(ctx context.Context, ns NS) ([]string, error) {
	out, err := l.ip(ctx, ns, "-4", "-j", "route", "show", "default")
	if err != nil {
		return nil, err
	}
	var routes []struct {
		Dev string `json:"dev"`
	}
	if err := json.Unmarshal([]byte(out), &routes); err != nil {
		return nil, fmt.Errorf("parsing `ip route show default`: %w: %q", err, out)
	}
	var devs []string
	for _, r := range routes {
		devs = append(devs, r.Dev)
	}
	return devs, nil
}

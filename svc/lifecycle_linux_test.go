package svc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
	"github.com/spotwatch/spotwatch/svc"
	"github.com/spotwatch/spotwatch/tray/icons"
)

// lifecycleEnv carries the spec into the re-executed test inside the mount namespace.
const lifecycleEnv = "SPOTWATCH_LIFECYCLE_SPEC"

type lifecycleSpec struct {
	Binary   string // the spotwatch binary under test
	Config   string // the loopback world's configuration
	CertFile string // the world's system roots, given to the daemon with --env SSL_CERT_FILE
	Scratch  string // a directory for the namespace's overlays and home
	HostNS   string // the mount namespace of the host (of the outer test)
}

// Paths of the system service under SysV init.
const (
	initScript = "/etc/init.d/spotwatch"
	copied     = "/usr/local/lib/spotwatch/spotwatch"
	socketPath = "/run/spotwatch/spotwatch.sock"
	pidFile    = "/run/spotwatch.pid"
	stateDir   = "/var/lib/spotwatch"
	logDir     = "/var/log/spotwatch"
)

// TestLifecycle installs, starts, asks, stops, restarts and uninstalls the system service with
// the real binary through the init system kardianos selects here (SysV init where systemd does
// not run, as on CI), for real: the test re-executes itself under `unshare --mount` and lays
// overlays over /etc, /var, /usr/local and /run, so everything the install writes stays in that
// namespace. The daemon checks a loopback world (internal/testworld) and nothing else.
func TestLifecycle(t *testing.T) {
	if spec := os.Getenv(lifecycleEnv); spec != "" {
		lifecycleInNamespace(t, spec)
		return
	}
	if os.Geteuid() != 0 {
		t.Fatal("the service lifecycle needs root (mount namespaces, init scripts, ports 53 and 443)")
	}
	for tool, pkg := range map[string]string{"unshare": "util-linux", "setpriv": "util-linux", "service": "init-system-helpers",
		"useradd": "passwd", "dbus-daemon": "dbus", "go": "Go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install %s): %v", tool, pkg, err)
		}
	}
	before := map[string]bool{}
	for _, p := range []string{initScript, filepath.Dir(copied), stateDir, logDir, filepath.Dir(socketPath), "/etc/spotwatch"} {
		if _, err := os.Lstat(p); err == nil {
			before[p] = true
		}
	}
	_, userErr := user.Lookup(svc.Account)

	// The daemon runs as the unprivileged service account: everything it reads is world-readable
	// under directories only root can change.
	dir := t.TempDir()
	must(t, os.Chmod(dir, 0o755))
	must(t, os.Chmod(filepath.Dir(dir), 0o755))
	binary := filepath.Join(dir, "spotwatch")
	build := exec.Command("go", "build", "-tags=spotwatch_fastschedule", "-o", binary, "../cmd/spotwatch") // a 1 s schedule: internal/config/minimum_fast.go
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building spotwatch: %v\n%s", err, out)
	}
	worldDir := filepath.Join(dir, "world")
	must(t, os.Mkdir(worldDir, 0o755))
	w, err := testworld.New(worldDir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cfg, err := w.WriteConfig("interval: 1s\nfailing_interval: 1s\ntimeout: 1s\n")
	if err != nil {
		t.Fatal(err)
	}
	scratch := filepath.Join(dir, "scratch")
	must(t, os.Mkdir(scratch, 0o755))
	hostNS, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(lifecycleSpec{Binary: binary, Config: cfg, CertFile: w.SystemPEM, Scratch: scratch, HostNS: hostNS})

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--mount", "--propagation", "private",
		os.Args[0], "-test.run=^TestLifecycle$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), lifecycleEnv+"="+string(spec))
	out, err := cmd.CombinedOutput()
	t.Logf("inside the mount namespace:\n%s", out)
	if err != nil {
		t.Fatalf("the lifecycle in the mount namespace failed: %v", err)
	}

	// Nothing leaked out of the namespace.
	for p := range map[string]bool{initScript: true, filepath.Dir(copied): true, stateDir: true, logDir: true, filepath.Dir(socketPath): true, "/etc/spotwatch": true} {
		if _, err := os.Lstat(p); err == nil && !before[p] {
			t.Errorf("%s appeared on the host", p)
		}
	}
	if _, err := user.Lookup(svc.Account); err == nil && userErr != nil {
		t.Errorf("the user %s appeared on the host", svc.Account)
	}
}

// ns is the lifecycle run inside the namespace.
type ns struct {
	t      *testing.T
	spec   lifecycleSpec
	home   string
	env    []string
	syslog *syslogServer
}

func lifecycleInNamespace(t *testing.T, specJSON string) {
	var spec lifecycleSpec
	must(t, json.Unmarshal([]byte(specJSON), &spec))
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil || spec.HostNS == "" || self == spec.HostNS {
		t.Fatalf("not in a mount namespace of its own (%s, the host's %s: %v): refusing to mount over system directories", self, spec.HostNS, err)
	}
	ovl := filepath.Join(spec.Scratch, "ovl")
	must(t, os.Mkdir(ovl, 0o755))
	must(t, syscall.Mount("tmpfs", ovl, "tmpfs", 0, "mode=0755"))
	for _, d := range []string{"/etc", "/var", "/usr/local", "/run"} {
		upper, work := filepath.Join(ovl, "upper", d), filepath.Join(ovl, "work", d)
		must(t, os.MkdirAll(upper, 0o755))
		must(t, os.MkdirAll(work, 0o755))
		if err := syscall.Mount("overlay", d, "overlay", 0, "lowerdir="+d+",upperdir="+upper+",workdir="+work); err != nil {
			t.Fatalf("overlay on %s: %v", d, err)
		}
	}
	t.Cleanup(killLeftovers)
	forgetInstalled(t)
	n := &ns{t: t, spec: spec, home: filepath.Join(spec.Scratch, "home")}
	must(t, os.Mkdir(n.home, 0o700))
	n.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + n.home, "LANG=C.UTF-8"}
	n.syslog = startSyslog(t)
	n.run()
}

func (n *ns) run() {
	t := n.t

	// A user service needs an init system that has them.
	_, stderr, code := n.spotwatch("install")
	n.expect(code == 1 && strings.Contains(stderr, "SysV init starts services only for the whole machine; install the system service instead: sudo spotwatch install --system"),
		"install (user) on SysV: exit %d\n%s", code, stderr)

	// Without root: the exact command to run instead.
	_, stderr, code = n.spotwatchAs(65534, "install", "--system", "--config", n.spec.Config)
	want := "Run instead:\n  sudo " + n.spec.Binary + " install --system --config " + n.spec.Config + "\n"
	n.expect(code == 1 && strings.Contains(stderr, "this needs administrator rights") && strings.Contains(stderr, want),
		"install as nobody: exit %d\n%s\nwant the hint %q", code, stderr, want)

	// A configuration others may change is refused before anything is installed.
	open := filepath.Join(n.spec.Scratch, "open.yaml")
	data, _ := os.ReadFile(n.spec.Config)
	must(t, os.WriteFile(open, data, 0o644))
	must(t, os.Chmod(open, 0o666))
	_, stderr, code = n.spotwatch("install", "--system", "--config", open)
	n.expect(code == 1 && strings.Contains(stderr, "users other than administrators could change it") && strings.Contains(stderr, "sudo chmod go-w "+open),
		"install with a world-writable config: exit %d\n%s", code, stderr)
	n.absent(initScript)

	// Install, with a session bus so that the tray starts too.
	bus := n.startBus()
	env := []string{"DBUS_SESSION_BUS_ADDRESS=" + bus}
	args := []string{"install", "--system", "--config", n.spec.Config, "--env", "SSL_CERT_FILE=" + n.spec.CertFile}
	stdout, stderr, code := n.spotwatchEnv(env, args...)
	n.expect(code == 0, "install: exit %d\n%s%s", code, stdout, stderr)
	for _, line := range []string{"copied " + n.spec.Binary + " to " + copied, "created the system user spotwatch",
		"installed " + initScript, "started; it answers on " + socketPath, "starts at login: " + n.entry(), "installed " + n.icon(), "tray     started (pid"} {
		n.expect(strings.Contains(stdout, line), "install says nothing like %q:\n%s", line, stdout)
	}
	plan := svc.Plan{GOOS: "linux", Platform: svc.PlatformSysV, Scope: svc.System, Name: svc.Name, Binary: copied,
		Config: n.spec.Config, Env: []svc.EnvVar{{Key: "SSL_CERT_FILE", Value: n.spec.CertFile}}, Account: svc.Account,
		LogDir: logDir, StateDir: stateDir, RunDir: filepath.Dir(socketPath)}
	n.file(initScript, svc.SysVScript(plan), 0o755)
	n.link("/etc/rc2.d/S50spotwatch", initScript)
	n.link("/etc/rc0.d/K02spotwatch", initScript)
	bin, _ := os.ReadFile(n.spec.Binary)
	n.file(copied, string(bin), 0o755)
	n.file(n.entry(), svc.DesktopEntry(copied, n.icon(), ""), 0o644)
	n.file(n.icon(), string(icons.PNG(icons.OK, icons.NotificationSize)), 0o644)
	account, err := user.Lookup(svc.Account)
	if err != nil {
		t.Fatalf("the service account: %v", err)
	}
	pid := n.daemon(account)
	n.healthy()
	tray := n.trayPID(stdout)

	// The daemon logs to syslog as well (SysV init has no journal).
	n.syslog.wait(t, `spotwatch[`+strconv.Itoa(pid)+`]: level=INFO msg="spotwatch daemon started"`)

	// status: the service and the daemon's diagnosis.
	stdout, stderr, code = n.spotwatch("status")
	n.expect(code == 0 && strings.Contains(stdout, "Service: system service (unix-systemv, "+initScript+"): running; the tray starts at login ("+n.entry()+")") &&
		strings.Contains(stdout, "Spotify is reachable"), "status: exit %d\n%s%s", code, stdout, stderr)
	stdout, stderr, code = n.spotwatchAs(65534, "status")
	n.expect(code == 0 && strings.Contains(stdout, "): running") && strings.Contains(stdout, "Spotify is reachable"),
		"status as nobody (any user may read the system daemon's state): exit %d\n%s%s", code, stdout, stderr)
	stdout, _, code = n.spotwatch("status", "--json")
	var js struct {
		Cause   string       `json:"cause"`
		Service []svc.Report `json:"service"`
	}
	n.expect(code == 0 && json.Unmarshal([]byte(stdout), &js) == nil && js.Cause == "ok" && len(js.Service) == 1 && js.Service[0].State == "running",
		"status --json: exit %d\n%s", code, stdout)

	// Installing again changes nothing and says so.
	stdout, _, code = n.spotwatchEnv(env, args...)
	for _, line := range []string{"is up to date", "already installed", "daemon   already running", "already starts at login", "icon     already installed", "tray     already running (pid " + strconv.Itoa(tray) + ")"} {
		n.expect(code == 0 && strings.Contains(stdout, line), "install again: exit %d, no %q:\n%s", code, line, stdout)
	}
	n.expect(n.pid() == pid, "install again restarted the daemon")

	// stop, stop again, status of a stopped service, start, restart.
	stdout, stderr, code = n.spotwatch("stop")
	n.expect(code == 0 && strings.Contains(stdout, "daemon   stopped"), "stop: exit %d\n%s%s", code, stdout, stderr)
	n.gone(pid)
	n.absent(socketPath)
	n.absent(pidFile)
	stdout, _, code = n.spotwatch("stop")
	n.expect(code == 0 && strings.Contains(stdout, "already stopped"), "stop again: exit %d\n%s", code, stdout)
	stdout, stderr, code = n.spotwatch("status")
	n.expect(code == 3 && strings.Contains(stdout, "): stopped") && strings.Contains(stdout, "Start it with: spotwatch start --system") &&
		strings.Contains(stderr, "no spotwatch daemon is running"), "status while stopped: exit %d\n%s%s", code, stdout, stderr)
	stdout, stderr, code = n.spotwatch("start")
	n.expect(code == 0 && strings.Contains(stdout, "started; it answers on "+socketPath), "start: exit %d\n%s%s", code, stdout, stderr)
	pid = n.daemon(account)
	stdout, _, code = n.spotwatch("start")
	n.expect(code == 0 && strings.Contains(stdout, "already running"), "start again: exit %d\n%s", code, stdout)
	_, _, code = n.spotwatch("restart")
	n.expect(code == 0, "restart: exit %d", code)
	n.gone(pid)
	pid = n.daemon(account)

	// The system daemon itself refuses a configuration others may change.
	must(t, os.Chmod(n.spec.Config, 0o666))
	_, stderr, code = n.spotwatch("restart")
	n.expect(code == 1 && strings.Contains(stderr, "see "+logDir+"/daemon.log. Its log ends with:") &&
		strings.Contains(stderr, "refusing the configuration of a system daemon"),
		"restart with a world-writable config: exit %d (the daemon refuses it only with daemon.Run (internal/daemon), which calls refuseUnsafeConfig)\n%s", code, stderr)
	log, _ := os.ReadFile(filepath.Join(logDir, "daemon.log"))
	n.expect(bytes.Contains(log, []byte("refusing the configuration of a system daemon")), "the daemon's log does not say why it refused:\n%s", log)
	must(t, os.Chmod(n.spec.Config, 0o644))
	_, _, code = n.spotwatch("start")
	n.expect(code == 0, "start after fixing the config: exit %d", code)
	n.gone(pid)
	pid = n.daemon(account)
	n.healthy()

	// uninstall: everything but the history, config, logs and account goes; twice is fine.
	stdout, stderr, code = n.spotwatch("uninstall")
	n.expect(code == 0, "uninstall: exit %d\n%s%s", code, stdout, stderr)
	for _, line := range []string{"removed " + initScript, "removed " + copied, "stopped the running tray", "no longer starts at login",
		"kept " + stateDir, "kept " + n.spec.Config + " (yours", "kept the system user spotwatch"} {
		n.expect(strings.Contains(stdout, line), "uninstall says nothing like %q:\n%s", line, stdout)
	}
	n.gone(pid)
	n.gone(tray)
	for _, p := range []string{initScript, "/etc/rc2.d/S50spotwatch", "/etc/rc0.d/K02spotwatch", copied, filepath.Dir(copied), socketPath, n.entry(), n.icon()} {
		n.absent(p)
	}
	n.present(filepath.Join(stateDir, "history.log"))
	stdout, _, code = n.spotwatch("uninstall")
	n.expect(code == 0 && strings.Contains(stdout, "not installed: nothing to remove") && strings.Contains(stdout, "autostart not registered"),
		"uninstall again: exit %d\n%s", code, stdout)
	stdout, _, code = n.spotwatch("uninstall", "--purge")
	n.expect(code == 0 && strings.Contains(stdout, "deleted "+stateDir) && strings.Contains(stdout, "deleted the system user spotwatch"),
		"uninstall --purge: exit %d\n%s", code, stdout)
	n.absent(stateDir)
	n.absent(logDir)
	if _, err := user.Lookup(svc.Account); err == nil {
		t.Errorf("uninstall --purge left the user %s", svc.Account)
	}
	n.present(n.spec.Config) // the user's own file, given with --config
	_, _, code = n.spotwatch("status")
	n.expect(code == 3, "status after uninstall: exit %d", code)
}

func (n *ns) expect(ok bool, format string, args ...any) {
	n.t.Helper()
	if !ok {
		n.t.Fatalf(format, args...)
	}
}

func (n *ns) entry() string {
	return filepath.Join(n.home, ".config", "autostart", "spotwatch.desktop")
}
func (n *ns) icon() string {
	return filepath.Join(n.home, ".local", "share", "icons", "hicolor", "64x64", "apps", "spotwatch.png")
}

func (n *ns) spotwatch(args ...string) (string, string, int) { return n.spotwatchEnv(nil, args...) }

func (n *ns) spotwatchEnv(env []string, args ...string) (string, string, int) {
	n.t.Helper()
	return n.exec(exec.Command(n.spec.Binary, args...), append(append([]string{}, n.env...), env...))
}

// spotwatchAs runs the binary as another user.
func (n *ns) spotwatchAs(uid int, args ...string) (string, string, int) {
	n.t.Helper()
	home := filepath.Join(n.spec.Scratch, "home-"+strconv.Itoa(uid))
	must(n.t, os.MkdirAll(home, 0o700))
	must(n.t, os.Chown(home, uid, uid))
	cmd := exec.Command(n.spec.Binary, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	return n.exec(cmd, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home})
}

func (n *ns) exec(cmd *exec.Cmd, env []string) (string, string, int) {
	n.t.Helper()
	var out, errOut bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	case err != nil:
		n.t.Fatalf("running spotwatch %v: %v", cmd.Args[1:], err)
	}
	if !contains(cmd.Args, "--json") {
		n.t.Logf("$ spotwatch %s\n%s%s", strings.Join(cmd.Args[1:], " "), out.String(), errOut.String())
	}
	return out.String(), errOut.String(), 0
}

// file checks a file's content and mode.
func (n *ns) file(path, want string, mode os.FileMode) {
	n.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		n.t.Fatalf("%s: %v", path, err)
	}
	if string(data) != want {
		n.t.Errorf("%s is not what was rendered:\n%s\nwant\n%s", path, data, want)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != mode {
		n.t.Errorf("%s: mode %v, want %v (%v)", path, info.Mode().Perm(), mode, err)
	}
}

func (n *ns) link(path, target string) {
	n.t.Helper()
	if got, err := os.Readlink(path); err != nil || got != target {
		n.t.Errorf("%s links to %q (%v), want %s", path, got, err, target)
	}
}

func (n *ns) absent(path string) {
	n.t.Helper()
	if _, err := os.Lstat(path); err == nil {
		n.t.Errorf("%s is still there", path)
	}
}

func (n *ns) present(path string) {
	n.t.Helper()
	if _, err := os.Lstat(path); err != nil {
		n.t.Errorf("%s is gone: %v", path, err)
	}
}

func (n *ns) pid() int {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// daemon checks the running daemon: the copied binary with the service's arguments, as the
// service account, and its socket; it returns the pid.
func (n *ns) daemon(account *user.User) int {
	n.t.Helper()
	pid := n.pid()
	if pid == 0 {
		n.t.Fatalf("no pid in %s", pidFile)
	}
	proc := "/proc/" + strconv.Itoa(pid)
	if exe, err := os.Readlink(proc + "/exe"); err != nil || exe != copied {
		n.t.Errorf("pid %d runs %q (%v), want %s", pid, exe, err, copied)
	}
	cmdline, _ := os.ReadFile(proc + "/cmdline")
	if got, want := strings.ReplaceAll(strings.TrimSuffix(string(cmdline), "\x00"), "\x00", " "), copied+" daemon --system --config "+n.spec.Config; got != want {
		n.t.Errorf("the daemon runs %q, want %q", got, want)
	}
	info, err := os.Stat(proc)
	if err != nil {
		n.t.Fatal(err)
	}
	if uid := strconv.Itoa(int(info.Sys().(*syscall.Stat_t).Uid)); uid != account.Uid {
		n.t.Errorf("the daemon runs as uid %s, want %s (%s), not root", uid, account.Uid, account.Username)
	}
	sock, err := os.Lstat(socketPath)
	if err != nil || sock.Mode().Type() != os.ModeSocket || sock.Mode().Perm() != 0o666 {
		n.t.Errorf("socket %s: %v %v, want a socket of mode 0666", socketPath, sock, err)
	} else if uid := strconv.Itoa(int(sock.Sys().(*syscall.Stat_t).Uid)); uid != account.Uid {
		n.t.Errorf("the socket belongs to uid %s, want the service account's", uid)
	}
	return pid
}

// healthy waits until the daemon says Spotify is reachable: it checks the loopback world with
// the roots given in its environment.
func (n *ns) healthy() {
	n.t.Helper()
	client := statusapi.NewClient(socketPath)
	deadline := time.Now().Add(30 * time.Second)
	var st monitor.Status
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err = client.Status(ctx)
		cancel()
		if err == nil && st.Cause == diagnosis.CauseOK {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(logDir, "daemon.log"))
	n.t.Fatalf("the daemon did not find Spotify reachable in the loopback world: %s %v\n%s", st.Cause, err, log)
}

// gone waits until the process has ended.
func (n *ns) gone(pid int) {
	n.t.Helper()
	for i := 0; i < 100; i++ {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Errorf("pid %d still runs", pid)
}

// startBus starts a D-Bus session bus for the tray; it ends with the test.
func (n *ns) startBus() string {
	n.t.Helper()
	addr := "unix:path=" + filepath.Join(n.spec.Scratch, "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--address="+addr)
	must(n.t, cmd.Start())
	n.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(filepath.Join(n.spec.Scratch, "bus")); err == nil {
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Fatal("the session bus did not start")
	return ""
}

// trayPID finds the tray install started and checks it runs the copied binary.
func (n *ns) trayPID(stdout string) int {
	n.t.Helper()
	_, after, ok := strings.Cut(stdout, "tray     started (pid ")
	if !ok {
		n.t.Fatalf("install did not start the tray:\n%s", stdout)
	}
	pid, _ := strconv.Atoi(strings.TrimSuffix(strings.SplitN(after, "\n", 2)[0], ")"))
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if string(cmdline) != copied+"\x00tray\x00" {
		n.t.Errorf("the tray (pid %d) runs %q, want %s tray", pid, cmdline, copied)
	}
	return pid
}

// syslogServer is /dev/log for the namespace: a datagram socket collecting what is logged.
type syslogServer struct {
	mu    sync.Mutex
	lines []string
}

func startSyslog(t *testing.T) *syslogServer {
	// log/syslog tries /dev/log, then /var/run/syslog: over an existing /dev/log a socket of our
	// own is bind-mounted, else one is made at /var/run/syslog (in the /run overlay).
	path := "/run/syslog"
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.Chmod(path, 0o666))
	if _, err := os.Lstat("/dev/log"); err == nil {
		must(t, syscall.Mount(path, "/dev/log", "", syscall.MS_BIND, ""))
	}
	s := &syslogServer{}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			k, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.lines = append(s.lines, string(buf[:k]))
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return s
}

func (s *syslogServer) wait(t *testing.T, want string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		s.mu.Lock()
		for _, l := range s.lines {
			if strings.Contains(l, want) {
				s.mu.Unlock()
				return
			}
		}
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Errorf("syslog got no %q (the daemon logs to syslog only with daemon.Run (internal/daemon), which calls serviceDaemon); it got:\n%s", want, strings.Join(s.lines, "\n"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// forgetInstalled makes the namespace a machine where spotwatch was never installed: a
// spotwatch the host has (its service, state, logs, socket, account) is removed from the
// namespace's overlays only, where the host never sees it. Without this, the host's
// /var/lib/spotwatch, of another account's, is one the daemon installed here cannot use.
func forgetInstalled(t *testing.T) {
	t.Helper()
	links, _ := filepath.Glob("/etc/rc[0-6S].d/[SK][0-9][0-9]spotwatch")
	for _, p := range append(links, initScript, filepath.Dir(copied), stateDir, logDir, filepath.Dir(socketPath), pidFile, "/etc/spotwatch") {
		if err := os.RemoveAll(p); err != nil {
			t.Fatalf("removing the host's %s from the namespace: %v", p, err)
		}
	}
	if _, err := user.Lookup(svc.Account); err == nil {
		// -f: a daemon of the host's may run as the account (this namespace shares the host's
		// processes); only the namespace's /etc changes.
		if out, err := exec.Command("userdel", "-f", svc.Account).CombinedOutput(); err != nil {
			t.Fatalf("removing the host's user %s from the namespace: %v: %s", svc.Account, err, out)
		}
	}
	if _, err := user.LookupGroup(svc.Account); err == nil {
		if out, err := exec.Command("groupdel", svc.Account).CombinedOutput(); err != nil {
			t.Fatalf("removing the host's group %s from the namespace: %v: %s", svc.Account, err, out)
		}
	}
}

// killLeftovers ends the daemon and tray a failed run may have left in the namespace; a
// spotwatch of the host's (in another mount namespace) is left alone.
func killLeftovers() {
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			if mnt, _ := os.Readlink("/proc/" + e.Name() + "/ns/mnt"); mnt != self {
				continue
			}
			if exe, _ := os.Readlink("/proc/" + e.Name() + "/exe"); strings.TrimSuffix(exe, " (deleted)") == copied {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

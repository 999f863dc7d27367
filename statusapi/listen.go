package statusapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// socketName is the file name of the socket in its directory.
const socketName = "spotwatch.sock"

// staleProbeTimeout bounds the dial that tells a live socket from a stale one.
const staleProbeTimeout = 2 * time.Second

// SystemSocketEnv names an absolute path that replaces the system daemon's socket path below,
// for the daemon and its clients alike. It is for tests and packaging: a test suite run on a
// machine where a spotwatch system daemon is installed must not find that daemon.
const SystemSocketEnv = "SPOTWATCH_SYSTEM_SOCKET"

// DefaultSocketPath returns where the daemon's socket lives.
//
// A user daemon (system false):
//   - Linux and other Unix: $XDG_RUNTIME_DIR/spotwatch/spotwatch.sock (the per-user runtime
//     directory, private to the user and emptied at logout); where XDG_RUNTIME_DIR is unset,
//     /tmp/spotwatch-<uid>/spotwatch.sock, a path another user can take first: then the daemon
//     uses the fallback that SocketPaths lists after it;
//   - macOS: ~/Library/Application Support/spotwatch/spotwatch.sock: $TMPDIR would be the
//     per-user temporary directory, but launchd agents, ssh sessions and sudo do not all get it,
//     while every process of the user agrees on $HOME;
//   - Windows: %LOCALAPPDATA%\spotwatch\spotwatch.sock.
//
// A system daemon (system true): /run/spotwatch/spotwatch.sock on Linux,
// /var/run/spotwatch/spotwatch.sock on macOS and other Unix (a directory of spotwatch's own,
// so that Listen never changes the mode of a shared one), and
// %ProgramData%\spotwatch\spotwatch.sock on Windows; $SPOTWATCH_SYSTEM_SOCKET instead when it
// is an absolute path.
func DefaultSocketPath(system bool) (string, error) {
	return defaultSocketPath(runtime.GOOS, system, os.Getenv, os.Getuid())
}

// SocketPaths returns where the daemon's socket may be, in the order the daemon tries them
// (ListenDefault) and clients look (NewClient): DefaultSocketPath first, and for a user daemon
// whose default is the predictable /tmp/spotwatch-<uid>, then a directory in the user's own
// cache directory ($XDG_CACHE_HOME, else ~/.cache): spotwatch/run/spotwatch.sock. Only a
// socket that passes the owner checks is used (see NewClient).
func SocketPaths(system bool) ([]string, error) {
	return socketPaths(runtime.GOOS, system, os.Getenv, os.Getuid(), "/tmp")
}

func defaultSocketPath(goos string, system bool, getenv func(string) string, uid int) (string, error) {
	paths, err := socketPaths(goos, system, getenv, uid, "/tmp")
	if err != nil {
		return "", err
	}
	return paths[0], nil
}

// socketPaths is SocketPaths with the OS, the environment, the user and the shared temporary
// directory given.
func socketPaths(goos string, system bool, getenv func(string) string, uid int, tmp string) ([]string, error) {
	const app = "spotwatch"
	one := func(p string) ([]string, error) { return []string{p}, nil }
	if override := getenv(SystemSocketEnv); system && filepath.IsAbs(override) {
		return one(override)
	}
	switch {
	case goos == "windows" && system:
		dir := getenv("ProgramData")
		if dir == "" {
			dir = `C:\ProgramData`
		}
		return one(windowsJoin(dir, app, socketName))
	case goos == "windows":
		dir := getenv("LocalAppData")
		if dir == "" {
			return nil, errors.New("finding the socket directory: %LocalAppData% is not set")
		}
		return one(windowsJoin(dir, app, socketName))
	case goos == "linux" && system:
		return one("/run/" + app + "/" + socketName)
	case system:
		return one("/var/run/" + app + "/" + socketName)
	case goos == "darwin" || goos == "ios":
		home := getenv("HOME")
		if home == "" {
			return nil, errors.New("finding the socket directory: $HOME is not set")
		}
		return one(filepath.Join(home, "Library", "Application Support", app, socketName))
	}
	if dir := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(dir) {
		return one(filepath.Join(dir, app, socketName))
	}
	paths := []string{filepath.Join(tmp, app+"-"+strconv.Itoa(uid), socketName)}
	cache := getenv("XDG_CACHE_HOME")
	if !filepath.IsAbs(cache) {
		if home := getenv("HOME"); filepath.IsAbs(home) {
			cache = filepath.Join(home, ".cache")
		}
	}
	if filepath.IsAbs(cache) {
		paths = append(paths, filepath.Join(cache, app, "run", socketName))
	}
	return paths, nil
}

// ListenDefault opens the daemon's socket at the first of SocketPaths that it can prove its
// own, and returns the listener and the path. For a user daemon on Unix a candidate's directory
// must be (or be created as) this user's, mode 0700 and not a symlink: one another user made
// first is skipped, with a warning, for the next. Other failures (a daemon already running, a
// path too long) end the search: a second daemon must not start elsewhere.
func ListenDefault(system bool, log *slog.Logger) (net.Listener, string, error) {
	paths, err := SocketPaths(system)
	if err != nil {
		return nil, "", fmt.Errorf("finding the status socket's path: %w", err)
	}
	return listenFirst(paths, system, log)
}

func listenFirst(paths []string, system bool, log *slog.Logger) (net.Listener, string, error) {
	var refused []error
	for _, path := range paths {
		if !system && len(path) <= maxSocketPath() {
			if err := claimPrivateDir(filepath.Dir(path)); err != nil {
				if errors.Is(err, ErrUntrustedSocket) {
					log.Warn("not using a socket directory that is not provably ours", "socket", path, "err", err)
					refused = append(refused, err)
					continue
				}
				return nil, "", fmt.Errorf("opening the API socket %s: %w", path, err)
			}
		}
		ln, err := Listen(path, system)
		if err != nil {
			return nil, "", err
		}
		return ln, path, nil
	}
	return nil, "", fmt.Errorf("opening the API socket: no usable place: %w", errors.Join(refused...))
}

// windowsJoin joins path elements with backslashes whatever the OS running this (tests run the
// Windows table on Linux).
func windowsJoin(elem ...string) string {
	p := elem[0]
	for _, e := range elem[1:] {
		if len(p) > 0 && p[len(p)-1] != '\\' && p[len(p)-1] != '/' {
			p += `\`
		}
		p += e
	}
	return p
}

// Listen opens the daemon's socket at path. It creates the parent directory (mode 0700 for a
// user daemon, 0755 for a system one) when it is missing, and refuses an existing one that is
// not safe to use: not a directory, or (on Unix) owned by another user than this one or root,
// or writable by others without the sticky bit. A socket left at path by a daemon that died
// (one nobody answers on) is removed; a live daemon's socket never is: Listen returns an error
// wrapping ErrDaemonRunning. Anything else at path (a regular file, say) is left alone and
// refused. The socket's mode is set to 0600 for a user daemon and 0666 for a system one (see
// the package comment for who may then do what). Closing the listener removes the socket.
func Listen(path string, system bool) (net.Listener, error) {
	if path == "" {
		return nil, errors.New("opening the API socket: no path")
	}
	if n, limit := len(path), maxSocketPath(); n > limit {
		return nil, fmt.Errorf("opening the API socket %s: the path is %d bytes long, longer than the %d a Unix socket allows on %s; set api.socket to a shorter path", path, n, limit, runtime.GOOS)
	}
	dir := filepath.Dir(path)
	dirMode := os.FileMode(0o700)
	if system {
		dirMode = 0o755
	}
	if err := makeDir(dir, dirMode); err != nil {
		return nil, fmt.Errorf("opening the API socket %s: %w", path, err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the API socket %s: %w", path, err)
	}
	defer unlock()
	if err := removeStale(path); err != nil {
		return nil, fmt.Errorf("opening the API socket %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		if isAddrInUse(err) {
			return nil, fmt.Errorf("opening the API socket %s: %w", path, ErrDaemonRunning)
		}
		return nil, fmt.Errorf("opening the API socket: %w", err)
	}
	mode := os.FileMode(0o600)
	if system {
		mode = 0o666
	}
	if err := chmodSocket(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("opening the API socket: %w", err)
	}
	return ln, nil
}

// makeDir creates dir with mode when it is missing (mode exactly: the umask does not apply),
// else checks that it is safe to hold the socket.
func makeDir(dir string, mode os.FileMode) error {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, mode); err != nil {
			return fmt.Errorf("creating the socket directory: %w", err)
		}
		if err := chmodDir(dir, mode); err != nil {
			return fmt.Errorf("setting the mode of the socket directory: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the socket directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("the socket directory %s is not a directory (%s)", dir, info.Mode().Type())
	}
	return checkDir(dir, info)
}

// removeStale removes the socket at path when nobody answers on it.
func removeStale(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking for an old socket: %w", err)
	}
	if info.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket (%s): not removing it", path, describeMode(info.Mode()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), staleProbeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		conn.Close()
		return fmt.Errorf("%w (it answers on %s)", ErrDaemonRunning, path)
	}
	if !isRefused(err) {
		return fmt.Errorf("checking whether a daemon answers on the old socket: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the stale socket: %w", err)
	}
	return nil
}

func describeMode(m os.FileMode) string {
	if m.IsRegular() {
		return "a regular file"
	}
	return m.Type().String()
}

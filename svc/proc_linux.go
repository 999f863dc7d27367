package svc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// trayPIDs lists the running trays of the plan: processes of the tray's user running the plan's
// binary with the argument "tray".
func trayPIDs(p Plan) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		exe, err := os.Readlink(filepath.Join(dir, "exe"))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != p.Binary {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(bytes.TrimSuffix(cmdline, []byte{0}), []byte{0})
		if len(args) < 2 || string(args[1]) != "tray" {
			continue
		}
		if info, err := os.Stat(dir); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != p.Tray.UID {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// sessionEnv is the environment the tray needs to reach the user's desktop: their session bus.
// ok is false when the user has no session bus to show a tray on.
func sessionEnv(t Tray) (env []string, ok bool) {
	sameUser := t.UID == os.Geteuid()
	if sameUser && os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return os.Environ(), true
	}
	runtime := "/run/user/" + strconv.Itoa(t.UID)
	if dir := os.Getenv("XDG_RUNTIME_DIR"); sameUser && filepath.IsAbs(dir) {
		runtime = dir
	}
	bus := filepath.Join(runtime, "bus")
	if info, err := os.Stat(bus); err != nil || info.Mode().Type() != os.ModeSocket {
		return nil, false
	}
	if sameUser {
		return append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=unix:path="+bus), true
	}
	env = []string{
		"HOME=" + t.Home, "USER=" + t.User, "LOGNAME=" + t.User,
		"PATH=/usr/local/bin:/usr/bin:/bin", "XDG_RUNTIME_DIR=" + runtime,
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + bus,
	}
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "LANG", "LC_ALL"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env, true
}

// startTray starts `BINARY tray` for the tray's user in their desktop session, detached, unless
// one runs already or there is no session to show it in.
func startTray(ctx context.Context, p Plan) (string, error) {
	if pids := trayPIDs(p); len(pids) > 0 {
		return fmt.Sprintf("already running (pid %d)", pids[0]), nil
	}
	env, ok := sessionEnv(p.Tray)
	if !ok {
		return "not started now: no desktop session (D-Bus session bus) here; it starts at the next login", nil
	}
	cmd := exec.Command(p.Binary, "tray")
	cmd.Env = env
	cmd.Dir = p.Tray.Home
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if p.Tray.UID != os.Geteuid() {
		cred := &syscall.Credential{Uid: uint32(p.Tray.UID), Gid: uint32(p.Tray.GID)}
		if u, err := user.LookupId(strconv.Itoa(p.Tray.UID)); err == nil {
			if gids, err := u.GroupIds(); err == nil {
				for _, g := range gids {
					if n, err := strconv.Atoi(g); err == nil {
						cred.Groups = append(cred.Groups, uint32(n))
					}
				}
			}
		}
		cmd.SysProcAttr.Credential = cred
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	return waitEarlyExit(ctx, cmd, shQuote(p.Binary))
}

// stopTray ends the user's running trays (SIGTERM, then up to 5 s for them to quit).
func stopTray(ctx context.Context, p Plan) (string, error) {
	pids := trayPIDs(p)
	if len(pids) == 0 {
		return "", nil
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(trayPIDs(p)) > 0 {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the tray (pid %v) did not quit within 5 s", pids)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Sprintf("stopped the running tray (pid %s)", strings.Trim(fmt.Sprint(pids), "[]")), nil
}

//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	netnsRun = "/run/netns"         // where `ip netns` mounts named namespaces
	etcNetns = "/etc/netns"         // per-namespace /etc files for `ip netns exec`
	stateDir = "/run/spotwatch-lab" // one file per lab: "PID STARTTIME" of its owner
)

// labName matches the names of lab namespaces and state files and captures the id.
var labName = regexp.MustCompile(`^(?:sw[crs]-|swf[0-9]+-)?([0-9a-f]{8})$`)

// desktopName matches the fleet's desktop namespaces (swf<N>-ID, see fleet.go) and captures the id.
var desktopName = regexp.MustCompile(`^swf[0-9]+-([0-9a-f]{8})$`)

func statePath(id string) string { return filepath.Join(stateDir, id) }

// labNames lists lab id's namespaces: client, router and servers, then the fleet desktops of it
// that are on the machine.
func labNames(id string) []string {
	return append([]string{nsName(Client, id), nsName(Router, id), nsName(Servers, id)}, desktopNames(id)...)
}

// desktopNames lists the fleet desktop namespaces of lab id found in /run/netns or /etc/netns.
func desktopNames(id string) []string {
	var names []string
	for _, dir := range []string{netnsRun, etcNetns} {
		entries, _ := os.ReadDir(dir) // a missing directory holds no desktop
		for _, e := range entries {
			if m := desktopName.FindStringSubmatch(e.Name()); m != nil && m[1] == id && !slices.Contains(names, e.Name()) {
				names = append(names, e.Name())
			}
		}
	}
	return names
}

// labExists reports whether anything of lab id exists.
func labExists(id string) bool {
	if _, err := os.Stat(statePath(id)); err == nil {
		return true
	}
	return len(leftovers(id)) > 0
}

// leftovers lists what of lab id is still on the machine (namespaces, /etc/netns dirs, state).
func leftovers(id string) []string {
	var left []string
	for _, name := range labNames(id) {
		for _, p := range []string{filepath.Join(netnsRun, name), filepath.Join(etcNetns, name)} {
			if _, err := os.Lstat(p); err == nil {
				left = append(left, p)
			}
		}
	}
	if _, err := os.Lstat(statePath(id)); err == nil {
		left = append(left, statePath(id))
	}
	return left
}

// procStart is a process's start time in clock ticks since boot (field 22 of /proc/PID/stat),
// which tells a live owner from a later process that reused its PID.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("parsing /proc/%d/stat: no ')'", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, fmt.Errorf("parsing /proc/%d/stat: %d fields", pid, len(fields))
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// ownerAlive reports whether the process recorded in lab id's state file still runs.
func ownerAlive(id string) bool {
	b, err := os.ReadFile(statePath(id))
	if err != nil {
		return false
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscanf(string(b), "%d %d", &pid, &start); err != nil {
		return false
	}
	now, err := procStart(pid)
	return err == nil && now == start
}

// Sweep removes the labs of runs that are gone (killed, crashed, timed out): their processes,
// namespaces, /etc/netns dirs and state files. Labs of live processes are left alone. New calls
// it; a CI script may call it too. It returns the ids it removed.
func Sweep(ctx context.Context) ([]string, error) {
	ids := map[string]bool{}
	for _, dir := range []string{netnsRun, etcNetns, stateDir} {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
		for _, e := range entries {
			if info, err := e.Info(); dir == stateDir && strings.HasPrefix(e.Name(), "new-") &&
				err == nil && time.Since(info.ModTime()) > time.Minute {
				os.Remove(filepath.Join(dir, e.Name())) // left by a run that died in claimID
				continue
			}
			m := labName.FindStringSubmatch(e.Name())
			if m == nil || (dir != stateDir && m[0] == m[1]) {
				continue // state files are bare ids, namespaces are prefixed
			}
			ids[m[1]] = true
		}
	}
	var removed []string
	var errs []error
	for id := range ids {
		if ownerAlive(id) {
			continue
		}
		if err := removeLab(ctx, id); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, id)
	}
	return removed, errors.Join(errs...)
}

// removeLab kills the processes in lab id's namespaces and removes the namespaces (and so
// their veths), /etc/netns dirs and state file.
func removeLab(ctx context.Context, id string) error {
	var errs []error
	for _, name := range labNames(id) {
		if _, err := os.Lstat(filepath.Join(netnsRun, name)); err == nil {
			if err := killAll(ctx, name); err != nil {
				errs = append(errs, err)
			}
			if _, err := run(ctx, "ip", "netns", "del", name); err != nil {
				errs = append(errs, err)
			}
		}
		if err := os.RemoveAll(filepath.Join(etcNetns, name)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := os.Remove(statePath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// killAll SIGKILLs every process in a lab namespace (started by a lab run) and waits briefly
// for them to go.
func killAll(ctx context.Context, name string) error {
	var left []string
	for try := 0; try < 50; try++ {
		out, err := run(ctx, "ip", "netns", "pids", name)
		if err != nil {
			return err
		}
		left = strings.Fields(out)
		if len(left) == 0 {
			return nil
		}
		for _, f := range left {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			if pid == os.Getpid() {
				return fmt.Errorf("this process's main thread is inside %s", name)
			}
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("processes still in %s after SIGKILL: %s", name, strings.Join(left, " "))
}

// watchSignals tears the lab down when the process is interrupted, then lets the signal take
// its course.
func (l *Lab) watchSignals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	l.sigStop = func() { l.sigOnce.Do(func() { close(done) }) }
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch)
			l.log.Warn("interrupted: tearing the lab down", "id", l.id, "signal", sig)
			l.Close()
			if s, ok := sig.(syscall.Signal); ok {
				syscall.Kill(os.Getpid(), s) // now with the default action (or the next lab's watcher)
			}
		case <-done:
			signal.Stop(ch)
		}
	}()
}

package svc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
)

func accountExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

// ensureAccount creates the system user name (with a group of its name, home, no login shell)
// the system daemon runs as, unless it exists; created says whether it did.
func ensureAccount(ctx context.Context, name, home string) (created bool, err error) {
	if accountExists(name) {
		return false, nil
	}
	shell := "/bin/false"
	for _, s := range []string{"/usr/sbin/nologin", "/sbin/nologin"} {
		if _, err := os.Stat(s); err == nil {
			shell = s
			break
		}
	}
	var cmds [][]string
	switch {
	case lookPath("useradd"):
		cmds = [][]string{{"useradd", "--system", "--user-group", "--home-dir", home, "--no-create-home",
			"--shell", shell, "--comment", "spotwatch daemon", name}}
	case lookPath("adduser") && lookPath("addgroup"): // BusyBox (Alpine)
		cmds = [][]string{{"addgroup", "-S", name}, {"adduser", "-S", "-D", "-H", "-h", home, "-s", shell, "-G", name, "-g", "spotwatch daemon", name}}
	default:
		return false, fmt.Errorf("creating the system user %s for the daemon: neither useradd nor adduser is installed; create the user yourself and run install again", name)
	}
	for _, c := range cmds {
		if out, err := exec.CommandContext(ctx, c[0], c[1:]...).CombinedOutput(); err != nil {
			return false, fmt.Errorf("creating the system user %s: %s: %w: %s", name, strings.Join(c, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return true, nil
}

// removeAccount deletes the system user when purging.
func removeAccount(ctx context.Context, name string, purge bool) (bool, error) {
	if !purge || !accountExists(name) {
		return false, nil
	}
	cmd := []string{"userdel", name}
	if !lookPath("userdel") {
		cmd = []string{"deluser", name}
	}
	if out, err := exec.CommandContext(ctx, cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
		return false, fmt.Errorf("deleting the system user %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return true, nil
}

// chownAccount gives path to the account (and its group).
func chownAccount(path, name string) error {
	if name == "" {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("looking up the system user %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("giving %s to %s: %w", path, name, err)
	}
	return nil
}

func lookPath(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

package svc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// launchctlTarget is the tray's LaunchAgent in the user's GUI domain.
func launchctlTarget(p Plan) (domain, service string) {
	domain = "gui/" + strconv.Itoa(p.Tray.UID)
	return domain, domain + "/" + TrayLabel
}

// startTray loads the tray's LaunchAgent into the user's GUI session, which starts it.
func startTray(ctx context.Context, p Plan) (string, error) {
	domain, target := launchctlTarget(p)
	if exec.CommandContext(ctx, "launchctl", "print", target).Run() == nil {
		return "already running (launchd job " + TrayLabel + ")", nil
	}
	var cmd *exec.Cmd
	if os.Geteuid() == 0 && p.Tray.UID != 0 {
		cmd = exec.CommandContext(ctx, "launchctl", "bootstrap", domain, p.Tray.Entry)
	} else {
		cmd = exec.CommandContext(ctx, "launchctl", "load", p.Tray.Entry)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "not started now (" + strings.TrimSpace(string(out)) + "); it starts at the next login", nil
	}
	return "started (launchd job " + TrayLabel + ")", nil
}

// stopTray unloads the tray's LaunchAgent, which ends the tray.
func stopTray(ctx context.Context, p Plan) (string, error) {
	_, target := launchctlTarget(p)
	if exec.CommandContext(ctx, "launchctl", "print", target).Run() != nil {
		return "", nil
	}
	var cmd *exec.Cmd
	if os.Geteuid() == 0 && p.Tray.UID != 0 {
		cmd = exec.CommandContext(ctx, "launchctl", "bootout", target)
	} else {
		cmd = exec.CommandContext(ctx, "launchctl", "unload", p.Tray.Entry)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("launchctl: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return "stopped the running tray", nil
}

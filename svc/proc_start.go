package svc

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// waitEarlyExit gives a started tray a second: one that exits by then failed to start.
func waitEarlyExit(ctx context.Context, cmd *exec.Cmd, quotedBinary string) (string, error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return "", fmt.Errorf("the tray exited at once (%v); run %s tray to see why", err, quotedBinary)
	case <-time.After(time.Second):
		return fmt.Sprintf("started (pid %d)", cmd.Process.Pid), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

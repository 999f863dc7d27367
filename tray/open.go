package tray

import (
	"fmt"
	"os/exec"
	"runtime"
	"time"
)

// openWait is how long openInBrowser waits for the opener to fail before taking it as done:
// xdg-open and open return once the browser has the file, or fail at once when there is none.
const openWait = 5 * time.Second

// openInBrowser opens a local file with the OS's default handler (a browser for .html).
func openInBrowser(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	case "darwin":
		cmd = exec.Command("open", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("opening %s with %s: %w", path, cmd.Path, err)
		}
	case <-time.After(openWait):
	}
	return nil
}

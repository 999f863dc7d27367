//go:build darwin

package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// scutilTimeout bounds `scutil --proxy`, which answers from configd's memory in milliseconds.
const scutilTimeout = 2 * time.Second

// scutilMaxOutput bounds what is kept of its output; a proxy dictionary is a few hundred bytes.
const scutilMaxOutput = 64 << 10

// readSystemProxy runs `scutil --proxy` (the proxies the SystemConfiguration framework gives
// every app, Spotify's auto-detect included) and returns the proxy Spotify would use, nil when
// none.
func readSystemProxy() (*diagnosis.Proxy, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scutilTimeout)
	defer cancel()
	out := &limitedBuffer{max: scutilMaxOutput}
	cmd := exec.CommandContext(ctx, "/usr/sbin/scutil", "--proxy")
	cmd.Stdout = out
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("reading macOS proxy settings: scutil --proxy: %w", err)
	}
	if out.cut {
		return nil, errors.New("reading macOS proxy settings: scutil --proxy printed more than 64 KiB")
	}
	c, err := parseScutilProxy(out.String())
	if err != nil {
		return nil, fmt.Errorf("reading macOS proxy settings: %w", err)
	}
	return c.proxyFor(sourceMacOS), nil
}

// limitedBuffer keeps the first max bytes written to it and notes that more came.
type limitedBuffer struct {
	bytes.Buffer
	max int
	cut bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.cut = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

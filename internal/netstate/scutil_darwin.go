package netstate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// scutilTimeout bounds one scutil run; configd answers from memory in milliseconds.
const scutilTimeout = 2 * time.Second

// scutilMaxOutput bounds what is read of its output (a busy machine's --dns is a few KiB).
const scutilMaxOutput = 256 << 10

// runScutil runs /usr/sbin/scutil with args and returns what it printed.
func runScutil(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scutilTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "/usr/sbin/scutil", args...)
	cmd.Stdout = &capped{buf: &out, max: scutilMaxOutput}
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("running scutil %v: %w", args, err)
	}
	if out.Len() >= scutilMaxOutput {
		return "", fmt.Errorf("running scutil %v: more than %d bytes of output", args, scutilMaxOutput)
	}
	return out.String(), nil
}

// capped keeps the first max bytes written to it and drops the rest.
type capped struct {
	buf *bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.buf.Write(p)
}

// readDNSServers reads the DNS servers from `scutil --dns` (what the resolver uses, split DNS
// and scoped copies left out), else from /etc/resolv.conf, which configd writes from the
// primary service's.
func readDNSServers() ([]string, error) {
	out, err := runScutil("--dns")
	if err == nil {
		var servers []string
		if servers, err = parseScutilDNS(out); err == nil {
			return servers, nil
		}
	}
	servers, rerr := readResolvConf(resolvConf)
	if rerr != nil {
		return nil, errors.Join(fmt.Errorf("reading the DNS servers: %w", err), rerr)
	}
	return servers, nil
}

// vpnServices reads the VPN services and their status from `scutil --nc list`.
func vpnServices() ([]NCService, error) {
	out, err := runScutil("--nc", "list")
	if err != nil {
		return nil, err
	}
	return parseScutilNCList(out)
}

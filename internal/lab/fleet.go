//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Desktop is one more client namespace of a lab, for a fleet of machines behind the one router
// (internal/lab/fleet_test.go): "swf<N>-ID" with its own veth "d<N>" to the router and the
// address 198.51.100.(100+N)/32, reaching everything, the other desktops included, through the
// router (a route to 198.51.100.0/24 and the default route, both via 198.51.100.1, which the
// router answers ARP for on every link). Each
// desktop has its own /etc/resolv.conf and /etc/hosts (through /etc/netns, as the client does)
// and its own iptables, so that each can carry its own fault. Desktops are removed by
// RemoveDesktops, which the lab's tests register with t.Cleanup; they are not known to Sweep.
type Desktop struct {
	l     *Lab
	Index int        // N, from 0 to 150
	Name  string     // the namespace's name, swf<N>-ID
	Addr  netip.Addr // 198.51.100.(100+N)
}

// maxDesktops bounds N: 198.51.100.100 to .250.
const maxDesktops = 150

// AddDesktop creates desktop n, links it to the router, proves that it reaches the lab's probe
// server through the router and returns it.
func (l *Lab) AddDesktop(ctx context.Context, n int) (*Desktop, error) {
	if n < 0 || n > maxDesktops {
		return nil, &Error{Op: "add desktop", Err: fmt.Errorf("desktop number %d is not between 0 and %d", n, maxDesktops)}
	}
	base := l.plan.ClientNet.Addr().As4()
	base[3] = byte(100 + n)
	d := &Desktop{l: l, Index: n, Name: fmt.Sprintf("swf%d-%s", n, l.id), Addr: netip.AddrFrom4(base)}
	if err := d.setup(ctx); err != nil {
		return nil, labError("add desktop "+d.Name, errors.Join(err, d.remove(ctx)))
	}
	return d, nil
}

func (d *Desktop) setup(ctx context.Context) error {
	if _, err := run(ctx, "ip", "netns", "add", d.Name); err != nil {
		return fmt.Errorf("creating namespace: %w", err)
	}
	if err := inNamedNS(d.Name, func() error {
		for k, v := range map[string]string{"net/ipv6/conf/all/disable_ipv6": "1", "net/ipv6/conf/default/disable_ipv6": "1"} {
			if err := os.WriteFile(filepath.Join("/proc/sys", k), []byte(v), 0o644); err != nil {
				return fmt.Errorf("setting %s: %w", k, err)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	r := d.l.NSName(Router)
	peer := fmt.Sprintf("d%d", d.Index)
	gw := d.l.plan.RouterClient.String()
	for _, st := range [][]string{
		{"-n", d.Name, "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", r},
		{"-n", d.Name, "addr", "add", d.Addr.String() + "/32", "dev", "eth0"},
		{"-n", d.Name, "link", "set", "lo", "up"},
		{"-n", d.Name, "link", "set", "eth0", "up"},
		{"-n", r, "link", "set", peer, "up"},
		{"-n", d.Name, "route", "add", gw, "dev", "eth0", "scope", "link"},
		// The LAN, through the router: a desktop whose default route goes (no_network) is
		// still reachable from the monitoring namespace, as on a LAN without a gateway.
		{"-n", d.Name, "route", "add", d.l.plan.ClientNet.String(), "via", gw, "dev", "eth0"},
		{"-n", d.Name, "route", "add", "default", "via", gw, "dev", "eth0"},
		{"-n", r, "route", "add", d.Addr.String() + "/32", "dev", peer},
	} {
		if _, err := run(ctx, "ip", st...); err != nil {
			return fmt.Errorf("linking the desktop: %w", err)
		}
	}
	if err := os.MkdirAll(d.etcDir(), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", d.etcDir(), err)
	}
	if err := d.SetResolvConf(fmt.Sprintf("nameserver %v\noptions timeout:2 attempts:1\n", d.l.plan.DNS)); err != nil {
		return err
	}
	if err := d.SetHosts("127.0.0.1 localhost\n"); err != nil {
		return err
	}
	// The path through the router, proven with the lab's echo server.
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := d.Dial(dctx, "tcp4", Addr(d.l.plan.Probe, 7))
	if err != nil {
		return fmt.Errorf("the new desktop does not reach the probe server: %w", err)
	}
	return c.Close()
}

func (d *Desktop) etcDir() string { return filepath.Join(etcNetns, d.Name) }

// SetResolvConf replaces the desktop's /etc/resolv.conf (as its commands see it).
func (d *Desktop) SetResolvConf(content string) error {
	return d.writeEtc("resolv.conf", content)
}

// SetHosts replaces the desktop's /etc/hosts (as its commands see it).
func (d *Desktop) SetHosts(content string) error { return d.writeEtc("hosts", content) }

func (d *Desktop) writeEtc(name, content string) error {
	if err := os.WriteFile(filepath.Join(d.etcDir(), name), []byte(content), 0o644); err != nil {
		return labError("write "+d.Name+" "+name, err)
	}
	return nil
}

// Command prepares a command in the desktop (`ip netns exec`, so with its /etc files) with the
// lab client's environment (Lab.Env: the lab's CA, no proxy variables of the host).
func (d *Desktop) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, toolPath("ip"), append([]string{"netns", "exec", d.Name, name}, args...)...)
	cmd.Env = d.l.Env()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs a system tool (iptables, ip) in the desktop and returns its output.
func (d *Desktop) Run(ctx context.Context, name string, args ...string) (string, error) {
	return run(ctx, "ip", append([]string{"netns", "exec", d.Name, toolPath(name)}, args...)...)
}

// Dial connects from inside the desktop to an IP:port.
func (d *Desktop) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if _, err := hostPortIP(addr); err != nil {
		return nil, err
	}
	var conn net.Conn
	var dialErr error
	if err := inNamedNS(d.Name, func() error {
		var dialer net.Dialer
		conn, dialErr = dialer.DialContext(ctx, network, addr)
		return nil
	}); err != nil {
		return nil, labError("dial from "+d.Name, err)
	}
	return conn, dialErr
}

// RemoveDesktops kills the processes left in the desktops and removes their namespaces (and
// so their veths) and /etc/netns files.
func RemoveDesktops(ctx context.Context, desktops []*Desktop) error {
	var errs []error
	for _, d := range desktops {
		errs = append(errs, d.remove(ctx))
	}
	return errors.Join(errs...)
}

func (d *Desktop) remove(ctx context.Context) error {
	var errs []error
	if _, err := os.Lstat(filepath.Join(netnsRun, d.Name)); err == nil {
		if err := killAll(ctx, d.Name); err != nil {
			errs = append(errs, err)
		}
		if _, err := run(ctx, "ip", "netns", "del", d.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(d.etcDir()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

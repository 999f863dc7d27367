package failure

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestClassifyRouteErrors produces the errors of unreachable and prohibited routes for real, in
// a fresh, empty network namespace that no packet can leave (it has only a down loopback).
func TestClassifyRouteErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		routeType uint8 // 0: no route at all
		want      string
	}{
		{"no route", 0, NetworkUnreachable},                          // ENETUNREACH
		{"unreachable route", unix.RTN_UNREACHABLE, HostUnreachable}, // EHOSTUNREACH, as ICMP host-unreachable
		{"prohibit route", unix.RTN_PROHIBIT, PermissionDenied},      // EACCES, as a firewall's block
	}
	lab := netip.MustParsePrefix("203.0.113.0/24")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := inNewNetns(t, func() error {
				if tt.routeType != 0 {
					if err := addRoute(lab, tt.routeType); err != nil {
						t.Errorf("adding route: %v", err)
						return nil
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				var d net.Dialer
				c, err := d.DialContext(ctx, "tcp", "203.0.113.10:443")
				if err == nil {
					c.Close()
				}
				return err
			})
			if got := Classify(err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", err, got, tt.want)
			}
			if got := byType(err, errnoFailure); got != tt.want {
				t.Errorf("byType(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}

// inNewNetns runs f on an OS thread moved into a new network namespace and returns f's error.
// The thread stays locked, so it is discarded when f returns.
func inNewNetns(t *testing.T, f func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("creating network namespace: %v", err)
			errc <- nil
			return
		}
		errc <- f()
	}()
	return <-errc
}

// addRoute adds an IPv4 route of type typ (RTN_UNREACHABLE, RTN_PROHIBIT…) to dst in the main
// table of the calling thread's network namespace, over rtnetlink.
func addRoute(dst netip.Prefix, typ uint8) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("opening netlink socket: %w", err)
	}
	defer unix.Close(fd)

	addr := dst.Addr().As4()
	attrLen := unix.SizeofRtAttr + len(addr)
	var body bytes.Buffer
	for _, v := range []any{
		unix.RtMsg{
			Family:   unix.AF_INET,
			Dst_len:  uint8(dst.Bits()),
			Table:    unix.RT_TABLE_MAIN,
			Protocol: unix.RTPROT_STATIC,
			Scope:    unix.RT_SCOPE_UNIVERSE,
			Type:     typ,
		},
		unix.RtAttr{Len: uint16(attrLen), Type: unix.RTA_DST},
		addr,
	} {
		if err := binary.Write(&body, binary.NativeEndian, v); err != nil {
			return fmt.Errorf("encoding route: %w", err)
		}
	}
	var msg bytes.Buffer
	hdr := unix.NlMsghdr{
		Len:   uint32(unix.SizeofNlMsghdr + body.Len()),
		Type:  unix.RTM_NEWROUTE,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK | unix.NLM_F_CREATE | unix.NLM_F_EXCL,
		Seq:   1,
	}
	if err := binary.Write(&msg, binary.NativeEndian, hdr); err != nil {
		return fmt.Errorf("encoding netlink header: %w", err)
	}
	msg.Write(body.Bytes())
	if err := unix.Sendto(fd, msg.Bytes(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("sending RTM_NEWROUTE: %w", err)
	}

	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("reading netlink ack: %w", err)
	}
	if n < unix.SizeofNlMsghdr+4 {
		return fmt.Errorf("short netlink ack (%d bytes)", n)
	}
	var ack unix.NlMsghdr
	if err := binary.Read(bytes.NewReader(buf[:unix.SizeofNlMsghdr]), binary.NativeEndian, &ack); err != nil {
		return fmt.Errorf("decoding netlink ack: %w", err)
	}
	if ack.Type != unix.NLMSG_ERROR {
		return fmt.Errorf("netlink answered type %d, want NLMSG_ERROR", ack.Type)
	}
	if code := int32(binary.NativeEndian.Uint32(buf[unix.SizeofNlMsghdr:])); code != 0 {
		return fmt.Errorf("RTM_NEWROUTE: %w", syscall.Errno(-code))
	}
	return nil
}

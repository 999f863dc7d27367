package netstate

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// DefaultRoutes reads the IPv4 and IPv6 default routes from /proc (no cgo, no netlink socket).
// It reads the calling thread's network namespace (/proc/thread-self, not /proc/net, which is
// the process's): a watcher or test goroutine locked to a thread in another namespace sees that
// namespace's routes, as it would through a netlink socket.
func DefaultRoutes() ([]Route, bool, error) {
	v4, err := readRoutes("/proc/thread-self/net/route", parseRouteV4)
	if err != nil {
		return nil, false, err
	}
	v6, err := readRoutes("/proc/thread-self/net/ipv6_route", parseRouteV6)
	if err != nil {
		return v4, true, nil // IPv6 disabled: no table, no IPv6 default route
	}
	return append(v4, v6...), true, nil
}

func readRoutes(path string, parse func([]string) (Route, bool)) ([]Route, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading routing table: %w", err)
	}
	defer f.Close()
	var routes []Route
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if r, ok := parse(strings.Fields(sc.Text())); ok {
			routes = append(routes, r)
		}
	}
	return routes, sc.Err()
}

// parseRouteV4 reads a /proc/net/route line: Iface Destination Gateway Flags RefCnt Use Metric Mask …
// (little-endian hex). A default route has destination and mask 0 and the RTF_UP flag.
func parseRouteV4(f []string) (Route, bool) {
	if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
		return Route{}, false
	}
	flags, err := hex.DecodeString(fmt.Sprintf("%08s", f[3]))
	if err != nil || binary.BigEndian.Uint32(flags)&0x1 == 0 {
		return Route{}, false
	}
	r := Route{Family: "ipv4", Interface: f[0]}
	if gw, err := hex.DecodeString(f[2]); err == nil && len(gw) == 4 {
		if a := netip.AddrFrom4([4]byte{gw[3], gw[2], gw[1], gw[0]}); !a.IsUnspecified() {
			r.Gateway = a.String()
		}
	}
	return r, true
}

// parseRouteV6 reads a /proc/net/ipv6_route line: dest destlen src srclen nexthop metric refcnt use flags iface.
// Unreachable and loopback routes (flag RTF_REJECT 0x200, iface lo) are not default routes.
func parseRouteV6(f []string) (Route, bool) {
	if len(f) < 10 || f[0] != strings.Repeat("0", 32) || f[1] != "00" || f[9] == "lo" {
		return Route{}, false
	}
	flags, err := hex.DecodeString(fmt.Sprintf("%08s", f[8]))
	if err != nil {
		return Route{}, false
	}
	if fl := binary.BigEndian.Uint32(flags); fl&0x1 == 0 || fl&0x200 != 0 {
		return Route{}, false
	}
	r := Route{Family: "ipv6", Interface: f[9]}
	if gw, err := hex.DecodeString(f[4]); err == nil && len(gw) == 16 {
		if a := netip.AddrFrom16([16]byte(gw)); !a.IsUnspecified() {
			r.Gateway = a.String()
		}
	}
	return r, true
}

// readState reads the default routes from /proc, recognises a VPN by the name of the interface
// carrying one, and reads the DNS servers from /etc/resolv.conf.
func readState() (State, error) {
	var st State
	routes, known, rerr := DefaultRoutes()
	st.Routes, st.RoutesKnown = routes, known
	st.VPN = vpnOnRoutes(routes, nil)
	dns, derr := readResolvConf(resolvConf)
	st.DNSServers = dns
	return st, errors.Join(rerr, derr)
}

package probe

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// probeTCP connects to addr (ip:port) and closes at once: the IP-literal internet references.
func probeTCP(ctx context.Context, path *netPath, addr string, role diagnosis.Role) diagnosis.Probe {
	p := diagnosis.Probe{Name: "tcp " + addr, Kind: diagnosis.KindTCP, Role: role, Target: addr, Detail: diagnosis.Detail{Addr: addr, Family: familyOfHostPort(addr)}}
	timed(&p, func() error {
		conn, err := path.dialReference(ctx, addr)
		if err != nil {
			return err
		}
		return abort(conn)
	})
	return p
}

// abort closes a probe's connection with a reset rather than the FIN exchange: one packet
// instead of three, and no socket left in TIME_WAIT, for a connection whose answer has been
// read (or that never carried any). Connections that cannot reset (a TLS tunnel to an https
// proxy) close normally.
func abort(conn net.Conn) error {
	if tc, ok := conn.(interface{ SetLinger(sec int) error }); ok {
		if err := tc.SetLinger(0); err != nil {
			conn.Close()
			return fmt.Errorf("closing the connection: %w", err)
		}
	}
	return conn.Close()
}

// probeAccessPoint connects to one Spotify access point the way the app does: raw TCP (never
// TLS, even on 443), through Spotify's proxy when one is set. ip is the address to dial, or
// empty to let the proxy resolve the name.
func probeAccessPoint(ctx context.Context, path *netPath, px *url.URL, hostPort, ip string) diagnosis.Probe {
	p := diagnosis.Probe{Name: "tcp access point " + hostPort, Kind: diagnosis.KindTCP, Role: diagnosis.RoleSpotify, Target: hostPort}
	timed(&p, func() error {
		var conn net.Conn
		var err error
		if px != nil {
			p.Detail.Via = px.Redacted()
			conn, err = path.dialSpotifyVia(ctx, px, hostPort)
		} else {
			_, port, _ := net.SplitHostPort(hostPort)
			p.Detail.Addr = net.JoinHostPort(ip, port)
			p.Detail.Family = familyOf(ip)
			conn, err = path.dialSpotify(ctx, p.Detail.Addr)
		}
		if err != nil {
			return err
		}
		return abort(conn)
	})
	return p
}

func familyOf(ip string) string {
	if a := net.ParseIP(ip); a != nil && a.To4() == nil {
		return "ipv6"
	}
	return "ipv4"
}

func familyOfHostPort(hostPort string) string {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return ""
	}
	if net.ParseIP(host) == nil {
		return ""
	}
	return familyOf(host)
}

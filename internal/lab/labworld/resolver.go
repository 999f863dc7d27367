//go:build linux

package labworld

import (
	"fmt"
	"net/netip"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/testnet"
)

// StartResolver starts one more DNS server (UDP and TCP 53) on addr, an address of the servers
// namespace (lab.Config.ExtraServerAddrs), that tells the truth except for Spotify's names,
// which it answers with mode (testnet.Sinkhole for a DNS filter, testnet.NXDomain for a
// resolver that fails them). A desktop whose resolv.conf names it sees that fault alone, while
// the world's own DNS server stays truthful for everyone else. It stops with the world.
func (w *World) StartResolver(addr netip.Addr, mode testnet.Mode) (*testnet.Zone, error) {
	zone := testnet.NewZone()
	setTruth(zone, w.Plan)
	zone.SetModeSuffix("spotify.com", mode)
	at := lab.Addr(addr, 53)
	udp, err := w.Lab.ListenPacket(lab.Servers, "udp4", at)
	if err != nil {
		return nil, err
	}
	tcp, err := w.Lab.Listen(lab.Servers, "tcp4", at)
	if err != nil {
		udp.Close()
		return nil, err
	}
	srv, err := testnet.StartDNSZone(zone, udp, tcp)
	if err != nil {
		return nil, fmt.Errorf("starting the resolver on %s: %w", at, err)
	}
	w.onClose(srv.Close)
	return zone, nil
}

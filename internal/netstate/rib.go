package netstate

import (
	"math/bits"
	"net/netip"
)

// Route flags of macOS's <net/route.h>, kept here so that the selection below can be tested on
// every system; routes_darwin_test.go checks them against x/sys/unix.
const (
	rtfUp        = 0x1
	rtfHost      = 0x4
	rtfReject    = 0x8
	rtfBlackhole = 0x1000
	rtfIfScope   = 0x1000000 // a copy of a route bound to one interface, used only by sockets bound to it
)

// ribRoute is one route message of a macOS routing-table dump (sysctl NET_RT_DUMP), as
// golang.org/x/net/route parses it: the header's flags and interface index, and the
// destination, netmask and gateway addresses ("" when absent, or a link address for the
// gateway of an on-link route).
type ribRoute struct {
	Flags   uint32 `json:"flags"`
	Index   int    `json:"index"`
	Dst     string `json:"dst"`
	Netmask string `json:"netmask"`
	Gateway string `json:"gateway"`
}

// ribTable turns a dump's route messages into table entries: the routes that are up, neither
// reject nor blackhole, and not interface-scoped (macOS keeps a scoped default route for every
// interface with a router; the unscoped ones are what unbound traffic, Spotify's, follows).
// ifname names an interface index ("" for none known, which drops the route).
func ribTable(msgs []ribRoute, ifname func(int) string) []tableRoute {
	var table []tableRoute
	for _, m := range msgs {
		if m.Flags&rtfUp == 0 || m.Flags&(rtfReject|rtfBlackhole|rtfIfScope) != 0 {
			continue
		}
		dst, err := netip.ParseAddr(m.Dst)
		if err != nil {
			continue
		}
		ones := dst.BitLen() // a host route, or a route without a netmask
		if m.Flags&rtfHost == 0 {
			ones = 0 // a netmask of zero length is the default route's
			if mask, err := netip.ParseAddr(m.Netmask); err == nil {
				ones = maskOnes(mask.AsSlice())
			}
		}
		pfx, err := dst.Prefix(ones)
		if err != nil {
			continue
		}
		name := ifname(m.Index)
		if name == "" {
			continue
		}
		gw, _ := netip.ParseAddr(m.Gateway) // a link address or none: on-link
		table = append(table, tableRoute{Dst: pfx, Gateway: gw, Interface: name})
	}
	return table
}

// maskOnes counts the leading one bits of a netmask.
func maskOnes(mask []byte) int {
	n := 0
	for _, b := range mask {
		n += bits.LeadingZeros8(^b)
		if b != 0xff {
			break
		}
	}
	return n
}

package netwatch

import (
	"encoding/binary"
	"net"
)

// Values from macOS's <net/route.h> and <net/if.h>, kept here so that the parsing below can be
// tested on every system; routemsg_darwin_test.go checks them against x/sys/unix.
const (
	rtmVersion   = 0x5
	rtmAdd       = 0x1
	rtmDelete    = 0x2
	rtmChange    = 0x3
	rtmNewAddr   = 0xc
	rtmDelAddr   = 0xd
	rtmIfInfo    = 0xe
	rtfLLInfo    = 0x400   // an ARP or neighbour-discovery entry
	rtfWasCloned = 0x20000 // a per-destination host route cloned by ordinary traffic
	iffUp        = 0x1
	iffRunning   = 0x40
)

// routeSocketTracker tells changes from noise in the messages of a BSD route socket (macOS): it
// drops the ARP entries and cloned host routes that any connection creates and expires, and
// link messages that repeat an interface's up and running flags.
type routeSocketTracker struct {
	links map[uint16]uint32 // interface index → iffUp|iffRunning bits
}

func newRouteSocketTracker() *routeSocketTracker {
	return &routeSocketTracker{links: map[uint16]uint32{}}
}

// seed records the interfaces' current flags.
func (t *routeSocketTracker) seed(ifaces []net.Interface) {
	for _, ifi := range ifaces {
		var flags uint32
		if ifi.Flags&net.FlagUp != 0 {
			flags |= iffUp
		}
		if ifi.Flags&net.FlagRunning != 0 {
			flags |= iffRunning
		}
		t.links[uint16(ifi.Index)] = flags
	}
}

// reason returns the Reason of the first change among the messages in b, or "".
func (t *routeSocketTracker) reason(b []byte) string {
	reason := ""
	for len(b) >= 4 {
		n := int(binary.NativeEndian.Uint16(b[0:2])) // every message starts with its length
		if n < 4 || n > len(b) {
			break
		}
		if r := t.apply(b[:n]); reason == "" {
			reason = r
		}
		b = b[n:]
	}
	return reason
}

// apply reads one message: rt_msghdr, ifa_msghdr or if_msghdr, which all start with length,
// version and type.
func (t *routeSocketTracker) apply(m []byte) string {
	if m[2] != rtmVersion {
		return ""
	}
	switch m[3] {
	case rtmAdd, rtmDelete, rtmChange:
		if len(m) < 12 { // rtm_flags is at offset 8
			return ""
		}
		if binary.NativeEndian.Uint32(m[8:12])&(rtfLLInfo|rtfWasCloned) != 0 {
			return ""
		}
		return ReasonRoute
	case rtmNewAddr, rtmDelAddr:
		return ReasonAddress
	case rtmIfInfo:
		if len(m) < 14 { // ifm_flags is at offset 8, ifm_index at 12
			return ""
		}
		flags := binary.NativeEndian.Uint32(m[8:12]) & (iffUp | iffRunning)
		index := binary.NativeEndian.Uint16(m[12:14])
		old, known := t.links[index]
		t.links[index] = flags
		if known && old == flags {
			return ""
		}
		return ReasonLink
	}
	return "" // RTM_GET, RTM_MISS, RTM_LOSING, RTM_RESOLVE, multicast addresses…
}

package netwatch

import (
	"encoding/binary"
	"net"
	"slices"
	"testing"
)

// Sizes of macOS's rt_msghdr, ifa_msghdr and if_msghdr.
const (
	sizeofRtMsghdr  = 92
	sizeofIfaMsghdr = 20
	sizeofIfMsghdr  = 112
)

// bsdMsg builds a route socket message of the given size and type with flags at offset 8 and
// index at offset 12, as far as size allows.
func bsdMsg(size int, typ uint8, flags uint32, index uint16) []byte {
	b := make([]byte, max(size, 14))
	binary.NativeEndian.PutUint16(b[0:2], uint16(size))
	b[2], b[3] = rtmVersion, typ
	binary.NativeEndian.PutUint32(b[8:12], flags)
	binary.NativeEndian.PutUint16(b[12:14], index)
	return b[:size]
}

func routeMsg(typ uint8, flags uint32) []byte { return bsdMsg(sizeofRtMsghdr, typ, flags, 0) }
func addrMsg(typ uint8) []byte                { return bsdMsg(sizeofIfaMsghdr, typ, 0, 4) }
func linkMsg(index uint16, flags uint32) []byte {
	return bsdMsg(sizeofIfMsghdr, rtmIfInfo, flags, index)
}

// TestRouteSocketTracker feeds one tracker a sequence of batches, as a route socket would.
func TestRouteSocketTracker(t *testing.T) {
	const (
		rtfUp, rtfGateway, rtfHost, rtfStatic = 0x1, 0x2, 0x4, 0x800
		iffPromisc                            = 0x100
	)
	wrongVersion := routeMsg(rtmAdd, rtfUp)
	wrongVersion[2] = 4
	tooLong := routeMsg(rtmAdd, rtfUp)
	binary.NativeEndian.PutUint16(tooLong[0:2], sizeofRtMsghdr+1)

	steps := []struct {
		name  string
		batch []byte
		want  string
	}{
		{"default route added", routeMsg(rtmAdd, rtfUp|rtfGateway|rtfStatic), ReasonRoute},
		{"route changed", routeMsg(rtmChange, rtfUp|rtfGateway), ReasonRoute},
		{"route deleted", routeMsg(rtmDelete, rtfUp|rtfGateway), ReasonRoute},
		{"host route cloned by a connection", routeMsg(rtmAdd, rtfUp|rtfHost|rtfWasCloned), ""},
		{"cloned route expired", routeMsg(rtmDelete, rtfUp|rtfHost|rtfWasCloned), ""},
		{"ARP entry", routeMsg(rtmAdd, rtfUp|rtfHost|rtfLLInfo), ""},
		{"route miss", routeMsg(0x7, 0), ""},
		{"multicast address", addrMsg(0xf), ""},
		{"address added", addrMsg(rtmNewAddr), ReasonAddress},
		{"address deleted", addrMsg(rtmDelAddr), ReasonAddress},
		{"seeded link repeats its flags", linkMsg(5, iffUp|iffRunning), ""},
		{"seeded link turns promiscuous", linkMsg(5, iffUp|iffRunning|iffPromisc), ""},
		{"link loses carrier", linkMsg(5, iffUp), ReasonLink},
		{"link still without carrier", linkMsg(5, iffUp|iffPromisc), ""},
		{"link back", linkMsg(5, iffUp|iffRunning), ReasonLink},
		{"new link", linkMsg(9, 0), ReasonLink},
		{"new link again", linkMsg(9, 0), ""},
		{"batch: noise then route", slices.Concat(routeMsg(rtmAdd, rtfWasCloned), routeMsg(rtmAdd, rtfUp)), ReasonRoute},
		{"batch: address then route", slices.Concat(addrMsg(rtmNewAddr), routeMsg(rtmAdd, rtfUp)), ReasonAddress},
		{"other version", wrongVersion, ""},
		{"length past the end", tooLong, ""},
		{"short header", []byte{2, 0}, ""},
		{"zero length", make([]byte, 8), ""},
		{"short route message", bsdMsg(8, rtmAdd, rtfUp, 0), ""},
		{"short link message", bsdMsg(12, rtmIfInfo, 0, 0), ""},
	}
	tr := newRouteSocketTracker()
	tr.seed([]net.Interface{{Index: 5, Name: "en0", Flags: net.FlagUp | net.FlagRunning | net.FlagMulticast}})
	for _, s := range steps {
		if got := tr.reason(s.batch); got != s.want {
			t.Errorf("%s: reason = %q, want %q", s.name, got, s.want)
		}
	}
}

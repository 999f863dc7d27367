package netwatch

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// linkFlags are the interface flags that matter for connectivity; the others (promiscuous mode,
// multicast…) change without the network changing.
const linkFlags = unix.IFF_UP | unix.IFF_RUNNING | unix.IFF_LOWER_UP | unix.IFF_DORMANT

// tracker remembers the links, addresses and routes rtnetlink told about, so that a message
// repeating what is known (an address's lifetime refreshed by a router advertisement, a
// wireless scan reported as a link message, a link's alias set) is not taken for a change.
//
// It errs towards reporting: anything it cannot tell apart counts as a change.
type tracker struct {
	links, addrs, routes objects
}

// objects maps an object's identity to what is known of it.
type objects map[string]object

type object struct {
	value string   // what must stay equal for a repeated message to be no change
	group string   // IPv6 routes: identity without the next hop, for NLM_F_REPLACE
	links []uint32 // the interfaces it lives on
}

func newTracker() *tracker {
	return &tracker{links: objects{}, addrs: objects{}, routes: objects{}}
}

// reset forgets everything, after events were lost.
func (t *tracker) reset() {
	clear(t.links)
	clear(t.addrs)
	clear(t.routes)
}

// set records obj and says whether that changed anything.
func (o objects) set(id string, obj object) bool {
	old, known := o[id]
	o[id] = obj
	return !known || old.value != obj.value
}

// forgetLink forgets the objects on interface index.
func (o objects) forgetLink(index uint32) {
	for id, obj := range o {
		if slices.Contains(obj.links, index) {
			delete(o, id)
		}
	}
}

// apply records message m and returns the Reason it is a change, or "" when it is none: a
// repeat, a cached route, a type the tracker does not follow. When seeding (m answers the
// tracker's own dump) it records m without reporting it.
func (t *tracker) apply(m syscall.NetlinkMessage, seeding bool) string {
	var changed bool
	var reason string
	switch m.Header.Type {
	case unix.RTM_NEWLINK, unix.RTM_DELLINK:
		changed, reason = t.applyLink(m), ReasonLink
	case unix.RTM_NEWADDR, unix.RTM_DELADDR:
		changed, reason = t.applyAddr(m), ReasonAddress
	case unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
		changed, reason = t.applyRoute(m), ReasonRoute
	}
	if !changed || seeding {
		return ""
	}
	return reason
}

func (t *tracker) applyLink(m syscall.NetlinkMessage) bool {
	if len(m.Data) < unix.SizeofIfInfomsg {
		return false
	}
	family := m.Data[0]
	index := binary.NativeEndian.Uint32(m.Data[4:8])
	flags := binary.NativeEndian.Uint32(m.Data[8:12])
	id := fmt.Sprintf("%d/%d", family, index)

	// The kernel drops a link's IPv4 routes without a message when it goes down or away. Forget
	// what lived on a changed link, so that re-adding the same route counts as a change.
	if m.Header.Type == unix.RTM_DELLINK {
		delete(t.links, id)
		t.addrs.forgetLink(index)
		t.routes.forgetLink(index)
		return true
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return true
	}
	// Only these attributes matter: the others (statistics, wireless events, the alias…) change
	// in every message or do not affect connectivity.
	var value strings.Builder
	fmt.Fprintf(&value, "%#x", flags&linkFlags)
	for _, typ := range [...]uint16{unix.IFLA_IFNAME, unix.IFLA_OPERSTATE, unix.IFLA_MASTER} {
		fmt.Fprintf(&value, " %d=%x", typ, attrValue(attrs, typ))
	}
	if !t.links.set(id, object{value: value.String(), links: []uint32{index}}) {
		return false
	}
	t.addrs.forgetLink(index)
	t.routes.forgetLink(index)
	return true
}

func (t *tracker) applyAddr(m syscall.NetlinkMessage) bool {
	if len(m.Data) < unix.SizeofIfAddrmsg {
		return false
	}
	family, prefixLen, flags, scope := m.Data[0], m.Data[1], m.Data[2], m.Data[3]
	index := binary.NativeEndian.Uint32(m.Data[4:8])
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return true
	}
	id := fmt.Sprintf("%d/%d/%d/%x/%x", family, index, prefixLen,
		attrValue(attrs, unix.IFA_ADDRESS), attrValue(attrs, unix.IFA_LOCAL))
	if m.Header.Type == unix.RTM_DELADDR {
		delete(t.addrs, id)
		t.routes.forgetLink(index) // routes through the address's subnet may go silently too
		return true
	}
	// The lifetimes (IFA_CACHEINFO) are refreshed by every router advertisement.
	value := fmt.Sprintf("%#x %d %s", flags, scope, attrsText(attrs, unix.IFA_CACHEINFO))
	return t.addrs.set(id, object{value: value, links: []uint32{index}})
}

func (t *tracker) applyRoute(m syscall.NetlinkMessage) bool {
	h, ok := parseRtHeader(m.Data)
	if !ok || h.flags&unix.RTM_F_CLONED != 0 {
		return false // a cached exception (PMTU, redirect), not a configured route
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return true
	}
	// The kernel tells IPv4 routes apart by table, destination, TOS and metric; IPv6 routes also
	// by next hop (several make a multipath route).
	group := fmt.Sprintf("%d/%d/%x/%d/%x/%d/%d/%x", h.family, routeTable(h, attrs),
		attrValue(attrs, unix.RTA_DST), h.dstLen, attrValue(attrs, unix.RTA_SRC), h.srcLen, h.tos,
		attrValue(attrs, unix.RTA_PRIORITY))
	id := group
	if h.family == unix.AF_INET6 {
		id += fmt.Sprintf("/%x/%x", attrValue(attrs, unix.RTA_GATEWAY), attrValue(attrs, unix.RTA_OIF))
	}
	if m.Header.Type == unix.RTM_DELROUTE {
		delete(t.routes, id)
		return true
	}
	if h.family == unix.AF_INET6 && m.Header.Flags&unix.NLM_F_REPLACE != 0 {
		// It replaced the route of the group, which may have had another next hop.
		for old, obj := range t.routes {
			if obj.group == group && old != id {
				delete(t.routes, old)
			}
		}
	}
	// RTA_EXPIRES and RTA_CACHEINFO are refreshed by router advertisements.
	value := fmt.Sprintf("%d %d %d %#x %s", h.typ, h.protocol, h.scope, h.flags,
		attrsText(attrs, unix.RTA_CACHEINFO, unix.RTA_EXPIRES))
	return t.routes.set(id, object{value: value, group: group, links: routeLinks(attrs)})
}

// rtHeader is the fixed part of a route message (struct rtmsg).
type rtHeader struct {
	family, dstLen, srcLen, tos, table, protocol, scope, typ uint8
	flags                                                    uint32
}

func parseRtHeader(b []byte) (rtHeader, bool) {
	if len(b) < unix.SizeofRtMsg {
		return rtHeader{}, false
	}
	return rtHeader{
		family: b[0], dstLen: b[1], srcLen: b[2], tos: b[3],
		table: b[4], protocol: b[5], scope: b[6], typ: b[7],
		flags: binary.NativeEndian.Uint32(b[8:12]),
	}, true
}

// routeTable is the route's table: RTA_TABLE holds the IDs that do not fit rtm_table.
func routeTable(h rtHeader, attrs []syscall.NetlinkRouteAttr) uint32 {
	if v := attrValue(attrs, unix.RTA_TABLE); len(v) == 4 {
		return binary.NativeEndian.Uint32(v)
	}
	return uint32(h.table)
}

// routeLinks lists the interfaces a route goes out of: RTA_OIF, or its multipath next hops.
func routeLinks(attrs []syscall.NetlinkRouteAttr) []uint32 {
	var links []uint32
	if v := attrValue(attrs, unix.RTA_OIF); len(v) == 4 {
		links = append(links, binary.NativeEndian.Uint32(v))
	}
	mp := attrValue(attrs, unix.RTA_MULTIPATH)
	for len(mp) >= unix.SizeofRtNexthop { // struct rtnexthop, then its attributes
		n := int(binary.NativeEndian.Uint16(mp[0:2]))
		if n < unix.SizeofRtNexthop || n > len(mp) {
			break
		}
		links = append(links, binary.NativeEndian.Uint32(mp[4:8]))
		mp = mp[min(len(mp), (n+unix.NLA_ALIGNTO-1)&^(unix.NLA_ALIGNTO-1)):]
	}
	return links
}

// attrValue returns the value of the first attribute of type typ, or nil.
func attrValue(attrs []syscall.NetlinkRouteAttr, typ uint16) []byte {
	for _, a := range attrs {
		if a.Attr.Type == typ {
			return a.Value
		}
	}
	return nil
}

// attrsText writes the attributes but those of the skipped types as text, in message order.
func attrsText(attrs []syscall.NetlinkRouteAttr, skip ...uint16) string {
	var b strings.Builder
	for _, a := range attrs {
		if !slices.Contains(skip, a.Attr.Type) {
			fmt.Fprintf(&b, "%d=%x ", a.Attr.Type, a.Value)
		}
	}
	return b.String()
}

package netwatch

import (
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultRoutes describes the default routes of all tables (policy routing and VPNs use tables
// of their own), one a line, without their changing lifetimes.
func defaultRoutes() (string, error) {
	rib, err := syscall.NetlinkRIB(unix.RTM_GETROUTE, unix.AF_UNSPEC)
	if err != nil {
		return "", fmt.Errorf("dumping routes: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return "", fmt.Errorf("parsing routes: %w", err)
	}
	var b strings.Builder
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWROUTE {
			continue
		}
		h, ok := parseRtHeader(m.Data)
		if !ok || h.dstLen != 0 || h.flags&unix.RTM_F_CLONED != 0 {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return "", fmt.Errorf("parsing a route: %w", err)
		}
		fmt.Fprintf(&b, "default family %d table %d type %d %s\n", h.family, routeTable(h, attrs), h.typ,
			attrsText(attrs, unix.RTA_CACHEINFO, unix.RTA_EXPIRES))
	}
	return b.String(), nil
}

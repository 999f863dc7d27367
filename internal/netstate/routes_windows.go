package netstate

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

// adapterInfo is what the routes need of an adapter from GetAdaptersAddresses.
type adapterInfo struct {
	Adapter
	Up  bool
	DNS []netip.Addr
}

// DefaultRoutes reads the IPv4 and IPv6 default routes with GetIpForwardTable2, naming each by
// its adapter's friendly name; routes through an adapter that is not up are left out.
func DefaultRoutes() ([]Route, bool, error) {
	routes, _, err := readWindows()
	if err != nil {
		return nil, false, err
	}
	return routes, true, nil
}

// readState reads the default routes, names the VPN adapter carrying one (friendly name and
// description) and lists the DNS servers of the adapters carrying one.
func readState() (State, error) {
	routes, adapters, err := readWindows()
	if err != nil {
		return State{}, err
	}
	st := State{Routes: routes, RoutesKnown: true}
	byName := map[string]adapterInfo{}
	for _, a := range adapters {
		byName[a.Name] = a
	}
	st.VPN = vpnOnRoutes(routes, func(name string) (Adapter, bool) {
		a, ok := byName[name]
		return a.Adapter, ok
	})
	var dns []netip.Addr
	seen := map[string]bool{}
	for _, r := range routes {
		if !seen[r.Interface] {
			seen[r.Interface] = true
			dns = append(dns, byName[r.Interface].DNS...)
		}
	}
	st.DNSServers = dedupeDNS(dns)
	return st, nil
}

// readWindows reads the adapters and the routing table and selects the default routes.
func readWindows() ([]Route, []adapterInfo, error) {
	adapters, byLUID, err := readAdapters()
	if err != nil {
		return nil, nil, err
	}
	table, err := readTable(byLUID)
	if err != nil {
		return nil, adapters, err
	}
	return selectDefaults(table), adapters, nil
}

// readTable reads the routing table with GetIpForwardTable2: the routes through adapters that
// are up, each named by its adapter's friendly name.
func readTable(byLUID map[uint64]adapterInfo) ([]tableRoute, error) {
	var table *windows.MibIpForwardTable2
	if err := windows.GetIpForwardTable2(windows.AF_UNSPEC, &table); err != nil {
		return nil, fmt.Errorf("reading the routing table (GetIpForwardTable2): %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(table))
	var entries []tableRoute
	for _, row := range table.Rows() {
		a, ok := byLUID[row.InterfaceLuid]
		if !ok || !a.Up {
			continue
		}
		dst, ok := sockaddrAddr(&row.DestinationPrefix.Prefix)
		if !ok {
			continue
		}
		pfx, err := dst.Prefix(int(row.DestinationPrefix.PrefixLength))
		if err != nil {
			continue
		}
		gw, _ := sockaddrAddr(&row.NextHop)
		entries = append(entries, tableRoute{Dst: pfx, Gateway: gw, Interface: a.Name})
	}
	return entries, nil
}

// readAdapters lists the adapters with GetAdaptersAddresses, growing the buffer as it asks.
func readAdapters() ([]adapterInfo, map[uint64]adapterInfo, error) {
	const flags = windows.GAA_FLAG_SKIP_UNICAST | windows.GAA_FLAG_SKIP_ANYCAST | windows.GAA_FLAG_SKIP_MULTICAST
	size := uint32(15 << 10) // Microsoft's suggested first size
	var first *windows.IpAdapterAddresses
	for range 4 {
		buf := make([]byte, size)
		first = (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0]))
		err := windows.GetAdaptersAddresses(windows.AF_UNSPEC, flags, 0, first, &size)
		if err == nil {
			break
		}
		if errors.Is(err, windows.ERROR_NO_DATA) {
			return nil, map[uint64]adapterInfo{}, nil
		}
		if !errors.Is(err, windows.ERROR_BUFFER_OVERFLOW) {
			return nil, nil, fmt.Errorf("listing network adapters (GetAdaptersAddresses): %w", err)
		}
		first = nil
	}
	if first == nil {
		return nil, nil, errors.New("listing network adapters (GetAdaptersAddresses): the list kept growing")
	}
	var list []adapterInfo
	byLUID := map[uint64]adapterInfo{}
	for aa := first; aa != nil; aa = aa.Next {
		a := adapterInfo{
			Adapter: Adapter{
				Name:        windows.UTF16PtrToString(aa.FriendlyName),
				Description: windows.UTF16PtrToString(aa.Description),
				Type:        aa.IfType,
			},
			Up: aa.OperStatus == windows.IfOperStatusUp,
		}
		for d := aa.FirstDnsServerAddress; d != nil; d = d.Next {
			if ip, ok := netip.AddrFromSlice(d.Address.IP()); ok {
				a.DNS = append(a.DNS, ip)
			}
		}
		list = append(list, a)
		byLUID[aa.Luid] = a
	}
	return list, byLUID, nil
}

// sockaddrAddr reads the address of a SOCKADDR_INET.
func sockaddrAddr(sa *windows.RawSockaddrInet) (netip.Addr, bool) {
	switch sa.Family {
	case windows.AF_INET:
		return netip.AddrFrom4((*windows.RawSockaddrInet4)(unsafe.Pointer(sa)).Addr), true
	case windows.AF_INET6:
		return netip.AddrFrom16((*windows.RawSockaddrInet6)(unsafe.Pointer(sa)).Addr), true
	}
	return netip.Addr{}, false
}

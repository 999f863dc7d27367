package netstate

import "testing"

// TestReadWindows calls the real IP Helper functions. Under wine (scripts/wine) the network is
// loopback only: the calls succeed, the loopback adapter is listed, the routes are known and
// there is no default route, which the diagnosis reads as no_network. On a connected Windows
// machine it logs what it found.
func TestReadWindows(t *testing.T) {
	routes, known, err := DefaultRoutes()
	if err != nil || !known {
		t.Fatalf("DefaultRoutes() = %v, %v, %v", routes, known, err)
	}
	adapters, byLUID, err := readAdapters()
	if err != nil {
		t.Fatalf("readAdapters: %v", err)
	}
	table, err := readTable(byLUID)
	if err != nil {
		t.Fatalf("readTable: %v", err)
	}
	for _, r := range table { // wine 8 builds the table from Linux's main table: none here, and never IPv6 rows
		t.Logf("route %v via %v on %q", r.Dst, r.Gateway, r.Interface)
	}
	loopback := false
	for _, a := range adapters {
		t.Logf("adapter %q (%q) type %d up %v DNS %v VPN %v", a.Name, a.Description, a.Type, a.Up, a.DNS, IsVPN(a.Adapter))
		loopback = loopback || a.Type == 24 // IF_TYPE_SOFTWARE_LOOPBACK
	}
	st, err := Read()
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	t.Logf("routes %v, VPN %q, DNS servers %v", st.Routes, st.VPN, st.DNSServers)
	if !st.RoutesKnown {
		t.Error("routes not known")
	}
	if !loopbackOnly(adapters) {
		t.Skip("not a loopback-only network: nothing more to assert")
	}
	if !loopback {
		t.Error("no loopback adapter listed")
	}
	// Known routes and none of them a default: classify's no_network condition.
	if len(st.Routes) != 0 || st.VPN != "" {
		t.Errorf("a loopback-only network has default routes %v, VPN %q", st.Routes, st.VPN)
	}
}

// loopbackOnly reports whether no adapter but loopback is up, as in scripts/wine's namespace.
func loopbackOnly(adapters []adapterInfo) bool {
	for _, a := range adapters {
		if a.Up && a.Type != 24 {
			return false
		}
	}
	return true
}

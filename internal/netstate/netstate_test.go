package netstate

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsVPN(t *testing.T) {
	tests := []struct {
		a    Adapter
		want bool
	}{
		// Linux and macOS: by interface name, the one name table.
		{Adapter{Name: "wg0"}, true},
		{Adapter{Name: "tun0"}, true},
		{Adapter{Name: "utun3"}, true},
		{Adapter{Name: "ipsec0"}, true},
		{Adapter{Name: "ppp0"}, true},
		{Adapter{Name: "tailscale0"}, true},
		{Adapter{Name: "nordlynx"}, true},
		{Adapter{Name: "eth0"}, false},
		{Adapter{Name: "wlan0"}, false},
		{Adapter{Name: "enp3s0"}, false},
		{Adapter{Name: "en0"}, false},
		{Adapter{Name: "bridge0"}, false},
		// Windows: by description, then by type.
		{Adapter{Name: "Ethernet 3", Description: "TAP-Windows Adapter V9", Type: 6}, true},
		{Adapter{Name: "OpenVPN Data Channel Offload", Description: "OpenVPN Data Channel Offload", Type: 53}, true},
		{Adapter{Name: "wg-home", Description: "WireGuard Tunnel", Type: 53}, true},
		{Adapter{Name: "Tailscale", Description: "Tailscale Tunnel", Type: 53}, true},
		{Adapter{Name: "Ethernet 2", Description: "Cisco AnyConnect Secure Mobility Client Virtual Miniport Adapter for Windows x64", Type: 6}, true},
		{Adapter{Name: "Ethernet 4", Description: "PANGP Virtual Ethernet Adapter Secure", Type: 6}, true},
		{Adapter{Name: "Ethernet 5", Description: "Fortinet SSL VPN Virtual Ethernet Adapter", Type: 6}, true},
		{Adapter{Name: "NordLynx", Description: "NordLynx Tunnel", Type: 53}, true},
		{Adapter{Name: "Local Area Connection", Description: "ExpressVPN TAP Adapter", Type: 6}, true},
		{Adapter{Name: "ProtonVPN", Description: "ProtonVPN Tunnel", Type: 53}, true},
		{Adapter{Name: "Mullvad", Description: "Mullvad Tunnel", Type: 53}, true},
		{Adapter{Name: "Work VPN", Description: "WAN Miniport (IKEv2)", Type: 23}, true},     // the built-in client
		{Adapter{Name: "Office", Description: "WAN Miniport (SSTP)", Type: ifTypePPP}, true}, // named by type alone
		{Adapter{Name: "Ethernet 6", Description: "Some Vendor Virtual Adapter", Type: ifTypePropVirtual}, true},
		{Adapter{Name: "Wi-Fi", Description: "Intel(R) Wi-Fi 6 AX201 160MHz", Type: 71}, false},
		{Adapter{Name: "Ethernet", Description: "Realtek PCIe GbE Family Controller", Type: 6}, false},
		{Adapter{Name: "Teredo Tunneling Pseudo-Interface", Description: "Microsoft Teredo Tunneling Adapter", Type: ifTypeTunnel}, false},
		{Adapter{Name: "isatap.home", Description: "Microsoft ISATAP Adapter", Type: ifTypeTunnel}, false},
		{Adapter{Name: "vEthernet (Default Switch)", Description: "Hyper-V Virtual Ethernet Adapter", Type: 6}, false},
		{Adapter{Name: "Loopback Pseudo-Interface 1", Description: "Software Loopback Interface 1", Type: 24}, false},
	}
	for _, tt := range tests {
		if got := IsVPN(tt.a); got != tt.want {
			t.Errorf("IsVPN(%+v) = %v, want %v", tt.a, got, tt.want)
		}
	}
}

func TestAdapterLabel(t *testing.T) {
	for a, want := range map[Adapter]string{
		{Name: "wg0"}: "wg0",
		{Name: "Ethernet 3", Description: "TAP-Windows Adapter V9"}: "Ethernet 3: TAP-Windows Adapter V9",
		{Name: "NordLynx", Description: "nordlynx"}:                 "NordLynx",
		{Description: "WireGuard Tunnel"}:                           "WireGuard Tunnel",
	} {
		if got := a.Label(); got != want {
			t.Errorf("%+v.Label() = %q, want %q", a, got, want)
		}
	}
}

func TestVPNOnRoutes(t *testing.T) {
	routes := []Route{{Family: "ipv4", Interface: "Wi-Fi", Gateway: "192.168.1.1"}, {Family: "ipv4", Interface: "Ethernet 3"}}
	adapters := map[string]Adapter{
		"Wi-Fi":      {Name: "Wi-Fi", Description: "Intel(R) Wi-Fi 6 AX201 160MHz", Type: 71},
		"Ethernet 3": {Name: "Ethernet 3", Description: "TAP-Windows Adapter V9", Type: 6},
	}
	lookup := func(name string) (Adapter, bool) { a, ok := adapters[name]; return a, ok }
	if got, want := vpnOnRoutes(routes, lookup), "Ethernet 3: TAP-Windows Adapter V9"; got != want {
		t.Errorf("vpnOnRoutes = %q, want %q", got, want)
	}
	if got := vpnOnRoutes(routes[:1], lookup); got != "" {
		t.Errorf("vpnOnRoutes without a VPN = %q", got)
	}
	if got := vpnOnRoutes([]Route{{Family: "ipv4", Interface: "eth0"}, {Family: "ipv6", Interface: "wg0"}}, nil); got != "wg0" {
		t.Errorf("vpnOnRoutes by name = %q, want wg0", got)
	}
}

func tr(dst, gw, iface string) tableRoute {
	r := tableRoute{Dst: netip.MustParsePrefix(dst), Interface: iface}
	if gw != "" {
		r.Gateway = netip.MustParseAddr(gw)
	}
	return r
}

func TestSelectDefaults(t *testing.T) {
	tests := []struct {
		name  string
		table []tableRoute
		want  string
	}{
		{"none", []tableRoute{tr("127.0.0.0/8", "", "lo"), tr("192.168.1.0/24", "0.0.0.0", "Wi-Fi")}, "[]"},
		{"ipv4 and ipv6 defaults", []tableRoute{
			tr("192.168.1.0/24", "", "Wi-Fi"), tr("0.0.0.0/0", "192.168.1.1", "Wi-Fi"), tr("::/0", "fe80::1%Wi-Fi", "Wi-Fi"),
		}, "[{ipv4 Wi-Fi 192.168.1.1} {ipv6 Wi-Fi fe80::1}]"},
		{"on-link default", []tableRoute{tr("0.0.0.0/0", "0.0.0.0", "ppp0")}, "[{ipv4 ppp0 }]"},
		{"OpenVPN def1 halves first", []tableRoute{
			tr("0.0.0.0/0", "192.168.1.1", "Wi-Fi"), tr("0.0.0.0/1", "10.8.0.1", "Ethernet 3"), tr("128.0.0.0/1", "10.8.0.1", "Ethernet 3"),
		}, "[{ipv4 Ethernet 3 10.8.0.1} {ipv4 Wi-Fi 192.168.1.1}]"},
		{"one half is not a default", []tableRoute{tr("0.0.0.0/1", "10.8.0.1", "tun0")}, "[]"},
		{"halves through different interfaces", []tableRoute{tr("0.0.0.0/1", "", "tun0"), tr("128.0.0.0/1", "", "tun1")}, "[]"},
		{"ipv6 halves", []tableRoute{tr("8000::/1", "", "utun3"), tr("::/1", "", "utun3")}, "[{ipv6 utun3 }]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(selectDefaults(tt.table)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestDarwinRIB selects the default routes of the macOS routing-table dumps in testdata (written
// by hand, not recorded: see testdata/README.md).
func TestDarwinRIB(t *testing.T) {
	names := map[int]string{1: "lo0", 4: "en0", 12: "utun3"}
	tests := []struct {
		file      string
		want, vpn string
	}{
		{"darwin-rib-wifi.json", "[{ipv4 en0 192.168.1.1} {ipv6 en0 fe80::1}]", ""},
		{"darwin-rib-wireguard.json", "[{ipv4 utun3 } {ipv6 utun3 } {ipv4 en0 192.168.1.1} {ipv6 en0 fe80::1}]", "utun3"},
		{"darwin-rib-offline.json", "[]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var rib []ribRoute
			if err := json.Unmarshal(data, &rib); err != nil {
				t.Fatal(err)
			}
			routes := selectDefaults(ribTable(rib, func(i int) string { return names[i] }))
			if got := fmt.Sprint(routes); got != tt.want {
				t.Errorf("routes %s, want %s", got, tt.want)
			}
			if got := vpnOnRoutes(routes, nil); got != tt.vpn {
				t.Errorf("VPN %q, want %q", got, tt.vpn)
			}
		})
	}
}

func TestMaskOnes(t *testing.T) {
	for mask, want := range map[string]int{"0.0.0.0": 0, "128.0.0.0": 1, "255.255.255.0": 24, "255.255.255.255": 32, "ffff:ffff:ffff:ffff::": 64} {
		if got := maskOnes(netip.MustParseAddr(mask).AsSlice()); got != want {
			t.Errorf("maskOnes(%s) = %d, want %d", mask, got, want)
		}
	}
}

func TestParseResolvConf(t *testing.T) {
	conf := `# Generated by NetworkManager
search home.example
nameserver 192.168.1.1
nameserver  fd00::53
nameserver 192.168.1.1
nameserver not-an-address
options edns0
nameserver 127.0.0.53
`
	got, err := parseResolvConf(strings.NewReader(conf))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[192.168.1.1 fd00::53 127.0.0.53]"; fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func TestDedupeDNS(t *testing.T) {
	var in []netip.Addr
	for _, s := range []string{"192.168.1.1", "fec0:0:0:ffff::1%1", "fec0:0:0:ffff::2%1", "::ffff:192.168.1.1", "fe80::1%12", "2001:db8::53", "0.0.0.0"} {
		in = append(in, netip.MustParseAddr(s))
	}
	if got, want := fmt.Sprint(dedupeDNS(in)), "[192.168.1.1 fe80::1 2001:db8::53]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

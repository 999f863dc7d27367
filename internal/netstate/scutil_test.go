package netstate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseScutilDNS(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []string
		wantErr bool
	}{
		{name: "wifi", out: readTestdata(t, "scutil-dns-wifi.txt"), want: []string{"192.168.1.1", "fe80::1%en0"}},
		{name: "a VPN first, split DNS left out", out: readTestdata(t, "scutil-dns-vpn-split.txt"), want: []string{"10.64.0.1", "192.168.1.1"}},
		{name: "offline", out: readTestdata(t, "scutil-dns-offline.txt"), want: []string{}},
		{name: "no configuration at all", out: "DNS configuration\n\nNo DNS configuration available\n", want: []string{}},
		{name: "the same server twice", out: "DNS configuration\n\nresolver #1\n  nameserver[0] : 9.9.9.9\nresolver #2\n  nameserver[0] : 9.9.9.9\n", want: []string{"9.9.9.9"}},
		{name: "not scutil output", out: "scutil: command not found\n", wantErr: true},
		{name: "empty", out: "", wantErr: true},
		{name: "a resolver before the header", out: "resolver #1\n  nameserver[0] : 1.1.1.1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseScutilDNS(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !slices.Equal(got, tt.want) {
				t.Errorf("servers %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseScutilNCList(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []NCService
		wantErr bool
	}{
		{name: "wireguard connected", out: readTestdata(t, "scutil-nc-list-wireguard.txt"), want: []NCService{
			{Enabled: true, Status: "Connected", ID: "9C4E1A2B-7D3F-4B8A-9E21-5F6A7B8C9D0E", Name: "Home tunnel", Type: "VPN", Subtype: "com.wireguard.macos"},
			{Enabled: true, Status: "Disconnected", ID: "1B2C3D4E-5F60-4A7B-8C9D-0E1F2A3B4C5D", Name: "Office", Type: "PPP", Subtype: "L2TP"},
		}},
		{name: "none connected, a name with quotes", out: readTestdata(t, "scutil-nc-list-none-connected.txt"), want: []NCService{
			{Enabled: true, Status: "Disconnected", ID: "1B2C3D4E-5F60-4A7B-8C9D-0E1F2A3B4C5D", Name: "Office", Type: "PPP", Subtype: "L2TP"},
			{Enabled: false, Status: "Invalid", ID: "2A3B4C5D-6E7F-4081-9A2B-3C4D5E6F7A8B", Name: `Old "cisco" VPN`, Type: "IPSec"},
		}},
		{name: "no VPN", out: readTestdata(t, "scutil-nc-list-empty.txt")},
		{name: "not scutil output", out: "* (Connected) nonsense\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseScutilNCList(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("services\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestMacVPNNamed: on macOS the VPN carrying the default route is named after the connected
// VPN service when the route's interface is a tunnel, and only then.
func TestMacVPNNamed(t *testing.T) {
	wg, err := parseScutilNCList(readTestdata(t, "scutil-nc-list-wireguard.txt"))
	if err != nil {
		t.Fatal(err)
	}
	none, err := parseScutilNCList(readTestdata(t, "scutil-nc-list-none-connected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		routes   []Route
		services []NCService
		want     string
	}{
		{"a tunnel with the WireGuard app connected", []Route{{Family: "ipv4", Interface: "utun3"}}, wg, `utun3: "Home tunnel" (com.wireguard.macos)`},
		{"an L2TP link", []Route{{Family: "ipv4", Interface: "ppp0"}}, []NCService{{Status: "Connected", Name: "Office", Type: "PPP", Subtype: "L2TP"}}, `ppp0: "Office" (L2TP)`},
		{"a tunnel, nothing connected: the name decides", []Route{{Family: "ipv4", Interface: "utun3"}}, none, "utun3"},
		{"a tunnel, scutil failed: the name decides", []Route{{Family: "ipv4", Interface: "ipsec0"}}, nil, "ipsec0"},
		{"Wi-Fi with a split-tunnel VPN connected: no VPN on the default route", []Route{{Family: "ipv4", Interface: "en0"}}, wg, ""},
		{"the tunnel's IPv6 route after Wi-Fi's IPv4 one", []Route{{Family: "ipv4", Interface: "en0"}, {Family: "ipv6", Interface: "utun4"}}, wg, `utun4: "Home tunnel" (com.wireguard.macos)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := vpnOnRoutes(tt.routes, func(name string) (Adapter, bool) { return connectedVPNAdapter(name, tt.services) })
			if got != tt.want {
				t.Errorf("VPN %q, want %q", got, tt.want)
			}
			if strings.ContainsAny(got, "\n\x00") {
				t.Errorf("VPN label %q holds control characters", got)
			}
		})
	}
}

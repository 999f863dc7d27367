package netstate

import "strings"

// Adapter is a network interface as the OS describes it, enough to tell a VPN.
type Adapter struct {
	Name        string // the interface name (Linux, macOS) or friendly name (Windows: "Ethernet 3")
	Description string // Windows: the driver's description ("TAP-Windows Adapter V9"); "" elsewhere
	Type        uint32 // Windows: the IANA ifType (IfType); 0 elsewhere
}

// IANA ifType values Windows reports in IP_ADAPTER_ADDRESSES.IfType.
const (
	ifTypePPP         = 23  // IF_TYPE_PPP: the built-in VPN client's connections (PPTP, L2TP, SSTP, IKEv2), dial-up
	ifTypePropVirtual = 53  // IF_TYPE_PROP_VIRTUAL: Wintun (WireGuard, Tailscale, NordLynx…), other virtual adapters
	ifTypeTunnel      = 131 // IF_TYPE_TUNNEL: encapsulation tunnels, VPN and IPv6 transition alike
)

// vpnNamePrefixes are interface-name prefixes of VPN tunnels on Linux and macOS (a VPN is
// recognised by the name of the interface carrying the default route): the one name table.
var vpnNamePrefixes = []string{"tun", "tap", "wg", "utun", "ppp", "ipsec", "nordlynx", "tailscale", "zt", "proton", "mullvad", "cscotun", "gpd", "vpn"}

// vpnDescriptions are fragments (lower case) of Windows adapter descriptions and friendly names
// that VPN clients give their adapters.
var vpnDescriptions = []string{
	"wireguard", "wintun", "tap-windows", "tap-win32", "openvpn", "anyconnect", "cisco systems vpn",
	"pangp", "globalprotect", "fortinet", "forticlient", "nordlynx", "nordvpn", "expressvpn",
	"protonvpn", "proton vpn", "mullvad", "tailscale", "zerotier", "surfshark", "private internet access",
	"cyberghost", "windscribe", "hotspot shield", "juniper", "pulse secure", "ivanti", "sonicwall",
	"check point virtual", "zscaler", "cloudflare warp", "openconnect", "softether", "vpn",
}

// notVPNDescriptions are Windows tunnel and virtual adapters that are not VPNs: IPv6 transition
// tunnels and the hypervisors' switches. They win over the type.
var notVPNDescriptions = []string{"teredo", "isatap", "6to4", "ip-https", "hyper-v", "vmware", "virtualbox", "loopback"}

// IsVPN reports whether an adapter is a VPN tunnel: by its description or name naming a VPN
// client, else by a tunnel type (Windows), else by its interface name (Linux, macOS).
func IsVPN(a Adapter) bool {
	text := strings.ToLower(a.Description + "\x00" + a.Name)
	if containsAny(text, notVPNDescriptions) {
		return false
	}
	if containsAny(text, vpnDescriptions) {
		return true
	}
	switch a.Type {
	case ifTypePPP, ifTypePropVirtual, ifTypeTunnel:
		return true
	}
	lower := strings.ToLower(a.Name)
	for _, p := range vpnNamePrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// Label names an adapter for a person: its name, and its description when it says more
// ("Ethernet 3: TAP-Windows Adapter V9").
func (a Adapter) Label() string {
	if a.Description == "" || strings.EqualFold(a.Description, a.Name) {
		return a.Name
	}
	if a.Name == "" {
		return a.Description
	}
	return a.Name + ": " + a.Description
}

func containsAny(s string, fragments []string) bool {
	for _, f := range fragments {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

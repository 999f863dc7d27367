package winfw

import (
	"reflect"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

const (
	localRules = `HKLM\` + LocalPolicyKey + `\` + RulesSubkey
	gpRules    = `HKLM\` + GroupPolicyKey + `\` + RulesSubkey
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    Rule
		wantErr bool
	}{
		{"desktop block", `v2.30|Action=Block|Active=TRUE|Dir=Out|App=C:\Users\ann\AppData\Roaming\Spotify\Spotify.exe|Name=Block Spotify|`,
			Rule{Version: "v2.30", Action: "Block", Active: true, Dir: "Out", App: `C:\Users\ann\AppData\Roaming\Spotify\Spotify.exe`, Name: "Block Spotify"}, false},
		{"every field Windows writes", `v2.33|Action=Allow|Active=FALSE|Dir=In|Protocol=6|Profile=Domain|Profile=Private|LPort=57621|RA4=LocalSubnet|App=%USERPROFILE%\AppData\Roaming\Spotify\Spotify.exe|Name=@{SpotifyAB.SpotifyMusic_1.2.3.0_x64__zpdnekdrzrea0?ms-resource://SpotifyAB.SpotifyMusic/resources/DisplayName}|Desc=Spotify|EmbedCtxt=Spotify|`,
			Rule{Version: "v2.33", Action: "Allow", Dir: "In", App: `%USERPROFILE%\AppData\Roaming\Spotify\Spotify.exe`,
				Name: "@{SpotifyAB.SpotifyMusic_1.2.3.0_x64__zpdnekdrzrea0?ms-resource://SpotifyAB.SpotifyMusic/resources/DisplayName}", Profiles: []string{"Domain", "Private"}}, false},
		{"store package", `v2.31|Action=Block|Active=TRUE|Dir=Out|PFN=SpotifyAB.SpotifyMusic_zpdnekdrzrea0|Name=Spotify Music|`,
			Rule{Version: "v2.31", Action: "Block", Active: true, Dir: "Out", PFN: SpotifyStorePFN, Name: "Spotify Music"}, false},
		{"keys any case, first value kept, no version", `action=block|ACTIVE=true|dir=out|Name=first|Name=second`,
			Rule{Action: "block", Active: true, Dir: "out", Name: "first"}, false},
		{"empty", ``, Rule{}, true},
		{"garbage", `hello|world`, Rule{}, true},
	}
	for _, tc := range tests {
		got, err := ParseRule(tc.data)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestRuleSpotify(t *testing.T) {
	tests := []struct {
		app, pfn string
		want     bool
	}{
		{`C:\Users\ann\AppData\Roaming\Spotify\Spotify.exe`, "", true},
		{`%APPDATA%\Spotify\SPOTIFY.EXE`, "", true},
		{`"C:\Program Files\WindowsApps\SpotifyAB.SpotifyMusic_1.2.3.0_x64__zpdnekdrzrea0\Spotify.exe"`, "", true},
		{`C:/spotify/spotify.exe`, "", true},
		{`Spotify.exe`, "", true},
		{"", "spotifyab.spotifymusic_zpdnekdrzrea0", true},
		{`C:\Users\ann\AppData\Roaming\Spotify\SpotifyLauncher.exe`, "", false},
		{`C:\Spotify.exe\notepad.exe`, "", false},
		{`C:\Program Files\Mozilla Firefox\firefox.exe`, "", false},
		{"", "Microsoft.ZuneMusic_8wekyb3d8bbwe", false},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := (Rule{App: tc.app, PFN: tc.pfn}).Spotify(); got != tc.want {
			t.Errorf("App %q PFN %q: Spotify() = %v, want %v", tc.app, tc.pfn, got, tc.want)
		}
	}
}

func u32(v uint32) *uint32 { return &v }

// profiles is the three profiles with the local store's keys; set changes one.
func profiles(set func(name string, p *Profile)) []Profile {
	var ps []Profile
	for _, k := range [][3]string{{"Domain", "DomainProfile", "DomainProfile"}, {"Private", "StandardProfile", "PrivateProfile"}, {"Public", "PublicProfile", "PublicProfile"}} {
		p := Profile{Name: k[0],
			Local:       ProfileStore{Key: `HKLM\` + LocalPolicyKey + `\` + k[1], EnableFirewall: u32(1), DefaultOutboundAction: u32(0)},
			GroupPolicy: ProfileStore{Key: `HKLM\` + GroupPolicyKey + `\` + k[2]}}
		if set != nil {
			set(k[0], &p)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestCheck(t *testing.T) {
	const (
		desktop = `C:\Users\ann\AppData\Roaming\Spotify\Spotify.exe`
		block   = `v2.30|Action=Block|Active=TRUE|Dir=Out|App=` + desktop + `|Name=Block Spotify|`
	)
	blockRule := diagnosis.AppRule{Product: Product, Where: localRules + `\{A1}`, Name: "Block Spotify", Action: "block", Target: desktop}
	publicDefault := diagnosis.AppRule{Product: Product, Where: `HKLM\` + LocalPolicyKey + `\PublicProfile\DefaultOutboundAction`,
		Name: DefaultBlockName, Action: "block", Target: "Spotify.exe"}
	publicBlocks := func(name string, p *Profile) {
		if name == "Public" {
			p.Local.DefaultOutboundAction = u32(1)
		}
	}
	tests := []struct {
		name     string
		rules    []StoredRule
		profiles []Profile
		want     []diagnosis.AppRule
	}{
		{"nothing", nil, profiles(nil), nil},
		{"block rule", []StoredRule{{localRules, "{A1}", block}}, profiles(nil), []diagnosis.AppRule{blockRule}},
		{"block rule wins over an allow rule", []StoredRule{
			{localRules, "{A0}", `v2.30|Action=Allow|Active=TRUE|Dir=Out|App=` + desktop + `|Name=Spotify|`},
			{localRules, "{A1}", block}}, profiles(nil), []diagnosis.AppRule{blockRule}},
		{"store app, env var path, GP store", []StoredRule{
			{gpRules, "PFN", `v2.30|Action=Block|Active=TRUE|Dir=Out|PFN=SpotifyAB.SpotifyMusic_zpdnekdrzrea0|Name=@{SpotifyAB.SpotifyMusic_zpdnekdrzrea0?ms-resource://x}|`},
			{localRules, "env", `v2.30|Action=Block|Active=TRUE|Dir=Out|Protocol=6|RPort=443|Profile=Public|App=%APPDATA%\Spotify\Spotify.exe|`}}, profiles(nil),
			[]diagnosis.AppRule{
				{Product: Product, Where: gpRules + `\PFN`, Name: "@{SpotifyAB.SpotifyMusic_zpdnekdrzrea0?ms-resource://x}", Action: "block", Target: SpotifyStorePFN},
				{Product: Product, Where: localRules + `\env`, Action: "block", Target: `%APPDATA%\Spotify\Spotify.exe`}}},
		{"ignored: inactive, inbound, allow, other app, no app, malformed", []StoredRule{
			{localRules, "1", `v2.30|Action=Block|Active=FALSE|Dir=Out|App=` + desktop + `|Name=off|`},
			{localRules, "2", `v2.30|Action=Block|Active=TRUE|Dir=In|App=` + desktop + `|Name=in|`},
			{localRules, "3", `v2.30|Action=Allow|Active=TRUE|Dir=Out|App=` + desktop + `|Name=allow|`},
			{localRules, "4", `v2.30|Action=Block|Active=TRUE|Dir=Out|App=C:\Windows\notepad.exe|Name=notepad|`},
			{localRules, "5", `v2.30|Action=Block|Active=TRUE|Dir=Out|RA4=35.186.224.0/24|Name=all programs|`},
			{localRules, "6", `v2.30|Action=Block|Active=TRUE|App=` + desktop + `|Name=no dir|`},
			{localRules, "7", `nonsense`}}, profiles(nil), nil},
		{"default outbound block, no allow rule", nil, profiles(publicBlocks), []diagnosis.AppRule{publicDefault}},
		{"default outbound block, allow rule for every profile", []StoredRule{
			{localRules, "a", `v2.30|Action=Allow|Active=TRUE|Dir=Out|App=` + desktop + `|Name=Spotify|`}}, profiles(publicBlocks), nil},
		{"default outbound block, allow rule for the store app in Public", []StoredRule{
			{localRules, "a", `v2.30|Action=Allow|Active=TRUE|Dir=Out|Profile=Public|PFN=SpotifyAB.SpotifyMusic_zpdnekdrzrea0|`}}, profiles(publicBlocks), nil},
		{"default outbound block, allow rule for other profiles, inactive or inbound", []StoredRule{
			{localRules, "a", `v2.30|Action=Allow|Active=TRUE|Dir=Out|Profile=Domain|Profile=Private|App=` + desktop + `|`},
			{localRules, "b", `v2.30|Action=Allow|Active=FALSE|Dir=Out|App=` + desktop + `|`},
			{localRules, "c", `v2.30|Action=Allow|Active=TRUE|Dir=In|App=` + desktop + `|`}}, profiles(publicBlocks), []diagnosis.AppRule{publicDefault}},
		{"default outbound block, firewall off in that profile", nil, profiles(func(name string, p *Profile) {
			publicBlocks(name, p)
			p.Local.EnableFirewall = u32(0)
		}), nil},
		{"group policy wins: turns the firewall on, blocks outbound in Domain, allows in Public", nil, profiles(func(name string, p *Profile) {
			p.Local.EnableFirewall = u32(0)
			p.GroupPolicy.EnableFirewall = u32(1)
			publicBlocks(name, p)
			switch name {
			case "Domain":
				p.GroupPolicy.DefaultOutboundAction = u32(1)
			case "Public":
				p.GroupPolicy.DefaultOutboundAction = u32(0)
			}
		}), []diagnosis.AppRule{{Product: Product, Where: `HKLM\` + GroupPolicyKey + `\DomainProfile\DefaultOutboundAction`,
			Name: DefaultBlockName, Action: "block", Target: "Spotify.exe"}}},
		{"unset values: firewall on, outbound allowed", nil, []Profile{{Name: "Public"}}, nil},
		{"control characters in names and paths are cleaned", []StoredRule{
			{localRules, "{A1}\x1b[31m", "v2.30|Action=Block|Active=TRUE|Dir=Out|App=C:\\x\u202e\\Spotify.exe|Name=Block\x1b]0;pwned\x07 Spotify|"}}, profiles(nil),
			[]diagnosis.AppRule{{Product: Product, Where: localRules + `\{A1}`, Name: "Block Spotify", Action: "block", Target: `C:\x\Spotify.exe`}}},
	}
	for _, tc := range tests {
		got := Check(Policy{Rules: tc.rules, Profiles: tc.profiles})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

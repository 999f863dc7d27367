// Package winfw finds what on Windows keeps the Spotify app itself off the network: Windows
// Defender Firewall rules that block Spotify.exe or Spotify's Microsoft Store package, a
// firewall profile that blocks outbound traffic by default with no rule allowing Spotify, and
// the security suites registered in Windows Security Center, which filter per program.
//
// The parsers (ParseRule, Check, ParseSuites) are pure and run on every OS; the readers
// (SpotifyRules, SecuritySuites) exist on Windows only. Everything read is read-only and
// needs no admin rights.
package winfw

import (
	"errors"
	"path"
	"strings"

	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// Product is what holds the rules this package reports, diagnosis.AppRule's Product.
const Product = "Windows Defender Firewall"

// Where Windows keeps the firewall's rules and profile settings: the local store (what the
// Windows Defender Firewall console and netsh write) and the Group Policy store, whose settings
// win over the local ones.
const (
	LocalPolicyKey  = `SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy`
	GroupPolicyKey  = `SOFTWARE\Policies\Microsoft\WindowsFirewall`
	RulesSubkey     = `FirewallRules`
	spotifyExe      = "spotify.exe"
	SpotifyStorePFN = "SpotifyAB.SpotifyMusic_zpdnekdrzrea0" // the Microsoft Store app's package family name
)

// DefaultBlockName is the Name of the AppRule Check reports for a profile that blocks outbound
// traffic by default when no rule allows Spotify out.
const DefaultBlockName = "outbound blocked by default, no allow rule for Spotify"

// Rule is one firewall rule as Windows stores it: a REG_SZ value such as
// "v2.30|Action=Block|Active=TRUE|Dir=Out|App=%USERPROFILE%\...\Spotify.exe|Name=Block Spotify|".
// Only the fields this package uses are kept; the text is as stored, not yet cleaned.
type Rule struct {
	Version  string   // "v2.30"
	Action   string   // "Allow", "Block", "ByPass"
	Active   bool     // Active=TRUE
	Dir      string   // "In", "Out"
	App      string   // the program's path, environment variables unexpanded
	PFN      string   // the Store package family name, for a packaged app's rule
	Name     string   // the rule's name, possibly a resource string ("@FirewallAPI.dll,-28502")
	Profiles []string // "Domain", "Private", "Public"; none means every profile
}

// ParseRule parses one rule value. Fields are "Key=Value" separated by "|", after the version;
// keys are matched case-insensitively, unknown ones ignored, and a repeated key keeps its first
// value (Profile collects them all). Data with no field at all is an error.
func ParseRule(data string) (Rule, error) {
	var r Rule
	fields := 0
	seen := map[string]bool{}
	for i, f := range strings.Split(data, "|") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			if i == 0 && strings.HasPrefix(f, "v") {
				r.Version = f
			}
			continue
		}
		fields++
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "profile" {
			r.Profiles = append(r.Profiles, v)
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		switch k {
		case "action":
			r.Action = v
		case "active":
			r.Active = strings.EqualFold(v, "TRUE")
		case "dir":
			r.Dir = v
		case "app":
			r.App = v
		case "pfn":
			r.PFN = v
		case "name":
			r.Name = v
		}
	}
	if fields == 0 {
		return Rule{}, errors.New("not a firewall rule: no Key=Value field")
	}
	return r, nil
}

// Spotify reports whether r is about the Spotify app: its program's base name is Spotify.exe
// (any case, any folder, environment variables expanded or not, quoted or not), or its package
// is Spotify's Microsoft Store app.
func (r Rule) Spotify() bool {
	if r.App != "" {
		app := strings.Trim(strings.TrimSpace(r.App), `"`)
		if strings.EqualFold(path.Base(strings.ReplaceAll(app, `\`, "/")), spotifyExe) {
			return true
		}
	}
	return strings.EqualFold(strings.TrimSpace(r.PFN), SpotifyStorePFN)
}

// target is what r names, App before PFN.
func (r Rule) target() string {
	if r.App != "" {
		return r.App
	}
	return r.PFN
}

// outbound reports whether r is an active outbound rule with the given action.
func (r Rule) outbound(action string) bool {
	return r.Active && strings.EqualFold(r.Dir, "Out") && strings.EqualFold(r.Action, action)
}

// covers reports whether r applies in the profile named.
func (r Rule) covers(profile string) bool {
	if len(r.Profiles) == 0 {
		return true
	}
	for _, p := range r.Profiles {
		if strings.EqualFold(p, profile) || strings.EqualFold(p, "All") {
			return true
		}
	}
	return false
}

// StoredRule is one rule value as read from the registry.
type StoredRule struct {
	Key   string // the key, e.g. `HKLM\SYSTEM\...\FirewallPolicy\FirewallRules`
	Value string // the value's name, usually a GUID or "{GUID}"
	Data  string // the value's REG_SZ data
}

// ProfileStore is one store's settings for one profile; nil means the value is not set.
type ProfileStore struct {
	Key                   string // the profile's key in this store, e.g. `HKLM\...\FirewallPolicy\PublicProfile`
	EnableFirewall        *uint32
	DefaultOutboundAction *uint32 // 1 blocks outbound traffic that no rule allows
}

// Profile is one firewall profile (Domain, Private, Public) in both stores.
type Profile struct {
	Name        string       // "Domain", "Private", "Public", as rules' Profile fields name them
	Local       ProfileStore // under LocalPolicyKey (DomainProfile, StandardProfile, PublicProfile)
	GroupPolicy ProfileStore // under GroupPolicyKey (DomainProfile, PrivateProfile, PublicProfile)
}

// Policy is what Check looks at: every rule value from both stores and the three profiles.
type Policy struct {
	Rules    []StoredRule
	Profiles []Profile
}

// Check returns the rules in p that keep the Spotify app off the network:
//
//   - every active outbound Block rule whose program is Spotify.exe or whose package is Spotify's
//     Store app (a Block rule wins over any Allow rule in Windows Defender Firewall, so no Allow
//     rule cancels it), whatever its protocol, ports, addresses or profiles;
//   - for each profile whose firewall is on and whose default outbound action is block (the
//     Group Policy store's value winning over the local one), one rule named DefaultBlockName
//     when no active outbound Allow rule for Spotify applies in that profile.
//
// Inbound rules, inactive rules and rules for other programs are ignored, and so are rules that
// name no program or package (a rule that blocks everything is not about the app). Values that
// do not parse are skipped. Names, keys and paths are cleaned with safetext.Clean.
func Check(p Policy) []diagnosis.AppRule {
	var out []diagnosis.AppRule
	var allows []Rule
	for _, s := range p.Rules {
		r, err := ParseRule(s.Data)
		if err != nil || !r.Spotify() {
			continue
		}
		switch {
		case r.outbound("Block"):
			out = append(out, diagnosis.AppRule{
				Product: Product,
				Where:   safetext.Clean(s.Key + `\` + s.Value),
				Name:    safetext.Clean(r.Name),
				Action:  "block",
				Target:  safetext.Clean(r.target()),
			})
		case r.outbound("Allow"):
			allows = append(allows, r)
		}
	}
	for _, pr := range p.Profiles {
		where, blocks := pr.blocksOutbound()
		if !blocks || allowed(allows, pr.Name) {
			continue
		}
		out = append(out, diagnosis.AppRule{
			Product: Product,
			Where:   safetext.Clean(where),
			Name:    DefaultBlockName,
			Action:  "block",
			Target:  "Spotify.exe",
		})
	}
	return out
}

// blocksOutbound reports whether the profile's firewall is on and blocks outbound traffic by
// default, and where the DefaultOutboundAction that says so is. A firewall whose EnableFirewall
// is not set is on (Windows' default); an unset DefaultOutboundAction allows.
func (p Profile) blocksOutbound() (where string, blocks bool) {
	enabled := true
	if v := pick(p.GroupPolicy.EnableFirewall, p.Local.EnableFirewall); v != nil {
		enabled = *v != 0
	}
	key := p.Local.Key
	action := p.Local.DefaultOutboundAction
	if p.GroupPolicy.DefaultOutboundAction != nil {
		key, action = p.GroupPolicy.Key, p.GroupPolicy.DefaultOutboundAction
	}
	if !enabled || action == nil || *action != 1 {
		return "", false
	}
	return key + `\DefaultOutboundAction`, true
}

func pick(first, second *uint32) *uint32 {
	if first != nil {
		return first
	}
	return second
}

func allowed(allows []Rule, profile string) bool {
	for _, r := range allows {
		if r.covers(profile) {
			return true
		}
	}
	return false
}

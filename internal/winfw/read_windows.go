//go:build windows

package winfw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// maxRuleValues bounds how many values SpotifyRules reads from one rules key (a Windows
// installation has a few hundred to a couple of thousand).
const maxRuleValues = 20000

// profileKeys are the three profiles' names and their subkeys in the local and Group Policy
// stores (the local store calls the Private profile StandardProfile).
var profileKeys = []struct{ name, local, groupPolicy string }{
	{"Domain", "DomainProfile", "DomainProfile"},
	{"Private", "StandardProfile", "PrivateProfile"},
	{"Public", "PublicProfile", "PublicProfile"},
}

// SpotifyRules reads Windows Defender Firewall's rules and profiles from the local and Group
// Policy stores in HKLM (read-only, no admin rights needed) and returns what Check makes of
// them. A store that does not exist is empty; any other error reading it is returned.
func SpotifyRules() ([]diagnosis.AppRule, error) {
	p, err := ReadPolicy()
	if err != nil {
		return nil, err
	}
	return Check(p), nil
}

// ReadPolicy reads the rule values and profile settings Check looks at.
func ReadPolicy() (Policy, error) {
	var p Policy
	for _, key := range []string{LocalPolicyKey + `\` + RulesSubkey, GroupPolicyKey + `\` + RulesSubkey} {
		rules, err := readRules(key)
		if err != nil {
			return Policy{}, err
		}
		p.Rules = append(p.Rules, rules...)
	}
	for _, k := range profileKeys {
		local, err := readProfile(LocalPolicyKey + `\` + k.local)
		if err != nil {
			return Policy{}, err
		}
		gp, err := readProfile(GroupPolicyKey + `\` + k.groupPolicy)
		if err != nil {
			return Policy{}, err
		}
		p.Profiles = append(p.Profiles, Profile{Name: k.name, Local: local, GroupPolicy: gp})
	}
	return p, nil
}

func openHKLM(key string) (registry.Key, bool, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, key, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("opening HKLM\\%s: %w", key, err)
	}
	return k, true, nil
}

// readRules reads the REG_SZ values of one rules key; values of other types are skipped.
func readRules(key string) ([]StoredRule, error) {
	k, ok, err := openHKLM(key)
	if !ok {
		return nil, err
	}
	defer k.Close()
	names, err := k.ReadValueNames(maxRuleValues)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("listing the values of HKLM\\%s: %w", key, err)
	}
	var rules []StoredRule
	for _, n := range names {
		data, _, err := k.GetStringValue(n)
		if err != nil {
			continue // not a REG_SZ, or gone since it was listed
		}
		rules = append(rules, StoredRule{Key: `HKLM\` + key, Value: n, Data: data})
	}
	return rules, nil
}

// readProfile reads one profile's EnableFirewall and DefaultOutboundAction.
func readProfile(key string) (ProfileStore, error) {
	ps := ProfileStore{Key: `HKLM\` + key}
	k, ok, err := openHKLM(key)
	if !ok {
		return ps, err
	}
	defer k.Close()
	for name, dst := range map[string]**uint32{"EnableFirewall": &ps.EnableFirewall, "DefaultOutboundAction": &ps.DefaultOutboundAction} {
		v, _, err := k.GetIntegerValue(name)
		switch {
		case err == nil:
			u := uint32(v)
			*dst = &u
		case errors.Is(err, registry.ErrNotExist), errors.Is(err, registry.ErrUnexpectedType):
		default:
			return ProfileStore{}, fmt.Errorf("reading HKLM\\%s\\%s: %w", key, name, err)
		}
	}
	return ps, nil
}

// suitesScript prints the displayName of every antivirus and firewall product registered in
// Windows Security Center (WMI's root\SecurityCenter2), one a line, in UTF-8. Security Center is
// missing on Windows Server, where the script fails.
const suitesScript = `[Console]::OutputEncoding=[Text.Encoding]::UTF8; $ErrorActionPreference='Stop'; ` +
	`foreach ($c in 'AntiVirusProduct','FirewallProduct') { ` +
	`Get-CimInstance -Namespace root/SecurityCenter2 -ClassName $c | Select-Object -ExpandProperty displayName }`

// Bounds of SecuritySuites' PowerShell run.
const (
	suitesTimeout = 3 * time.Second
	maxSuitesOut  = 64 << 10
)

// SecuritySuites returns the antivirus and firewall products registered in Windows Security
// Center (ParseSuites), asking Windows PowerShell with no window, for at most 3 s and 64 KiB of
// output. It fails where Security Center or PowerShell is missing (Windows Server, wine).
func SecuritySuites(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, suitesTimeout)
	defer cancel()
	ps := filepath.Join(systemRoot(), `System32\WindowsPowerShell\v1.0\powershell.exe`)
	cmd := exec.CommandContext(ctx, ps, "-NoProfile", "-NonInteractive", "-Command", suitesScript)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: windows.CREATE_NO_WINDOW}
	cmd.WaitDelay = time.Second
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = maxSuitesOut, 1024
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		if msg := bytes.TrimSpace(stderr.buf.Bytes()); len(msg) > 0 {
			return nil, fmt.Errorf("asking Security Center with PowerShell: %w: %s", err, safeMsg(msg))
		}
		return nil, fmt.Errorf("asking Security Center with PowerShell: %w", err)
	}
	return ParseSuites(stdout.buf.String()), nil
}

func systemRoot() string {
	if dir, err := windows.GetSystemWindowsDirectory(); err == nil && dir != "" {
		return dir
	}
	if dir := os.Getenv("SystemRoot"); dir != "" {
		return dir
	}
	return `C:\Windows`
}

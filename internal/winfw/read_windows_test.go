//go:build windows

package winfw

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"

	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestSpotifyRulesRegistry writes firewall rules and a profile's default outbound action into
// HKLM with reg.exe (under wine, its own reg), reads them with SpotifyRules, and deletes what it
// wrote (and the keys it had to create), putting back the default outbound action it changed.
// It changes the machine's firewall while it runs, so it runs only under wine's private prefix
// (scripts/wine) or with SPOTWATCH_TEST_FIREWALL=1 on a Windows machine of one's own (as an
// administrator).
func TestSpotifyRulesRegistry(t *testing.T) {
	if !testutil.UnderWine() && !envSet("SPOTWATCH_TEST_FIREWALL") {
		t.Skip("changes the firewall's rules: runs under wine, or with SPOTWATCH_TEST_FIREWALL=1")
	}
	const (
		rulesKey   = `HKLM\` + LocalPolicyKey + `\` + RulesSubkey
		gpRulesKey = `HKLM\` + GroupPolicyKey + `\` + RulesSubkey
		privateKey = `HKLM\` + LocalPolicyKey + `\StandardProfile`
		desktop    = `C:\Users\ann\AppData\Roaming\Spotify\Spotify.exe`
		block      = "{5B0C1D2E-0000-4000-8000-5707A7C40001}"
		other      = "{5B0C1D2E-0000-4000-8000-5707A7C40002}"
		allow      = "{5B0C1D2E-0000-4000-8000-5707A7C40003}"
		gpBlock    = "{5B0C1D2E-0000-4000-8000-5707A7C40004}"
	)
	for _, k := range []string{rulesKey, gpRulesKey, privateKey} {
		t.Cleanup(deleteCreatedKeys(t, k))
	}
	t.Cleanup(restoreDWord(t, privateKey, "DefaultOutboundAction"))

	reg := func(args ...string) {
		t.Helper()
		out, err := exec.Command("reg", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("reg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	add := func(key, name, typ, data string) {
		reg("add", key, "/v", name, "/t", typ, "/d", data, "/f")
		t.Cleanup(func() { _ = exec.Command("reg", "delete", key, "/v", name, "/f").Run() })
	}
	ours := func() []diagnosis.AppRule {
		t.Helper()
		rules, err := SpotifyRules()
		if err != nil {
			t.Fatalf("SpotifyRules: %v", err)
		}
		var got []diagnosis.AppRule
		for _, r := range rules {
			if strings.Contains(r.Where, "5707A7C4") || r.Name == DefaultBlockName && strings.HasPrefix(r.Where, privateKey+`\`) {
				got = append(got, r)
			}
		}
		t.Logf("SpotifyRules: %d rules, %d of this test's: %+v", len(rules), len(got), got)
		return got
	}

	add(rulesKey, block, "REG_SZ", `v2.30|Action=Block|Active=TRUE|Dir=Out|App=`+desktop+`|Name=Block Spotify|`)
	add(rulesKey, other, "REG_SZ", `v2.30|Action=Block|Active=TRUE|Dir=Out|App=C:\Windows\notepad.exe|Name=Block Notepad|`)
	add(rulesKey, allow, "REG_SZ", `v2.30|Action=Allow|Active=TRUE|Dir=Out|Protocol=6|App=%APPDATA%\Spotify\Spotify.exe|Name=Spotify|`)
	add(gpRulesKey, gpBlock, "REG_SZ", `v2.30|Action=Block|Active=TRUE|Dir=Out|PFN=SpotifyAB.SpotifyMusic_zpdnekdrzrea0|Name=@{SpotifyAB.SpotifyMusic_zpdnekdrzrea0?ms-resource://SpotifyAB.SpotifyMusic/resources/DisplayName}|`)
	add(privateKey, "DefaultOutboundAction", "REG_DWORD", "1")

	want := []diagnosis.AppRule{
		{Product: Product, Where: rulesKey + `\` + block, Name: "Block Spotify", Action: "block", Target: desktop},
		{Product: Product, Where: gpRulesKey + `\` + gpBlock, Name: "@{SpotifyAB.SpotifyMusic_zpdnekdrzrea0?ms-resource://SpotifyAB.SpotifyMusic/resources/DisplayName}",
			Action: "block", Target: SpotifyStorePFN},
	}
	if got := ours(); !equalRules(got, want) {
		t.Errorf("with an allow rule:\n got %+v\nwant %+v", got, want)
	}

	reg("delete", rulesKey, "/v", allow, "/f")
	want = append(want, diagnosis.AppRule{Product: Product, Where: privateKey + `\DefaultOutboundAction`,
		Name: DefaultBlockName, Action: "block", Target: "Spotify.exe"})
	if got := ours(); !equalRules(got, want) {
		t.Errorf("without the allow rule:\n got %+v\nwant %+v", got, want)
	}
}

func equalRules(a, b []diagnosis.AppRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSecuritySuitesBounded runs SecuritySuites: on Windows it lists products (at least
// Windows Defender on a desktop Windows); under wine, whose powershell.exe is a stub that prints
// nothing and exits 0, it finds none. Either way it answers within its 3 s bound.
func TestSecuritySuitesBounded(t *testing.T) {
	start := time.Now()
	names, err := SecuritySuites(context.Background())
	took := time.Since(start)
	t.Logf("SecuritySuites: %q, err %v, in %v", names, err, took.Round(time.Millisecond))
	if took > suitesTimeout+2*time.Second {
		t.Errorf("took %v, more than its %v bound", took, suitesTimeout)
	}
	if testutil.UnderWine() && len(names) > 0 {
		t.Errorf("under wine, which has no Security Center (its powershell.exe is a stub that prints nothing), got %q", names)
	}
}

func envSet(name string) bool {
	v := os.Getenv(name)
	return v != "" && v != "0"
}

// deleteCreatedKeys returns what deletes the keys on the way to key (a `HKLM\...` path) that do
// not exist yet, once the test made them, deepest first.
func deleteCreatedKeys(t *testing.T, key string) func() {
	t.Helper()
	path := strings.TrimPrefix(key, `HKLM\`)
	parts := strings.Split(path, `\`)
	for i := 1; i <= len(parts); i++ {
		sub := strings.Join(parts[:i], `\`)
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, sub, registry.QUERY_VALUE|registry.WOW64_64KEY)
		if err == nil {
			k.Close()
			continue
		}
		if !errors.Is(err, registry.ErrNotExist) {
			t.Fatalf("opening HKLM\\%s: %v", sub, err)
		}
		// sub is the first missing key: deleting it deletes everything the test made under it.
		return func() {
			k, err := registry.OpenKey(registry.LOCAL_MACHINE, sub, registry.QUERY_VALUE|registry.WOW64_64KEY)
			if err != nil {
				return // gone with another key the test made
			}
			k.Close()
			if out, err := exec.Command("reg", "delete", `HKLM\`+sub, "/f").CombinedOutput(); err != nil {
				t.Errorf("deleting HKLM\\%s: %v\n%s", sub, err, out)
			}
		}
	}
	return func() {}
}

// restoreDWord returns what puts a DWORD value back as it is now, or deletes it if it is not set.
func restoreDWord(t *testing.T, key, name string) func() {
	t.Helper()
	path := strings.TrimPrefix(key, `HKLM\`)
	var old *uint64
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY); err == nil {
		if v, _, err := k.GetIntegerValue(name); err == nil {
			old = &v
		}
		k.Close()
	}
	return func() {
		if old == nil {
			_ = exec.Command("reg", "delete", key, "/v", name, "/f").Run()
			return
		}
		if out, err := exec.Command("reg", "add", key, "/v", name, "/t", "REG_DWORD", "/d", strconv.FormatUint(*old, 10), "/f").CombinedOutput(); err != nil {
			t.Errorf("restoring %s\\%s: %v\n%s", key, name, err, out)
		}
	}
}

// BenchmarkSecuritySuites: what one Security Center lookup costs (PowerShell's start and the
// WMI query), the cost SuitesCache pays at most once every 6 hours. Under wine, whose PowerShell
// is a stub without Security Center, it measures the failed attempt, and says so.
func BenchmarkSecuritySuites(b *testing.B) {
	var err error
	var suites []string
	for b.Loop() {
		suites, err = SecuritySuites(context.Background())
	}
	b.Logf("suites %q, error %v", suites, err)
}

//go:build windows

package probe

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// TestSysProxyWinINETRegistry writes WinINET proxy settings into the current user's registry
// with reg.exe (under wine, its own reg), reads them back with readSystemProxy and restores
// what was there. It changes the test user's Internet Options while it runs, so it runs only
// where that is harmless: under wine's private prefix (scripts/wine), or with
// SPOTWATCH_TEST_WININET=1 on a Windows machine of one's own.
func TestSysProxyWinINETRegistry(t *testing.T) {
	if !underWine() && !envSet("SPOTWATCH_TEST_WININET") {
		t.Skip("changes the user's Internet Options: runs under wine, or with SPOTWATCH_TEST_WININET=1")
	}
	const key = `HKCU\` + winINETKey
	restore := saveWinINET(t)
	t.Cleanup(restore)

	reg := func(args ...string) {
		t.Helper()
		out, err := exec.Command("reg", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("reg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	set := func(name, typ, data string) { reg("add", key, "/v", name, "/t", typ, "/d", data, "/f") }
	del := func(name string) { _ = exec.Command("reg", "delete", key, "/v", name, "/f").Run() }
	del("AutoConfigURL")
	_ = exec.Command("reg", "delete", key+`\Connections`, "/v", "DefaultConnectionSettings", "/f").Run()

	steps := []struct {
		name  string
		apply func()
		want  string
	}{
		{"proxy off", func() { set("ProxyEnable", "REG_DWORD", "0"); set("ProxyServer", "REG_SZ", "corp:8080") }, "none"},
		{"manual proxy", func() { set("ProxyEnable", "REG_DWORD", "1") }, "http://corp:8080 from " + sourceWinINET},
		{"per-protocol with a password", func() {
			set("ProxyServer", "REG_SZ", "http=p:80;https=alice:pw@p:443;socks=s:1080")
			set("ProxyOverride", "REG_SZ", "<local>;*.corp")
		}, "http://alice:pw@p:443 from " + sourceWinINET},
		{"Spotify excepted", func() { set("ProxyOverride", "REG_SZ", "<local>;*.spotify.com") }, "none"},
		{"setup script", func() { set("AutoConfigURL", "REG_SZ", "http://pac.corp.example/proxy.pac") },
			" from " + sourceWinINET + ", setup script http://pac.corp.example/proxy.pac"},
		{"blob: proxy box off, script box off", func() {
			reg("add", key+`\Connections`, "/v", "DefaultConnectionSettings", "/t", "REG_BINARY",
				"/d", "46000000070000000900000000000000000000000000000000000000", "/f")
		}, "none"},
		{"blob: proxy box on", func() {
			set("ProxyOverride", "REG_SZ", "<local>;*.corp")
			reg("add", key+`\Connections`, "/v", "DefaultConnectionSettings", "/t", "REG_BINARY",
				"/d", "46000000080000000300000000000000000000000000000000000000", "/f")
		}, "http://alice:pw@p:443 from " + sourceWinINET},
	}
	for _, s := range steps {
		s.apply()
		px, err := readSystemProxy()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := proxyString(px); got != s.want {
			t.Errorf("%s: got %q, want %q", s.name, got, s.want)
		} else {
			t.Logf("%s: %s", s.name, got)
		}
	}
}

// underWine reports whether the test runs under wine, whose ntdll exports wine_get_version.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

func envSet(name string) bool {
	v := os.Getenv(name)
	return v != "" && v != "0"
}

// saveWinINET remembers the proxy values the test changes and returns what puts them back.
func saveWinINET(t *testing.T) func() {
	t.Helper()
	k, _, err := registry.CreateKey(registry.CURRENT_USER, winINETKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		t.Fatalf("opening %s: %v", winINETKey, err)
	}
	ck, _, err := registry.CreateKey(registry.CURRENT_USER, winINETKey+`\Connections`, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		k.Close()
		t.Fatalf("opening %s\\Connections: %v", winINETKey, err)
	}
	enable, _, enableErr := k.GetIntegerValue("ProxyEnable")
	strs := map[string]*string{}
	for _, n := range []string{"ProxyServer", "ProxyOverride", "AutoConfigURL"} {
		if v, _, err := k.GetStringValue(n); err == nil {
			strs[n] = &v
		} else {
			strs[n] = nil
		}
	}
	blob, _, blobErr := ck.GetBinaryValue("DefaultConnectionSettings")
	return func() {
		defer k.Close()
		defer ck.Close()
		if enableErr == nil {
			_ = k.SetDWordValue("ProxyEnable", uint32(enable))
		} else {
			_ = k.DeleteValue("ProxyEnable")
		}
		for n, v := range strs {
			if v != nil {
				_ = k.SetStringValue(n, *v)
			} else {
				_ = k.DeleteValue(n)
			}
		}
		if blobErr == nil {
			_ = ck.SetBinaryValue("DefaultConnectionSettings", blob)
		} else {
			_ = ck.DeleteValue("DefaultConnectionSettings")
		}
	}
}

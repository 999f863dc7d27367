//go:build windows

package probe

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// winINETKey is the current user's Internet Options, which WinINET (and so Chromium, and so
// Spotify's auto-detect) reads.
const winINETKey = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// readSystemProxy reads the current user's WinINET proxy settings from the registry (read-only,
// no administrator rights needed) and returns the proxy Spotify would use, nil when none.
func readSystemProxy() (*diagnosis.Proxy, error) {
	v, err := readWinINETValues(registry.CURRENT_USER, winINETKey)
	if err != nil {
		return nil, err
	}
	c, err := winINETConfig(v)
	if err != nil {
		err = fmt.Errorf("reading Windows proxy settings: %w", err)
	}
	return c.proxyFor(sourceWinINET), err
}

// readWinINETValues reads the values that decide the proxy under root\path. A missing key or
// value is no setting, not an error.
func readWinINETValues(root registry.Key, path string) (winINETValues, error) {
	var v winINETValues
	k, err := registry.OpenKey(root, path, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("reading Windows proxy settings: opening HKCU\\%s: %w", path, err)
	}
	defer k.Close()
	var errs []error
	if n, _, err := k.GetIntegerValue("ProxyEnable"); err == nil {
		v.ProxyEnable, v.HasProxyEnable = n, true
	} else if !errors.Is(err, registry.ErrNotExist) {
		errs = append(errs, fmt.Errorf("ProxyEnable: %w", err))
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{{"ProxyServer", &v.ProxyServer}, {"ProxyOverride", &v.ProxyOverride}, {"AutoConfigURL", &v.AutoConfigURL}} {
		got, _, err := k.GetStringValue(s.name)
		if err == nil {
			*s.dst = got
		} else if !errors.Is(err, registry.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	if ck, err := registry.OpenKey(root, path+`\Connections`, registry.QUERY_VALUE); err == nil {
		blob, _, err := ck.GetBinaryValue("DefaultConnectionSettings")
		if err == nil {
			v.Connections = blob
		} else if !errors.Is(err, registry.ErrNotExist) {
			errs = append(errs, fmt.Errorf("Connections\\DefaultConnectionSettings: %w", err))
		}
		ck.Close()
	} else if !errors.Is(err, registry.ErrNotExist) {
		errs = append(errs, fmt.Errorf("opening Connections: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return v, fmt.Errorf("reading Windows proxy settings: %w", err)
	}
	return v, nil
}

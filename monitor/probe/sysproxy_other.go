//go:build !windows && !darwin

package probe

import "github.com/spotwatch/spotwatch/monitor/diagnosis"

// readSystemProxy: no system proxy reader on this OS (GNOME's and KDE's settings are not read),
// so findProxy goes from Spotify's prefs straight to the environment, as it always has.
func readSystemProxy() (*diagnosis.Proxy, error) { return nil, nil }

//go:build !linux

package probe

import "github.com/spotwatch/spotwatch/monitor/diagnosis"

// defaultWindowsRules is this OS's reader for FactsSource.WindowsRules: none yet (the Windows
// firewall's reader, internal/winfw, is glued in here).
var defaultWindowsRules func() ([]diagnosis.AppRule, []string, error)

// defaultConnections is this OS's reader for FactsSource.Connections: none yet (the TCP table's
// reader, internal/appconn, is glued in here).
var defaultConnections func() *diagnosis.AppConnections

// osAppRules: no rule files are read on this OS; Windows' firewall rules come through
// FactsSource.WindowsRules.
func osAppRules(FactsSource, func(string) string) ([]diagnosis.AppRule, []error) { return nil, nil }

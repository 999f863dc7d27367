//go:build !linux && !windows

package probe

import "github.com/spotwatch/spotwatch/monitor/diagnosis"

// defaultWindowsRules is this OS's reader for FactsSource.WindowsRules: only Windows has them.
func defaultWindowsRules() ([]diagnosis.AppRule, []string, error) { return nil, nil, nil }

// defaultConnections is this OS's reader for FactsSource.Connections: not read here yet.
func defaultConnections() *diagnosis.AppConnections { return nil }

// osAppRules: no rule files are read on this OS; Windows' firewall rules come through
// FactsSource.WindowsRules.
func osAppRules(FactsSource, func(string) string) ([]diagnosis.AppRule, []error) { return nil, nil }

//go:build !linux && !windows && !darwin

package probe

import "github.com/spotwatch/spotwatch/monitor/diagnosis"

// defaultWindowsRules is this OS's reader for FactsSource.WindowsRules: only Windows has them.
func defaultWindowsRules() ([]diagnosis.AppRule, []string, error) { return nil, nil, nil }

// defaultConnections is this OS's reader for FactsSource.Connections: not read here yet.
func defaultConnections() *diagnosis.AppConnections { return nil }

// osAppRules: no rule files or security products are read on this OS.
func osAppRules(FactsSource, func(string) string) ([]diagnosis.AppRule, []string, []error) {
	return nil, nil, nil
}

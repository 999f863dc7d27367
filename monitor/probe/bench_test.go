package monitor_test

import (
	"context"
	"testing"

	"github.com/spotwatch/spotwatch/monitor"
)

// BenchmarkCheck is one full healthy check against the loopback world: every probe, real
// sockets, TLS handshakes with certificate verification against both root pools.
func BenchmarkCheck(b *testing.B) {
	w := newWorld(b)
	checker, err := monitor.NewChecker(w.Config(), monitor.Options{
		SystemRoots: w.SystemRoots(),
		Getenv:      func(string) string { return "" },
		Facts:       monitor.FactsSource{PrefsFiles: []string{}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rep := checker.Check(context.Background())
		if d := monitor.Classify(rep); d.Cause != monitor.CauseOK {
			b.Fatalf("healthy world diagnosed as %s: %s", d.Cause, d.Summary)
		}
	}
}

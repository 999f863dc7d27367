package probe_test

import (
	"context"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// BenchmarkCheck is one full healthy check against the loopback world: every probe, real
// sockets, TLS handshakes with certificate verification against both root pools.
func BenchmarkCheck(b *testing.B) {
	checker := benchChecker(b)
	b.ReportAllocs()
	for b.Loop() {
		rep := checker.Check(context.Background())
		if d := diagnosis.Classify(rep); d.Cause != diagnosis.CauseOK {
			b.Fatalf("healthy world diagnosed as %s: %s", d.Cause, d.Summary)
		}
	}
}

// benchChecker is a checker of a new loopback world, with no proxy and no Spotify prefs.
func benchChecker(b *testing.B) *probe.Checker {
	w := newWorld(b)
	checker, err := probe.New(w.Config(), probe.Options{
		SystemRoots: w.SystemRoots(),
		Getenv:      func(string) string { return "" },
		Facts:       probe.FactsSource{PrefsFiles: []string{}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return checker
}

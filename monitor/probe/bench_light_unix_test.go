//go:build unix

package probe_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/monitor/probe"
)

// BenchmarkLightCheck is one light check against the loopback world, as the daemon runs it each
// minute while all is well: an access-point connect and an HTTPS request over a resumed TLS
// session (the checks before the loop make the session). cpu-ns/op is the process's
// CPU time per check, all goroutines.
func BenchmarkLightCheck(b *testing.B) {
	checker := benchChecker(b)
	light := probe.CheckOptions{Light: true, LastRTT: time.Millisecond}
	// As in the daemon: a full check first (it lists the interfaces the light checks reuse),
	// then a light one (it makes the TLS session the others resume).
	if res := checker.DiagnoseWith(context.Background(), probe.CheckOptions{}); res.Cause != diagnosis.CauseOK {
		b.Fatalf("healthy world, full check: %s", res.Cause)
	}
	if res := checker.DiagnoseWith(context.Background(), light); res.Cause != diagnosis.CauseOK {
		b.Fatalf("healthy world, light check: %s", res.Cause)
	}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		res := checker.DiagnoseWith(context.Background(), light)
		if res.Cause != diagnosis.CauseOK {
			b.Fatalf("healthy world, light check: %s", res.Cause)
		}
		for _, p := range res.Probes {
			if p.Kind == diagnosis.KindHTTPS && !p.Detail.Resumed {
				b.Fatal("the light check did not resume its TLS session")
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

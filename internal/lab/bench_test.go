//go:build linux

package lab_test

import (
	"context"
	"testing"

	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// BenchmarkLabHealthyCheckBytes counts the bytes one healthy `spotwatch check` puts on the
// client's link in the lab (both directions, from the router's interface counters), and how
// long the check took. Run: go test ./internal/lab -run '^$' -bench LabHealthyCheckBytes -benchtime 5x
func BenchmarkLabHealthyCheckBytes(b *testing.B) {
	bin := buildSpotwatch(b)
	w := labworld.NewForTest(b)
	ctx := context.Background()
	var total, up, down uint64
	var ms int64
	n := 0
	for b.Loop() {
		before, err := w.Lab.Counters(ctx)
		if err != nil {
			b.Fatal(err)
		}
		res, _ := runCheck(b, ctx, w.Lab, bin, w.ConfigFile)
		after, err := w.Lab.Counters(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Cause != diagnosis.CauseOK {
			b.Fatalf("the healthy lab was diagnosed %s", res.Cause)
		}
		d := after.Sub(before)
		up, down, total = up+d.Up.Bytes, down+d.Down.Bytes, total+d.Up.Bytes+d.Down.Bytes
		ms += res.DurationMS
		n++
	}
	b.ReportMetric(float64(total)/float64(n), "wire-bytes/check")
	b.ReportMetric(float64(up)/float64(n), "up-bytes/check")
	b.ReportMetric(float64(down)/float64(n), "down-bytes/check")
	b.ReportMetric(float64(ms)/float64(n), "check-ms")
}

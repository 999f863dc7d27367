//go:build linux

package lab_test

import (
	"os"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/lab/labworld"
)

func BenchmarkZZIdle(b *testing.B) {
	bin := buildSpotwatch(b)
	w := labworld.NewForTest(b)
	ctx := b.Context()
	for b.Loop() {
		c := spotwatchCmd(b, ctx, w, bin, time.Minute)
		if os.Getenv("ZZ_GATUS") != "" {
			c = gatusCmd(b, ctx, w, os.Getenv("ZZ_GATUS"), time.Minute)
		}
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		n0 := cpuNsOf(b, c.Process.Pid)
		time.Sleep(185 * time.Second)
		n1 := cpuNsOf(b, c.Process.Pid)
		b.ReportMetric(float64(n1-n0)/1e9, "CPU-s")
		b.ReportMetric(float64(rssKBOf(b, c.Process.Pid))/1024, "RSS-MB")
		c.Process.Kill()
		c.Wait()
	}
}

package main_test

import (
	"os/exec"
	"slices"
	"testing"
	"time"
)

// BenchmarkCheckProcess runs `spotwatch check --json` as a process against the healthy loopback
// world and reports the median wall time (process start to exit) besides the mean.
// Run: go test ./cmd/spotwatch -run '^$' -bench CheckProcess -benchtime 30x
func BenchmarkCheckProcess(b *testing.B) {
	w := newWorld(b)
	cfg, err := w.WriteConfig("")
	if err != nil {
		b.Fatal(err)
	}
	env := []string{"SSL_CERT_FILE=" + w.SystemPEM, "HOME=" + b.TempDir(), "XDG_CONFIG_HOME=" + b.TempDir()}
	var walls []time.Duration
	for b.Loop() {
		cmd := exec.Command(binary, "check", "--json", "--config", cfg)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.Output()
		walls = append(walls, time.Since(start))
		if err != nil {
			b.Fatalf("spotwatch check: %v\n%s", err, out)
		}
	}
	slices.Sort(walls)
	b.ReportMetric(float64(walls[len(walls)/2].Microseconds())/1000, "median-ms")
}

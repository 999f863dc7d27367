package daemon

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestLightMemoryLimit(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name string
		m    memory
		want int64
	}{
		{"idle daemon", memory{mapped: 6 * mb, heapFree: 1 * mb, objects: 2 * mb, live: 1 * mb}, (3 + 1 + 1 + 1) * mb},
		{"no heap yet", memory{mapped: 2 * mb, live: 0}, (2 + 0 + 1 + 1) * mb},
		{"figures read apart, heap over mapped", memory{mapped: 1 * mb, heapFree: 1 * mb, objects: 1 * mb, live: mb / 2}, mb/2 + 2*mb},
	}
	for _, tt := range tests {
		if got := lightMemoryLimit(tt.m); got != tt.want {
			t.Errorf("%s: lightMemoryLimit(%+v) = %d, want %d", tt.name, tt.m, got, tt.want)
		}
	}
}

// TestCollectorModes: light checks turn the proportional target off (and with it the runtime's
// collection every 2 minutes) under a limit a little above what the process uses; a full check
// gets the defaults back; a user's GOGC is left alone.
func TestCollectorModes(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	runtime.GC()

	collectForLightChecks()
	percent, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	m := readMemory()
	if percent != -1 || limit == math.MaxInt64 || limit < int64(m.live)+lightHeapRoom || limit > int64(m.mapped)+64<<20 {
		t.Errorf("light checks: GOGC %d, limit %d (mapped %d, live %d); want GOGC off and a limit just above the process's memory", percent, limit, m.mapped, m.live)
	}

	collectForFullChecks()
	if percent, limit := debug.SetGCPercent(fullGCPercent), debug.SetMemoryLimit(-1); percent != fullGCPercent || limit != math.MaxInt64 {
		t.Errorf("full checks: GOGC %d, limit %d; want %d and no limit", percent, limit, fullGCPercent)
	}

	t.Setenv("GOGC", "200")
	debug.SetGCPercent(200)
	collectForLightChecks()
	if percent, limit := debug.SetGCPercent(200), debug.SetMemoryLimit(-1); percent != 200 || limit != math.MaxInt64 {
		t.Errorf("with GOGC=200: GOGC %d, limit %d; want the user's 200 and no limit", percent, limit)
	}
}

package daemon

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// The garbage collector's settings in the daemon's two modes (docs/design.md §7, "Memory").
//
// The Go runtime's default (GOGC 100) lets the heap grow to at least 4 MB before a collection
// and keeps that much mapped, and it collects every 2 minutes besides, whatever the heap. An
// idle daemon's live heap is about 1 MB and a light check allocates a few hundred KB, so while
// light checks run the daemon asks for a collection only when the heap has grown lightHeapRoom
// past what the last collection kept: no proportional target (GOGC off, which also ends the
// 2-minute collections) and a memory limit at the daemon's other memory, plus the live heap,
// plus the room, set again before each light check. In this VM a collection costs several ms of
// CPU (it wakes every thread), as much as a light check: GOGC 25 (a 1 MB heap) collected after
// nearly every check, GOGC 50 (2 MB) every 2 minutes, this every few checks at about the same
// heap. A full check allocates a few MB in a second and gets the runtime's defaults back, so its
// allocations are not collected over and over. A user's GOGC or GOMEMLIMIT is left alone.

// lightHeapRoom is how far the heap may grow past the live heap while light checks run.
const lightHeapRoom = 1 << 20

// memoryLimitHeadroom is what the runtime keeps below a memory limit before it collects
// (runtime's memoryLimitMinHeapGoalHeadroom, for limits under 33 MB).
const memoryLimitHeadroom = 1 << 20

// fullGCPercent is the collector's target for full checks: the runtime's default.
const fullGCPercent = 100

// userTunesGC reports whether the user set the collector's target or limit.
func userTunesGC() bool {
	return os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != ""
}

// collectForLightChecks sets the collector for light checks (see above).
func collectForLightChecks() {
	if userTunesGC() {
		return
	}
	debug.SetMemoryLimit(lightMemoryLimit(readMemory()))
	debug.SetGCPercent(-1)
}

// collectForFullChecks gives the collector the runtime's defaults back.
func collectForFullChecks() {
	if userTunesGC() {
		return
	}
	debug.SetGCPercent(fullGCPercent)
	debug.SetMemoryLimit(math.MaxInt64)
}

// memory is what the runtime says of its memory, in bytes.
type memory struct {
	mapped   uint64 // mapped and not released to the OS
	heapFree uint64 // free heap pages not released
	objects  uint64 // heap objects, live or not yet swept
	live     uint64 // the heap the last collection marked live
}

// readMemory reads the runtime's memory figures.
func readMemory() memory {
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(samples)
	value := func(i int) uint64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return samples[i].Value.Uint64()
	}
	total, released := value(0), value(1)
	return memory{mapped: total - min(released, total), heapFree: value(2), objects: value(3), live: value(4)}
}

// lightMemoryLimit is the memory limit at which the runtime collects once the heap has grown
// lightHeapRoom past the live heap: its memory other than the heap (stacks, metadata, the
// binary's data), plus the live heap, the room and the runtime's own headroom under a limit.
func lightMemoryLimit(m memory) int64 {
	nonHeap := m.mapped - min(m.heapFree+m.objects, m.mapped)
	return int64(nonHeap + m.live + lightHeapRoom + memoryLimitHeadroom)
}

package netwatch

import (
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// procQueryUnbiasedInterruptTime is not wrapped by x/sys/windows.
var procQueryUnbiasedInterruptTime = windows.NewLazySystemDLL("kernel32.dll").NewProc("QueryUnbiasedInterruptTime")

// newSampler reads the wall clock and the unbiased interrupt time, which stops while the computer
// sleeps. Go's own monotonic clock cannot serve on Windows: it is the interrupt time, which runs
// on through sleep and hibernation. Without the function (never on Windows 7 and later) it falls
// back to Go's clock, and resumes go unnoticed here (the IP Helper notifications still fire when
// the network comes back).
func newSampler() func() sample {
	base := time.Now()
	goClock := func() sample {
		t := time.Now()
		return sample{wall: t.Round(0), awake: t.Sub(base)}
	}
	if procQueryUnbiasedInterruptTime.Find() != nil {
		return goClock
	}
	return func() sample {
		t := time.Now()
		var ticks uint64 // in 100 ns units
		if ok, _, _ := procQueryUnbiasedInterruptTime.Call(uintptr(unsafe.Pointer(&ticks))); ok == 0 {
			return goClock() // cannot happen with a valid pointer
		}
		return sample{wall: t.Round(0), awake: unbiasedDuration(ticks)}
	}
}

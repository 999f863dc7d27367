package netstate

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

// Whether the connection is metered on macOS: Network.framework's path monitor (the C API
// under NWPathMonitor), whose path is "expensive" (cellular, a phone's hotspot) or
// "constrained" (Low Data Mode); meteredFromPath maps them. It is called without cgo, through
// github.com/ebitengine/purego: the update and cancel handlers are Objective-C blocks made by
// purego's objc.NewBlock, and the monitor delivers them on a serial queue of our own from
// libdispatch, on threads Go did not start (purego's callbacks allow that: with cgo, or its
// fakecgo without). It has been compiled and vetted for macOS here, never run: there is no Mac
// (README, "What is tested on macOS").

const (
	networkFrameworkPath = "/System/Library/Frameworks/Network.framework/Network"
	libSystemPath        = "/usr/lib/libSystem.B.dylib" // libdispatch
	meteredQueueLabel    = "spotwatch.metered"          // dispatch_queue_create copies it
)

// network is what WatchMetered calls of Network.framework and libdispatch. nw_path_t,
// nw_path_monitor_t and dispatch_queue_t are object pointers, passed as uintptr.
type network struct {
	monitorCreate           func() uintptr                            // nw_path_monitor_create
	monitorSetUpdateHandler func(monitor uintptr, handler objc.Block) // nw_path_monitor_set_update_handler: ^(nw_path_t)
	monitorSetCancelHandler func(monitor uintptr, handler objc.Block) // nw_path_monitor_set_cancel_handler: ^(void)
	monitorSetQueue         func(monitor, queue uintptr)              // nw_path_monitor_set_queue
	monitorStart            func(monitor uintptr)                     // nw_path_monitor_start
	monitorCancel           func(monitor uintptr)                     // nw_path_monitor_cancel
	pathIsExpensive         func(path uintptr) bool                   // nw_path_is_expensive (macOS 10.14)
	pathIsConstrained       func(path uintptr) bool                   // nw_path_is_constrained (macOS 10.15)
	release                 func(object uintptr)                      // nw_release
	queueCreate             func(label string, attr uintptr) uintptr  // dispatch_queue_create; attr 0: serial
	dispatchRelease         func(object uintptr)                      // dispatch_release
}

// loadNetwork loads Network.framework and libdispatch once. A library or function that is
// missing is errors.ErrUnsupported (none is, on the macOS versions Go supports: 11 and later).
var loadNetwork = sync.OnceValues(func() (*network, error) {
	nw := &network{}
	libs := map[string]uintptr{}
	for _, path := range []string{networkFrameworkPath, libSystemPath} {
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %v: %w", path, err, errors.ErrUnsupported)
		}
		libs[path] = h
	}
	for _, f := range []struct {
		lib, name string
		fptr      any
	}{
		{networkFrameworkPath, "nw_path_monitor_create", &nw.monitorCreate},
		{networkFrameworkPath, "nw_path_monitor_set_update_handler", &nw.monitorSetUpdateHandler},
		{networkFrameworkPath, "nw_path_monitor_set_cancel_handler", &nw.monitorSetCancelHandler},
		{networkFrameworkPath, "nw_path_monitor_set_queue", &nw.monitorSetQueue},
		{networkFrameworkPath, "nw_path_monitor_start", &nw.monitorStart},
		{networkFrameworkPath, "nw_path_monitor_cancel", &nw.monitorCancel},
		{networkFrameworkPath, "nw_path_is_expensive", &nw.pathIsExpensive},
		{networkFrameworkPath, "nw_path_is_constrained", &nw.pathIsConstrained},
		{networkFrameworkPath, "nw_release", &nw.release},
		{libSystemPath, "dispatch_queue_create", &nw.queueCreate},
		{libSystemPath, "dispatch_release", &nw.dispatchRelease},
	} {
		// Looked up first: purego.RegisterLibFunc panics on a missing symbol.
		sym, err := purego.Dlsym(libs[f.lib], f.name)
		if err != nil {
			return nil, fmt.Errorf("loading %s: no %s: %v: %w", f.lib, f.name, err, errors.ErrUnsupported)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	return nw, nil
})

// WatchMetered calls onChange with whether the connection is metered, from Network.framework's
// path monitor (expensive or constrained: meteredFromPath), at once and whenever that changes
// (the monitor's updates: events, no polling), until ctx is done (then it returns nil). bus is
// not used (it is Linux's system bus).
func WatchMetered(ctx context.Context, bus string, onChange func(Metered)) error {
	nw, err := loadNetwork()
	if err != nil {
		return err
	}
	// The newest value only: the handler runs on the serial queue, one at a time, so emptying
	// the channel before sending never blocks it.
	updates := make(chan Metered, 1)
	update := objc.NewBlock(func(_ objc.Block, path uintptr) {
		m := meteredFromPath(nw.pathIsExpensive(path), nw.pathIsConstrained(path))
		select {
		case <-updates:
		default:
		}
		updates <- m
	})
	defer update.Release() // ours; the monitor holds its own copy until it is released
	cancelled := make(chan struct{})
	onCancel := objc.NewBlock(func(objc.Block) { close(cancelled) })
	defer onCancel.Release()

	queue := nw.queueCreate(meteredQueueLabel, 0)
	if queue == 0 {
		return errors.New("creating a dispatch queue for the path monitor (dispatch_queue_create) failed")
	}
	defer nw.dispatchRelease(queue)
	monitor := nw.monitorCreate()
	if monitor == 0 {
		return errors.New("creating the path monitor (nw_path_monitor_create) failed")
	}
	defer nw.release(monitor)
	nw.monitorSetUpdateHandler(monitor, update)
	nw.monitorSetCancelHandler(monitor, onCancel)
	nw.monitorSetQueue(monitor, queue)
	nw.monitorStart(monitor) // the first update is the current path
	defer func() {
		// Once the cancel handler has run no update comes: the blocks, the monitor and the
		// queue can go.
		nw.monitorCancel(monitor)
		<-cancelled
	}()

	last, first := MeteredUnknown, true
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-updates:
			if first || m != last { // the path changed, not whether it is metered
				last, first = m, false
				onChange(m)
			}
		}
	}
}

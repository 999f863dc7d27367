package netwatch

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// notifier receives the IP Helper callbacks, on threads of the system's pool: it only queues
// the reason, never blocking them.
type notifier struct{ changes chan string }

func (n *notifier) notify(reason string, typ uint32) {
	if r := mibReason(reason, typ); r != "" {
		select {
		case n.changes <- r:
		default: // changes are pending already
		}
	}
}

// The callbacks are made once per process: Go can make only so many and never frees one. Each
// gets the registration's *notifier as its caller context.
var (
	interfaceCallback = sync.OnceValue(func() uintptr {
		return windows.NewCallback(func(n *notifier, _ uintptr, typ uint32) uintptr { n.notify(ReasonLink, typ); return 0 })
	})
	addressCallback = sync.OnceValue(func() uintptr {
		return windows.NewCallback(func(n *notifier, _ uintptr, typ uint32) uintptr { n.notify(ReasonAddress, typ); return 0 })
	})
	routeCallback = sync.OnceValue(func() uintptr {
		return windows.NewCallback(func(n *notifier, _ uintptr, typ uint32) uintptr { n.notify(ReasonRoute, typ); return 0 })
	})
)

// registerFunc is the shape of the IP Helper Notify…Change functions.
type registerFunc func(family uint16, callback uintptr, callerContext unsafe.Pointer, initialNotification bool, handle *windows.Handle) error

// openEvents registers for interface, unicast address and route changes of IPv4 and IPv6.
func openEvents(logger *slog.Logger) (runFunc, error) {
	n := &notifier{changes: make(chan string, pendingChanges)}
	var handles []windows.Handle
	cancel := func() {
		for _, h := range handles {
			// It waits for a running callback to return; n must live until then.
			if err := windows.CancelMibChangeNotify2(h); err != nil {
				logger.Debug("cancelling a network change notification", "err", err)
			}
		}
		runtime.KeepAlive(n)
	}
	for _, r := range []struct {
		name     string
		register registerFunc
		callback uintptr
	}{
		{"NotifyIpInterfaceChange", windows.NotifyIpInterfaceChange, interfaceCallback()},
		{"NotifyUnicastIpAddressChange", windows.NotifyUnicastIpAddressChange, addressCallback()},
		{"NotifyRouteChange2", windows.NotifyRouteChange2, routeCallback()},
	} {
		var h windows.Handle
		if err := r.register(windows.AF_UNSPEC, r.callback, unsafe.Pointer(n), false, &h); err != nil {
			cancel()
			return nil, fmt.Errorf("calling %s: %w", r.name, err)
		}
		handles = append(handles, h)
	}
	return func(ctx context.Context, emit func(Change)) error {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return nil
			case r := <-n.changes:
				emit(Change{Reason: r})
			}
		}
	}, nil
}

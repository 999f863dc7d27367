package netstate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Whether the connection is metered on Windows: the IP Helper's connectivity hint, whose cost
// is what Settings' "metered connection" sets (meteredFromHint). Both functions arrived in
// Windows 10 2004 (build 19041), so they are looked up when called, not imported: without
// them WatchMetered answers errors.ErrUnsupported. Wine 8's iphlpapi.dll exports neither
// (scripts/wine), so under wine that error is what the test sees. The COM way,
// INetworkCostManager, is not needed.
var (
	iphlpapi                                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetNetworkConnectivityHint          = iphlpapi.NewProc("GetNetworkConnectivityHint")
	procNotifyNetworkConnectivityHintChange = iphlpapi.NewProc("NotifyNetworkConnectivityHintChange")
)

// hintWatchers are the running WatchMetered calls, each told of a change on its channel. Windows
// passes the key back to the callback as its context: a number, not a Go pointer.
var (
	hintMu       sync.Mutex
	hintWatchers = map[uintptr]chan<- struct{}{}
	hintNext     uintptr
)

// hintCallback is the one callback every registration uses (windows.NewCallback's are never
// freed, and there are at most 2000 of them).
var hintCallback = sync.OnceValue(func() uintptr { return windows.NewCallback(onHintChange) })

// addHintWatcher adds a watcher told of changes on changed, and returns its key.
func addHintWatcher(changed chan<- struct{}) uintptr {
	hintMu.Lock()
	defer hintMu.Unlock()
	hintNext++
	hintWatchers[hintNext] = changed
	return hintNext
}

// removeHintWatcher removes the watcher of key.
func removeHintWatcher(key uintptr) {
	hintMu.Lock()
	defer hintMu.Unlock()
	delete(hintWatchers, key)
}

// onHintChange is PNETWORK_CONNECTIVITY_HINT_CHANGE_CALLBACK: (PVOID CallerContext,
// NL_NETWORK_CONNECTIVITY_HINT ConnectivityHint), on a thread-pool thread, one call at a time.
// The hint comes by value, which each ABI passes its own way (amd64: a pointer to a copy; arm64:
// in two registers; 386: 12 bytes on the stack, which the callee pops, hence the three words
// declared after the context), so it is not read here: the watcher is told, and reads the
// current hint with GetNetworkConnectivityHint.
func onHintChange(context, _, _, _ uintptr) uintptr {
	hintMu.Lock()
	changed := hintWatchers[context]
	hintMu.Unlock()
	if changed != nil {
		select {
		case changed <- struct{}{}:
		default: // already told: the watcher reads the newest hint anyway
		}
	}
	return 0
}

// WatchMetered calls onChange with whether the connection is metered, from Windows'
// connectivity hint (GetNetworkConnectivityHint), at once and whenever that changes
// (NotifyNetworkConnectivityHintChange: an event, no polling), until ctx is done (then it
// returns nil). bus is not used (it is Linux's system bus). Before Windows 10 2004, and under
// wine 8, it returns an error wrapping errors.ErrUnsupported that names the missing functions.
func WatchMetered(ctx context.Context, bus string, onChange func(Metered)) error {
	var missing []string
	for _, p := range []*windows.LazyProc{procGetNetworkConnectivityHint, procNotifyNetworkConnectivityHintChange} {
		if p.Find() != nil {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("reading whether the connection is metered: iphlpapi.dll has no %s (Windows 10 2004 and later): %w",
			strings.Join(missing, " and no "), errors.ErrUnsupported)
	}

	changed := make(chan struct{}, 1)
	key := addHintWatcher(changed)
	defer removeHintWatcher(key)
	var handle windows.Handle
	// No initial notification: the hint is read below, after the registration, so a change in
	// between is not missed.
	if r, _, _ := procNotifyNetworkConnectivityHintChange.Call(hintCallback(), key, 0, uintptr(unsafe.Pointer(&handle))); r != 0 {
		return fmt.Errorf("watching the connection's cost (NotifyNetworkConnectivityHintChange): %w", windows.Errno(r))
	}
	// Cancelling waits for a callback under way (and none comes after); one that came late
	// would find no key anyway.
	defer windows.CancelMibChangeNotify2(handle)

	last, err := readMeteredHint()
	if err != nil {
		return err
	}
	onChange(last)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
			m, err := readMeteredHint()
			if err != nil {
				return err
			}
			if m != last { // the level changed, not the cost
				last = m
				onChange(m)
			}
		}
	}
}

// readMeteredHint reads the connectivity hint now.
func readMeteredHint() (Metered, error) {
	var h connectivityHint
	if r, _, _ := procGetNetworkConnectivityHint.Call(uintptr(unsafe.Pointer(&h))); r != 0 {
		return MeteredUnknown, fmt.Errorf("reading the connection's cost (GetNetworkConnectivityHint): %w", windows.Errno(r))
	}
	return meteredFromHint(h), nil
}

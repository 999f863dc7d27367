package netstate

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// TestWatchMeteredWindows calls the real IP Helper. Where iphlpapi.dll has the connectivity
// hint (Windows 10 2004 and later) a value comes at once and cancelling ends the watch with
// nil; where it does not (older Windows, and wine 8: scripts/wine) WatchMetered returns
// errors.ErrUnsupported at once, naming each missing function, without calling onChange.
func TestWatchMeteredWindows(t *testing.T) {
	var missing []string
	for _, p := range []string{"GetNetworkConnectivityHint", "NotifyNetworkConnectivityHintChange"} {
		if iphlpapi.NewProc(p).Find() != nil {
			missing = append(missing, p)
		}
	}
	t.Logf("under wine %v; iphlpapi.dll lacks %v", testutil.UnderWine(), missing)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan Metered, 8)
	done := make(chan error, 1)
	go func() { done <- WatchMetered(ctx, "", func(m Metered) { got <- m }) }()

	if len(missing) > 0 {
		select {
		case err := <-done:
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Fatalf("WatchMetered = %v, want errors.ErrUnsupported", err)
			}
			for _, p := range missing {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("WatchMetered's error %q does not name %s", err, p)
				}
			}
			t.Logf("WatchMetered: %v", err)
		case m := <-got:
			t.Fatalf("a value (%s) without %v", m, missing)
		case <-time.After(10 * time.Second):
			t.Fatal("WatchMetered did not return within 10 s")
		}
		if len(got) != 0 {
			t.Error("onChange called as well as the error")
		}
		return
	}

	select {
	case m := <-got:
		t.Logf("metered: %s", m)
		if m != MeteredUnknown && m != MeteredYes && m != MeteredNo {
			t.Errorf("metered %s: not a value meteredFromHint gives", m)
		}
	case err := <-done:
		t.Fatalf("WatchMetered returned %v before any value", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no value within 10 s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("WatchMetered after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchMetered did not return within 10 s of cancel")
	}
}

// TestHintCallback calls the callback Windows is given as Windows would (through its C
// function pointer, with the context and a pointer to the hint, as on amd64), so it runs under
// wine too, which has no NotifyNetworkConnectivityHintChange to call it: it tells the watcher
// of the context once, never blocks when the watcher was already told, and ignores a context
// that is no watcher's (one removed).
func TestHintCallback(t *testing.T) {
	changed := make(chan struct{}, 1)
	key := addHintWatcher(changed)
	hint := connectivityHint{ConnectivityLevel: 3, ConnectivityCost: costFixed}
	call := func(key uintptr) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			syscall.SyscallN(hintCallback(), key, uintptr(unsafe.Pointer(&hint)), 0, 0)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the callback blocked")
		}
	}
	call(key)
	call(key) // already told: not blocked
	if len(changed) != 1 {
		t.Fatalf("%d signals waiting, want 1", len(changed))
	}
	<-changed
	removeHintWatcher(key)
	call(key)
	if len(changed) != 0 {
		t.Error("a removed watcher was told")
	}
}

//go:build linux

package netstate

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
	"github.com/spotwatch/spotwatch/internal/testutil"
)

// startBus starts a private bus daemon (dbus-daemon, Debian package dbus) for one test and
// returns its address. It stands for the system bus: the real one is the machine's, and
// NetworkManager cannot run in the lab (it would take over the test machine's interfaces, and
// needs polkit and the real system bus).
func startBus(t *testing.T) string {
	t.Helper()
	return testutil.StartBus(t, "system", nil)
}

// fakeNetworkManager takes NetworkManager's name on the bus and exports its object with the
// Metered property (through godbus's prop package, which emits PropertiesChanged as
// NetworkManager does), starting at m.
func fakeNetworkManager(t *testing.T, addr string, m any) *prop.Properties {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connecting to the test bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	props, err := prop.Export(conn, nmPath, prop.Map{nmIface: {
		nmMetered:      {Value: m, Emit: prop.EmitTrue},
		"Connectivity": {Value: uint32(4), Emit: prop.EmitTrue},
	}})
	if err != nil {
		t.Fatalf("exporting the NetworkManager object: %v", err)
	}
	if reply, err := conn.RequestName(nmName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking %s: %v %v", nmName, reply, err)
	}
	return props
}

// TestWatchMetered: the first value at once, then each change of Metered (and no call for
// another property's change).
func TestWatchMetered(t *testing.T) {
	addr := startBus(t)
	props := fakeNetworkManager(t, addr, uint32(MeteredGuessNo))
	got := make(chan Metered, 8)
	done := make(chan error, 1)
	go func() { done <- WatchMetered(t.Context(), addr, func(m Metered) { got <- m }) }()
	next := func(want Metered) {
		t.Helper()
		select {
		case m := <-got:
			if m != want {
				t.Fatalf("Metered %s, want %s", m, want)
			}
		case err := <-done:
			t.Fatalf("WatchMetered returned %v, want %s", err, want)
		case <-time.After(10 * time.Second):
			t.Fatalf("no Metered %s within 10 s", want)
		}
	}
	next(MeteredGuessNo)
	props.SetMust(nmIface, "Connectivity", uint32(2))
	props.SetMust(nmIface, nmMetered, uint32(MeteredGuessYes)) // a phone's hotspot
	next(MeteredGuessYes)
	props.SetMust(nmIface, nmMetered, uint32(MeteredNo))
	next(MeteredNo)
	select {
	case m := <-got:
		t.Errorf("an extra call with %s", m)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestWatchMeteredErrors: no bus, no NetworkManager, and a Metered property that is not an
// NMMetered are errors, not a guess.
func TestWatchMeteredErrors(t *testing.T) {
	addr := startBus(t)
	badAddr := startBus(t)
	fakeNetworkManager(t, badAddr, "yes")
	tests := []struct {
		name, addr, want string
	}{
		{"no bus", "unix:path=" + filepath.Join(t.TempDir(), "none"), "connecting to the system bus"},
		{"no NetworkManager", addr, "reading NetworkManager's Metered property"},
		{"a string", badAddr, "Metered property is a s, want a uint32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			err := WatchMetered(t.Context(), tt.addr, func(Metered) { called = true })
			if err == nil || !strings.Contains(err.Error(), tt.want) || called {
				t.Errorf("WatchMetered = %v (called %v), want an error with %q and no call", err, called, tt.want)
			}
		})
	}
}

func TestMeteredValues(t *testing.T) {
	for _, tt := range []struct {
		m    Metered
		want bool
		s    string
	}{
		{MeteredUnknown, false, "unknown"}, {MeteredYes, true, "yes"}, {MeteredNo, false, "no"},
		{MeteredGuessYes, true, "guess-yes"}, {MeteredGuessNo, false, "guess-no"},
	} {
		if tt.m.IsMetered() != tt.want || tt.m.String() != tt.s {
			t.Errorf("%d: IsMetered %v String %q, want %v %q", tt.m, tt.m.IsMetered(), tt.m.String(), tt.want, tt.s)
		}
	}
	if _, err := meteredValue(dbus.MakeVariant(uint32(9))); err == nil {
		t.Error("Metered 9 accepted")
	}
}

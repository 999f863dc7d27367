//go:build linux

package netstate

import (
	"context"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

// NetworkManager's bus name, object and interface, whose "Metered" property says whether the
// primary connection is metered.
const (
	nmName    = "org.freedesktop.NetworkManager"
	nmPath    = "/org/freedesktop/NetworkManager"
	nmIface   = "org.freedesktop.NetworkManager"
	nmMetered = "Metered"
)

// systemBus is the system bus's address: DBUS_SYSTEM_BUS_ADDRESS, else the standard socket.
func systemBus() string {
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/run/dbus/system_bus_socket"
}

// WatchMetered calls onChange with NetworkManager's Metered property at once and whenever it
// changes (its PropertiesChanged signal: an event, no polling), until ctx is done (then it
// returns nil). bus is the system bus's address; "" = DBUS_SYSTEM_BUS_ADDRESS or the standard
// socket. It returns an error when the bus or NetworkManager cannot be reached: then whether
// the connection is metered is not known.
func WatchMetered(ctx context.Context, bus string, onChange func(Metered)) error {
	if bus == "" {
		bus = systemBus()
	}
	conn, err := dbus.Connect(bus, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("connecting to the system bus: %w", err)
	}
	defer conn.Close()
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchObjectPath(nmPath), dbus.WithMatchInterface("org.freedesktop.DBus.Properties"),
		dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchArg(0, nmIface)); err != nil {
		return fmt.Errorf("watching NetworkManager's properties: %w", err)
	}
	// Read after the match is in place, so a change in between is not missed.
	var v dbus.Variant
	if err := conn.Object(nmName, nmPath).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, nmIface, nmMetered).Store(&v); err != nil {
		return fmt.Errorf("reading NetworkManager's Metered property: %w", err)
	}
	m, err := meteredValue(v)
	if err != nil {
		return err
	}
	onChange(m)
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig, ok := <-signals:
			if !ok {
				return fmt.Errorf("the system bus connection closed")
			}
			if sig.Path != nmPath || sig.Name != "org.freedesktop.DBus.Properties.PropertiesChanged" || len(sig.Body) < 2 {
				continue
			}
			changed, ok := sig.Body[1].(map[string]dbus.Variant)
			if !ok {
				continue
			}
			v, ok := changed[nmMetered]
			if !ok {
				continue
			}
			m, err := meteredValue(v)
			if err != nil {
				return err
			}
			onChange(m)
		}
	}
}

// meteredValue reads the Metered property: a uint32 of NMMetered.
func meteredValue(v dbus.Variant) (Metered, error) {
	u, ok := v.Value().(uint32)
	if !ok {
		return MeteredUnknown, fmt.Errorf("NetworkManager's Metered property is a %s, want a uint32", v.Signature())
	}
	if u > uint32(MeteredGuessNo) {
		return MeteredUnknown, fmt.Errorf("NetworkManager's Metered property is %d, not an NMMetered value", u)
	}
	return Metered(u), nil
}

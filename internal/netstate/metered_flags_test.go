package netstate

import (
	"testing"
	"unsafe"
)

// TestConnectivityHintLayout: connectivityHint has NL_NETWORK_CONNECTIVITY_HINT's layout
// (nldef.h): the two enums at 0 and 4, the three BOOLEANs at 8, 9 and 10, 12 bytes in all.
func TestConnectivityHintLayout(t *testing.T) {
	var h connectivityHint
	got := []uintptr{unsafe.Offsetof(h.ConnectivityLevel), unsafe.Offsetof(h.ConnectivityCost),
		unsafe.Offsetof(h.ApproachingDataLimit), unsafe.Offsetof(h.OverDataLimit), unsafe.Offsetof(h.Roaming), unsafe.Sizeof(h)}
	want := []uintptr{0, 4, 8, 9, 10, 12}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("offsets and size %v, want %v", got, want)
		}
	}
}

func TestMeteredFromHint(t *testing.T) {
	const internet = 3 // NetworkConnectivityLevelHintInternetAccess
	tests := []struct {
		name string
		hint connectivityHint
		want Metered
	}{
		{"unknown cost", connectivityHint{ConnectivityLevel: internet, ConnectivityCost: costUnknown}, MeteredUnknown},
		{"unrestricted", connectivityHint{ConnectivityLevel: internet, ConnectivityCost: costUnrestricted}, MeteredNo},
		{"fixed (a data plan)", connectivityHint{ConnectivityLevel: internet, ConnectivityCost: costFixed}, MeteredYes},
		{"variable (by the byte)", connectivityHint{ConnectivityLevel: internet, ConnectivityCost: costVariable}, MeteredYes},
		{"unrestricted but over the limit", connectivityHint{ConnectivityCost: costUnrestricted, OverDataLimit: 1}, MeteredYes},
		{"unrestricted but roaming", connectivityHint{ConnectivityCost: costUnrestricted, Roaming: 1}, MeteredYes},
		{"unknown cost but roaming", connectivityHint{ConnectivityCost: costUnknown, Roaming: 1}, MeteredYes},
		{"unrestricted, approaching the limit", connectivityHint{ConnectivityCost: costUnrestricted, ApproachingDataLimit: 1}, MeteredNo},
		{"fixed, approaching the limit", connectivityHint{ConnectivityCost: costFixed, ApproachingDataLimit: 1}, MeteredYes},
		{"no connectivity, unrestricted", connectivityHint{ConnectivityLevel: 1, ConnectivityCost: costUnrestricted}, MeteredNo},
		{"a cost value from a later Windows", connectivityHint{ConnectivityCost: 4}, MeteredUnknown},
	}
	for _, tt := range tests {
		if got := meteredFromHint(tt.hint); got != tt.want {
			t.Errorf("%s: %+v → %s, want %s", tt.name, tt.hint, got, tt.want)
		}
	}
}

func TestMeteredFromPath(t *testing.T) {
	tests := []struct {
		expensive, constrained bool
		want                   Metered
	}{
		{false, false, MeteredNo},
		{true, false, MeteredYes}, // cellular, a phone's hotspot
		{false, true, MeteredYes}, // Low Data Mode
		{true, true, MeteredYes},
	}
	for _, tt := range tests {
		if got := meteredFromPath(tt.expensive, tt.constrained); got != tt.want {
			t.Errorf("expensive %v constrained %v → %s, want %s", tt.expensive, tt.constrained, got, tt.want)
		}
	}
}

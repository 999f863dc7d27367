package netstate

import "structs"

// The OS's own metered flags and how each maps to Metered. They are pure, and in a file
// without a build tag, so their tests run on every OS; metered_windows.go and
// metered_darwin.go read the flags.

// connectivityHint is Windows' NL_NETWORK_CONNECTIVITY_HINT (nldef.h, Windows SDK 10.0.19041
// and later), as GetNetworkConnectivityHint fills it: two C enums (4 bytes each), then three
// BOOLEANs (1 byte each), then one byte of padding to the struct's 4-byte alignment; 12 bytes
// in all on every Windows architecture.
type connectivityHint struct {
	_                    structs.HostLayout
	ConnectivityLevel    uint32 // NL_NETWORK_CONNECTIVITY_LEVEL_HINT: unknown, none, local, internet, constrained (a captive portal), hidden
	ConnectivityCost     uint32 // NL_NETWORK_CONNECTIVITY_COST_HINT: the cost* constants
	ApproachingDataLimit uint8
	OverDataLimit        uint8
	Roaming              uint8
}

// NL_NETWORK_CONNECTIVITY_COST_HINT's values.
const (
	costUnknown      = 0 // NetworkConnectivityCostHintUnknown: no cost information
	costUnrestricted = 1 // NetworkConnectivityCostHintUnrestricted: unlimited
	costFixed        = 2 // NetworkConnectivityCostHintFixed: unrestricted up to a limit (a data plan)
	costVariable     = 3 // NetworkConnectivityCostHintVariable: charged by the byte
)

// meteredFromHint maps Windows' connectivity hint to Metered: a fixed or variable cost, or
// being over the data limit or roaming, is metered; an unrestricted cost is not; an unknown
// cost (or a value Windows may add later) is unknown. Approaching the data limit alone says
// nothing more than the cost already does.
func meteredFromHint(h connectivityHint) Metered {
	switch {
	case h.OverDataLimit != 0 || h.Roaming != 0:
		return MeteredYes
	case h.ConnectivityCost == costFixed || h.ConnectivityCost == costVariable:
		return MeteredYes
	case h.ConnectivityCost == costUnrestricted:
		return MeteredNo
	}
	return MeteredUnknown
}

// meteredFromPath maps macOS's path flags (Network.framework's nw_path_is_expensive and
// nw_path_is_constrained) to Metered: an expensive path (cellular, or a phone's hotspot) or a
// constrained one (Low Data Mode) is metered, any other is not. macOS always answers both, so
// there is no unknown.
func meteredFromPath(expensive, constrained bool) Metered {
	if expensive || constrained {
		return MeteredYes
	}
	return MeteredNo
}

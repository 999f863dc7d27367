package netstate

// Metered is whether the connection in use is metered, as the OS says it (WatchMetered). The
// values are NetworkManager's NMMetered enum, which Linux reads as is; Windows' connectivity
// hint and macOS's path flags map onto yes, no and unknown (meteredFromHint, meteredFromPath).
type Metered uint32

// NetworkManager's NMMetered values.
const (
	MeteredUnknown  Metered = 0 // NM_METERED_UNKNOWN
	MeteredYes      Metered = 1 // NM_METERED_YES: set by the user or the connection's profile
	MeteredNo       Metered = 2 // NM_METERED_NO
	MeteredGuessYes Metered = 3 // NM_METERED_GUESS_YES: guessed, e.g. a phone's hotspot (ANDROID_METERED DHCP option)
	MeteredGuessNo  Metered = 4 // NM_METERED_GUESS_NO
)

// IsMetered reports whether traffic should be spared: metered, set or guessed.
func (m Metered) IsMetered() bool { return m == MeteredYes || m == MeteredGuessYes }

func (m Metered) String() string {
	switch m {
	case MeteredUnknown:
		return "unknown"
	case MeteredYes:
		return "yes"
	case MeteredNo:
		return "no"
	case MeteredGuessYes:
		return "guess-yes"
	case MeteredGuessNo:
		return "guess-no"
	}
	return "unknown value"
}

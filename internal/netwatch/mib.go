package netwatch

// mibInitialNotification is MIB_NOTIFICATION_TYPE's MibInitialNotification: the call made at
// registration when asked for, which reports no change. The others are MibParameterNotification
// (0), MibAddInstance (1) and MibDeleteInstance (2).
const mibInitialNotification = 3

// mibReason is the Reason for a Windows IP Helper notification of type typ from the
// registration for reason, or "" when it is no change.
func mibReason(reason string, typ uint32) string {
	if typ == mibInitialNotification {
		return ""
	}
	return reason
}

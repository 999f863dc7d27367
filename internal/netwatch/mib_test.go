package netwatch

import "testing"

func TestMibReason(t *testing.T) {
	tests := []struct {
		reason string
		typ    uint32
		want   string
	}{
		{ReasonLink, 0, ReasonLink},       // MibParameterNotification
		{ReasonAddress, 1, ReasonAddress}, // MibAddInstance
		{ReasonRoute, 2, ReasonRoute},     // MibDeleteInstance
		{ReasonRoute, 3, ""},              // MibInitialNotification
	}
	for _, tt := range tests {
		if got := mibReason(tt.reason, tt.typ); got != tt.want {
			t.Errorf("mibReason(%q, %d) = %q, want %q", tt.reason, tt.typ, got, tt.want)
		}
	}
}

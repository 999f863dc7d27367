package cli

import (
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/monitor"
)

// TestCheckExitStatus: the exit status is the Spotify error code, and a check that failed
// inside spotwatch (code -1, internal_error) exits 1 like any internal error, not 255.
func TestCheckExitStatus(t *testing.T) {
	tests := []struct {
		cause monitor.Cause
		want  int
	}{
		{monitor.CauseOK, 0},
		{monitor.CauseDegraded, 0},
		{monitor.CauseNoNetwork, 4},
		{monitor.CauseFirewallDrop, 7},
		{monitor.CauseInternalError, exitInternal},
	}
	for _, tt := range tests {
		res := monitor.Result{Diagnosis: monitor.Diagnosis{Code: tt.cause.Code(), Cause: tt.cause, Title: "t"}}
		if got := checkExitStatus(res); got != tt.want {
			t.Errorf("%s: exit status %d, want %d", tt.cause, got, tt.want)
		}
	}
	var b strings.Builder
	writeText(&b, monitor.Result{Diagnosis: monitor.Diagnosis{Code: monitor.CodeUnknown, Cause: monitor.CauseInternalError, Title: "spotwatch could not run this check"}}, false)
	if strings.Contains(b.String(), "Error Code -1") {
		t.Errorf("an internal error reads as a Spotify error code:\n%s", b.String())
	}
}

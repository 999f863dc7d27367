package cli

import (
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestCheckExitStatus: the exit status is the Spotify error code, and a check that failed
// inside spotwatch (code -1, internal_error) exits 1 like any internal error, not 255.
func TestCheckExitStatus(t *testing.T) {
	tests := []struct {
		cause diagnosis.Cause
		want  int
	}{
		{diagnosis.CauseOK, 0},
		{diagnosis.CauseDegraded, 0},
		{diagnosis.CauseNoNetwork, 4},
		{diagnosis.CauseFirewallDrop, 7},
		{diagnosis.CauseInternalError, exitInternal},
	}
	for _, tt := range tests {
		res := diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: tt.cause.Code(), Cause: tt.cause, Title: "t"}}
		if got := checkExitStatus(res); got != tt.want {
			t.Errorf("%s: exit status %d, want %d", tt.cause, got, tt.want)
		}
	}
	var b strings.Builder
	writeText(&b, diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: diagnosis.CodeUnknown, Cause: diagnosis.CauseInternalError, Title: "spotwatch could not run this check"}}, false)
	if strings.Contains(b.String(), "Error Code -1") {
		t.Errorf("an internal error reads as a Spotify error code:\n%s", b.String())
	}
}

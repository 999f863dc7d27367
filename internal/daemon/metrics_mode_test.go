package daemon

import (
	"testing"

	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/statusapi"
)

// The daemon's metrics source reports the monitor's check mode, which spotwatch_check_mode
// compares with statusapi's names: the two must spell the modes alike.
var _ statusapi.CheckModer = metricsSource{}

func TestCheckModesAgree(t *testing.T) {
	for _, tc := range []struct{ monitor, statusapi string }{
		{monitor.ModeFull, statusapi.ModeFull},
		{monitor.ModeLight, statusapi.ModeLight},
	} {
		if tc.monitor != tc.statusapi {
			t.Errorf("monitor's mode %q is %q in statusapi", tc.monitor, tc.statusapi)
		}
	}
}

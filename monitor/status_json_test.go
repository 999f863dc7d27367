package monitor

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestStatusJSONCarriesProduct: the product and the short phrase survive the status API's JSON
// (daemon to tray), while a Result, as `check --json` prints it, keeps its fields unchanged.
func TestStatusJSONCarriesProduct(t *testing.T) {
	d := Classify(readReport(t, "testdata/reports/block_page-loopback-block-page-over-https.json"))
	until := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	st := Status{Result: Result{Diagnosis: d, Probes: []Probe{}, Version: "test"}, Since: until.Add(-time.Hour), PendingCause: CauseOK, PausedUntil: &until, Checks: 3}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"product":"FortiGuard"`, `"short_cause":"blocked by FortiGuard"`, `"cause":"block_page"`, `"pending_cause":"ok"`, `"checks":3`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("status JSON lacks %s: %s", want, data)
		}
	}
	var back Status
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Diagnosis, st.Diagnosis) || back.Product != "FortiGuard" || back.Short != "blocked by FortiGuard" {
		t.Errorf("round trip lost the diagnosis: %+v", back.Diagnosis)
	}
	if !back.PausedUntil.Equal(until) || back.Checks != 3 || back.PendingCause != CauseOK {
		t.Errorf("round trip lost status fields: %+v", back)
	}
	ev, _ := json.Marshal(Event{Type: EventState, Status: st})
	if !strings.Contains(string(ev), `"short_cause":"blocked by FortiGuard"`) {
		t.Errorf("event JSON lacks the short phrase: %s", ev)
	}
	res, _ := json.Marshal(st.Result)
	if strings.Contains(string(res), "short_cause") || strings.Contains(string(res), `"product"`) {
		t.Errorf("check --json would change: %s", res)
	}
}

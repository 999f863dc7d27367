package monitor

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestStatusJSONCarriesProduct: the product and the short phrase survive the status API's JSON
// (daemon to tray), while a Result, as `check --json` prints it, keeps its fields unchanged.
func TestStatusJSONCarriesProduct(t *testing.T) {
	d := diagnosis.Classify(readReport(t, "diagnosis/testdata/reports/block_page-loopback-block-page-over-https.json"))
	until := time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)
	st := Status{Result: diagnosis.Result{Diagnosis: d, Probes: []diagnosis.Probe{}, Version: "test"}, Since: until.Add(-time.Hour), PendingCause: diagnosis.CauseOK, PausedUntil: &until, Checks: 3}
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
	if !back.PausedUntil.Equal(until) || back.Checks != 3 || back.PendingCause != diagnosis.CauseOK {
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

// readReport reads a recorded check report (the diagnosis package's golden inputs).
func readReport(t *testing.T, path string) diagnosis.Report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep diagnosis.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rep
}

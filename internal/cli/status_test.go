package cli

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/svc"
)

// TestStatusJSONKeepsEveryPart: `status --json` holds the status (with the product and short
// phrase its own encoding adds), the history and the service reports, all in one object.
func TestStatusJSONKeepsEveryPart(t *testing.T) {
	st := monitor.Status{
		Result: diagnosis.Result{Diagnosis: diagnosis.Diagnosis{Code: diagnosis.CodeBlocked, Cause: diagnosis.CauseBlockPage,
			Title: "FortiGuard blocks Spotify", Product: "FortiGuard", Short: "blocked by FortiGuard"}},
		Since: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Checks: 4,
	}
	records := []history.Record{{Cause: "block_page", Previous: "ok"}}
	services := []svc.Report{{State: "running"}}
	for _, withHistory := range []bool{true, false} {
		h := records
		if !withHistory {
			h = nil
		}
		data, err := statusJSON(st, h, services)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Cause   string           `json:"cause"`
			Product string           `json:"product"`
			Short   string           `json:"short_cause"`
			Checks  int64            `json:"checks"`
			History []history.Record `json:"history"`
			Service []svc.Report     `json:"service"`
		}
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("status --json is not one JSON object: %v\n%s", err, data)
		}
		if got.Cause != "block_page" || got.Product != "FortiGuard" || got.Short != "blocked by FortiGuard" || got.Checks != 4 ||
			len(got.Service) != 1 || got.Service[0].State != "running" || (len(got.History) == 1) != withHistory {
			t.Errorf("status --json (history %v) lost a part: %+v\n%s", withHistory, got, data)
		}
	}
}

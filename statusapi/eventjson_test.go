package statusapi

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestEventEncoderMatchesMarshal: a stream's events are what json.Marshal makes of them (a
// light check's without its "check"), whatever the status holds, including after the status's
// Result changed and with a Result kept from the previous event.
func TestEventEncoderMatchesMarshal(t *testing.T) {
	paused := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	ok, blocked := result(diagnosis.CauseOK, 12), result(diagnosis.CauseDNSFiltered, 30)
	light := result(diagnosis.CauseOK, 2)
	light.Light = true
	full := monitor.Status{Result: ok, ResultSeq: 1, Since: paused.Add(-time.Hour), LastCheck: paused, LastCheckMS: 12, Checks: 7, Mode: monitor.ModeFull}
	busy := full
	busy.PendingCause, busy.PausedUntil, busy.InternalErrors, busy.Metered, busy.MeteredInterval = diagnosis.CauseDNSFiltered, &paused, 2, true, 15*time.Minute
	busy.Storage = &history.Health{Error: "disk full", Since: paused, Pending: 3}
	changed := busy
	changed.Result, changed.ResultSeq = blocked, 2
	unnumbered := monitor.Status{Result: blocked} // a status from a source that does not number its results
	tests := []struct {
		name string
		ev   monitor.Event
	}{
		{"the first state", monitor.Event{Type: monitor.EventState, Status: full, Previous: diagnosis.CauseChecking, Lasted: time.Second}},
		{"a full check", monitor.Event{Type: monitor.EventCheck, Status: full, Check: &ok}},
		{"a light check, the Result kept", monitor.Event{Type: monitor.EventCheck, Status: busy, Check: &light}},
		{"a check without a result", monitor.Event{Type: monitor.EventCheck, Status: busy}},
		{"a new Result", monitor.Event{Type: monitor.EventState, Status: changed, Previous: diagnosis.CauseOK, Lasted: time.Minute}},
		{"an unnumbered Result", monitor.Event{Type: monitor.EventState, Status: unnumbered}},
		{"the zero status", monitor.Event{Type: monitor.EventState}},
	}
	var enc eventEncoder // one stream: each event after the ones above it
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := enc.encode(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.ev
			if want.Check != nil && want.Check.Light {
				want.Check = nil
			}
			wantJSON, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("the encoder's JSON does not parse: %v\n%s", err, got)
			}
			json.Unmarshal(wantJSON, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("encoded\n%s\nwant\n%s", got, wantJSON)
			}
		})
	}
}

// TestStatusRestMirrorsStatus: statusRest has every field of monitor.Status but its Result,
// with the same tags, so that a field added to Status is not left out of the stream.
func TestStatusRestMirrorsStatus(t *testing.T) {
	var want []reflect.StructField
	st := reflect.TypeFor[monitor.Status]()
	for i := range st.NumField() {
		f := st.Field(i)
		if f.Anonymous || f.Tag.Get("json") == "-" {
			continue
		}
		want = append(want, f)
	}
	rest := reflect.TypeFor[statusRest]()
	if rest.NumField() != len(want) {
		t.Fatalf("statusRest has %d fields, monitor.Status %d besides its Result", rest.NumField(), len(want))
	}
	for i, w := range want {
		g := rest.Field(i)
		if g.Name != w.Name || g.Type != w.Type || g.Tag != w.Tag {
			t.Errorf("statusRest field %d is %s %v %q, want %s %v %q", i, g.Name, g.Type, g.Tag, w.Name, w.Type, w.Tag)
		}
	}
}

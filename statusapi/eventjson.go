package statusapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spotwatch/spotwatch/internal/history"
	"github.com/spotwatch/spotwatch/monitor"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// eventEncoder writes one stream's events as JSON (docs/design.md §8). An event carries the
// whole status, whose diagnosis (the last full check's: every probe, the facts, the fix) is most
// of it and changes only with a full check; while the daemon runs light checks, every minute's
// event would encode it again, walking every type of the diagnosis by reflection, which maps
// back in the read-only pages of the binary that describe them. So the encoder keeps the
// diagnosis's JSON while monitor.Status.ResultSeq stays the same, and a light check's event
// carries no "check" (its result says only that Spotify still answers; the status says when and
// in which mode). The JSON is the same as json.Marshal of the event otherwise
// (TestEventEncoderMatchesMarshal).
type eventEncoder struct {
	seq    uint64 // the Result whose JSON is kept; 0 = none
	result []byte // its JSON object
}

// statusRest is monitor.Status without its Result: the same fields, in the same order, with
// the same tags (TestEventEncoderMatchesMarshal compares the two).
type statusRest struct {
	Since           time.Time       `json:"since"`
	LastCheck       time.Time       `json:"last_check"`
	LastCheckMS     int64           `json:"last_check_ms"`
	PendingCause    diagnosis.Cause `json:"pending_cause,omitempty"`
	PausedUntil     *time.Time      `json:"paused_until,omitempty"`
	Checks          int64           `json:"checks"`
	InternalErrors  int64           `json:"internal_errors"`
	Mode            string          `json:"mode,omitempty"`
	Metered         bool            `json:"metered,omitempty"`
	MeteredInterval time.Duration   `json:"metered_interval_ns,omitempty"`
	Storage         *history.Health `json:"storage,omitempty"`
}

// wireEvent is monitor.Event with its status already encoded.
type wireEvent struct {
	Type     string            `json:"type"`
	Status   json.RawMessage   `json:"status"`
	Previous diagnosis.Cause   `json:"previous,omitempty"`
	Lasted   time.Duration     `json:"lasted_ns"`
	Check    *diagnosis.Result `json:"check,omitempty"`
}

// encode returns ev's JSON.
func (e *eventEncoder) encode(ev monitor.Event) ([]byte, error) {
	st := ev.Status
	result := e.result
	if st.ResultSeq == 0 || st.ResultSeq != e.seq {
		var err error
		if result, err = json.Marshal(st.Result); err != nil {
			return nil, fmt.Errorf("encoding the status's diagnosis: %w", err)
		}
		if st.ResultSeq != 0 {
			e.seq, e.result = st.ResultSeq, result
		}
	}
	rest, err := json.Marshal(statusRest{
		Since: st.Since, LastCheck: st.LastCheck, LastCheckMS: st.LastCheckMS, PendingCause: st.PendingCause,
		PausedUntil: st.PausedUntil, Checks: st.Checks, InternalErrors: st.InternalErrors, Mode: st.Mode,
		Metered: st.Metered, MeteredInterval: st.MeteredInterval, Storage: st.Storage,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the status: %w", err)
	}
	check := ev.Check
	if check != nil && check.Light {
		check = nil
	}
	return json.Marshal(wireEvent{Type: ev.Type, Status: joinObjects(result, rest), Previous: ev.Previous, Lasted: ev.Lasted, Check: check})
}

// joinObjects merges two JSON objects' members into one object, as json.Marshal flattens an
// embedded struct's fields into its parent's.
func joinObjects(a, b []byte) []byte {
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	switch {
	case string(a) == "{}":
		return b
	case string(b) == "{}":
		return a
	}
	out := make([]byte, 0, len(a)+len(b))
	out = append(out, a[:len(a)-1]...)
	out = append(out, ',')
	return append(out, b[1:]...)
}

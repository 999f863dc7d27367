package diagnosis

import (
	"time"

	"github.com/spotwatch/spotwatch/internal/version"
)

// Result is one check as `spotwatch check --json` prints it (the JSON contract of
// docs/design.md): the diagnosis, its
// probes and facts, and when it ran. Field names are stable: add fields, never rename.
type Result struct {
	Diagnosis
	Probes     []Probe   `json:"probes"`
	Facts      Facts     `json:"facts"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Version    string    `json:"version"`
	// RTT is the report's round trip (Report.RTT); Light says the result is a light check's
	// (docs/design.md §6). Neither is part of `check --json`.
	RTT   time.Duration `json:"-"`
	Light bool          `json:"-"`
}

// NewResult joins a report and its diagnosis.
func NewResult(rep Report, d Diagnosis) Result {
	probes := rep.Probes
	if probes == nil {
		probes = []Probe{}
	}
	return Result{
		Diagnosis:  d,
		Probes:     probes,
		Facts:      rep.Facts,
		StartedAt:  rep.StartedAt,
		DurationMS: rep.Duration.Milliseconds(),
		RTT:        rep.RTT,
		Version:    version.Version,
	}
}

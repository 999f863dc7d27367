package probe

import (
	"errors"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/internal/version"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// userAgent is what spotwatch's HTTP probes say they are.
func userAgent() string { return "spotwatch/" + version.Version }

// bodyCap bounds how much of any HTTP body a probe reads.
const bodyCap = 64 << 10

// timed runs one probe step, recording its duration, outcome, failure string and failing step.
func timed(p *diagnosis.Probe, step func() error) {
	start := time.Now()
	err := step()
	p.MS = time.Since(start).Milliseconds()
	p.OK = err == nil
	if err != nil {
		p.Failure = failureOf(err)
		if p.Detail.Step == "" {
			p.Detail.Step = stepOf(err)
		}
		var refused *failure.ProxyRefusedError
		if errors.As(err, &refused) {
			p.Detail.Status = refused.Status
		}
		var named namedRefusal
		if errors.As(err, &named) {
			p.Detail.BlockPage = named.product
		}
	}
}

// failureOf maps an error to its failure string: the monitor's own DNS outcomes first, then the
// shared taxonomy of internal/failure.
func failureOf(err error) string {
	var rc rcodeError
	switch {
	case errors.As(err, &rc):
		return rc.failure
	case errors.Is(err, errBogon):
		return failure.DNSBogon
	}
	return failure.Classify(err)
}

package probe

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// run coordinates the concurrent probe tasks of one check and ends it as soon as the evidence
// decides, cancelling what is still out (as tailscale's netcheck does).
type run struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	pace    *pace
	log     *slog.Logger
	done    chan taskDone
	pending map[diagnosis.Role]int
	started int

	silenceAfter time.Duration // when > 0, silence that lasts this long decides the check (silence.go)
	silenced     bool          // it did
}

type taskDone struct {
	role   diagnosis.Role
	probes []diagnosis.Probe
}

// maxTasks bounds the tasks of one check; the results channel is that big so a finished task
// never blocks, even after the check stopped listening.
const maxTasks = 256

// unwindGrace is how long a check waits past its deadline for cancelled probes to report.
const unwindGrace = 500 * time.Millisecond

func newRun(ctx context.Context, pc *pace, log *slog.Logger) *run {
	ctx, cancel := context.WithCancelCause(ctx)
	return &run{ctx: ctx, cancel: cancel, pace: pc, log: log, done: make(chan taskDone, maxTasks), pending: map[diagnosis.Role]int{}}
}

// start runs task in its own goroutine. A task that panics becomes a failed probe: one broken
// probe never takes the check (or the daemon) down.
func (r *run) start(role diagnosis.Role, task func(context.Context) []diagnosis.Probe) {
	if r.started == maxTasks {
		r.log.Error("too many probe tasks in one check; dropping one", "role", role)
		return
	}
	r.started++
	r.pending[role]++
	go func() {
		var probes []diagnosis.Probe
		defer func() {
			if v := recover(); v != nil {
				r.log.Error("probe panicked", "role", role, "panic", v, "stack", string(debug.Stack()))
				probes = append(probes, diagnosis.Probe{Name: "internal error", Kind: "internal", Role: role, Failure: fmt.Sprintf("%spanic: %v", failure.UnknownPrefix, v)})
			}
			r.done <- taskDone{role: role, probes: probes}
		}()
		probes = task(r.ctx)
	}()
}

// wait collects results until the evidence decides or every task is done, then cancels the
// rest. startControl is called once, the first time a Spotify DNS answer looks wrong or a
// Spotify name is answered by someone else (foreignAnswer), to start the control lookups that
// tell a local DNS problem from a global one, or a resolver that redirects from a box that
// intercepts.
func (r *run) wait(startControl func()) []diagnosis.Probe {
	defer r.cancel(nil)
	var probes []diagnosis.Probe
	controlStarted := false
	deadline := r.ctx.Done()
	var grace <-chan time.Time
	var budget *time.Timer
	var budgetC <-chan time.Time
	budgetOver := false // the connect budget ran out without ending the check (yet)
	cut := func() {
		if r.pace.mayCut(probes) {
			r.log.Debug("connect budget ran out: ending the check", "pending", r.pending)
			r.cancel(errConnectBudget)
			budgetOver = false
		}
	}
	var silenceC <-chan time.Time
	if r.silenceAfter > 0 {
		silence := time.NewTimer(r.silenceAfter)
		defer silence.Stop()
		silenceC = silence.C
	}
	for r.pending[diagnosis.RoleSpotify]+r.pending[diagnosis.RoleReference]+r.pending[diagnosis.RoleControl] > 0 {
		var paceChanged <-chan struct{}
		if budget == nil {
			if at, ok, changed := r.pace.deadline(); ok {
				budget = time.NewTimer(time.Until(at))
				defer budget.Stop()
				budgetC = budget.C
			} else {
				paceChanged = changed
			}
		}
		var d taskDone
		select {
		case d = <-r.done:
		case <-paceChanged:
			continue
		case <-budgetC:
			budgetC, budgetOver = nil, true
			cut()
			continue
		case <-silenceC:
			silenceC = nil
			if r.pace.silent(probes) {
				r.log.Debug("silence past the budget of the last good round trip: ending the check", "pending", r.pending)
				r.silenced = true
				r.cancel(errSilence)
			}
			continue
		case <-deadline:
			// The deadline passed: give tasks a moment to report what they saw as they unwind.
			deadline, grace = nil, time.After(unwindGrace)
			continue
		case <-grace:
			r.log.Warn("probes did not stop at the deadline", "pending", r.pending)
			return r.finished(probes)
		}
		r.pending[d.role]--
		probes = append(probes, d.probes...)
		if !controlStarted && !r.silenced && (spotifyDNSFailed(d.probes) || foreignAnswer(d.probes)) {
			controlStarted = true
			startControl()
		}
		if decided(probes, r.pending) {
			break
		}
		if budgetOver {
			// The answers that allow the cut (Spotify's HTTPS working) may come in after the
			// budget ran out: ask again with each result.
			cut()
		}
	}
	return r.finished(probes)
}

// finished is what the check reports: after a silence cut, the probes it interrupted as the
// timeouts they stood for; then without the probes cut short for want of need.
func (r *run) finished(probes []diagnosis.Probe) []diagnosis.Probe {
	if r.silenced {
		probes = silenced(probes, r.pace.dnsAnswered())
	}
	return finished(probes)
}

// finished drops the probes that were cut short because the verdict no longer needed them:
// they measured nothing.
func finished(probes []diagnosis.Probe) []diagnosis.Probe {
	out := probes[:0]
	for _, p := range probes {
		if p.Failure != failure.Interrupted {
			out = append(out, p)
		}
	}
	return out
}

// decided reports whether the pending probes can no longer change the verdict: every Spotify
// probe is in, and either Spotify works (nothing else matters) or the controls are in and the
// references have settled whether the internet is up.
func decided(probes []diagnosis.Probe, pending map[diagnosis.Role]int) bool {
	if pending[diagnosis.RoleSpotify] > 0 {
		return false
	}
	e := diagnosis.Assess(probes)
	if e.SpotifyWorks {
		return true
	}
	if pending[diagnosis.RoleControl] > 0 {
		return false
	}
	// When Spotify's names fail, whether other names resolve (the HTTP references) tells a DNS
	// outage from a Spotify-only DNS problem: wait for every reference then.
	if spotifyDNSFailed(probes) {
		return pending[diagnosis.RoleReference] == 0
	}
	return e.ReferencesUp >= 2 || pending[diagnosis.RoleReference] == 0
}

func spotifyDNSFailed(probes []diagnosis.Probe) bool {
	for _, p := range probes {
		if p.Role == diagnosis.RoleSpotify && (p.Kind == diagnosis.KindDNS || p.Detail.Step == failure.StepDNS) && (!p.OK || p.Detail.Bogon) {
			return true
		}
	}
	return false
}

// foreignAnswer: a Spotify HTTPS probe was answered by someone other than Spotify: a block page,
// a plain-HTTP answer, or a certificate no public root vouches for. Whether the resolver sent
// the name there is for the public resolvers' answers to tell.
func foreignAnswer(probes []diagnosis.Probe) bool {
	for _, p := range probes {
		d := p.Detail
		if p.Role == diagnosis.RoleSpotify && p.Kind == diagnosis.KindHTTPS &&
			(d.BlockPage != "" || d.BlockShape || p.Failure == failure.SSLNotTLS || (d.PublicTrust != nil && !*d.PublicTrust)) {
			return true
		}
	}
	return false
}

package daemon

import (
	"context"
	"log/slog"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestAfterCheckTrimsOnceAfterAnswers: the status API's answers leave the binary's pages to
// hand back after the next light check; a full check leaves that to its own release, and a
// light check with no answer before it hands back nothing.
func TestAfterCheckTrimsOnceAfterAnswers(t *testing.T) {
	tests := []struct {
		name         string
		answered     bool
		light        bool
		wantAnswered bool // still due after the check
	}{
		{"answers, then a light check", true, true, false},
		{"answers, then a full check", true, false, true},
		{"no answer, a light check", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &daemon{log: slog.New(slog.DiscardHandler), checked: make(chan struct{}, 1)}
			d.answered.Store(tt.answered)
			check := d.afterCheck(func(context.Context) diagnosis.Result { return diagnosis.Result{Light: tt.light} })
			if res := check(t.Context()); res.Light != tt.light {
				t.Fatalf("the check's result was not passed on: %+v", res)
			}
			if got := d.answered.Load(); got != tt.wantAnswered {
				t.Errorf("a trim still due after the check: %v, want %v", got, tt.wantAnswered)
			}
			select {
			case <-d.checked:
			default:
				t.Error("no token for housekeep after the check")
			}
		})
	}
}

//go:build spotwatch_fastschedule

package config

import "time"

// Test builds only: the tests that run the real spotwatch binary (cmd/spotwatch, svc,
// tray/screentest) build it with -tags spotwatch_fastschedule so that a daemon checks every
// second or faster and a test sees state changes quickly. A release build is never built with
// this tag, so no config file can lower the minimums of minimum.go.
const (
	minInterval        = 100 * time.Millisecond
	minFailingInterval = 100 * time.Millisecond
	minTimeout         = 100 * time.Millisecond
	minRepeatAfter     = 100 * time.Millisecond
)

//go:build !spotwatch_fastschedule

package config

import "time"

// The shortest durations a config file may set. Below them spotwatch would do work no
// diagnosis needs (with interval: 1ns a daemon ran 395 checks in 5 s), or remind of a problem
// every few seconds. The defaults and config.example.yaml are well above them.
const (
	minInterval        = 10 * time.Second // "interval"
	minFailingInterval = 5 * time.Second  // "failing_interval"
	minTimeout         = 1 * time.Second  // "timeout"
	minRepeatAfter     = 1 * time.Minute  // "notify.repeat_after"
)

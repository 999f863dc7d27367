package svc

import (
	"log/slog"
	"strings"
	"testing"
)

// TestLineHandler: records become single lines without a time, each with its level, and
// attributes and groups carry over.
func TestLineHandler(t *testing.T) {
	type line struct {
		level slog.Level
		text  string
	}
	var got []line
	h := newLineHandler(slog.LevelInfo, func(l slog.Level, s string) error {
		got = append(got, line{l, s})
		return nil
	})
	log := slog.New(h).With("socket", "/run/spotwatch/spotwatch.sock")
	log.Debug("hidden")
	log.Info("spotwatch daemon started", "version", "1.0")
	log.WithGroup("check").Warn("slow", "ms", 5100)
	log.Error("configuration not reloaded", "err", "x.yaml:2: intervall")
	want := []line{
		{slog.LevelInfo, `level=INFO msg="spotwatch daemon started" socket=/run/spotwatch/spotwatch.sock version=1.0`},
		{slog.LevelWarn, `level=WARN msg=slow socket=/run/spotwatch/spotwatch.sock check.ms=5100`},
		{slog.LevelError, `level=ERROR msg="configuration not reloaded" socket=/run/spotwatch/spotwatch.sock err="x.yaml:2: intervall"`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] || strings.Contains(got[i].text, "time=") {
			t.Errorf("line %d = %v %q, want %v %q", i, got[i].level, got[i].text, want[i].level, want[i].text)
		}
	}
}

// TestServiceLogHandlerOutsideAService: no service logger outside a service or where the
// manager already collects standard error.
func TestServiceLogHandlerOutsideAService(t *testing.T) {
	for _, env := range []string{"", PlatformSystemd, PlatformLaunchd} {
		t.Setenv(ServiceEnv, env)
		h, closeFn, err := ServiceLogHandler(slog.LevelInfo)
		if h != nil || err != nil {
			t.Errorf("%s=%q: handler %v, %v; want none", ServiceEnv, env, h, err)
		}
		if closeFn != nil {
			closeFn()
		}
	}
}

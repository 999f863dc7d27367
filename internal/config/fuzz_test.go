package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error it returns is a list of
// "fuzz.yaml…" lines led by an *Error, and that what it accepts keeps the rules.
// Seeds: testdata/fuzz/FuzzParse, the defaults and the example file. Run with
//
//	go test -fuzz FuzzParse ./internal/config
func FuzzParse(f *testing.F) {
	f.Add([]byte(defaultsYAML))
	if example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml")); err == nil {
		f.Add(example)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			for line := range strings.SplitSeq(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") {
					t.Fatalf("error line %q does not start with fuzz.yaml:LINE", line)
				}
			}
			return
		}
		switch {
		case cfg.Interval <= 0 || cfg.FailingInterval <= 0 || cfg.Timeout <= 0 || cfg.Notify.RepeatAfter <= 0:
			t.Fatalf("accepted a duration <= 0: %+v", cfg)
		case cfg.Interval < minInterval || cfg.FailingInterval < minFailingInterval || cfg.Timeout < minTimeout || cfg.Notify.RepeatAfter < minRepeatAfter:
			t.Fatalf("accepted a duration below its minimum: %+v", cfg)
		case cfg.Timeout > cfg.FailingInterval:
			t.Fatalf("accepted timeout %s > failing_interval %s", cfg.Timeout, cfg.FailingInterval)
		case cfg.Thresholds.Fail < 1 || cfg.Thresholds.Recover < 1:
			t.Fatalf("accepted thresholds %+v", cfg.Thresholds)
		case checkURL("https")(cfg.Spotify.APResolve) != nil:
			t.Fatalf("accepted apresolve %q", cfg.Spotify.APResolve)
		case checkOneOf("debug", "info", "warn", "error")(cfg.Log.Level) != nil || checkOneOf("text", "json")(cfg.Log.Format) != nil:
			t.Fatalf("accepted log %+v", cfg.Log)
		}
		for _, ref := range cfg.Internet.HTTP {
			if checkURL("http", "https")(ref.URL) != nil || ref.Status != 0 && (ref.Status < 100 || ref.Status > 599) {
				t.Fatalf("accepted internet.http %+v", ref)
			}
		}
		if cfg.Metrics.Listen != "" && checkLoopback(cfg.Metrics.Listen) != nil {
			t.Fatalf("accepted metrics.listen %q", cfg.Metrics.Listen)
		}
	})
}

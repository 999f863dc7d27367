package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/svc"
)

// TestUserDaemonConfigUnchecked: only a system daemon's configuration is checked.
func TestUserDaemonConfigUnchecked(t *testing.T) {
	if err := refuseUnsafeConfig(false, "/nonexistent/config.yaml"); err != nil {
		t.Errorf("refused: %v", err)
	}
	if err := refuseUnsafeConfig(true, ""); err != nil {
		t.Errorf("refused: %v", err)
	}
}

// TestServiceDaemonOutsideAService: outside a service manager the daemon runs as it is, with
// its own logger and context.
func TestServiceDaemonOutsideAService(t *testing.T) {
	t.Setenv(svc.ServiceEnv, "")
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := serviceDaemon(ctx, config.Default(), log, func(got context.Context, l *slog.Logger) int {
		if got.Done() == nil || l.Handler() != log.Handler() {
			t.Error("run got another context or logger")
		}
		l.Info("ran")
		return 7
	})
	if code != 7 || !strings.Contains(logged.String(), "msg=ran") {
		t.Errorf("serviceDaemon = %d, log %q", code, logged.String())
	}
}

//go:build nometrics

package statusapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

func TestMetricsNotBuilt(t *testing.T) {
	src := newFakeSource(diagnosis.CauseOK)
	if err := ServeMetrics(t.Context(), "0.0.0.0:9000", src, nil); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("ServeMetrics on 0.0.0.0: %v, want the loopback refusal", err)
	}
	if err := ServeMetrics(t.Context(), "127.0.0.1:0", src, nil); !errors.Is(err, errNoMetrics) {
		t.Errorf("ServeMetrics: %v, want errNoMetrics", err)
	}
	if err := WriteMetricsFile(t.Context(), "/tmp/x/spotwatch.prom", src, nil); !errors.Is(err, errNoMetrics) || !strings.Contains(err.Error(), "metrics.textfile") {
		t.Errorf("WriteMetricsFile: %v, want errNoMetrics naming metrics.textfile", err)
	}
}

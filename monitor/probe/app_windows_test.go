//go:build windows

package probe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testutil"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestWindowsSuitesFromCache: the check names the security suites from the Security Center cache
// in %LOCALAPPDATA%\spotwatch while it is fresh, without starting PowerShell (a cached answer
// names a product this machine does not have); names written into it are cleaned.
func TestWindowsSuitesFromCache(t *testing.T) {
	local := testutil.TempDir(t)
	if err := os.MkdirAll(filepath.Join(local, "spotwatch"), 0o755); err != nil {
		t.Fatal(err)
	}
	cached, err := json.Marshal(map[string]any{"checked": time.Now().UTC(), "suites": []string{"Norton 360", "Bitdefender\x1b[2J Total Security"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "spotwatch", "security-center.json"), cached, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LOCALAPPDATA": local}
	src := FactsSource{
		WindowsRules: func() ([]diagnosis.AppRule, []string, error) { return nil, nil, nil },
		Connections:  func() *diagnosis.AppConnections { return nil },
	}
	app, errs := readApp(src, func(k string) string { return env[k] })
	if len(errs) != 0 || app == nil {
		t.Fatalf("readApp = %+v, %v", app, errs)
	}
	if want := []string{"Norton 360", "Bitdefender Total Security"}; !slices.Equal(app.Suites, want) {
		t.Errorf("suites %q, want %q", app.Suites, want)
	}

	// Without %LOCALAPPDATA% nothing is asked and nothing named.
	app, errs = readApp(src, func(string) string { return "" })
	if len(errs) != 0 || (app != nil && len(app.Suites) != 0) {
		t.Errorf("no LOCALAPPDATA: %+v, %v", app, errs)
	}
}

package svc

import (
	"testing"
)

// mapRunKey stands in for HKCU\…\Run, which only Windows has.
type mapRunKey map[string]string

func (m mapRunKey) get(name string) (string, bool, error) { v, ok := m[name]; return v, ok, nil }
func (m mapRunKey) set(name, value string) error          { m[name] = value; return nil }
func (m mapRunKey) remove(name string) error              { delete(m, name); return nil }

// TestRunKeyAutostart: registering the tray under the Run key is idempotent both ways and
// stores the quoted binary and "tray".
func TestRunKeyAutostart(t *testing.T) {
	p := mustPlan(t, fakeHost("windows", PlatformWindows, `C:\Program Files\spotwatch\spotwatch.exe`, windowsEnv), Options{})
	key := mapRunKey{"OneDrive": `"C:\OneDrive.exe" /background`}
	a := &autostart{plan: p, key: key}
	steps := []struct {
		do      func() (bool, error)
		changed bool
		on      bool
	}{
		{a.enable, true, true},
		{a.enable, false, true},
		{func() (bool, error) { return a.disable(true) }, true, false},
		{func() (bool, error) { return a.disable(true) }, false, false},
	}
	for i, s := range steps {
		changed, err := s.do()
		if err != nil || changed != s.changed {
			t.Fatalf("step %d: changed %v, %v; want %v", i, changed, err, s.changed)
		}
		if on, _ := a.enabled(); on != s.on {
			t.Fatalf("step %d: enabled %v, want %v", i, on, s.on)
		}
		if s.on && key[RunValue] != `"C:\Program Files\spotwatch\spotwatch.exe" tray` {
			t.Fatalf("step %d: Run value %q", i, key[RunValue])
		}
	}
	if key["OneDrive"] == "" {
		t.Error("another program's Run value was touched")
	}
	if got := a.describe(); got != `HKCU\Software\Microsoft\Windows\CurrentVersion\Run\spotwatch` {
		t.Errorf("describe = %s", got)
	}
	// An old value (a binary since moved) is replaced.
	key[RunValue] = `"C:\Users\ann\Downloads\spotwatch.exe" tray`
	if changed, err := a.enable(); !changed || err != nil || key[RunValue] != RunKeyValue(p.Binary) {
		t.Errorf("a stale Run value was not replaced: %v %v %q", changed, err, key[RunValue])
	}
}

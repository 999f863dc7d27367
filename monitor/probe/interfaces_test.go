package probe

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/testworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestLightCheckReusesTheFullChecksInterfaces: a full check lists the machine's interfaces and
// keeps them; the light checks after it report (and decide IPv6 by) that list rather than ask
// the kernel again; the next full check lists them anew.
func TestLightCheckReusesTheFullChecksInterfaces(t *testing.T) {
	w, err := testworld.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	c, err := New(w.Config(), Options{SystemRoots: w.SystemRoots(), Getenv: func(string) string { return "" },
		Facts: FactsSource{PrefsFiles: []string{}, AppRoot: t.TempDir()}, GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(light bool) diagnosis.Result {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res := c.DiagnoseWith(ctx, CheckOptions{Light: light})
		if res.Cause != diagnosis.CauseOK {
			t.Fatalf("light %v: %s", light, res.Cause)
		}
		return res
	}
	machine, err := upInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	if got := check(false).Facts.Interfaces; !slices.EqualFunc(got, machine, sameInterface) {
		t.Fatalf("full check: interfaces %v, want the machine's %v", got, machine)
	}
	if kept := c.interfaces.Load(); kept == nil || !slices.EqualFunc(*kept, machine, sameInterface) {
		t.Fatalf("the full check kept %v, want the machine's %v", kept, machine)
	}

	// What the kernel would say now is not asked: a list only the checker holds shows.
	kept := []diagnosis.Interface{{Name: "kept0", Global: []string{"198.51.100.7"}}}
	c.interfaces.Store(&kept)
	if got := check(true).Facts.Interfaces; !slices.EqualFunc(got, kept, sameInterface) {
		t.Errorf("light check: interfaces %v, want the kept %v", got, kept)
	}
	if got := check(false).Facts.Interfaces; !slices.EqualFunc(got, machine, sameInterface) {
		t.Errorf("the next full check: interfaces %v, want the machine's %v", got, machine)
	}
}

func sameInterface(a, b diagnosis.Interface) bool {
	return a.Name == b.Name && slices.Equal(a.Global, b.Global)
}

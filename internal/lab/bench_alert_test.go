//go:build linux

package lab_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"github.com/spotwatch/spotwatch/statusapi"
)

// alertReceiver is a webhook in the client namespace that prints "ALERT <unix ns>" for each POST:
// gatus's custom alert provider posts to it.
const alertReceiver = `
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        print("ALERT", time.time_ns(), flush=True)
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
print("READY", flush=True)
http.server.HTTPServer(("127.0.0.1", 18081), H).serve_forever()
`

// BenchmarkLabAlertVsGatus measures, side by side in the lab at a 60 s interval, the time from a
// fault on Spotify's servers (every packet to them dropped, at a random moment of the interval,
// no network change) to spotwatch's daemon changing state (the tray notifies on that event) and
// to gatus v5.15.0's alert (a custom webhook, failure-threshold 1: its fastest). Without the
// Spotify app running, spotwatch has only its schedule to go by, like gatus; with the app in use
// its stalled connections call a check at once (TestAppTriggerToNotification: < 3 s to the
// desktop notification). GATUS_BIN names gatus (bench/gatus.sh).
func BenchmarkLabAlertVsGatus(b *testing.B) {
	gatus := os.Getenv("GATUS_BIN")
	if gatus == "" {
		b.Fatal("GATUS_BIN is not set: build gatus with bench/gatus.sh and name it there")
	}
	bin := buildSpotwatch(b)
	w := labworld.NewForTest(b)
	for b.Loop() {
		ctx, cancel := context.WithCancel(b.Context())
		receiver := w.Lab.Command(ctx, "python3", "-c", alertReceiver)
		out, err := receiver.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := receiver.Start(); err != nil {
			b.Fatal(err)
		}
		alerts := make(chan time.Time, 10)
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var ns int64
				if sc.Text() == "READY" {
					close(ready)
				} else if _, err := fmt.Sscanf(sc.Text(), "ALERT %d", &ns); err == nil {
					alerts <- time.Unix(0, ns)
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			b.Fatal("the alert receiver did not start")
		}
		sw := spotwatchCmd(b, ctx, w, bin, time.Minute)
		socket := socketOf(sw)
		g := gatusCmd(b, ctx, w, gatus, time.Minute, true)
		for _, c := range []interface{ Start() error }{sw, g} {
			if err := c.Start(); err != nil {
				b.Fatal(err)
			}
		}
		// Both past their first round, then the fault at a random moment of the interval.
		time.Sleep(10*time.Second + rand.N(time.Minute))
		if cause := stateOf(ctx, socket); cause != diagnosis.CauseOK {
			b.Fatalf("spotwatch is %q before the fault, want ok", cause)
		}
		fault, err := w.Lab.Drop(ctx, netip.MustParsePrefix(w.Plan.Spotify.String()+"/31"), 0) // the API and the access point
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var swAt, gAt time.Duration
		deadline := time.After(3 * time.Minute)
		for swAt == 0 || gAt == 0 {
			select {
			case at := <-alerts:
				if gAt == 0 {
					gAt = at.Sub(start)
				}
			case <-time.After(100 * time.Millisecond):
				if c := stateOf(ctx, socket); swAt == 0 && c != diagnosis.CauseOK && c != "" {
					swAt = time.Since(start)
					b.Logf("spotwatch: %s", c)
				}
			case <-deadline:
				b.Fatalf("after 3 min: spotwatch %v, gatus %v", swAt, gAt)
			}
		}
		fault.Undo(context.Background())
		cancel()
		sw.Wait()
		g.Wait()
		receiver.Wait()
		b.ReportMetric(swAt.Seconds(), "spotwatch-state-s")
		b.ReportMetric(gAt.Seconds(), "gatus-alert-s")
		b.Logf("fault → spotwatch's new state %.1f s, gatus's alert %.1f s", swAt.Seconds(), gAt.Seconds())
	}
}

// socketOf is the status socket of a daemon started by spotwatchCmd (XDG_RUNTIME_DIR of its env).
func socketOf(c interface{ Environ() []string }) string {
	for _, kv := range c.Environ() {
		if dir, ok := strings.CutPrefix(kv, "XDG_RUNTIME_DIR="); ok {
			return filepath.Join(dir, "spotwatch", "spotwatch.sock")
		}
	}
	return ""
}

// stateOf is the daemon's current cause, "" while it does not answer.
func stateOf(ctx context.Context, socket string) diagnosis.Cause {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := statusapi.NewClient(socket).Status(ctx)
	if err != nil {
		return ""
	}
	return st.Cause
}

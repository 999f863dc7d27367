//go:build linux

package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/internal/lab"
	"github.com/spotwatch/spotwatch/internal/lab/labworld"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// openSnitchRuleName is the deny rule's name, which the verdict must quote.
const openSnitchRuleName = "deny-spotify-lab"

// ansi matches the colour codes in opensnitchd's log.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestLabOpenSnitchBlocksTheApp runs the real OpenSnitch daemon (Debian's opensnitch package) in
// the lab's client namespace with a deny rule for a stand-in "spotify" program, proves that the
// daemon really stops that program and only it, then runs `spotwatch check --json` in the client
// with OpenSnitch's configuration directory where the reader looks: the verdict must be Code 7
// app_blocked naming the rule, with every network probe ok.
//
// OpenSnitch 1.5.8 reads its configuration from the fixed path /etc/opensnitchd (it has no
// -config-file flag), and spotwatch reads the rules under /etc/opensnitchd/rules. Both
// therefore run under `unshare -m` with the test's own directory bind-mounted over
// /etc/opensnitchd, in a mount namespace of their own: the host's /etc is never touched.
func TestLabOpenSnitchBlocksTheApp(t *testing.T) {
	daemon, err := exec.LookPath("opensnitchd")
	if err != nil {
		t.Fatalf("opensnitchd is not installed (scripts/install-deps.sh installs the opensnitch package): %v", err)
	}
	if _, err := os.Stat("/etc/opensnitchd"); err != nil {
		t.Fatalf("the bind mount needs /etc/opensnitchd, which the opensnitch package makes: %v", err)
	}
	bin := buildSpotwatch(t)
	w := labworld.NewForTest(t)
	l := w.Lab
	ctx := t.Context()
	if err := w.Healthy(ctx); err != nil {
		t.Fatalf("lab error: the world is not healthy: %v", err)
	}
	tmp := t.TempDir()

	// The stand-in Spotify and a control: two copies of bash, which connects with /dev/tcp.
	standIn := filepath.Join(tmp, "usr", "share", "spotify", "spotify")
	control := filepath.Join(tmp, "usr", "bin", "not-spotify")
	for _, p := range []string{standIn, control} {
		copyFile(t, "/bin/bash", p, 0o755)
	}

	// OpenSnitch's configuration directory, bind-mounted over /etc/opensnitchd.
	etc := filepath.Join(tmp, "opensnitchd")
	rulesDir := filepath.Join(etc, "rules")
	logFile := filepath.Join(tmp, "opensnitchd.log")
	writeJSON(t, filepath.Join(etc, "default-config.json"), map[string]any{
		"Server":            map[string]any{"Address": "unix://" + filepath.Join(tmp, "osui.sock"), "LogFile": logFile},
		"DefaultAction":     "allow",
		"DefaultDuration":   "always",
		"InterceptUnknown":  false,
		"ProcMonitorMethod": "proc",
		"LogLevel":          0,
		"Firewall":          "iptables",
	})
	writeJSON(t, filepath.Join(etc, "system-fw.json"), map[string]any{"SystemRules": []any{}})
	ruleFile := openSnitchRuleName + ".json"
	writeJSON(t, filepath.Join(rulesDir, ruleFile), map[string]any{
		"created":     "2026-01-01T00:00:00Z",
		"updated":     "2026-01-01T00:00:00Z",
		"name":        openSnitchRuleName,
		"enabled":     true,
		"precedence":  true,
		"action":      "deny",
		"duration":    "always",
		"operator":    map[string]any{"type": "simple", "operand": "process.path", "sensitive": false, "data": standIn, "list": nil},
		"description": "spotwatch lab: the stand-in Spotify may not connect",
	})

	// withEtc runs a program with etc over /etc/opensnitchd in a mount namespace of its own.
	withEtc := func(args ...string) []string {
		return append([]string{"unshare", "-m", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" /etc/opensnitchd && exec "$@"`, etc}, args...)
	}

	// Start the daemon in the client namespace; it adds its NFQUEUE rules there itself.
	args := withEtc(daemon, "-rules-path", "/etc/opensnitchd/rules", "-log-file", logFile,
		"-process-monitor-method", "proc", "-debug")
	cmd := l.Command(context.WithoutCancel(ctx), args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting opensnitchd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(logFile)
			t.Logf("opensnitchd's log:\n%s", log)
		}
	})
	waitQueue(t, ctx, l, logFile)

	// Self-check: the daemon stops the stand-in and only the stand-in.
	spotify := lab.Addr(w.Plan.Spotify, 443)
	dial := fmt.Sprintf("exec 3<>/dev/tcp/%s/443 && echo connected", w.Plan.Spotify)
	if out, err := timed(ctx, l, 5*time.Second, control, "-c", dial); err != nil || !strings.Contains(out, "connected") {
		t.Fatalf("lab error: a program OpenSnitch allows cannot connect to %s: %v\n%s", spotify, err, out)
	}
	stand := l.Command(context.WithoutCancel(ctx), standIn, "-c", dial)
	if err := stand.Start(); err != nil {
		t.Fatalf("starting the stand-in: %v", err)
	}
	t.Cleanup(func() { _ = stand.Process.Kill(); _ = stand.Wait() })
	stalled := waitSynSent(t, ctx, l, spotify, "spotify")
	t.Logf("the stand-in's connection in the client's TCP table: %s", stalled)
	// opensnitchd's debug log has one line per verdict: "✘ PATH -> IP:PORT (RULE)".
	verdict := fmt.Sprintf("✘ %s -> %s (%s)", standIn, spotify, openSnitchRuleName)
	if log, _ := os.ReadFile(logFile); !strings.Contains(ansi.ReplaceAllString(string(log), ""), verdict) {
		t.Errorf("opensnitchd's log has no verdict %q:\n%s", verdict, log)
	}

	// The verdict: spotwatch with the rules where its reader looks.
	wrapper := filepath.Join(tmp, "spotwatch-with-opensnitch")
	script := "#!/bin/sh\nexec " + shellQuote(withEtc(bin)...) + ` "$@"` + "\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	res, _ := runCheck(t, ctx, l, wrapper, w.ConfigFile)
	if res.Code != 7 || res.Cause != diagnosis.CauseAppBlocked {
		t.Fatalf("got %d %s, want 7 %s\nsummary: %s\nevidence:\n  %s\nprobes:\n%s", res.Code, res.Cause, diagnosis.CauseAppBlocked,
			res.Summary, strings.Join(res.Evidence, "\n  "), probesText(res.Probes))
	}
	for _, p := range res.Probes {
		if !p.OK {
			t.Errorf("probe %s (%s) failed: %s", p.Name, p.Target, p.Failure)
		}
	}
	evidence := strings.Join(res.Evidence, "\n")
	for _, s := range []string{openSnitchRuleName, "/etc/opensnitchd/rules/" + ruleFile} {
		if !strings.Contains(evidence, s) {
			t.Errorf("the evidence does not name %q:\n  %s", s, strings.Join(res.Evidence, "\n  "))
		}
	}
	var rules []diagnosis.AppRule
	if res.Facts.App != nil {
		rules = res.Facts.App.Rules
	}
	want := diagnosis.AppRule{Product: "OpenSnitch", Where: "/etc/opensnitchd/rules/" + ruleFile, Name: openSnitchRuleName, Action: "deny", Target: standIn}
	if len(rules) != 1 || rules[0] != want {
		t.Errorf("facts.app.rules = %+v, want [%+v]", rules, want)
	}
	// spotwatch itself sees the stand-in's stalled connection in the client's TCP table: the
	// stand-in shares spotwatch's network namespace.
	var conns *diagnosis.AppConnections
	if res.Facts.App != nil {
		conns = res.Facts.App.Connections
	}
	if conns == nil || !conns.Running || conns.Stalled < 1 || !slices.Contains(conns.Remotes, spotify) {
		t.Errorf("facts.app.connections = %+v, want the stand-in running with its connection to %s stalled", conns, spotify)
	}
	t.Logf("%d %s in %d ms: %s\nevidence:\n  %s", res.Code, res.Cause, res.DurationMS, res.Summary, strings.Join(res.Evidence, "\n  "))
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func shellQuote(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// timed runs a program in the client namespace for at most d.
func timed(ctx context.Context, l *lab.Lab, d time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	out, err := l.Command(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// waitQueue waits until opensnitchd has put its NFQUEUE rule in the client namespace.
func waitQueue(t *testing.T, ctx context.Context, l *lab.Lab, logFile string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := timed(ctx, l, 5*time.Second, "iptables-save")
		if err == nil && strings.Contains(out, "NFQUEUE") {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("opensnitchd put no NFQUEUE rule in the client namespace in 15 s (iptables-save: %v)\n%s\nits log:\n%s", err, out, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitSynSent waits until the client's TCP table holds a connection of the process named comm to
// dst stuck in SYN-SENT, and returns its line.
func waitSynSent(t *testing.T, ctx context.Context, l *lab.Lab, dst, comm string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for {
		out, err := timed(ctx, l, 5*time.Second, "ss", "-H", "-t", "-n", "-p", "state", "syn-sent", "dst", dst)
		last = out
		if err == nil {
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, `"`+comm+`"`) {
					return strings.Join(strings.Fields(line), " ")
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stand-in's connection to %s never showed in SYN-SENT (err %v):\n%s", dst, err, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

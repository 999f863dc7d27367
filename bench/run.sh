#!/usr/bin/env bash
# Reproduces every figure of README "Performance" and prints the table (`make bench`).
# Needs root (loopback ports below 1024, network namespaces). The idle-daemon figure takes
# IDLE (default 10m); IDLE=1m gives a quick, rougher reading. The idle tray following the daemon,
# on a virtual desktop (the Debian packages tray/screentest names), takes TRAY_IDLE (default
# IDLE). The side-by-side run with gatus v5.15.0 (bench/gatus.sh builds it once) takes
# BENCH_WINDOW (default 10m; BENCH_WINDOW=2m for CI).
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${IDLE:-10m}
TRAY_IDLE=${TRAY_IDLE:-$IDLE}
BENCH_WINDOW=${BENCH_WINDOW:-10m}
out=${BENCH_OUT:-bench/out}
mkdir -p "$out"
gotest() { go test -count=1 "$@"; }

echo "micro-benchmarks (go test -bench, 5 runs each) → $out/micro.txt" >&2
gotest -run '^$' -bench 'Classify|Check$|ScanHosts' -benchmem -count 5 ./monitor/... ./internal/failure >"$out/micro.txt"
gotest -run '^$' -bench 'Append|Read' -benchmem -count 5 ./internal/history >>"$out/micro.txt"
echo "spotwatch check as a process → $out/process.txt" >&2
gotest -run '^$' -bench CheckProcess -benchtime 30x ./cmd/spotwatch >"$out/process.txt"
echo "lab: every cause, route change, bytes on the wire → $out/lab.txt, $out/wire.txt" >&2
gotest -v -run 'TestLabScenarios$|TestLabDaemonReactsToRouteChange' ./internal/lab >"$out/lab.txt"
gotest -run '^$' -bench LabHealthyCheckBytes -benchtime 5x ./internal/lab >"$out/wire.txt"
echo "lab: light mode, every cause, silence verdicts → $out/light.txt" >&2
gotest -v -run 'TestLabLight' -timeout 30m ./internal/lab >"$out/light.txt"
echo "soak: 5,000 checks with random faults → $out/soak.txt" >&2
gotest -run '^$' -bench Soak -benchtime 1x -timeout 30m ./monitor/... >"$out/soak.txt"
echo "idle daemon for $IDLE → $out/idle.txt" >&2
gotest ./cmd/spotwatch -run '^$' -bench IdleDaemon -benchtime 1x -timeout 60m -idle "$IDLE" >"$out/idle.txt"
echo "idle tray following the daemon for $TRAY_IDLE → $out/tray.txt" >&2
gotest -v ./tray/screentest -run '^$' -bench IdleTray -benchtime 1x -timeout 60m -tray-idle "$TRAY_IDLE" >"$out/tray.txt"
echo "gatus v5.15.0 beside the daemon for $BENCH_WINDOW → $out/gatus.txt" >&2
GATUS_BIN=$(bench/gatus.sh) BENCH_WINDOW=$BENCH_WINDOW gotest -v -run '^$' -bench LabIdleVsGatus -benchtime 1x -timeout 60m ./internal/lab >"$out/gatus.txt"
echo "lab: a fault → spotwatch's state and gatus's alert → $out/alert.txt" >&2
GATUS_BIN=$(bench/gatus.sh) gotest -v -run '^$' -bench LabAlertVsGatus -benchtime 1x -timeout 30m ./internal/lab >"$out/alert.txt"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/spotwatch" ./cmd/spotwatch

metric() { # metric FILE BENCH UNIT → the value before UNIT on BENCH's line
	awk -v b="$2" -v u="$3" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i <= NF; i++) if ($i == u) { print $(i-1); exit } }' "$1"
}
lab_ms() { awk -v s="$1" '$0 ~ s && $0 ~ / in [0-9]+ ms/ { for (i = 1; i <= NF; i++) if ($i == "in") { print $(i+1); exit } }' "$out/lab.txt"; }
# The slowest cause other than those that wait out silence (their rows are printed apart).
waits='firewall drop|forwarding|dns dropped|delay|4070|portal|wg0'
max_other=$(awk -v w="$waits" '/ [047] [a-z_]+ +[047] [a-z_]+ +[0-9]+ +[0-9]+$/ && $0 !~ w { if ($(NF-1) > m) m = $(NF-1) } END { print m+0 }' "$out/lab.txt")
printf '\n| figure | target | measured |\n|---|---|---|\n'
printf '| firewall_drop verdict in the lab | < 2.5 s | %s ms |\n' "$(lab_ms '7 firewall_drop')"
printf '| every other cause in the lab (slowest of those not waiting for silence) | < 1 s | %s ms |\n' "$max_other"
printf '| degraded (4070 dropped) / captive_portal / vpn_blocked in the lab | < 1 s | %s / %s / %s ms |\n' "$(lab_ms '0 degraded')" "$(lab_ms '4 captive_portal')" "$(lab_ms '7 vpn_blocked')"
printf '| internet_down / dns_down in the lab | < 1 s | %s / %s ms |\n' "$(lab_ms '4 internet_down')" "$(lab_ms '4 dns_down')"
printf '| 300 ms / 600 ms delay + 10 %% loss, Spotify healthy | Code 0 | %s / %s |\n' \
	"$(awk '/^ +delay 300ms/ { print $(NF-3), $(NF-2), "in", $(NF-1), "ms" }' "$out/lab.txt")" \
	"$(awk '/^ +satellite/ { print $(NF-3), $(NF-2), "in", $(NF-1), "ms" }' "$out/lab.txt")"
printf '| spotwatch check as a process, healthy, loopback (median) | < 100 ms | %s ms |\n' "$(metric "$out/process.txt" BenchmarkCheckProcess median-ms)"
printf '| default-route change to a new state (lab) | < 2 s | %s ms |\n' "$(grep -o 'route-change-to-state-ms: [0-9]*' "$out/lab.txt" | awk '{print $2}')"
printf '| idle daemon RSS after %s at a 60 s interval | < 15 MB | %s MB |\n' "$IDLE" "$(metric "$out/idle.txt" BenchmarkIdleDaemon RSS-MB)"
printf '| idle daemon CPU over %s | < 0.25 s | %s s |\n' "$IDLE" "$(metric "$out/idle.txt" BenchmarkIdleDaemon CPU-s)"
tray_m() { metric "$out/tray.txt" BenchmarkIdleTray "$1"; }
printf '| idle tray RSS after %s following the daemon (the daemon beside it) | < 15 MB | %s MB (%s MB) |\n' "$TRAY_IDLE" "$(tray_m tray-RSS-MB)" "$(tray_m daemon-RSS-MB)"
printf '| idle tray CPU over %s (the daemon beside it); tray wake-ups | — | %s ms (%s ms); %s a minute |\n' "$TRAY_IDLE" "$(tray_m tray-CPU-ms)" "$(tray_m daemon-CPU-ms)" "$(tray_m tray-wakeups/min)"
printf '| bytes on the wire per healthy check (lab) | < 25 KB | %s B |\n' "$(metric "$out/wire.txt" BenchmarkLabHealthyCheckBytes wire-bytes/check)"
printf '| goroutines / FDs / heap after 5,000 checks vs after 10 | flat | %s→%s / %s→%s / %s→%s KB |\n' \
	"$(metric "$out/soak.txt" BenchmarkSoak goroutines-before)" "$(metric "$out/soak.txt" BenchmarkSoak goroutines-after)" \
	"$(metric "$out/soak.txt" BenchmarkSoak fds-before)" "$(metric "$out/soak.txt" BenchmarkSoak fds-after)" \
	"$(metric "$out/soak.txt" BenchmarkSoak heapKB-before)" "$(metric "$out/soak.txt" BenchmarkSoak heapKB-after)"
printf '| binary size (linux/amd64, -trimpath -ldflags "-s -w") | < 15 MB | %s bytes |\n' "$(stat -c %s "$out/spotwatch")"
g() { metric "$out/gatus.txt" BenchmarkLabIdleVsGatus "$1"; }
printf '\n| figure (lab, side by side, 4 probes a round) | gatus v5.15.0 | spotwatch | target |\n|---|---|---|---|\n'
printf '| idle daemon CPU over %s at a 60 s interval | %s s | %s s (%s× gatus) | ≤ 0.5× gatus |\n' "$BENCH_WINDOW" "$(g gatus-CPU-s)" "$(g spotwatch-CPU-s)" "$(g CPU-ratio)"
printf '| bytes on the wire per healthy round | %s B | %s B | ≤ 3 KB |\n' "$(g gatus-bytes/round)" "$(g spotwatch-bytes/round)"
printf '| idle RSS after %s | %s MB | %s MB | < 15 MB |\n' "$BENCH_WINDOW" "$(g gatus-RSS-MB)" "$(g spotwatch-RSS-MB)"
printf '| fault → alert, no network change, app not running (one sample) | %s s | %s s | — |\n' \
	"$(metric "$out/alert.txt" BenchmarkLabAlertVsGatus gatus-alert-s)" "$(metric "$out/alert.txt" BenchmarkLabAlertVsGatus spotwatch-state-s)"
printf '| internet_down / dns_down verdict in the daemon (lab) | — | %s / %s ms | < 1.5 s |\n' \
	"$(grep -o 'silence-verdict-ms internet_down: [0-9]*' "$out/light.txt" | awk '{print $3}')" "$(grep -o 'silence-verdict-ms dns_down: [0-9]*' "$out/light.txt" | awk '{print $3}')"
printf '\nmicro-benchmarks: %s (compare two commits with bench/compare.sh)\n' "$out/micro.txt"

#!/usr/bin/env bash
# Compares the micro-benchmarks of two commits with benchstat:
#   bench/compare.sh OLD [NEW]      (NEW defaults to the working tree)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: bench/compare.sh OLD [NEW]}
new=${2:-}
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; [ -z "$new" ] || git worktree remove --force "$tmp/new" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
bench() { (cd "$1" && go test -run '^$' -bench 'Classify|Check$|ScanHosts' -benchmem -count 8 ./monitor/... ./internal/failure) >"$2"; }
git worktree add --detach "$tmp/old" "$old" >/dev/null
bench "$tmp/old" "$tmp/old.txt"
if [ -n "$new" ]; then
	git worktree add --detach "$tmp/new" "$new" >/dev/null
	bench "$tmp/new" "$tmp/new.txt"
else
	bench . "$tmp/new.txt"
fi
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$tmp/old.txt" "$tmp/new.txt"

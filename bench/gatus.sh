#!/usr/bin/env bash
# Builds gatus v5.15.0, the monitor `make bench` measures spotwatch against, once, into TOOLBIN
# (the Makefile's tool cache), and prints the binary's path. It comes through the Go module proxy
# like any module (`go mod download`), then `go build` in a writable copy of its module directory;
# GONOSUMDB because the checksum database is not reachable from every machine that has the proxy.
set -euo pipefail
GATUS_VERSION=${GATUS_VERSION:-v5.15.0}
TOOLBIN=${TOOLBIN:-${XDG_CACHE_HOME:-$HOME/.cache}/spotwatch/tools}
bin=$TOOLBIN/gatus@$GATUS_VERSION/gatus
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
export GONOSUMDB=github.com/TwiN/gatus GOFLAGS=-mod=mod
dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/TwiN/gatus/v5@$GATUS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "gatus.sh: go mod download gave no module directory" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$dir/." "$work/"
chmod -R u+w "$work"
mkdir -p "$(dirname "$bin")"
(cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$bin.tmp" .)
mv "$bin.tmp" "$bin"
echo "$bin"

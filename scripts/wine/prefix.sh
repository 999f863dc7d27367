#!/usr/bin/env bash
# Makes (or checks) the private wine prefix that scripts/wine/exec.sh runs Windows tests in:
# SPOTWATCH_WINEPREFIX, by default ${XDG_CACHE_HOME:-~/.cache}/spotwatch/wine. Idempotent: a
# prefix made by this script for the same wine and the same DLL is reused as it is (well under a
# second); one from another wine version is made anew; a missing or changed DLL is put back.
#
# 1. `wineboot -i`, headless and offline (no Mono/Gecko installers, no display, no network).
# 2. Builds bcryptprimitives.dll from processprng.c with MinGW-w64 and copies it into the
#    prefix's drive_c/windows/system32: without it no Go ≥ 1.22 program starts under wine 8, and Go
#    loads it from system32 only (processprng.c says why).
# 3. When anything changed: builds a tiny Go program that reads crypto/rand and runs it, so a
#    broken prefix fails here, with its cause, rather than as every package's test failing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "wine/prefix: no x86_64-w64-mingw32-gcc; run scripts/wine/install.sh" >&2; exit 127; }
export PATH="$PATH:/usr/local/go/bin"
GO=${GO:-go}

marker=$WINEPREFIX/.spotwatch-prefix # "wine-8.0 (Debian 8.0~repack-4)" when wineboot finished
want_wine=$("$WINE" --version)
sys32=$WINEPREFIX/drive_c/windows/system32
work=$(mktemp -d -t spotwatch-wine-prefix.XXXXXX)
trap 'rm -rf "$work"' EXIT
changed=

# The prefix: reused when this script finished it for this wine; remade when it was for another
# wine or was left half made; never removed when it is not ours (no marker, not empty).
if [ -e "$marker" ] && [ "$(head -n1 "$marker")" = "$want_wine" ] && [ -f "$sys32/kernel32.dll" ]; then
	:
else
	if [ -e "$WINEPREFIX" ]; then
		if [ -e "$marker" ] || [ -e "$WINEPREFIX/.spotwatch-prefix-partial" ] || [ -z "$(ls -A "$WINEPREFIX")" ]; then
			echo "wine/prefix: remaking $WINEPREFIX (was: $(head -n1 "$marker" 2>/dev/null || echo unfinished))"
			rm -rf "$WINEPREFIX"
		else
			echo "wine/prefix: $WINEPREFIX exists and was not made by this script; set SPOTWATCH_WINEPREFIX elsewhere or remove it" >&2
			exit 1
		fi
	fi
	echo "wine/prefix: creating $WINEPREFIX ($want_wine)"
	mkdir -p "$WINEPREFIX"
	touch "$WINEPREFIX/.spotwatch-prefix-partial"
	# wineboot's complaints (no wine32 for syswow64 and the like) go to a log shown on failure.
	if ! isolated "$WINE" wineboot -i >"$work/wineboot.log" 2>&1 || [ ! -f "$sys32/kernel32.dll" ]; then
		cat "$work/wineboot.log" >&2
		echo "wine/prefix: wineboot -i failed; its output is above" >&2
		exit 1
	fi
	echo "$want_wine" >"$marker"
	rm -f "$WINEPREFIX/.spotwatch-prefix-partial"
	changed=1
fi

# The DLL: built and copied when it is missing, or processprng.c, its .def or the compiler changed
# (MinGW's output differs from build to build, so the sources' digest says whether it is current).
dll_id=$(cat "$here/processprng.c" "$here/processprng.def" <(x86_64-w64-mingw32-gcc --version | head -n1) | sha256sum | cut -c1-64)
if [ ! -f "$sys32/bcryptprimitives.dll" ] || [ "$(cat "$WINEPREFIX/.spotwatch-dll" 2>/dev/null)" != "$dll_id" ]; then
	x86_64-w64-mingw32-gcc -shared -nostdlib -O2 -s -Wall -Wextra -Werror -Wl,--entry,DllMain \
		-o "$work/bcryptprimitives.dll" "$here/processprng.c" "$here/processprng.def" -ladvapi32
	cp "$work/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll"
	echo "$dll_id" >"$WINEPREFIX/.spotwatch-dll"
	echo "wine/prefix: installed bcryptprimitives.dll (ProcessPrng) in $sys32"
	changed=1
fi

# The smoke test: a Go program that needs ProcessPrng (the runtime does at start, crypto/rand too).
if [ -n "$changed" ] || [ "${1:-}" = --check ]; then
	mkdir -p "$work/smoke"
	printf 'module smoke\n\ngo 1.22\n' >"$work/smoke/go.mod"
	cat >"$work/smoke/main.go" <<'GO'
package main

import (
	"crypto/rand"
	"fmt"
	"os"
)

func main() {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		fmt.Println("crypto/rand:", err)
		os.Exit(1)
	}
	fmt.Println("go runs under wine")
}
GO
	(cd "$work/smoke" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 GOFLAGS=-mod=mod "$GO" build -o smoke.exe .)
	if ! out=$(isolated "$WINE" "$work/smoke/smoke.exe" 2>&1) || [ "$out" != "go runs under wine" ]; then
		printf '%s\n' "$out" >&2
		echo "wine/prefix: a Go program does not run in $WINEPREFIX; its output is above" >&2
		exit 1
	fi
	echo "wine/prefix: $WINEPREFIX ready ($want_wine; a Go program runs)"
fi

#!/usr/bin/env bash
# Installs what running spotwatch's Windows tests under wine needs (scripts/wine/README.md):
# Debian's wine (wine64 only: the tests are GOARCH=amd64, no i386 multiarch) and the MinGW-w64 C
# compiler that builds the bcryptprimitives.dll replacement (processprng.c). Only what is missing
# is installed. Needs root or sudo for apt-get.
#
# As scripts/install-deps.sh: apt-get waits up to 10 minutes for apt's and dpkg's locks, and its
# output goes to a temporary log that is shown only when it fails, so it stays out of the CI log.
set -euo pipefail
# shellcheck source=../apt.sh
. "$(dirname "$0")/../apt.sh"

# wine: /usr/bin/wine64, wineboot, wineserver; wine64: the 64-bit loader and DLLs it needs.
# gcc-mingw-w64-x86-64-win32: x86_64-w64-mingw32-gcc with the win32 thread model, which is all a
# dependency-free DLL needs (the gcc-mingw-w64-x86-64 meta-package would add the posix one too).
# --no-install-recommends keeps wine32 (multiarch), fonts and the Mono/Gecko packages out.
packages=(wine wine64 gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64 util-linux "$@")
mapfile -t missing < <(apt_missing "${packages[@]}")
[ ${#missing[@]} -gt 0 ] || exit 0

log=$(mktemp -t spotwatch-wine-install.XXXXXX)
trap 'rm -f "$log"' EXIT
echo "wine/install: installing ${missing[*]} (waiting up to 10 min for apt's lock)"
if ! { apt_update wine/install && apt_get install "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "wine/install: apt-get failed; its output is above" >&2
	exit 1
fi

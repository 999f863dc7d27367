#!/usr/bin/env bash
# Installs what running spotwatch's Windows tests under wine needs (scripts/wine/README.md):
# Debian's wine (wine64 only: the tests are GOARCH=amd64, no i386 multiarch) and the MinGW-w64 C
# compiler that builds the bcryptprimitives.dll replacement (processprng.c). Only what is missing
# is installed. Needs root or sudo for apt-get.
#
# As scripts/install-deps.sh: apt-get waits up to 10 minutes for apt's and dpkg's locks, and its
# output goes to a temporary log that is shown only when it fails, so it stays out of the CI log.
set -euo pipefail

# wine: /usr/bin/wine64, wineboot, wineserver; wine64: the 64-bit loader and DLLs it needs.
# gcc-mingw-w64-x86-64-win32: x86_64-w64-mingw32-gcc with the win32 thread model, which is all a
# dependency-free DLL needs (the gcc-mingw-w64-x86-64 meta-package would add the posix one too).
# --no-install-recommends keeps wine32 (multiarch), fonts and the Mono/Gecko packages out.
packages=(wine wine64 gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64 util-linux "$@")
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
apt_get() {
	"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends "$@"
}
# DPkg::Lock::Timeout covers install's locks but not the package lists' lock of `apt-get
# update` (apt 2.6 gives up on it after 10 s): update is retried while that lock is the reason.
update() {
	local deadline=$((SECONDS + 600)) out
	until out=$(apt_get update 2>&1); do
		echo "$out"
		grep -q 'Could not get lock' <<<"$out" && [ $SECONDS -lt $deadline ] || return 1
		echo "wine/install: apt's package lists are locked; retrying in 5 s"
		sleep 5
	done
	echo "$out"
}
log=$(mktemp -t spotwatch-wine-install.XXXXXX)
trap 'rm -f "$log"' EXIT
echo "wine/install: installing ${missing[*]} (waiting up to 10 min for apt's lock)"
if ! { update && apt_get install "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "wine/install: apt-get failed; its output is above" >&2
	exit 1
fi

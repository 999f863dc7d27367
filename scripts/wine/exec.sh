#!/usr/bin/env bash
# go test's -exec program for Windows test binaries (go-test-windows.sh passes it): runs
# BINARY ARGS... under wine64 in the private prefix (prefix.sh), in a network namespace of its own
# with loopback only (common.sh: isolated), and exits with the binary's exit status, so go test
# prints its usual ok/FAIL line. The working directory is go test's (the package's directory).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
[ $# -ge 1 ] || { echo "usage: exec.sh BINARY [ARGS...]" >&2; exit 2; }
[ -f "$WINEPREFIX/.spotwatch-prefix" ] && [ -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ] || {
	echo "wine/exec: no prefix in $WINEPREFIX; run scripts/wine/prefix.sh" >&2
	exit 125
}
# For internal/testutil's TestUnderWine: the detection (ntdll's wine_get_version) is checked
# against this, so a Wine that hid it would fail that test rather than run UDP tests into errors.
export SPOTWATCH_UNDER_WINE=1
isolated "$WINE" "$@"

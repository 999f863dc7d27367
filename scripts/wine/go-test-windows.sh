#!/usr/bin/env bash
# Runs Go packages' tests as Windows amd64 binaries under wine (scripts/wine/README.md):
#   scripts/wine/go-test-windows.sh PKG... [-- GO TEST FLAGS...]
# PKG: a package directory (./internal/failure) or its import path. For each, in its directory:
#   GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -exec scripts/wine/exec.sh FLAGS .
# one package after another (2 cores: one wine at a time), printing go test's ok/FAIL lines, and
# then how long each took. Exits 1 when any package failed. Makes the prefix first if needed
# (prefix.sh, instant when it is ready); install.sh must have run. GO names the go command.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH="$PATH:/usr/local/go/bin"
GO=${GO:-go}

pkgs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do pkgs+=("$1"); shift; done
[ $# -gt 0 ] && shift
flags=("$@")
[ ${#pkgs[@]} -gt 0 ] || { echo "usage: go-test-windows.sh PKG... [-- go test flags]" >&2; exit 2; }

"$here/prefix.sh" || exit 1

module=$(cd "$root" && "$GO" list -m)
failed=() timings=()
for p in "${pkgs[@]}"; do
	dir=$p
	case $dir in "$module"/*) dir=${dir#"$module"/} ;; "$module") dir=. ;; esac
	case $dir in /*) ;; *) dir=$root/$dir ;; esac
	if [ ! -d "$dir" ]; then
		echo "FAIL	$p [no such package directory]"
		failed+=("$p")
		continue
	fi
	start=$SECONDS
	(cd "$dir" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 \
		"$GO" test -exec "$here/exec.sh" "${flags[@]}" .)
	rc=$?
	timings+=("$(printf '%4ds  %s' $((SECONDS - start)) "$p")")
	[ $rc -eq 0 ] || failed+=("$p")
done

echo "== wine: time per package (build + run)"
printf '%s\n' "${timings[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "wine: ${#failed[@]} of ${#pkgs[@]} packages failed: ${failed[*]}"
	exit 1
fi
echo "wine: ${#pkgs[@]} packages passed"

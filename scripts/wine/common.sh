# Sourced by scripts/wine/*.sh: where the wine prefix is, which wine binaries, how to isolate them.
# shellcheck shell=bash

# A private prefix, reused across runs (prefix.sh makes it, about 700 MB). SPOTWATCH_WINEPREFIX
# overrides the place; the user's own WINEPREFIX (~/.wine) is never used nor touched.
SPOTWATCH_WINEPREFIX=${SPOTWATCH_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/spotwatch/wine}
export WINEPREFIX=$SPOTWATCH_WINEPREFIX
export WINEARCH=win64
# wine's own diagnostics off (they are many, and go to the test's stderr); SPOTWATCH_WINEDEBUG
# brings them back, e.g. SPOTWATCH_WINEDEBUG=err+all,fixme+all or +winsock.
export WINEDEBUG=${SPOTWATCH_WINEDEBUG:--all}
# No Mono (mscoree) and no Gecko (mshtml): wineboot would otherwise offer to download them.
export WINEDLLOVERRIDES='mscoree,mshtml='
# Headless: no window is ever shown, and no X server or Wayland compositor is looked for.
unset DISPLAY WAYLAND_DISPLAY

# Debian's /usr/bin/wine picks wine32 when present; our binaries are amd64, so wine64 directly.
wine_bin() {
	local c
	for c in /usr/lib/wine/wine64 "$(command -v wine64 2>/dev/null)"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
	done
	return 1
}
wineserver_bin() {
	local c
	for c in /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver "$(command -v wineserver 2>/dev/null)"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
	done
	return 1
}
WINE=$(wine_bin) || { echo "wine: no wine64 found; run scripts/wine/install.sh" >&2; exit 127; }
WINESERVER=$(wineserver_bin) || { echo "wine: no wineserver found; run scripts/wine/install.sh" >&2; exit 127; }
export WINE WINESERVER

# isolated CMD...: runs CMD in a new, empty network namespace whose only interface is loopback
# (up, so tests can use 127.0.0.1), then waits for the prefix's wineserver to end before leaving.
# Under wine the wineserver, not the program, creates every socket (ws2_32 asks it to), so the
# server must live in that namespace too: it is started in it (-p0: it ends as soon as its last
# program has) and waited for, so no wineserver outside the namespace is ever reused.
# Not root: an unprivileged user namespace (unshare -r) gives the rights to make it.
# Runs on one prefix take turns (a lock file beside it), so two never share a wineserver.
isolated() {
	local lock u=(unshare --net)
	mkdir -p "$(dirname "$WINEPREFIX")"
	exec {lock}>"$WINEPREFIX.lock"
	flock -w 1800 "$lock" || { echo "wine: $WINEPREFIX is busy (lock $WINEPREFIX.lock)" >&2; return 125; }
	[ "$(id -u)" -eq 0 ] || u=(unshare --map-root-user --net)
	"${u[@]}" bash -c '
		ip link set lo up || exit 125
		"$WINESERVER" -p0 || exit 125
		"$@"
		rc=$?
		# The program has ended: wine'"'"'s services follow within a few seconds, then the server.
		timeout 30 "$WINESERVER" -w || "$WINESERVER" -k
		# What the program left in %TEMP% goes: under wine 8 os.RemoveAll fails (see README), so
		# every t.TempDir would otherwise stay in the prefix. Wine sets %TEMP% from the prefix'"'"'s
		# registry whatever the environment says, so the program cannot be given a temporary
		# directory of its own; the lock makes the prefix ours alone until we return.
		[ -n "${SPOTWATCH_WINE_KEEP_TEMP:-}" ] || find "$WINEPREFIX/drive_c/users" -mindepth 3 -maxdepth 3 \
			-path "$WINEPREFIX/drive_c/users/*/Temp/*" -exec rm -rf {} +
		exit $rc
	' isolated "$@"
	local rc=$?
	exec {lock}>&-
	return $rc
}

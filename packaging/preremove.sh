#!/bin/sh
# spotwatch package: before removal. On removal (deb: "remove", rpm: 0), not on upgrade, the
# user unit is disabled for every user; running daemons and trays end at logout.
set -e
case "$1" in
remove | purge | 0)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl --global disable spotwatch.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0

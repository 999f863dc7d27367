#!/bin/sh
# spotwatch package: after install or upgrade. The user unit (/usr/lib/systemd/user/spotwatch.service)
# is enabled for every user and starts at each user's next login; the tray starts at login from
# /etc/xdg/autostart/spotwatch.desktop. Nothing runs as root.
set -e
if command -v systemctl >/dev/null 2>&1; then
	systemctl --global enable spotwatch.service >/dev/null 2>&1 || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
	gtk-update-icon-cache -q -t /usr/share/icons/hicolor >/dev/null 2>&1 || true
fi
exit 0

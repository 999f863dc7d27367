#!/usr/bin/env bash
# Installs the Debian packages spotwatch's tests need (network lab, desktop stack), only when
# one is missing, so `make test` works on a fresh Debian machine. Needs root for apt-get.
set -euo pipefail

packages=(
	iproute2 iptables nftables dnsmasq-base ca-certificates procps util-linux
	dbus xvfb dunst imagemagick xdotool haskell-gtk-sni-tray-utils fonts-dejavu-core
	desktop-file-utils binutils rpm2cpio cpio passwd init-system-helpers
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	sudo_cmd=()
	[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
	"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

#!/usr/bin/env bash
# Installs the Debian packages spotwatch's tests need (network lab, desktop stack, release
# packaging), only when one is missing, so `make test` works on a fresh Debian machine. Extra
# package names may be given as arguments (.ci/run adds make). Needs root or sudo for apt-get.
#
# apt-get waits up to 10 minutes for apt's and dpkg's locks (a freshly booted machine often runs
# unattended upgrades), and its output goes to a temporary log that is shown only when it fails,
# so that it stays out of the test log.
set -euo pipefail
# shellcheck source=apt.sh
. "$(dirname "$0")/apt.sh"

packages=(
	iproute2 iptables nftables dnsmasq-base ca-certificates procps util-linux
	dbus xvfb dunst imagemagick xdotool haskell-gtk-sni-tray-utils fonts-dejavu-core
	desktop-file-utils binutils rpm2cpio cpio passwd init-system-helpers opensnitch chromium
	unbound squid-openssl mitmproxy openssl curl
	prometheus prometheus-node-exporter
	"$@"
)
mapfile -t missing < <(apt_missing "${packages[@]}")
sudo_cmd=("${apt_sudo[@]}")

# opensnitch is for the lab test that runs opensnitchd in a network namespace: the host must never
# run it as a service (it would queue all the host's traffic). unbound and squid are for the lab's
# product scenarios (internal/lab/products_test.go), and prometheus and prometheus-node-exporter
# for the simulated fleet (internal/lab/fleet_test.go); the lab runs them all in its namespaces
# with their own configuration (on the host the last two would listen on every address). They are
# installed under a policy-rc.d that forbids starting services, and their services are masked
# afterwards.
masked_services=(opensnitch unbound squid prometheus prometheus-node-exporter)
snitch_masked() {
	local s
	for s in "${masked_services[@]}"; do
		[ "$(readlink "/etc/systemd/system/$s.service" 2>/dev/null)" = /dev/null ] || return 1
	done
}
mask_snitch() {
	local s
	for s in "${masked_services[@]}"; do
		"${sudo_cmd[@]}" ln -sfn /dev/null "/etc/systemd/system/$s.service"
		"${sudo_cmd[@]}" rm -f "/etc/systemd/system/multi-user.target.wants/$s.service"
		"${sudo_cmd[@]}" update-rc.d "$s" disable >/dev/null 2>&1 || true
	done
}
if [ ${#missing[@]} -eq 0 ]; then
	snitch_masked || mask_snitch
	exit 0
fi
log=$(mktemp -t spotwatch-install-deps.XXXXXX)
policy=/usr/sbin/policy-rc.d
own_policy=false
cleanup() {
	rm -f "$log"
	! $own_policy || "${sudo_cmd[@]}" rm -f "$policy"
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then # an existing one (Docker's forbids everything) is kept as it is
	printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
	own_policy=true
	"${sudo_cmd[@]}" chmod +x "$policy"
fi
echo "installing: ${missing[*]} (waiting up to 10 min for apt's lock)"
if ! { apt_update install-deps && apt_get install "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "install-deps: apt-get failed; its output is above" >&2
	exit 1
fi
mask_snitch

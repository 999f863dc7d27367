# Shared by scripts/install-deps.sh and scripts/wine/install.sh (sourced, not run): the Debian
# packages still missing, and apt-get that waits up to 10 minutes for apt's and dpkg's locks (a
# freshly booted machine often runs unattended upgrades). Needs root or sudo.

apt_sudo=()
[ "$(id -u)" -eq 0 ] || apt_sudo=(sudo)

# apt_missing PKG...: prints the packages of PKG... that are not installed, one a line.
apt_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
	done
}

# apt_get ARGS...: apt-get, non-interactive, without recommends, waiting for dpkg's lock.
apt_get() {
	"${apt_sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends "$@"
}

# apt_update WHO: apt-get update. DPkg::Lock::Timeout covers install's locks but not the package
# lists' lock of `apt-get update` (apt 2.6 gives up on it after 10 s): update is retried while
# that lock is the reason. WHO names the script in its messages.
apt_update() {
	local deadline=$((SECONDS + 600)) out
	until out=$(apt_get update 2>&1); do
		echo "$out"
		grep -q 'Could not get lock' <<<"$out" && [ $SECONDS -lt $deadline ] || return 1
		echo "$1: apt's package lists are locked; retrying in 5 s"
		sleep 5
	done
	echo "$out"
}

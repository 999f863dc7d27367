#!/sbin/openrc-run
# spotwatch daemon under OpenRC. Written by `spotwatch install`; `spotwatch uninstall` removes it. Run `spotwatch install` again rather than editing it.
# spotwatch-config: /etc/spotwatch/config.yaml

name=spotwatch
description='Tells whether Spotify'\''s Error Code 4 or 7 is your internet or something blocking Spotify'
supervisor=supervise-daemon
command=/usr/bin/spotwatch
command_args='daemon --system --config /etc/spotwatch/config.yaml'
command_user=spotwatch:spotwatch
output_log=/var/log/spotwatch/daemon.log
error_log=/var/log/spotwatch/daemon.log
respawn_delay=5
respawn_max=5
respawn_period=300
extra_started_commands="reload"

export SPOTWATCH_SERVICE=linux-openrc

depend() {
	need net
	use dns logger
	after firewall
}

start_pre() {
	checkpath --directory --owner spotwatch:spotwatch --mode 0755 /run/spotwatch
	checkpath --directory --owner spotwatch:spotwatch --mode 0755 /var/lib/spotwatch
	checkpath --directory --owner spotwatch:spotwatch --mode 0755 /var/log/spotwatch
}

reload() {
	ebegin "Reloading the configuration of ${name}"
	supervise-daemon "${RC_SVCNAME}" --signal HUP
	eend $?
}

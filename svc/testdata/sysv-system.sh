#!/bin/sh
# spotwatch daemon under SysV init. Written by `spotwatch install`; `spotwatch uninstall` removes it. Run `spotwatch install` again rather than editing it.
### BEGIN INIT INFO
# Provides:          spotwatch
# Required-Start:    $network $remote_fs $syslog
# Required-Stop:     $network $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: spotwatch: is Spotify's Code 4 or 7 your internet or a block?
# Description:       Tells whether Spotify's Error Code 4 or 7 is your internet or something blocking Spotify.
### END INIT INFO
# chkconfig: 2345 90 10
# spotwatch-config: /etc/spotwatch/config.yaml

name=spotwatch
user=spotwatch
pid_file=/run/spotwatch.pid
log_file=/var/log/spotwatch/daemon.log
run_dir=/run/spotwatch
state_dir=/var/lib/spotwatch

export SPOTWATCH_SERVICE=unix-systemv
export SSL_CERT_FILE='/etc/ssl/corp roots/ca.pem'

action=$1
set -- /usr/bin/spotwatch daemon --system --config /etc/spotwatch/config.yaml

is_running() {
	[ -f "$pid_file" ] || return 1
	pid=$(cat "$pid_file" 2>/dev/null)
	[ -n "$pid" ] && { kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ]; }
}

# run_as runs the daemon as $user: setpriv drops root before the daemon starts.
run_as() {
	if [ -n "$user" ] && [ "$(id -u)" = 0 ]; then
		if command -v setpriv >/dev/null 2>&1; then
			exec setpriv --reuid="$user" --regid="$user" --clear-groups --no-new-privs -- "$@"
		fi
		echo "$name: setpriv (util-linux) not found: running as root" >&2
	fi
	exec "$@"
}

case "$action" in
start)
	if is_running; then
		echo "Running: $name is already started (pid $pid)"
		exit 0
	fi
	mkdir -p "$run_dir" "$state_dir" "$(dirname "$log_file")"
	if [ -n "$user" ]; then
		chown "$user:" "$run_dir" "$state_dir"
	fi
	chmod 0755 "$run_dir" "$state_dir"
	(run_as "$@") >>"$log_file" 2>&1 </dev/null &
	echo $! >"$pid_file"
	sleep 1
	if is_running; then
		echo "Started $name (pid $pid)"
	else
		rm -f "$pid_file"
		echo "$name did not start: see $log_file" >&2
		tail -n 5 "$log_file" >&2
		exit 1
	fi
	;;
stop)
	if ! is_running; then
		rm -f "$pid_file"
		echo "Stopped: $name is not running"
		exit 0
	fi
	kill "$pid"
	i=0
	while is_running && [ $i -lt 20 ]; do
		sleep 0.5 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	if is_running; then
		echo "$name (pid $pid) did not stop within 10 s" >&2
		exit 1
	fi
	rm -f "$pid_file"
	echo "Stopped $name"
	;;
restart|force-reload)
	"$0" stop && "$0" start
	;;
reload)
	if is_running; then
		kill -HUP "$pid" && echo "Reloaded the configuration of $name"
	else
		echo "$name is not running" >&2
		exit 7
	fi
	;;
status)
	if is_running; then
		echo "Running (pid $pid)"
	else
		echo "Stopped"
		exit 3
	fi
	;;
*)
	echo "Usage: $0 {start|stop|restart|reload|force-reload|status}" >&2
	exit 2
	;;
esac
exit 0

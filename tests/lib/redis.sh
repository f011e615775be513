# redis.sh: a private redis-server for a test, sourced by test scripts (POSIX sh).
# No persistence, loopback or a unix socket only; never a system instance.
#   redis_start DIR [PORT|unix] [PASSWORD_FILE]  starts one whose files live in DIR (a config
#                                    file DIR/redis.conf, mode 600, holds the password),
#                                    on PORT, a free loopback port, or DIR/redis.sock only;
#                                    sets REDIS_PORT (0 for unix) and REDIS_SOCK
#   redis_kill DIR                   SIGKILL, and waits until it is gone
#   redis_restart DIR                starts it again with the same config (same address)
#   redis_stop DIR                   stops it (SIGTERM), if it runs

# redis_wait_up DIR: the server of DIR accepts connections (5 s at most).
redis_wait_up() {
	_i=0
	while [ $_i -lt 50 ]; do
		if [ -f "$1/port" ] && [ "$(cat "$1/port")" != 0 ]; then
			ss -ltnH "sport = :$(cat "$1/port")" 2>/dev/null | grep -q . && return 0
		elif [ -S "$1/redis.sock" ] && [ -s "$1/pid" ]; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

redis_restart() {
	rm -f "$1/pid"
	redis-server "$1/redis.conf" >>"$1/start.log" 2>&1 || return 1
	redis_wait_up "$1"
}

redis_start() {
	_dir=$1 _port=${2:-} _pw=${3:-}
	mkdir -p "$_dir" || return 1
	for _try in 1 2 3 4 5 6 7 8 9 10; do
		if [ "$_port" = unix ]; then
			_p=0
		elif [ -n "$_port" ]; then
			_p=$_port
		else
			_p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
			ss -ltnH "sport = :$_p" 2>/dev/null | grep -q . && continue
		fi
		(
			umask 077
			cat >"$_dir/redis.conf" <<-CONF
			bind 127.0.0.1
			port $_p
			unixsocket $_dir/redis.sock
			unixsocketperm 700
			save ""
			appendonly no
			daemonize yes
			pidfile $_dir/pid
			dir $_dir
			logfile $_dir/redis.log
			CONF
			[ -z "$_pw" ] || printf 'requirepass "%s"\n' "$(head -n1 "$_pw")" >>"$_dir/redis.conf"
		)
		echo "$_p" >"$_dir/port"
		if redis_restart "$_dir"; then
			REDIS_PORT=$_p
			REDIS_SOCK=$_dir/redis.sock
			return 0
		fi
		redis_stop "$_dir"
		# A port taken between the check and the start: another one, unless it was given.
		[ -z "$_port" ] || return 1
	done
	return 1
}

redis_kill() {
	[ -s "$1/pid" ] || return 1
	_pid=$(cat "$1/pid")
	kill -9 "$_pid" 2>/dev/null
	while kill -0 "$_pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$1/pid"
}

redis_stop() {
	[ -s "$1/pid" ] || return 0
	_pid=$(cat "$1/pid")
	kill "$_pid" 2>/dev/null
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$_pid" 2>/dev/null
	rm -f "$1/pid"
}

# Shell helpers for a throw-away Postfix on loopback (tests/e2e, tools/demo, tools/bench).
# POSIX sh, run as root; source it, then:
#
#   postfix_init DIR PORT     writes DIR/conf (main.cf, master.cf) for an instance whose
#                             smtpd listens on 127.0.0.1:PORT, with its own queue, data
#                             directory and log (DIR/maillog), no chroot, nothing delivered
#                             locally (mydestination empty) and everything relayed to an
#                             smtp-sink on a free port that dumps each mail as a file under
#                             DIR/sink; exports PF_DIR PF_CONF PF_PORT PF_SINKPORT PF_SINK PF_LOG.
#                             Adjust the instance afterwards with postfix_set / postfix_master.
#   postfix_set 'name = value'...   main.cf settings of the instance (postconf -e)
#   postfix_master 'LINE'...  appends service lines to its master.cf
#   postfix_start DIR PORT    postfix_init (unless done for DIR), starts smtp-sink and Postfix,
#                             waits until both accept connections
#   postfix_reload            "postfix reload" after postfix_set / postfix_master
#   postfix_stop              stops Postfix (waits for its master to exit) and smtp-sink, and
#                             takes the config directory out of the system main.cf; safe twice
#   postfix_sendmail ARGS...  Postfix's sendmail(1) for this instance (mail on stdin)
#   postfix_queue             postqueue -j of the instance: one JSON object per queued mail
#   postfix_wait_idle [SECS]  waits until nothing is in maildrop, incoming or active (mail that
#                             is deferred stays); 1 on time-out
#   postfix_wait_empty [SECS] waits until the queue holds nothing at all; 1 on time-out
#   postfix_wait_log RE [SECS]      waits until the maillog matches the extended regexp RE
#   postfix_wait_sink N [SECS]      waits until smtp-sink has captured at least N mails
#   postfix_sink_files        the captured mails, oldest first, one path a line
#   postfix_save NAME         remembers the current instance (its PF_* variables) as NAME
#                             (letters, digits, _): several instances in one script
#   postfix_use NAME          makes the instance saved as NAME the current one
#   postfix_stop_all          postfix_stop for every saved instance and the current one
#
# Postfix accepts a configuration directory other than /etc/postfix only when the system
# main.cf lists it in alternate_config_directories; postfix_start adds it there (creating
# /etc/postfix/main.cf when the package was installed with "No configuration") and
# postfix_stop removes it again, together with entries whose directory no longer exists
# (and main.cf itself when nothing else is left in it).
# Every parent of DIR must be traversable by the postfix user: DIR itself is made 0755.

# A TCP port nobody listens on right now.
_pf_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Edits alternate_config_directories of the system main.cf under a lock (other instances may
# start or stop at the same time).  _pf_alt add|del DIR
_pf_alt() {
	(
		flock 9
		cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
		new=
		for d in $(printf '%s' "$cur" | tr ',' ' '); do
			[ "$d" = "$2" ] && continue
			[ -d "$d" ] || continue
			new="$new${new:+ }$d"
		done
		[ "$1" = add ] && new="$new${new:+ }$2"
		[ "$new" = "$cur" ] && exit 0
		[ -f /etc/postfix/main.cf ] || : >/etc/postfix/main.cf
		postconf -c /etc/postfix -e "alternate_config_directories = $new"
		# A main.cf that holds nothing else was created here: remove it again.
		if [ -z "$new" ] && ! grep -qv '^alternate_config_directories =' /etc/postfix/main.cf; then
			rm -f /etc/postfix/main.cf
		fi
	) 9>>"$(_pf_lockfile)"
}

_pf_lockfile() {
	if [ -d /run/lock ] && [ -w /run/lock ]; then
		echo /run/lock/mail2sms-tests-postfix.lock
	else
		echo /tmp/mail2sms-tests-postfix.lock
	fi
}

# Waits until 127.0.0.1:$1 accepts a TCP connection; 1 after $2 tenths of a second.
_pf_wait_port() {
	_pf_n=0
	while [ "$_pf_n" -lt "$2" ]; do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
			"$1" 2>/dev/null && return 0
		sleep 0.1
		_pf_n=$((_pf_n + 1))
	done
	return 1
}

postfix_set() {
	postconf -c "$PF_CONF" -e "$@"
}

postfix_master() {
	for _pf_line in "$@"; do
		printf '%s\n' "$_pf_line" >>"$PF_CONF/master.cf"
	done
}

postfix_init() { # DIR PORT
	PF_DIR=$(cd "$1" && pwd) || return 1
	PF_PORT=$2
	PF_CONF=$PF_DIR/conf
	PF_SINK=$PF_DIR/sink
	PF_LOG=$PF_DIR/maillog
	PF_SINKPORT=$(_pf_free_port) || return 1
	export PF_DIR PF_PORT PF_CONF PF_SINK PF_LOG PF_SINKPORT
	chmod 755 "$PF_DIR"
	mkdir -p "$PF_CONF" "$PF_DIR/queue" "$PF_DIR/data" "$PF_SINK" || return 1
	chown postfix "$PF_DIR/data" "$PF_SINK"
	chmod 755 "$PF_CONF" "$PF_DIR/queue"
	: >"$PF_LOG"
	cat >"$PF_CONF/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $PF_DIR/queue
	data_directory = $PF_DIR/data
	maillog_file = $PF_LOG
	maillog_file_prefixes = $PF_DIR
	myhostname = mail2sms-test.localdomain
	mydomain = localdomain
	myorigin = \$myhostname
	mydestination =
	local_recipient_maps =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	relayhost = [127.0.0.1]:$PF_SINKPORT
	smtp_tls_security_level = none
	smtpd_tls_security_level = none
	smtputf8_enable = no
	alias_maps =
	alias_database =
	biff = no
	delay_warning_time = 0
	queue_run_delay = 300s
	minimal_backoff_time = 300s
	maximal_backoff_time = 600s
	default_process_limit = 50
	smtpd_client_connection_count_limit = 0
	smtpd_client_connection_rate_limit = 0
	smtpd_client_message_rate_limit = 0
	smtpd_client_recipient_rate_limit = 0
	smtp_destination_concurrency_limit = 20
	EOF
	# Postfix's pristine master.cf, not the system's: its extra services must not come along.
	sed -e '/^smtp[[:space:]]\{1,\}inet[[:space:]]/d' /usr/share/postfix/master.cf.dist >"$PF_CONF/master.cf"
	printf '127.0.0.1:%s inet n - n - - smtpd\n' "$PF_PORT" >>"$PF_CONF/master.cf"
	postconf -c "$PF_CONF" -F '*/*/chroot = n' >/dev/null || return 1
	_pf_alt add "$PF_CONF"
}

postfix_start() { # DIR PORT
	_pf_d=$(cd "$1" && pwd) || return 1
	if [ "${PF_DIR:-}" != "$_pf_d" ] || [ ! -f "$_pf_d/conf/main.cf" ]; then
		postfix_init "$1" "$2" || return 1
	fi
	_pf_alt add "$PF_CONF"
	smtp-sink -u postfix -d "$PF_SINK/%M." "127.0.0.1:$PF_SINKPORT" 256 \
		>"$PF_DIR/sink.log" 2>&1 &
	PF_SINK_PID=$!
	export PF_SINK_PID
	if ! _pf_wait_port "$PF_SINKPORT" 50; then
		echo "postfix_start: smtp-sink did not start on $PF_SINKPORT:" >&2
		cat "$PF_DIR/sink.log" >&2
		return 1
	fi
	if ! postfix -c "$PF_CONF" start >"$PF_DIR/start.log" 2>&1; then
		echo "postfix_start: postfix -c $PF_CONF start failed:" >&2
		cat "$PF_DIR/start.log" "$PF_LOG" >&2
		return 1
	fi
	if ! _pf_wait_port "$PF_PORT" 100; then
		echo "postfix_start: smtpd does not answer on 127.0.0.1:$PF_PORT:" >&2
		cat "$PF_LOG" >&2
		return 1
	fi
}

postfix_reload() {
	postfix -c "$PF_CONF" reload >/dev/null 2>&1
}

postfix_stop() {
	if [ -n "${PF_CONF:-}" ] && [ -f "$PF_CONF/main.cf" ]; then
		_pf_pidf=$PF_DIR/queue/pid/master.pid
		_pf_mpid=$(tr -dc 0-9 <"$_pf_pidf" 2>/dev/null)
		postfix -c "$PF_CONF" stop >/dev/null 2>&1
		if [ -n "$_pf_mpid" ]; then
			_pf_n=0
			while kill -0 "$_pf_mpid" 2>/dev/null && [ "$_pf_n" -lt 100 ]; do
				sleep 0.1
				_pf_n=$((_pf_n + 1))
			done
			kill -0 "$_pf_mpid" 2>/dev/null && postfix -c "$PF_CONF" abort >/dev/null 2>&1
		fi
		_pf_alt del "$PF_CONF"
	fi
	if [ -n "${PF_SINK_PID:-}" ]; then
		kill -TERM "$PF_SINK_PID" 2>/dev/null
		wait "$PF_SINK_PID" 2>/dev/null
	fi
	PF_SINK_PID=
	return 0
}

postfix_sendmail() {
	MAIL_CONFIG=$PF_CONF sendmail -C "$PF_CONF" "$@"
}

postfix_queue() {
	postqueue -c "$PF_CONF" -j 2>/dev/null
}

# Counts queue files (all queues, or those named in the arguments).
_pf_count() {
	_pf_c=0
	for _pf_q in "$@"; do
		[ -d "$PF_DIR/queue/$_pf_q" ] || continue
		_pf_c=$((_pf_c + $(find "$PF_DIR/queue/$_pf_q" -type f | wc -l)))
	done
	echo "$_pf_c"
}

postfix_wait_idle() { # [SECS]
	_pf_n=0
	while [ "$_pf_n" -lt $((${1:-30} * 10)) ]; do
		[ "$(_pf_count maildrop incoming active)" -eq 0 ] && return 0
		sleep 0.1
		_pf_n=$((_pf_n + 1))
	done
	return 1
}

postfix_wait_empty() { # [SECS]
	_pf_n=0
	while [ "$_pf_n" -lt $((${1:-30} * 10)) ]; do
		[ "$(_pf_count maildrop incoming active deferred hold)" -eq 0 ] && return 0
		sleep 0.1
		_pf_n=$((_pf_n + 1))
	done
	return 1
}

postfix_wait_log() { # RE [SECS]
	_pf_n=0
	while [ "$_pf_n" -lt $((${2:-30} * 10)) ]; do
		grep -Eq "$1" "$PF_LOG" 2>/dev/null && return 0
		sleep 0.1
		_pf_n=$((_pf_n + 1))
	done
	return 1
}

postfix_sink_files() {
	find "$PF_SINK" -type f -printf '%T@ %p\n' 2>/dev/null | sort -n | cut -d' ' -f2-
}

postfix_wait_sink() { # N [SECS]
	_pf_n=0
	while [ "$_pf_n" -lt $((${2:-30} * 10)) ]; do
		[ "$(postfix_sink_files | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
		_pf_n=$((_pf_n + 1))
	done
	return 1
}

_PF_SAVED=
postfix_save() { # NAME
	for _pf_v in PF_DIR PF_PORT PF_CONF PF_SINK PF_LOG PF_SINKPORT PF_SINK_PID; do
		eval "_pf_${1}_$_pf_v=\${$_pf_v:-}"
	done
	case " $_PF_SAVED " in *" $1 "*) ;; *) _PF_SAVED="$_PF_SAVED $1" ;; esac
}

postfix_use() { # NAME
	case " $_PF_SAVED " in *" $1 "*) ;; *) echo "postfix_use: no instance $1" >&2; return 1 ;; esac
	for _pf_v in PF_DIR PF_PORT PF_CONF PF_SINK PF_LOG PF_SINKPORT PF_SINK_PID; do
		eval "$_pf_v=\$_pf_${1}_$_pf_v"
	done
	export PF_DIR PF_PORT PF_CONF PF_SINK PF_LOG PF_SINKPORT PF_SINK_PID
}

postfix_stop_all() {
	_pf_cur=${PF_DIR:-} _pf_cur_sink=${PF_SINK_PID:-}
	for _pf_name in $_PF_SAVED; do
		postfix_use "$_pf_name" || continue
		[ "$PF_DIR" = "$_pf_cur" ] && _pf_cur=
		postfix_stop
		postfix_save "$_pf_name"
	done
	# The current instance, unless it was saved (and so stopped above).
	if [ -n "$_pf_cur" ]; then
		PF_DIR=$_pf_cur PF_CONF=$_pf_cur/conf PF_SINK_PID=$_pf_cur_sink
		postfix_stop
	fi
	return 0
}

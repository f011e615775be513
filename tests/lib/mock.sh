# Shell helpers for test suites that talk to the stand-in OVH API (bin/ovhmock).  POSIX sh;
# source it, then:
#
#   mock_start [OVHMOCK ARGS...]   throw-away CA + server certificate for 127.0.0.1, free ports,
#                                  starts $TOP/$BIN/ovhmock and waits until it answers; exports
#                                  MOCK_URL MOCK_PORT MOCK_CA MOCK_CTL MOCK_LOG MOCK_DIR MOCK_PID
#   mock_stop                      stops it and removes MOCK_DIR (safe in an EXIT trap, twice)
#   mock_fault JSON                POST /fault on the control port (e.g. '{"status":503,"count":1}');
#                                  fields: latency_ms, status, count, after (requests answered
#                                  before status applies), clock_offset, time_lie,
#                                  drop_after_execute, status_after_execute (job executed,
#                                  then that status), list_delay_s (GET /outgoing lists a job
#                                  N s after its creation), refuse (tests/ovhmock/control.c)
#                                  and rate faults on job posts only, drawn from a seeded generator:
#                                  '{"post_503_rate":0.2,"post_drop_rate":0.1,"seed":N}' answers
#                                  ~20% of posts 503 before executing them and executes ~10%,
#                                  then closes the connection unanswered; the same seed and
#                                  order of posts give the same faults
#   mock_reset                     clears faults, jobs, counters and credits
#   mock_stats                     prints {"handshakes","connections_open","requests","jobs",
#                                  "rate_503","rate_dropped"}
#   mock_jobs                      prints the recorded jobs (a JSON array)
#   $MOCK_LOG                      one JSON line per request (tests/ovhmock/log.c), with at_ms,
#                                  the wall-clock time (Unix ms) it arrived
#   mock_sign AS CK METHOD URL BODY TS    prints the X-Ovh-Signature OVH expects
#   mock_call METHOD PATH [BODY]   signed call with MOCK_AK/MOCK_AS/MOCK_CK (default ak/as/ck);
#                                  prints "STATUS BODY" on one line
#
# Call mock_start directly, not inside $(...): the exports must reach the calling shell.
# TOP (repository root) and BIN (program directory, relative to TOP or absolute) come from
# tests/run; both have defaults.

# The repository root: the first parent of the calling script holding tests/lib/mock.sh.
_mock_top() {
	d=$(cd "$(dirname "$0")" 2>/dev/null && pwd) || d=$PWD
	while [ "$d" != / ] && [ ! -f "$d/tests/lib/mock.sh" ]; do
		d=$(dirname "$d")
	done
	echo "$d"
}

# A TCP port nobody listens on right now.
_mock_free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
		return
	fi
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000 ))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

# Throw-away CA and a server certificate for 127.0.0.1 and localhost signed by it.
_mock_certs() {
	cat >"$MOCK_DIR/ca.cnf" <<-EOF
	[req]
	distinguished_name = dn
	prompt = no
	x509_extensions = ca
	[dn]
	CN = ovhmock test CA
	[ca]
	basicConstraints = critical, CA:TRUE
	keyUsage = critical, keyCertSign, cRLSign
	subjectKeyIdentifier = hash
	EOF
	cat >"$MOCK_DIR/server.ext" <<-EOF
	basicConstraints = CA:FALSE
	keyUsage = critical, digitalSignature, keyEncipherment
	extendedKeyUsage = serverAuth
	subjectAltName = IP:127.0.0.1, DNS:localhost
	authorityKeyIdentifier = keyid
	EOF
	(
		cd "$MOCK_DIR" &&
		openssl req -x509 -config ca.cnf -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.pem -days 2 &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout server.key -out server.csr -subj /CN=127.0.0.1 &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out server.pem -days 2 -extfile server.ext
	) >"$MOCK_DIR/openssl.log" 2>&1 || {
		cat "$MOCK_DIR/openssl.log" >&2
		return 1
	}
}

mock_start() {
	[ -n "${MOCK_PID:-}" ] && mock_stop
	TOP=${TOP:-$(_mock_top)}
	BIN=${BIN:-bin}
	case $BIN in
	/*) _mock_prog=$BIN/ovhmock ;;
	*) _mock_prog=$TOP/$BIN/ovhmock ;;
	esac
	if [ ! -x "$_mock_prog" ]; then
		echo "mock_start: $_mock_prog not built (make testprogs)" >&2
		return 1
	fi
	MOCK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ovhmock.XXXXXX") || return 1
	export MOCK_DIR
	_mock_certs || return 1
	MOCK_CA=$MOCK_DIR/ca.pem
	MOCK_LOG=$MOCK_DIR/log.jsonl
	export MOCK_CA MOCK_LOG
	_mock_try=0
	while [ $_mock_try -lt 5 ]; do
		_mock_try=$((_mock_try + 1))
		MOCK_PORT=$(_mock_free_port)
		_mock_cport=$(_mock_free_port)
		[ "$MOCK_PORT" = "$_mock_cport" ] && continue
		"$_mock_prog" --port "$MOCK_PORT" --control-port "$_mock_cport" \
			--cert "$MOCK_DIR/server.pem" --key "$MOCK_DIR/server.key" \
			--log "$MOCK_LOG" --pidfile "$MOCK_DIR/pid" "$@" 2>"$MOCK_DIR/stderr" &
		MOCK_PID=$!
		MOCK_CTL=http://127.0.0.1:$_mock_cport
		MOCK_URL=https://127.0.0.1:$MOCK_PORT/1.0
		export MOCK_PID MOCK_PORT MOCK_CTL MOCK_URL
		_mock_wait=0
		while [ $_mock_wait -lt 100 ]; do
			if curl -sf -o /dev/null --max-time 1 "$MOCK_CTL/stats"; then
				return 0
			fi
			kill -0 "$MOCK_PID" 2>/dev/null || break
			sleep 0.05
			_mock_wait=$((_mock_wait + 1))
		done
		if kill -0 "$MOCK_PID" 2>/dev/null; then
			echo "mock_start: ovhmock did not answer on $MOCK_CTL" >&2
			mock_stop
			return 1
		fi
		wait "$MOCK_PID" 2>/dev/null
		MOCK_PID=
		# Another process took a port between the probe and the bind: try new ones.
		grep -q 'in use' "$MOCK_DIR/stderr" || break
	done
	echo "mock_start: ovhmock failed to start:" >&2
	cat "$MOCK_DIR/stderr" >&2
	mock_stop
	return 1
}

mock_stop() {
	if [ -n "${MOCK_PID:-}" ]; then
		kill -TERM "$MOCK_PID" 2>/dev/null
		_mock_wait=0
		while kill -0 "$MOCK_PID" 2>/dev/null && [ $_mock_wait -lt 50 ]; do
			sleep 0.1
			_mock_wait=$((_mock_wait + 1))
		done
		kill -KILL "$MOCK_PID" 2>/dev/null
		wait "$MOCK_PID" 2>/dev/null
	fi
	MOCK_PID=
	if [ -n "${MOCK_DIR:-}" ] && [ -d "$MOCK_DIR" ]; then
		rm -rf "$MOCK_DIR"
	fi
	MOCK_DIR=
	return 0
}

mock_fault() {
	curl -sS --fail-with-body -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data-binary "$1" "$MOCK_CTL/fault"
}

mock_reset() {
	curl -sS --fail-with-body -o /dev/null -X POST "$MOCK_CTL/reset"
}

mock_stats() {
	curl -sS --fail-with-body "$MOCK_CTL/stats"
	echo
}

mock_jobs() {
	curl -sS --fail-with-body "$MOCK_CTL/jobs"
	echo
}

mock_sign() { # AS CK METHOD URL BODY TS
	printf '$1$%s\n' "$(printf '%s+%s+%s+%s+%s+%s' "$1" "$2" "$3" "$4" "$5" "$6" |
		sha1sum | cut -d' ' -f1)"
}

mock_call() { # METHOD PATH [BODY]
	_mock_method=$1
	_mock_url=$MOCK_URL$2
	_mock_body=${3:-}
	_mock_ts=$(date +%s)
	_mock_sig=$(mock_sign "${MOCK_AS:-as}" "${MOCK_CK:-ck}" "$_mock_method" "$_mock_url" \
		"$_mock_body" "$_mock_ts")
	set --
	if [ -n "$_mock_body" ]; then
		set -- -H 'Content-Type: application/json' --data-binary "$_mock_body"
	fi
	curl -sS --cacert "$MOCK_CA" -X "$_mock_method" -o "$MOCK_DIR/reply" -w '%{http_code}' \
		-H "X-Ovh-Application: ${MOCK_AK:-ak}" -H "X-Ovh-Consumer: ${MOCK_CK:-ck}" \
		-H "X-Ovh-Timestamp: $_mock_ts" -H "X-Ovh-Signature: $_mock_sig" \
		"$@" "$_mock_url" >"$MOCK_DIR/status"
	printf '%s %s\n' "$(cat "$MOCK_DIR/status")" "$(cat "$MOCK_DIR/reply" 2>/dev/null)"
	rm -f "$MOCK_DIR/reply"
}

mock_age() { # SECONDS: every job recorded so far is made that much older
	curl -sS --fail-with-body -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"seconds\":$1}" "$MOCK_CTL/age"
}

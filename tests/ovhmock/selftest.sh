#!/bin/sh
# Proves that bin/ovhmock behaves like the OVH API the client is tested against: curl with real
# certificate verification, signatures computed here, every error class, job validation and
# part counting, delivery states and the callBack they fire, SMS received, ptt codes, the
# log, the faults and the handshake counter.  Prints TAP lines.
here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
. "$TOP/tests/lib/mock.sh"

fails=0
ok() { # description command...
	_d=$1
	shift
	if "$@"; then
		echo "ok - $_d"
	else
		echo "not ok - $_d"
		fails=$((fails + 1))
	fi
}
has() { # haystack needle: fixed-string match
	case $1 in *"$2"*) return 0 ;; esac
	echo "# expected $2 in: $1" >&2
	return 1
}
reply_is() { # "STATUS BODY" status needle
	case $1 in
	"$2 "*) has "$1" "$3" ;;
	*) echo "# expected status $2: $1" >&2; return 1 ;;
	esac
}
repeat() { # text count
	awk -v s="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'
}
near() { # value expected slack
	[ -n "$1" ] && [ "$(($1 - $2))" -le "$3" ] && [ "$(($2 - $1))" -le "$3" ]
}
stat_of() { # field: from /stats
	mock_stats | sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p"
}
ctl() { # METHOD PATH [BODY]: "STATUS BODY" from the control port
	_m=$1
	_u=$MOCK_CTL$2
	if [ -n "${3:-}" ]; then
		set -- --data-binary "$3"
	else
		set --
	fi
	_c=$(curl -sS -o "$MOCK_DIR/ctl" -w '%{http_code}' -X "$_m" "$@" "$_u" 2>/dev/null)
	printf '%s %s\n' "$_c" "$(cat "$MOCK_DIR/ctl" 2>/dev/null)"
}
iso() { # seconds from now: an ISO 8601 date-time in UTC
	date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ
}
# A callBack listener on loopback: writes each request's path and query to cb.out, one a line,
# and answers 200, or NNN for a path /status/NNN.
cb_start() {
	: >"$MOCK_DIR/cb.out"
	python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[1], "a") as f:
            f.write(self.path + "\n")
        p = self.path.split("?")[0].split("/")
        self.send_response(int(p[2]) if len(p) == 3 and p[1] == "status" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()' "$MOCK_DIR/cb.out" "$MOCK_DIR/cb.port" &
	cb_pid=$!
	_w=0
	while [ ! -s "$MOCK_DIR/cb.port" ] && [ $_w -lt 100 ]; do
		sleep 0.05
		_w=$((_w + 1))
	done
	cb_port=$(cat "$MOCK_DIR/cb.port" 2>/dev/null)
	[ -n "$cb_port" ]
}
cb_stop() {
	[ -n "${cb_pid:-}" ] && kill "$cb_pid" 2>/dev/null && wait "$cb_pid" 2>/dev/null
	cb_pid=
}
cb_last() { tail -n 1 "$MOCK_DIR/cb.out"; }
cb_count() { wc -l <"$MOCK_DIR/cb.out" | tr -d ' '; }
all_set() { # value...: none empty
	for _v; do
		[ -n "$_v" ] || return 1
	done
}
same() { # got expected
	[ "$1" = "$2" ] && return 0
	echo "# expected: $2" >&2
	echo "#      got: $1" >&2
	return 1
}
job() { # message receivers-json: prints the reply of a job post
	mock_call POST /sms/sms-xx11111-1/jobs "{\"message\":\"$1\",\"receivers\":$2,\"noStopClause\":true}"
}

trap 'cb_stop; mock_stop' EXIT
trap 'exit 1' INT TERM
if ! mock_start --app ak:as --consumer ck:ak --consumer ro:ak:'GET /sms' \
	--consumer rd:ak:'GET /sms/*' --expired-consumer old:ak --service sms-xx11111-1 --service sms-yy22222-2:5; then
	echo "not ok - ovhmock starts"
	exit 1
fi
echo "ok - ovhmock starts (HTTPS $MOCK_PORT, control $MOCK_CTL)"

# The shell signer itself, against python-ovh's published vector.
ok "signature helper matches python-ovh's vector" [ "$(mock_sign 9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk \
	5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY GET https://eu.api.ovh.com/1.0/auth '' 1457018875)" = \
	'$1$e9556054b6309771395efa467c22e627407461ad' ]
ok "signature helper matches python-ovh's POST vector" [ "$(mock_sign 9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk \
	5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY POST https://eu.api.ovh.com/1.0/auth '{"a":"b","c":"d"}' \
	1457018875)" = '$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1' ]

# Clock and transport.
t=$(curl -sS --cacert "$MOCK_CA" "$MOCK_URL/auth/time")
now=$(date +%s)
ok "GET /auth/time is a bare integer near now, certificate verified" near "$t" "$now" 2
hdr=$(curl -sS --cacert "$MOCK_CA" -D - -o /dev/null "$MOCK_URL/auth/time")
ok "replies carry X-Ovh-QueryID" has "$hdr" "X-Ovh-QueryID: EU.ext-1."
ok "a client without the CA refuses the certificate" \
	sh -c '! curl -s -o /dev/null "$1/auth/time"' - "$MOCK_URL"

# Signed calls and each refusal.
ok "signed GET /sms lists the services" reply_is "$(mock_call GET /sms)" 200 \
	'["sms-xx11111-1","sms-yy22222-2"]'
ok "GET /sms/{svc} reports creditsLeft" reply_is "$(mock_call GET /sms/sms-xx11111-1)" 200 \
	'"creditsLeft":1000'
ok "GET /sms/{svc}/senders" reply_is "$(mock_call GET /sms/sms-xx11111-1/senders)" 200 '["MAIL2SMS"]'
ts=$(date +%s)
r=$(curl -sS --cacert "$MOCK_CA" -w ' %{http_code}' -H 'X-Ovh-Application: ak' \
	-H 'X-Ovh-Consumer: ck' -H "X-Ovh-Timestamp: $ts" \
	-H "X-Ovh-Signature: $(mock_sign as ck GET "$MOCK_URL/sms?x=1" '' "$ts")" "$MOCK_URL/sms")
ok "a signature over another URL is INVALID_SIGNATURE" has "$r" \
	'{"errorCode":"INVALID_SIGNATURE","httpCode":"400 Bad Request","message":"Invalid signature"} 400'
ts=$(($(date +%s) - 60))
r=$(curl -sS --cacert "$MOCK_CA" -w ' %{http_code}' -H 'X-Ovh-Application: ak' \
	-H 'X-Ovh-Consumer: ck' -H "X-Ovh-Timestamp: $ts" \
	-H "X-Ovh-Signature: $(mock_sign as ck GET "$MOCK_URL/sms" '' "$ts")" "$MOCK_URL/sms")
ok "a timestamp 60 s behind is QUERY_TIME_OUT" has "$r" \
	'{"errorCode":"QUERY_TIME_OUT","httpCode":"400 Bad Request","message":"Query out of time"} 400'
ok "unknown application key is INVALID_KEY" reply_is "$(MOCK_AK=zz mock_call GET /sms)" 403 \
	'"errorCode":"INVALID_KEY"'
ok "unknown consumer key is NOT_CREDENTIAL" reply_is "$(MOCK_CK=zz mock_call GET /sms)" 403 \
	'"errorCode":"NOT_CREDENTIAL","httpCode":"403 Forbidden","message":"This credential does not exist"'
ok "expired consumer key is INVALID_CREDENTIAL" reply_is "$(MOCK_CK=old mock_call GET /sms)" 403 \
	'"errorCode":"INVALID_CREDENTIAL"'
ok "a call outside the key's rules is NOT_GRANTED_CALL" \
	reply_is "$(MOCK_CK=ro mock_call GET /sms/sms-xx11111-1)" 403 '"errorCode":"NOT_GRANTED_CALL"'
ok "a call inside the key's rules passes" reply_is "$(MOCK_CK=ro mock_call GET /sms)" 200 '["sms-'
r=$(curl -sS --cacert "$MOCK_CA" -w ' %{http_code}' "$MOCK_URL/sms")
ok "no credentials at all is 401" has "$r" '"message":"You must login first"} 401'
ok "unknown service is 404 This service does not exist" reply_is "$(mock_call GET /sms/nope)" 404 \
	'{"class":"Client::NotFound","message":"This service does not exist"}'
ok "unknown route is 404" reply_is "$(mock_call GET /nothing/here)" 404 'invalid (or empty) URL'

# Consumer keys.
r=$(curl -sS --cacert "$MOCK_CA" -H 'X-Ovh-Application: ak' -H 'Content-Type: application/json' \
	--data-binary '{"accessRules":[{"method":"GET","path":"/sms"},{"method":"GET","path":"/sms/*"}]}' \
	"$MOCK_URL/auth/credential")
ck=$(echo "$r" | sed -n 's/.*"consumerKey":"\([A-Za-z0-9]*\)".*/\1/p')
ok "POST /auth/credential gives a 32-character key" [ ${#ck} -eq 32 ]
ok "POST /auth/credential gives a validation URL" has "$r" \
	"\"state\":\"pendingValidation\",\"validationUrl\":\"https://127.0.0.1:$MOCK_PORT/auth/?credentialToken="
ok "the new key has exactly its rules" reply_is "$(MOCK_CK=$ck mock_call GET /auth/currentCredential)" \
	200 '"rules":[{"method":"GET","path":"/sms"},{"method":"GET","path":"/sms/*"}]'
ok "the new key may read but not post jobs" \
	reply_is "$(MOCK_CK=$ck job hi '["+33612345678"]')" 403 NOT_GRANTED_CALL

# Jobs.
r=$(job 'Disk full on srv1' '["+33612345678","0033612345679","+33699991234","12345"]')
ok "a job answers ids for valid receivers and lists the invalid ones" reply_is "$r" 200 \
	'"totalCreditsRemoved":2,"invalidReceivers":["+33699991234","12345"],"ids":['
ok "0033 receivers come back as +33" has "$r" '"validReceivers":["+33612345678","+33612345679"]'
ok "the job is in the log with its parts and encoding" \
	grep -q '"job":{"service":"sms-xx11111-1".*"parts":1,"encoding":"gsm7","characters":17,"credits":2' "$MOCK_LOG"
ok "credits are taken" reply_is "$(mock_call GET /sms/sms-xx11111-1)" 200 '"creditsLeft":998'
ok "every receiver invalid is still 200 with no ids" \
	reply_is "$(job x '["+33699990000"]')" 200 '"invalidReceivers":["+33699990000"],"ids":[],"validReceivers":[]'
outgoing_by_tag() {
	r=$(mock_call POST /sms/sms-xx11111-1/jobs \
		'{"message":"t","receivers":["+33611111111"],"tag":"abc"}')
	id=$(echo "$r" | sed -n 's/.*"ids":\[\([0-9]*\)\].*/\1/p')
	[ -n "$id" ] &&
		reply_is "$(mock_call GET '/sms/sms-xx11111-1/outgoing?tag=abc')" 200 "[$id]" &&
		reply_is "$(mock_call GET "/sms/sms-xx11111-1/outgoing/$id")" 200 \
			'"receiver":"+33611111111","sender":"","tag":"abc","credits":1'
}
ok "outgoing?tag= and outgoing/{id} find the job" outgoing_by_tag
gsm161=$(repeat a 161)
ok "161 GSM-7 characters are 2 parts" \
	reply_is "$(job "$gsm161" '["+33612345678"]')" 200 '"totalCreditsRemoved":2'
ok "80 euro signs (160 septets) are 1 part" \
	reply_is "$(job "$(repeat € 80)" '["+33612345678"]')" 200 '"totalCreditsRemoved":1'
ok "70 UCS-2 characters are 1 part" reply_is "$(job "$(repeat ê 70)" '["+33612345678"]')" 200 \
	'"totalCreditsRemoved":1'
ok "71 UCS-2 characters are 2 parts" reply_is "$(job "$(repeat ê 71)" '["+33612345678"]')" 200 \
	'"totalCreditsRemoved":2'
ok "6 parts of GSM-7 (918 septets) are accepted" \
	reply_is "$(job "$(repeat a 918)" '["+33612345678"]')" 200 '"totalCreditsRemoved":6'
ok "919 septets (7 parts) are refused: Message too long" \
	reply_is "$(job "$(repeat a 919)" '["+33612345678"]')" 400 '"message":"Message too long"'
ok "a body that is not JSON is refused" \
	reply_is "$(mock_call POST /sms/sms-xx11111-1/jobs '{"message":')" 400 'Invalid JSON received'
ok "an unknown field is refused" reply_is "$(mock_call POST /sms/sms-xx11111-1/jobs \
	'{"message":"m","receivers":["+33612345678"],"foo":1}')" 400 '"message":"Invalid parameter foo"'
ok "a bad priority is refused" reply_is "$(mock_call POST /sms/sms-xx11111-1/jobs \
	'{"message":"m","receivers":["+33612345678"],"priority":"urgent"}')" 400 'Invalid parameter priority'
ok "a wrongly typed field is refused" reply_is "$(mock_call POST /sms/sms-xx11111-1/jobs \
	'{"message":"m","receivers":["+33612345678"],"validityPeriod":"2880"}')" 400 'validityPeriod'
ok "a tag over 20 characters is refused" reply_is "$(mock_call POST /sms/sms-xx11111-1/jobs \
	'{"message":"m","receivers":["+33612345678"],"tag":"123456789012345678901"}')" 400 'Invalid parameter tag'
ok "no receivers is refused" reply_is "$(mock_call POST /sms/sms-xx11111-1/jobs '{"message":"m"}')" \
	400 'No receivers'
ok "every OVH field is accepted" reply_is "$(mock_call POST /sms/sms-xx11111-1/jobs \
	'{"message":"m","receivers":["+33612345678"],"sender":"MAIL2SMS","senderForResponse":false,"noStopClause":true,"priority":"high","validityPeriod":2880,"differedPeriod":0,"tag":"t","charset":"UTF-8","coding":"7bit","class":"phoneDisplay"}')" \
	200 '"ids":['

# Two-way SMS: delivery states and the account's callBack, SMS received, ptt codes.
svc=/sms/sms-xx11111-1

mock_reset
ok "a callBack listener starts on loopback" cb_start
r=$(mock_call POST $svc/jobs '{"message":"m","receivers":["+33612345678","+33612345679"],"tag":"two"}')
a=$(echo "$r" | sed -n 's/.*"ids":\[\([0-9]*\),\([0-9]*\)\].*/\1/p')
b=$(echo "$r" | sed -n 's/.*"ids":\[\([0-9]*\),\([0-9]*\)\].*/\2/p')
r=$(mock_call POST $svc/jobs '{"message":"m","receivers":["+33612345670"],"tag":"other"}')
c=$(echo "$r" | sed -n 's/.*"ids":\[\([0-9]*\)\].*/\1/p')
ok "three SMS sent for the state checks" all_set "$a" "$b" "$c"
ok "a new SMS is delivered: ptt 4, deliveryReceipt 1, deliveredAt set" \
	reply_is "$(mock_call GET $svc/outgoing/$a)" 200 '"ptt":4,"deliveryReceipt":1,"differedDelivery":0,"creationDatetime":"'
ok "a new SMS's deliveredAt is a date-time" sh -c 'case $1 in *"\"deliveredAt\":\"20"*) ;; *) exit 1 ;; esac' - \
	"$(mock_call GET $svc/outgoing/$a)"

# The account's callBack.
ok "GET /sms/{svc} shows an empty callBack at first" reply_is "$(mock_call GET $svc)" 200 '"callBack":""'
ok "PUT /sms/{svc} sets the callBack and answers null" \
	reply_is "$(mock_call PUT $svc "{\"callBack\":\"http://127.0.0.1:$cb_port/cb?x=1\"}")" 200 'null'
ok "GET /sms/{svc} shows the callBack" reply_is "$(mock_call GET $svc)" 200 \
	"\"callBack\":\"http://127.0.0.1:$cb_port/cb?x=1\""
ok "the control port's GET /account shows it" has "$(ctl GET /account)" \
	"\"sms-xx11111-1\":{\"creditsLeft\":997,\"callBack\":\"http://127.0.0.1:$cb_port/cb?x=1\""
ok "PUT keeps stopCallBack and description" reply_is "$(mock_call PUT $svc \
	'{"stopCallBack":"https://example.com/stop","description":"alerts"}')" 200 'null'
ok "... and leaves the callBack alone" reply_is "$(mock_call GET $svc)" 200 \
	"\"description\":\"alerts\",\"creditsLeft\":997"
ok "PUT with an unknown field is 400" reply_is "$(mock_call PUT $svc '{"callBack":"http://x/","foo":1}')" \
	400 '"message":"Invalid parameter foo"'
ok "PUT with a non-string callBack is 400" reply_is "$(mock_call PUT $svc '{"callBack":5}')" 400 \
	'"message":"Invalid type for parameter callBack"'
ok "PUT with a callBack that is no http(s) URL is 400" \
	reply_is "$(mock_call PUT $svc '{"callBack":"ftp://x/"}')" 400 'Invalid parameter callBack'
ok "PUT with a body that is not JSON is 400" reply_is "$(mock_call PUT $svc '{"callBack":')" 400 \
	'Invalid JSON received'
ok "PUT on an unknown service is 404" reply_is "$(mock_call PUT /sms/nope '{}')" 404 \
	'This service does not exist'
ok "PUT is outside a GET-only key's rules" reply_is "$(MOCK_CK=ro mock_call PUT $svc '{}')" 403 \
	NOT_GRANTED_CALL
ok "the refused PUTs left the callBack alone" has "$(ctl GET /account)" \
	"\"callBack\":\"http://127.0.0.1:$cb_port/cb?x=1\""

# Delivery states.
r=$(ctl POST /state "{\"id\":$a,\"ptt\":23}")
ok "POST /state ptt 23: deliveryReceipt 2 derived, callBack answered 200" same "$r" \
	"200 {\"id\":$a,\"ptt\":23,\"deliveryReceipt\":2,\"callback_status\":200}"
ok "the callBack got id, ptt, dlr, description, receiver and tag after its own query" same "$(cb_last)" \
	"/cb?x=1&id=$a&ptt=23&dlr=2&description=Invalid%20or%20barred%20number&receiver=%2B33612345678&tag=two"
ok "GET /outgoing/{id} reports the state, deliveredAt null" reply_is "$(mock_call GET $svc/outgoing/$a)" \
	200 '"ptt":23,"deliveryReceipt":2,"differedDelivery":0,'
ok "... deliveredAt null" has "$(mock_call GET $svc/outgoing/$a)" '"deliveredAt":null}'
ok "outgoing?deliveryReceipt=2 lists the failed SMS" \
	reply_is "$(mock_call GET "$svc/outgoing?deliveryReceipt=2")" 200 "[$a]"
ok "outgoing?deliveryReceipt=1 lists the others" \
	reply_is "$(mock_call GET "$svc/outgoing?deliveryReceipt=1")" 200 "[$b,$c]"
ok "outgoing?ptt=23 lists the failed SMS" reply_is "$(mock_call GET "$svc/outgoing?ptt=23")" 200 "[$a]"
ok "outgoing?ptt=4&tag=two lists the delivered one of the tag" \
	reply_is "$(mock_call GET "$svc/outgoing?ptt=4&tag=two")" 200 "[$b]"
ok "outgoing?creationDatetime.to an hour ago lists nothing" \
	reply_is "$(mock_call GET "$svc/outgoing?creationDatetime.to=$(iso -3600)")" 200 "[]"
ok "outgoing?creationDatetime.to in an hour lists all" \
	reply_is "$(mock_call GET "$svc/outgoing?creationDatetime.to=$(iso 3600)")" 200 "[$a,$b,$c]"
ok "outgoing?creationDatetime.from and .to in the past hour list all" \
	reply_is "$(mock_call GET "$svc/outgoing?creationDatetime.from=$(iso -3600)&creationDatetime.to=$(iso 60)")" \
	200 "[$a,$b,$c]"
ok "outgoing?creationDatetime.to that is no date is 400" \
	reply_is "$(mock_call GET "$svc/outgoing?creationDatetime.to=yesterday")" 400 'creationDatetime.to'
ok "outgoing?ptt that is no number is 400" reply_is "$(mock_call GET "$svc/outgoing?ptt=x")" 400 \
	'Invalid value for ptt'
ok "ptt 24 derives deliveryReceipt 4 (waiting)" has "$(ctl POST /state "{\"id\":$a,\"ptt\":24,\"callback\":false}")" \
	'"ptt":24,"deliveryReceipt":4,"callback_status":0}'
ok "ptt 8 derives deliveryReceipt 2" has "$(ctl POST /state "{\"id\":$a,\"ptt\":8,\"callback\":false}")" \
	'"ptt":8,"deliveryReceipt":2,'
ok "a deliveryReceipt given is kept" \
	has "$(ctl POST /state "{\"id\":$a,\"ptt\":3,\"deliveryReceipt\":8,\"callback\":false}")" \
	'"ptt":3,"deliveryReceipt":8,'
ok "\"callback\": false calls nothing" same "$(cb_count)" 1
ok "ptt 4 derives deliveryReceipt 1 and sets deliveredAt" sh -c '
	. "$1/tests/lib/mock.sh"
	curl -sS -o /dev/null --data-binary "{\"id\":$2,\"ptt\":4,\"callback\":false}" "$MOCK_CTL/state"
	case $(mock_call GET /sms/sms-xx11111-1/outgoing/$2) in
	*"\"ptt\":4,\"deliveryReceipt\":1,"*"\"deliveredAt\":\"20"*) ;;
	*) exit 1 ;;
	esac' - "$TOP" "$a"
ok "POST /state on an unknown id is 404" reply_is "$(ctl POST /state '{"id":1,"ptt":4}')" 404 'no SMS'
ok "POST /state without ptt is 400" reply_is "$(ctl POST /state "{\"id\":$a}")" 400 'ptt'
ok "POST /state with both id and tag is 400" reply_is "$(ctl POST /state "{\"id\":$a,\"tag\":\"two\",\"ptt\":4}")" \
	400 'either id or tag'
ok "POST /state with a deliveryReceipt OVH does not use is 400" \
	reply_is "$(ctl POST /state "{\"id\":$a,\"ptt\":4,\"deliveryReceipt\":3}")" 400 'deliveryReceipt'
r=$(ctl POST /state '{"tag":"two","ptt":25}')
ok "POST /state by tag sets each SMS of the tag and calls back for each" same "$r" \
	"200 {\"tag\":\"two\",\"results\":[{\"id\":$a,\"ptt\":25,\"deliveryReceipt\":4,\"callback_status\":200},{\"id\":$b,\"ptt\":25,\"deliveryReceipt\":4,\"callback_status\":200}]}"
ok "... two more callBack calls, the second for the second receiver" same "$(cb_count) $(cb_last)" \
	"3 /cb?x=1&id=$b&ptt=25&dlr=4&description=Network%20failure&receiver=%2B33612345679&tag=two"
ok "only the SMS of that tag changed state" reply_is "$(mock_call GET "$svc/outgoing?deliveryReceipt=4")" 200 "[$a,$b]"
ok "POST /state on a tag no SMS has is 404" reply_is "$(ctl POST /state '{"tag":"none","ptt":4}')" 404 'no SMS'
mock_call PUT $svc "{\"callBack\":\"http://127.0.0.1:$cb_port/status/503\"}" >/dev/null
ok "a callBack URL without a query gets '?', and its status is reported" same \
	"$(ctl POST /state "{\"id\":$c,\"ptt\":5}") $(cb_last)" \
	"200 {\"id\":$c,\"ptt\":5,\"deliveryReceipt\":2,\"callback_status\":503} /status/503?id=$c&ptt=5&dlr=2&description=Undelivered&receiver=%2B33612345670&tag=other"
mock_call PUT $svc "{\"callBack\":\"http://127.0.0.1:$(_mock_free_port)/nobody\"}" >/dev/null
ok "a callBack that fails reports callback_status 0" has "$(ctl POST /state "{\"id\":$c,\"ptt\":4}")" \
	'"callback_status":0}'
mock_call PUT $svc '{"callBack":"http://192.0.2.1/cb"}' >/dev/null
t0=$(date +%s)
r=$(ctl POST /state "{\"id\":$c,\"ptt\":4}")
ok "a callBack off loopback is never called (status 0 at once)" \
	sh -c '[ $(($(date +%s) - $2)) -le 2 ] && case $1 in *"\"callback_status\":0}") ;; *) exit 1 ;; esac' - "$r" "$t0"
ok "a service without callBack: callback_status 0" sh -c '
	. "$1/tests/lib/mock.sh"
	r=$(mock_call POST /sms/sms-yy22222-2/jobs "{\"message\":\"m\",\"receivers\":[\"+33612345678\"]}")
	id=$(echo "$r" | sed -n "s/.*\"ids\":\[\([0-9]*\)\].*/\1/p")
	case $(curl -sS --data-binary "{\"id\":$id,\"ptt\":23}" "$MOCK_CTL/state") in
	*"\"callback_status\":0}") ;;
	*) exit 1 ;;
	esac' - "$TOP"
ok "the listener saw nothing from the failed or skipped callBacks" same "$(cb_count)" 4

# ptt codes.
ok "GET /sms/ptts?ptt=23: invalid or barred number, permanent" reply_is "$(mock_call GET '/sms/ptts?ptt=23')" \
	200 '"description":"Invalid or barred number","duration":"permanent"}'
ok "GET /sms/ptts?ptt=24: subscriber absent, temporary" reply_is "$(mock_call GET '/sms/ptts?ptt=24')" \
	200 '"description":"Subscriber absent","duration":"temporary"}'
ok "GET /sms/ptts?ptt=6: indeterminated" reply_is "$(mock_call GET '/sms/ptts?ptt=6')" 200 \
	'"duration":"indeterminated"}'
ok "GET /sms/ptts with an unknown ptt is 404" reply_is "$(mock_call GET '/sms/ptts?ptt=7')" 404 \
	'{"class":"Client::NotFound","message":"The requested object (ptt = 7) does not exist"}'
ok "GET /sms/ptts without ptt is 400" reply_is "$(mock_call GET /sms/ptts)" 400 'Missing parameter ptt'

# SMS received.
r1=$(ctl POST /incoming '{"sender":"+33612345678","message":"ACK on it"}')
r2=$(ctl POST /incoming '{"sender":"+33612345679","message":"done","tag":"t2","credits":2}')
r3=$(ctl POST /incoming '{"sender":"+33612345678","message":"other account","service":"sms-yy22222-2"}')
ok "POST /incoming gives increasing ids from 5000001" same "$r1 $r2 $r3" \
	'200 {"id":5000001} 200 {"id":5000002} 200 {"id":5000003}'
ok "GET /incoming lists the service's own" reply_is "$(mock_call GET $svc/incoming)" 200 '[5000001,5000002]'
ok "GET /incoming?sender= filters" reply_is "$(mock_call GET "$svc/incoming?sender=%2B33612345679")" 200 \
	'[5000002]'
ok "GET /incoming?tag= filters" reply_is "$(mock_call GET "$svc/incoming?tag=t2")" 200 '[5000002]'
ok "GET /incoming?creationDatetime.from in an hour lists nothing" \
	reply_is "$(mock_call GET "$svc/incoming?creationDatetime.from=$(iso 3600)")" 200 '[]'
ok "GET /incoming?creationDatetime.to an hour ago lists nothing" \
	reply_is "$(mock_call GET "$svc/incoming?creationDatetime.to=$(iso -3600)")" 200 '[]'
ok "GET /incoming?creationDatetime.from an hour ago lists both" \
	reply_is "$(mock_call GET "$svc/incoming?creationDatetime.from=$(iso -3600)")" 200 '[5000001,5000002]'
ok "GET /incoming?creationDatetime.from that is no date is 400" \
	reply_is "$(mock_call GET "$svc/incoming?creationDatetime.from=x")" 400 'creationDatetime.from'
r=$(mock_call GET $svc/incoming/5000002)
ok "GET /incoming/{id} has OVH's fields" reply_is "$r" 200 \
	'{"id":5000002,"creationDatetime":"20'
ok "... credits, message, sender and tag" has "$r" \
	'"credits":2,"message":"done","sender":"+33612345679","tag":"t2"}'
ok "... creationDatetime with its offset" sh -c 'case $1 in *"\"creationDatetime\":\"20"??-??-??T??:??:??[+-]??:??\"*) ;; *) exit 1 ;; esac' - "$r"
ok "GET /incoming/{id} of another service is 404" reply_is "$(mock_call GET $svc/incoming/5000003)" 404 \
	'{"class":"Client::NotFound","message":"The requested object (id = 5000003) does not exist"}'
ok "a key without DELETE in its rules may not delete" sh -c '
	. "$1/tests/lib/mock.sh"
	case $(MOCK_CK=rd mock_call DELETE /sms/sms-xx11111-1/incoming/5000001) in
	"403 "*NOT_GRANTED_CALL*) ;; *) exit 1 ;; esac
	case $(MOCK_CK=rd mock_call GET /sms/sms-xx11111-1/incoming/5000001) in
	"200 "*) ;; *) exit 1 ;; esac' - "$TOP"
ok "DELETE /incoming/{id} answers null" reply_is "$(mock_call DELETE $svc/incoming/5000001)" 200 'null'
ok "DELETE again is 404" reply_is "$(mock_call DELETE $svc/incoming/5000001)" 404 \
	'The requested object (id = 5000001) does not exist'
ok "GET /incoming/{id} of a deleted SMS is 404" reply_is "$(mock_call GET $svc/incoming/5000001)" 404 \
	'Client::NotFound'
ok "GET /incoming no longer lists it" reply_is "$(mock_call GET $svc/incoming)" 200 '[5000002]'
ok "the control port's GET /incoming shows what is left" same "$(ctl GET /incoming | sed 's/"creationDatetime":"[^"]*",//g')" \
	'200 [{"id":5000002,"credits":2,"message":"done","sender":"+33612345679","tag":"t2","service":"sms-xx11111-1"},{"id":5000003,"credits":1,"message":"other account","sender":"+33612345678","tag":"","service":"sms-yy22222-2"}]'
ok "POST /incoming without a message is 400" reply_is "$(ctl POST /incoming '{"sender":"+33612345678"}')" 400 \
	'required'
ok "POST /incoming with an unknown field is 400" \
	reply_is "$(ctl POST /incoming '{"sender":"+33612345678","message":"m","x":1}')" 400 'x: unknown field'
ok "POST /incoming to an unknown service is 404" \
	reply_is "$(ctl POST /incoming '{"sender":"+33612345678","message":"m","service":"nope"}')" 404 'nope'
mock_age 7200
ok "POST /age makes SMS received older too" \
	reply_is "$(mock_call GET "$svc/incoming?creationDatetime.from=$(iso -3600)")" 200 '[]'

# The log records the new routes like the others.
ok "the log has the PUT with its status" grep -q \
	"\"method\":\"PUT\",\"path\":\"/1.0$svc\",\"query\":null,\"status\":200," "$MOCK_LOG"
ok "the log has the DELETE and its 404" sh -c '
	grep -q "\"method\":\"DELETE\",\"path\":\"/1.0$2/incoming/5000001\",\"query\":null,\"status\":200," "$1" &&
	grep -q "\"method\":\"DELETE\",\"path\":\"/1.0$2/incoming/5000001\",\"query\":null,\"status\":404," "$1"' \
	- "$MOCK_LOG" "$svc"
ok "the log has the incoming list with its query" grep -q \
	"\"method\":\"GET\",\"path\":\"/1.0$svc/incoming\",\"query\":\"tag=t2\",\"status\":200," "$MOCK_LOG"
ok "the log has the ptt look-ups" grep -q \
	'"method":"GET","path":"/1.0/sms/ptts","query":"ptt=7","status":404,' "$MOCK_LOG"

# POST /reset forgets all of it.
ok "before reset: states and SMS received are counted in /stats" has "$(mock_stats)" \
	'"states":4,"incoming":2}'
mock_reset
ok "reset clears delivery states and SMS received" has "$(mock_stats)" '"states":0,"incoming":0}'
ok "reset clears the SMS received" same "$(ctl GET /incoming)" '200 []'
ok "reset clears the callBack URLs" has "$(ctl GET /account)" \
	'{"sms-xx11111-1":{"creditsLeft":1000,"callBack":"","stopCallBack":"","description":""}'
ok "reset forgets the SMS sent: POST /state on an old id is 404" \
	reply_is "$(ctl POST /state "{\"id\":$a,\"ptt\":4}")" 404 'no SMS'
ok "ids of SMS received go on increasing after a reset" \
	same "$(ctl POST /incoming '{"sender":"+33612345678","message":"m"}')" '200 {"id":5000004}'
mock_reset
cb_stop

# Faults.
mock_reset
mock_fault '{"status":503,"count":1}'
ok "status fault 503 count 1: first call 503" reply_is "$(mock_call GET /sms)" 503 'Server::ServiceUnavailable'
ok "status fault 503 count 1: second call 200" reply_is "$(mock_call GET /sms)" 200 '["sms-'
mock_fault '{"status":429}'
hdr=$(curl -sS --cacert "$MOCK_CA" -D - -o /dev/null "$MOCK_URL/sms")
ok "status fault 429 until cleared, with Retry-After" has "$hdr" "Retry-After: 1"
mock_fault '{"status":0}'
jobs_before=$(stat_of jobs)
mock_fault '{"drop_after_execute":1}'
r=$(job dropped '["+33612345678"]' 2>/dev/null)
ok "drop_after_execute: the client gets no reply" has "$r" "000 "
ok "drop_after_execute: the job is recorded" [ "$(stat_of jobs)" = "$((jobs_before + 1))" ]
ok "drop_after_execute: /jobs shows it as dropped" has "$(mock_jobs)" '"message":"dropped"'
ok "drop_after_execute: only the next job" reply_is "$(job after '["+33612345678"]')" 200 '"ids":['
# Rate faults: one draw per job post from the seed, so the same seed gives the same faults.
rate_run() { # prints one letter per post: o 200, u 503, d dropped (no reply)
	mock_fault '{"post_503_rate":0.3,"post_drop_rate":0.2,"seed":7}'
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		case $(job "rate $i" '["+33612345678"]' 2>/dev/null) in
		"200 "*) printf o ;;
		"503 "*) printf u ;;
		"000 "*) printf d ;;
		*) printf '?' ;;
		esac
	done
	mock_fault '{"post_503_rate":0,"post_drop_rate":0}'
}
mock_reset
seq1=$(rate_run)
n1=$(mock_jobs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
st=$(mock_stats)
mock_reset
seq2=$(rate_run)
ok "rate faults: the same seed gives the same faults ($seq1)" [ "$seq1" = "$seq2" ]
ok "rate faults: 503, dropped and answered posts all occur" sh -c \
	'case $1 in *u*) ;; *) exit 1 ;; esac; case $1 in *d*) ;; *) exit 1 ;; esac; case $1 in *o*) ;; *) exit 1 ;; esac' - "$seq1"
ok "rate faults: a 503 is not executed, a dropped post is" \
	[ "$n1" -eq "$(printf '%s' "$seq1" | tr -cd od | wc -c)" ]
ok "rate faults: /stats counts them" has "$st" \
	"\"rate_503\":$(printf '%s' "$seq1" | tr -cd u | wc -c),\"rate_dropped\":$(printf '%s' "$seq1" | tr -cd d | wc -c)"
ok "rate faults: look-ups are never faulted" sh -c '
	. "$1/tests/lib/mock.sh"
	mock_fault "{\"post_503_rate\":1}"
	r=$(mock_call GET /sms/sms-xx11111-1/outgoing)
	mock_fault "{\"post_503_rate\":0}"
	case $r in "200 "*) ;; *) exit 1 ;; esac' - "$TOP"
ok "rate faults: rates adding up to more than 1 are refused" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' --data '{"post_503_rate":0.6,"post_drop_rate":0.5}' "$MOCK_CTL/fault")" = 400 ]
mock_reset
mock_fault '{"clock_offset":100}'
t=$(curl -sS --cacert "$MOCK_CA" "$MOCK_URL/auth/time")
ok "clock_offset moves /auth/time" near "$t" $(($(date +%s) + 100)) 2
ok "clock_offset makes local timestamps QUERY_TIME_OUT" reply_is "$(mock_call GET /sms)" 400 QUERY_TIME_OUT
mock_fault '{"clock_offset":0,"time_lie":50}'
t=$(curl -sS --cacert "$MOCK_CA" "$MOCK_URL/auth/time")
ok "time_lie moves /auth/time" near "$t" $(($(date +%s) + 50)) 2
ok "time_lie leaves the timestamp check alone" reply_is "$(mock_call GET /sms)" 200 '["sms-'
mock_fault '{"time_lie":0,"latency_ms":300}'
t0=$(date +%s%N)
curl -sS --cacert "$MOCK_CA" -o /dev/null "$MOCK_URL/auth/time"
ok "latency_ms delays replies" [ $((($(date +%s%N) - t0) / 1000000)) -ge 300 ]
mock_fault '{"latency_ms":0,"refuse":true}'
hs=$(stat_of handshakes)
ok "refuse: new connections are closed" sh -c '! curl -s --cacert "$1" "$2/auth/time"' - "$MOCK_CA" "$MOCK_URL"
ok "refuse: no handshake counted" [ "$(stat_of handshakes)" = "$hs" ]
ok "the control port is never refused" mock_reset
ok "a bad fault is refused by the control port" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' --data '{"nonsense":1}' "$MOCK_CTL/fault")" = 400 ]

# Connections and handshakes.
mock_reset
curl -sS --cacert "$MOCK_CA" -o /dev/null -o /dev/null "$MOCK_URL/auth/time" "$MOCK_URL/auth/time"
one_handshake() {
	s=$(mock_stats)
	has "$s" '"handshakes":1,' && has "$s" '"requests":2,'
}
ok "two requests on one keep-alive connection are one handshake" one_handshake
curl -sS --cacert "$MOCK_CA" -o /dev/null "$MOCK_URL/auth/time"
ok "a new connection is a new handshake" has "$(mock_stats)" '"handshakes":2,'
ok "log lines carry the connection number" grep -q '"n":[0-9]*,"conn":[0-9]*,"method":"GET"' "$MOCK_LOG"
# The time each request arrived (Unix ms), what tests/limits measures request rates on.
log_times() {
	python3 -c 'import json,sys,time
ts=[json.loads(l)["at_ms"] for l in open(sys.argv[1])]
now=time.time()*1000
sys.exit(not ts or any(not 0 <= now - t < 600000 for t in ts))' "$MOCK_LOG"
}
ok "log lines carry at_ms, the wall-clock time of the request" log_times

# Command-line errors.
case ${BIN:-bin} in
/*) prog=$BIN/ovhmock ;;
*) prog=$TOP/${BIN:-bin}/ovhmock ;;
esac
port_in_use() {
	"$prog" --port "$MOCK_PORT" --control-port 1 --cert "$MOCK_DIR/server.pem" \
		--key "$MOCK_DIR/server.key" >"$MOCK_DIR/out" 2>&1
	[ $? -ne 0 ] && grep -q "HTTPS port 127.0.0.1:$MOCK_PORT: Address already in use" "$MOCK_DIR/out"
}
ok "a port in use is a clear error" port_in_use
bad_args() {
	"$prog" --port x >"$MOCK_DIR/out" 2>&1
	[ $? -eq 2 ] && grep -q "expected a port number" "$MOCK_DIR/out" &&
		! "$prog" --port 1 --control-port 2 >/dev/null 2>&1 &&
		! "$prog" --port 1 --control-port 2 --cert x --key y --app nocolon >/dev/null 2>&1
}
ok "bad arguments exit non-zero with a message" bad_args

# Clean stop.
stop_cleanly() {
	pid=$MOCK_PID
	MOCK_PID=
	kill -TERM "$pid"
	wait "$pid"
	[ $? -eq 0 ] && [ ! -e "$MOCK_DIR/pid" ]
}
ok "SIGTERM stops it with status 0 and removes the pidfile" stop_cleanly

[ $fails -eq 0 ]

/* store_redis.c: the state store in Redis, for several MTAs (hosts) sharing one.
 *
 * A few connections per store (REDIS_CONNECTIONS), each used by one thread at a time and
 * opened only when every open one is busy: a thread waiting for its reply (a round trip, far
 * longer on a busy machine or a remote Redis) must not hold up the other sessions' SMS, as
 * it did when they shared one connection behind a mutex. Every decision that reads and then
 * writes is one Lua script (atomic in Redis), which makes a claim exact across threads,
 * processes and hosts. A connection is made again whenever it is missing or broke, so a
 * restarted Redis needs no restart of ours; connect and command times are bounded. Records
 * expire keep seconds after their last write (Redis's clock): no pruning here; a window's
 * events (and its key as text) go a window after its last one, and held alerts past keep
 * are trimmed as their queue is written or listed. One counter (KEY_SEQ) never expires: it
 * names events, which a sorted set needs unique. The AUTH password never goes in an error.
 * Writing to a closed socket must not kill the process: SIGPIPE is held back around each
 * command. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>
#include "store_backend.h"
#include "error.h"

#define REDIS_CONNECT_TIMEOUT_MS 2000
#define REDIS_COMMAND_TIMEOUT_MS 2000
/* Connections a store opens at most: as many threads wait on Redis at once, the next one
 * waits for a connection to come back. */
#define REDIS_CONNECTIONS 8
/* Keys SCAN looks at per call while listing windows: a round trip per thousand keys of the
 * database, each call short enough not to hold Redis up. */
#define REDIS_SCAN_COUNT 1000
/* Every key starts so, leaving the rest of the database alone. */
#define KEY_TAG "mail2sms:tag:"
#define KEY_JOB "mail2sms:job:"
#define KEY_VALUE "mail2sms:value:"
#define KEY_TEXT "mail2sms:text:"
#define KEY_NUMBERS "mail2sms:numbers:"
#define KEY_WINDOW "mail2sms:window:"
/* A window's key as text, then '|' and its hashed key (which names its sorted set): an
 * empty string that lives as long as the window's newest event, so that SCAN with MATCH
 * finds windows by the start of their key (rd_window_list). */
#define KEY_WINDOW_TEXT "mail2sms:window-text:"
#define KEY_SEQ "mail2sms:seq"
/* Held alerts: a sorted set per queue (score: when held; member: a sequence number, then
 * the summary), one per digest, the digest's queue, a queue's digests not done (score:
 * when taken), and every queue holding alerts (score: its oldest alert). */
#define KEY_HELD "mail2sms:held:"
#define KEY_DIGEST "mail2sms:digest:"
#define KEY_DIGEST_QUEUE "mail2sms:digest-queue:"
#define KEY_HELD_DIGESTS "mail2sms:held-digests:"
#define KEY_HELD_QUEUES "mail2sms:held-queues"

/* A connection of the pool; c is NULL until made, and again once it failed. */
typedef struct {
	redisContext *c;
	gboolean used; /* c answered a command already: it may have gone stale since */
} RdConn;

typedef struct {
	GMutex lock;     /* guards idle and opened */
	GCond returned;  /* a connection came back to idle */
	GPtrArray *idle; /* RdConn not in use, the last returned last */
	guint opened;    /* RdConn in existence, in use or idle */
	char *path; /* unix socket, or NULL for host:port */
	char *host;
	int port;
	int db;
	char *password;
	char keep[24]; /* seconds, as the EXPIRE argument */
	gint64 keep_s; /* the same as a number */
} Rd;

typedef struct {
	const char *lua;
	char sha[41];
} Script;

/* KEYS[1] the tag; ARGV now, claim_timeout, keep. Returns {outcome, claimed_at,
 * doubt_since[, ids, credits, receivers]}; see StoreClaim. */
static Script claim_script = { .lua =
	"local k = KEYS[1]\n"
	"local r = redis.call('HMGET', k, 'state', 'claimed_at', 'doubt_since', 'ids',"
	" 'credits', 'receivers')\n"
	"if not r[1] then\n"
	"  redis.call('HSET', k, 'state', 'claimed', 'claimed_at', ARGV[1], 'doubt_since', '0')\n"
	"  redis.call('EXPIRE', k, ARGV[3])\n"
	"  return {'won', ARGV[1], '0'}\n"
	"end\n"
	"local claimed, doubt = r[2] or '0', r[3] or '0'\n"
	"if r[1] == 'sent' then\n"
	"  return {'sent', claimed, doubt, r[4] or '', r[5] or '0', r[6] or ''}\n"
	"end\n"
	"if r[1] == 'claimed' and tonumber(ARGV[1]) - tonumber(claimed) < tonumber(ARGV[2]) then\n"
	"  return {'busy', claimed, doubt}\n"
	"end\n"
	"if tonumber(doubt) == 0 then doubt = claimed end\n"
	"redis.call('HSET', k, 'state', 'claimed', 'claimed_at', ARGV[1], 'doubt_since', doubt)\n"
	"redis.call('EXPIRE', k, ARGV[3])\n"
	"return {'doubt', ARGV[1], doubt}\n" };

/* KEYS[1] the tag, KEYS[2..] its job ids; ARGV now, keep, ids, credits, receivers,
 * queue_id, sender, message_id, subject, tag. */
static Script sent_script = { .lua =
	"local k = KEYS[1]\n"
	"if redis.call('HEXISTS', k, 'claimed_at') == 0 then\n"
	"  redis.call('HSET', k, 'claimed_at', ARGV[1], 'doubt_since', '0')\n"
	"end\n"
	"redis.call('HSET', k, 'state', 'sent', 'ids', ARGV[3], 'credits', ARGV[4],"
	" 'receivers', ARGV[5], 'queue_id', ARGV[6], 'sender', ARGV[7], 'message_id', ARGV[8],"
	" 'subject', ARGV[9], 'sent_at', ARGV[1])\n"
	"redis.call('EXPIRE', k, ARGV[2])\n"
	"for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[10], 'EX', ARGV[2]) end\n"
	"return 1\n" };

/* KEYS[1] the tag; ARGV now, keep. A sent record stays sent. */
static Script doubt_script = { .lua =
	"local k = KEYS[1]\n"
	"local r = redis.call('HMGET', k, 'state', 'doubt_since')\n"
	"if r[1] == 'sent' then return 0 end\n"
	"local d = r[2] or '0'\n"
	"if tonumber(d) == 0 or tonumber(d) > tonumber(ARGV[1]) then d = ARGV[1] end\n"
	"if not r[1] then redis.call('HSET', k, 'claimed_at', ARGV[1]) end\n"
	"redis.call('HSET', k, 'state', 'in_doubt', 'doubt_since', d)\n"
	"redis.call('EXPIRE', k, ARGV[2])\n"
	"return 1\n" };

/* KEYS[1] the tag; ARGV the claimed_at of the claim given up. */
static Script release_script = { .lua =
	"local k = KEYS[1]\n"
	"local r = redis.call('HMGET', k, 'state', 'claimed_at', 'doubt_since')\n"
	"if r[1] ~= 'claimed' or r[2] ~= ARGV[1] then return 0 end\n"
	"if tonumber(r[3] or '0') == 0 then redis.call('DEL', k)\n"
	"else redis.call('HSET', k, 'state', 'in_doubt') end\n"
	"return 1\n" };

/* KEYS[1] the tag; ARGV the claimed_at of the sent record to forget. */
static Script forget_script = { .lua =
	"local k = KEYS[1]\n"
	"local r = redis.call('HMGET', k, 'state', 'claimed_at')\n"
	"if r[1] ~= 'sent' or r[2] ~= ARGV[1] then return 0 end\n"
	"redis.call('DEL', k)\n"
	"return 1\n" };

/* KEYS[1] the mail's numbers (a hash: number -> "tag|at"); ARGV tag, now, window, keep,
 * the tag key prefix, then the numbers. A holder's record is read by its key built here,
 * which a single Redis allows (a cluster would not). Returns {pending, {taken...}}. */
static Script numbers_claim_script = { .lua =
	"local k, tag, now, window = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
	"local taken, pending = {}, 0\n"
	"for i = 6, #ARGV do\n"
	"  local n, take = ARGV[i], true\n"
	"  local v = redis.call('HGET', k, n)\n"
	"  if v then\n"
	"    local owner, at = string.match(v, '^(.*)|(%d+)$')\n"
	"    if owner == tag then take = false\n"
	"    else\n"
	"      local st = redis.call('HGET', ARGV[5] .. owner, 'state')\n"
	"      if st and (window <= 0 or now - tonumber(at) < window) then\n"
	"        take = false\n"
	"        taken[#taken + 1] = n\n"
	"        if st ~= 'sent' then pending = 1 end\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  if take then redis.call('HSET', k, n, tag .. '|' .. ARGV[2]) end\n"
	"end\n"
	"redis.call('EXPIRE', k, ARGV[4])\n"
	"return {pending, taken}\n" };

/* KEYS[1] the mail's numbers; ARGV the tag whose numbers are freed. */
static Script numbers_release_script = { .lua =
	"local all = redis.call('HGETALL', KEYS[1])\n"
	"for i = 1, #all, 2 do\n"
	"  if string.match(all[i + 1], '^(.*)|') == ARGV[1] then redis.call('HDEL', KEYS[1], all[i]) end\n"
	"end\n"
	"return 1\n" };

/* KEYS[1] the value; ARGV delta, now, keep. Returns the sum (as Redis keeps it: text). */
static Script add_value_script = { .lua =
	"redis.call('HINCRBY', KEYS[1], 'value', ARGV[1])\n"
	"redis.call('HSET', KEYS[1], 'at', ARGV[2])\n"
	"redis.call('EXPIRE', KEYS[1], ARGV[3])\n"
	"return redis.call('HGET', KEYS[1], 'value')\n" };

/* KEYS[1] the text; ARGV text, now, keep. The newer of the two is kept (see
 * store_set_text); a text not replaced keeps its own time to live. */
static Script set_text_script = { .lua =
	"local at = redis.call('HGET', KEYS[1], 'at')\n"
	"if at and tonumber(at) > tonumber(ARGV[2]) then return 0 end\n"
	"redis.call('HSET', KEYS[1], 'text', ARGV[1], 'at', ARGV[2])\n"
	"redis.call('EXPIRE', KEYS[1], ARGV[3])\n"
	"return 1\n" };

/* KEYS[1] the window, KEYS[2] the sequence, KEYS[3] the window's key as text
 * (KEY_WINDOW_TEXT); ARGV now_ms, the cut (now_ms - window_ms: what is at or before it has
 * left), window_ms, limit, take (1) or count (0). An event is named "now_ms-sequence": two
 * in one millisecond are two. Returns {admitted, count, the time of the event that must
 * leave for one to enter, "" while there is room}. */
static Script window_script = { .lua =
	"local k, limit, admitted = KEYS[1], tonumber(ARGV[4]), 0\n"
	"if ARGV[5] == '1' then\n"
	"  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[2])\n"
	"  if redis.call('ZCARD', k) < limit then\n"
	"    redis.call('ZADD', k, ARGV[1], ARGV[1] .. '-' .. redis.call('INCR', KEYS[2]))\n"
	"    redis.call('PEXPIRE', k, ARGV[3])\n"
	"    redis.call('SET', KEYS[3], '', 'PX', ARGV[3])\n"
	"    admitted = 1\n"
	"  end\n"
	"end\n"
	"local n = redis.call('ZCOUNT', k, '(' .. ARGV[2], '+inf')\n"
	"local frees = ''\n"
	"if n >= limit then\n"
	"  frees = redis.call('ZRANGEBYSCORE', k, '(' .. ARGV[2], '+inf', 'WITHSCORES', 'LIMIT',"
	" n - limit, 1)[2]\n"
	"end\n"
	"return {admitted, n, frees}\n" };

/* KEYS the windows of one SCAN's batch; ARGV the cut, limit. Read only. Returns per window
 * {count, the time of the event that must leave for one to enter, "" while there is room},
 * as window_script counts. */
static Script window_list_script = { .lua =
	"local out, limit = {}, tonumber(ARGV[2])\n"
	"for i, k in ipairs(KEYS) do\n"
	"  local n = redis.call('ZCOUNT', k, '(' .. ARGV[1], '+inf')\n"
	"  local frees = ''\n"
	"  if n >= limit then\n"
	"    frees = redis.call('ZRANGEBYSCORE', k, '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT',"
	" n - limit, 1)[2]\n"
	"  end\n"
	"  out[i] = {n, frees}\n"
	"end\n"
	"return out\n" };

/* KEYS[1] the window; ARGV the time of the event to remove (one of those at it). */
static Script give_back_script = { .lua =
	"local m = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)\n"
	"if m[1] then redis.call('ZREM', KEYS[1], m[1]) end\n"
	"return 1\n" };

/* What every held-alert script shares. Their keys are built inside them (a single Redis
 * allows it; a cluster would not): done and return learn the queue from the digest.
 * lengthen(k, keep) sets K's time to live to at least keep: the list of queues and a
 * queue's digests are shared, and a process with a shorter keep must not cut them short
 * for the others. reindex(q, keep) puts queue Q in the list of queues by its oldest alert,
 * held or in a digest not done, or takes it out when it holds none; it forgets digests
 * gone. */
#define HELD_LUA \
	"local HELD, DIGEST, DQUEUE = '" KEY_HELD "', '" KEY_DIGEST "', '" KEY_DIGEST_QUEUE "'\n" \
	"local DIGESTS, QUEUES = '" KEY_HELD_DIGESTS "', '" KEY_HELD_QUEUES "'\n" \
	"local function lengthen(k, keep)\n" \
	"  local t = redis.call('TTL', k)\n" \
	"  if t == -1 or (t >= 0 and t < tonumber(keep)) then redis.call('EXPIRE', k, keep) end\n" \
	"end\n" \
	"local function reindex(q, keep)\n" \
	"  local first = nil\n" \
	"  local h = redis.call('ZRANGE', HELD .. q, 0, 0, 'WITHSCORES')\n" \
	"  if h[2] then first = tonumber(h[2]) end\n" \
	"  for _, d in ipairs(redis.call('ZRANGE', DIGESTS .. q, 0, -1)) do\n" \
	"    local r = redis.call('ZRANGE', DIGEST .. d, 0, 0, 'WITHSCORES')\n" \
	"    if not r[2] then redis.call('ZREM', DIGESTS .. q, d)\n" \
	"    elseif not first or tonumber(r[2]) < first then first = tonumber(r[2]) end\n" \
	"  end\n" \
	"  if first then\n" \
	"    redis.call('ZADD', QUEUES, first, q)\n" \
	"    lengthen(QUEUES, keep)\n" \
	"  else redis.call('ZREM', QUEUES, q) end\n" \
	"end\n"

/* ARGV queue, now, keep, summary, the cut (now - keep: older alerts are forgotten). The
 * member's sequence number, zero-padded, keeps alerts of one second in their order. */
static Script hold_script = { .lua = HELD_LUA
	"local q, keep = ARGV[1], ARGV[3]\n"
	"local k = HELD .. q\n"
	"local seq = redis.call('INCR', '" KEY_SEQ "')\n"
	"redis.call('ZADD', k, ARGV[2], string.format('%016d|', seq) .. ARGV[4])\n"
	"redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. ARGV[5])\n"
	"redis.call('EXPIRE', k, keep)\n"
	"reindex(q, keep)\n"
	"return 1\n" };

/* ARGV queue, tag, now, keep, the cut, how many summaries. A digest holding alerts is
 * given back as it is; else the queue's held alerts become the digest (a rename: the
 * same work however many they are). Returns {count, first, last, {summaries newest
 * first}}. */
static Script held_take_script = { .lua = HELD_LUA
	"local q, tag, keep, cut = ARGV[1], ARGV[2], ARGV[4], '(' .. ARGV[5]\n"
	"local dg, held = DIGEST .. tag, HELD .. q\n"
	"redis.call('ZREMRANGEBYSCORE', dg, '-inf', cut)\n"
	"if redis.call('EXISTS', dg) == 0 then\n"
	"  redis.call('ZREMRANGEBYSCORE', held, '-inf', cut)\n"
	"  if redis.call('EXISTS', held) == 1 then\n"
	"    local old = redis.call('GET', DQUEUE .. tag)\n"
	"    redis.call('RENAME', held, dg)\n"
	"    redis.call('EXPIRE', dg, keep)\n"
	"    redis.call('SET', DQUEUE .. tag, q, 'EX', keep)\n"
	"    redis.call('ZADD', DIGESTS .. q, ARGV[3], tag)\n"
	"    lengthen(DIGESTS .. q, keep)\n"
	"    if old and old ~= q then\n"
	"      redis.call('ZREM', DIGESTS .. old, tag)\n"
	"      reindex(old, keep)\n"
	"    end\n"
	"  end\n"
	"  reindex(q, keep)\n"
	"end\n"
	"local n = redis.call('ZCARD', dg)\n"
	"if n == 0 then return {0, '0', '0', {}} end\n"
	"local sums = {}\n"
	"for i, m in ipairs(redis.call('ZREVRANGE', dg, 0, tonumber(ARGV[6]) - 1)) do\n"
	"  sums[i] = string.sub(m, 18)\n"
	"end\n"
	"return {n, redis.call('ZRANGE', dg, 0, 0, 'WITHSCORES')[2],"
	" redis.call('ZRANGE', dg, -1, -1, 'WITHSCORES')[2], sums}\n" };

/* ARGV tag, keep: the digest went out. */
static Script held_done_script = { .lua = HELD_LUA
	"local tag = ARGV[1]\n"
	"local q = redis.call('GET', DQUEUE .. tag)\n"
	"redis.call('DEL', DIGEST .. tag, DQUEUE .. tag)\n"
	"if q then\n"
	"  redis.call('ZREM', DIGESTS .. q, tag)\n"
	"  reindex(q, ARGV[2])\n"
	"end\n"
	"return 1\n" };

/* ARGV tag, keep: the digest did not go; its alerts join their queue's held ones (their
 * members are unique, so the union loses none). */
static Script held_return_script = { .lua = HELD_LUA
	"local tag, keep = ARGV[1], ARGV[2]\n"
	"local q = redis.call('GET', DQUEUE .. tag)\n"
	"if not q then return 0 end\n"
	"local dg, held = DIGEST .. tag, HELD .. q\n"
	"if redis.call('EXISTS', dg) == 1 then\n"
	"  redis.call('ZUNIONSTORE', held, 2, held, dg)\n"
	"  redis.call('EXPIRE', held, keep)\n"
	"end\n"
	"redis.call('DEL', dg, DQUEUE .. tag)\n"
	"redis.call('ZREM', DIGESTS .. q, tag)\n"
	"reindex(q, keep)\n"
	"return 1\n" };

/* ARGV now, keep, the cut, the most queues. Queues come oldest alert first; alerts past
 * keep are trimmed on the way, and queues left with none leave the list. A call looks at
 * most ten times the bound: queues gone are taken out, so the next call gets further.
 * Returns {{queue, count, first, last, digest tag or ""}...}. */
static Script held_list_script = { .lua = HELD_LUA
	"local keep, cut, max = ARGV[2], '(' .. ARGV[3], tonumber(ARGV[4])\n"
	"local out, seen, start = {}, {}, 0\n"
	"while #out < max and start < 10 * max do\n"
	"  local qs = redis.call('ZRANGE', QUEUES, start, start + max - 1)\n"
	"  if #qs == 0 then break end\n"
	"  start = start + #qs\n"
	"  for _, q in ipairs(qs) do\n"
	"    seen[#seen + 1] = q\n"
	"    local count, first, last, tag = 0, nil, nil, ''\n"
	"    local keys = {HELD .. q}\n"
	"    for _, d in ipairs(redis.call('ZRANGE', DIGESTS .. q, 0, -1)) do\n"
	"      keys[#keys + 1] = DIGEST .. d\n"
	"    end\n"
	"    for i, k in ipairs(keys) do\n"
	"      redis.call('ZREMRANGEBYSCORE', k, '-inf', cut)\n"
	"      local n = redis.call('ZCARD', k)\n"
	"      if n > 0 then\n"
	"        local f = tonumber(redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')[2])\n"
	"        local l = tonumber(redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')[2])\n"
	"        count = count + n\n"
	"        if not first or f < first then first = f end\n"
	"        if not last or l > last then last = l end\n"
	"        if i > 1 and tag == '' then tag = string.sub(k, #DIGEST + 1) end\n"
	"      end\n"
	"    end\n"
	"    if count > 0 and #out < max then out[#out + 1] = {q, count, first, last, tag} end\n"
	"  end\n"
	"end\n"
	"for _, q in ipairs(seen) do reindex(q, keep) end\n"
	"return out\n" };

G_LOCK_DEFINE_STATIC(script_sha);

static struct timeval ms_timeval(int ms)
{
	return (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
}

/* Redis's text TEXT with the password, should the server ever echo it, blotted out. */
static char *redact(const Rd *r, const char *text)
{
	if (r->password == NULL || strstr(text, r->password) == NULL)
		return g_strdup(text);
	g_auto(GStrv) parts = g_strsplit(text, r->password, -1);
	return g_strjoinv("***", parts);
}

/* A command with SIGPIPE held back in this thread (a server gone away while we write would
 * otherwise kill a process that did not ignore it); *ERRNO_OUT is the write's errno. */
static redisReply *rd_command_nosigpipe(redisContext *c, int argc, const char **argv,
                                        const size_t *len, int *errno_out)
{
	sigset_t pipe_set, old, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	gboolean was_pending = sigismember(&pending, SIGPIPE);
	errno = 0;
	redisReply *rep = redisCommandArgv(c, argc, argv, len);
	*errno_out = errno;
	if (!was_pending) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rep;
}

/* Runs one command on C made up of ARGV; an error reply becomes *ERR with CODE. */
static redisReply *rd_simple(Rd *r, redisContext *c, M2sErrorCode code, const char *what,
                             int argc, const char **argv, GError **err)
{
	size_t len[4];
	int e;

	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = rd_command_nosigpipe(c, argc, argv, len, &e);
	if (rep == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s", what,
		            c->err == REDIS_ERR_IO && (e == EAGAIN || e == EWOULDBLOCK)
		                    ? "no reply in time" : c->errstr);
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		g_autofree char *why = redact(r, rep->str);
		g_set_error(err, M2S_ERROR, code, "Redis refused %s: %s", what, why);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* Connects, authenticates and selects the database. A server that refuses the password or
 * the database is M2S_ERR_CONFIG; one that cannot be reached is M2S_ERR_IO. */
static gboolean rd_connect(Rd *r, RdConn *k, GError **err)
{
	struct timeval tv = ms_timeval(REDIS_CONNECT_TIMEOUT_MS);
	redisContext *c = r->path != NULL ? redisConnectUnixWithTimeout(r->path, tv)
	                                  : redisConnectWithTimeout(r->host, r->port, tv);
	redisReply *rep;

	if (c == NULL || c->err) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "cannot connect: %s",
		            c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return FALSE;
	}
	redisSetTimeout(c, ms_timeval(REDIS_COMMAND_TIMEOUT_MS));
	if (r->path == NULL)
		redisEnableKeepAlive(c);
	if (r->password != NULL) {
		const char *argv[] = { "AUTH", r->password };
		rep = rd_simple(r, c, M2S_ERR_CONFIG, "the password (AUTH)", 2, argv, err);
		if (rep == NULL)
			goto fail;
		freeReplyObject(rep);
	}
	if (r->db != 0) {
		char db[16];
		g_snprintf(db, sizeof db, "%d", r->db);
		const char *argv[] = { "SELECT", db };
		rep = rd_simple(r, c, M2S_ERR_CONFIG, "the database (SELECT)", 2, argv, err);
		if (rep == NULL)
			goto fail;
		freeReplyObject(rep);
	}
	k->c = c;
	k->used = FALSE;
	return TRUE;
fail:
	redisFree(c);
	return FALSE;
}

/* Forgets a connection that failed; the next call on K makes a new one. */
static void rd_drop(RdConn *k)
{
	if (k->c != NULL)
		redisFree(k->c);
	k->c = NULL;
}

/* A connection for one command: an idle one (the one returned last, warm), else a new
 * slot while fewer than REDIS_CONNECTIONS exist, else the next one returned. */
static RdConn *rd_take(Rd *r)
{
	RdConn *k;

	g_mutex_lock(&r->lock);
	while (r->idle->len == 0 && r->opened >= REDIS_CONNECTIONS)
		g_cond_wait(&r->returned, &r->lock);
	if (r->idle->len > 0) {
		k = g_ptr_array_steal_index(r->idle, r->idle->len - 1);
	} else {
		k = g_new0(RdConn, 1);
		r->opened++;
	}
	g_mutex_unlock(&r->lock);
	return k;
}

/* The pool's free function. */
static void rd_conn_free(gpointer p)
{
	rd_drop(p);
	g_free(p);
}

static void rd_give(Rd *r, RdConn *k)
{
	g_mutex_lock(&r->lock);
	g_ptr_array_add(r->idle, k);
	g_cond_signal(&r->returned);
	g_mutex_unlock(&r->lock);
}

/* One command on a connection of the pool, connecting first when needed. A connection
 * that served before and now fails at once (reset, closed: the server restarted or dropped
 * an idle client) is replaced and the command tried once more. Had the first try run (a
 * server that died between running it and replying, and is back at once), that is still
 * safe: each command is idempotent, a claim can at worst find its own claim (BUSY), a
 * window take, an add or a hold at worst count once too often (a limit is reached early,
 * never passed); only a window's give-back could free two places for one. */
static redisReply *rd_call(Rd *r, int argc, const char **argv, const size_t *len, GError **err)
{
	RdConn *k = rd_take(r);
	redisReply *rep = NULL;

	for (int attempt = 0;; attempt++) {
		if (k->c == NULL && !rd_connect(r, k, err))
			break;
		gboolean reused = k->used;
		int e;
		rep = rd_command_nosigpipe(k->c, argc, argv, len, &e);
		if (rep != NULL) {
			k->used = TRUE;
			break;
		}
		gboolean timeout = k->c->err == REDIS_ERR_IO && (e == EAGAIN || e == EWOULDBLOCK);
		gboolean broken = k->c->err == REDIS_ERR_EOF ||
		                  (k->c->err == REDIS_ERR_IO && (e == ECONNRESET || e == EPIPE));
		g_autofree char *why = g_strdup(timeout ? "no reply in time" : k->c->errstr);
		rd_drop(k);
		if (reused && broken && attempt == 0)
			continue;
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s", why);
		break;
	}
	rd_give(r, k);
	return rep;
}

/* REP, or NULL with *ERR when it is Redis's error reply (the password blotted out). */
static redisReply *refused(const Rd *r, redisReply *rep, GError **err)
{
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
		g_autofree char *why = redact(r, rep->str);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "Redis refused: %s", why);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* Runs S with KEYS and ARGS (EVALSHA, or EVAL when Redis does not have it cached yet); an
 * error reply becomes *ERR. */
static redisReply *rd_eval(Rd *r, Script *s, guint nkeys, const char *const *keys,
                           guint nargs, const char *const *args, GError **err)
{
	g_autofree const char **argv = g_new(const char *, 3 + nkeys + nargs);
	g_autofree size_t *len = g_new(size_t, 3 + nkeys + nargs);
	char nk[16];

	/* The digest is computed once; stores in other threads may be here at the same time. */
	G_LOCK(script_sha);
	if (s->sha[0] == '\0') {
		g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA1, s->lua, -1);
		g_strlcpy(s->sha, sha, sizeof s->sha);
	}
	G_UNLOCK(script_sha);
	g_snprintf(nk, sizeof nk, "%u", nkeys);
	argv[0] = "EVALSHA";
	argv[1] = s->sha;
	argv[2] = nk;
	for (guint i = 0; i < nkeys; i++)
		argv[3 + i] = keys[i];
	for (guint i = 0; i < nargs; i++)
		argv[3 + nkeys + i] = args[i];
	for (guint i = 0; i < 3 + nkeys + nargs; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = rd_call(r, 3 + nkeys + nargs, argv, len, err);
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR && g_str_has_prefix(rep->str, "NOSCRIPT")) {
		freeReplyObject(rep);
		argv[0] = "EVAL";
		len[0] = strlen(argv[0]);
		argv[1] = s->lua;
		len[1] = strlen(s->lua);
		rep = rd_call(r, 3 + nkeys + nargs, argv, len, err);
	}
	return refused(r, rep, err);
}

/* Closes the connection and wipes the password. */
static void rd_close(void *b)
{
	Rd *r = b;

	g_ptr_array_free(r->idle, TRUE);
	g_cond_clear(&r->returned);
	g_mutex_clear(&r->lock);
	g_free(r->path);
	g_free(r->host);
	if (r->password != NULL)
		explicit_bzero(r->password, strlen(r->password));
	g_free(r->password);
	g_free(r);
}

/* A store on the Redis SPEC names; PASSWORD, when given, is copied for each reconnection. */
static void *rd_open(const StoreSpec *spec, const char *password, gint64 keep, GError **err)
{
	Rd *r = g_new0(Rd, 1);
	RdConn *k = g_new0(RdConn, 1);
	g_autoptr(GError) e = NULL;

	g_mutex_init(&r->lock);
	g_cond_init(&r->returned);
	r->idle = g_ptr_array_new_with_free_func(rd_conn_free);
	g_ptr_array_add(r->idle, k);
	r->opened = 1;
	r->path = g_strdup(spec->path);
	r->host = g_strdup(spec->host);
	r->port = spec->port;
	r->db = spec->db;
	r->password = g_strdup(password);
	g_snprintf(r->keep, sizeof r->keep, "%" G_GINT64_FORMAT, keep);
	r->keep_s = keep;
	/* A server that answers and refuses us is a configuration error, said at once; one
	 * that does not answer yet is no error: each call tries again. */
	if (!rd_connect(r, k, &e) && e->code == M2S_ERR_CONFIG) {
		g_propagate_error(err, g_steal_pointer(&e));
		rd_close(r);
		return NULL;
	}
	return r;
}


/* Element I of an array reply as text ("" when missing or not text). */
static const char *elem(const redisReply *rep, size_t i)
{
	if (rep->type != REDIS_REPLY_ARRAY || i >= rep->elements)
		return "";
	const redisReply *e = rep->element[i];
	return (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) ? e->str : "";
}

/* Element I of an array reply as a number (0 when missing). */
static gint64 elem_int(const redisReply *rep, size_t i)
{
	return g_ascii_strtoll(elem(rep, i), NULL, 10);
}

/* Element I of an array reply as a number, sent as one (Lua's) or as text (a score). */
static gint64 elem_num(const redisReply *rep, size_t i)
{
	if (rep->type == REDIS_REPLY_ARRAY && i < rep->elements &&
	    rep->element[i]->type == REDIS_REPLY_INTEGER)
		return rep->element[i]->integer;
	return elem_int(rep, i);
}

/* The claim, decided by claim_script inside Redis. */
static StoreClaim rd_claim(void *b, const char *tag, gint64 now, gint64 timeout,
                           StoreRecord *rec, GError **err)
{
	Rd *r = b;
	g_autofree char *key = g_strconcat(KEY_TAG, tag, NULL);
	char snow[24], stimeout[24];
	StoreClaim c = CLAIM_ERROR;

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	g_snprintf(stimeout, sizeof stimeout, "%" G_GINT64_FORMAT, timeout);
	const char *keys[] = { key }, *args[] = { snow, stimeout, r->keep };
	redisReply *rep = rd_eval(r, &claim_script, 1, keys, 3, args, err);
	if (rep == NULL)
		return CLAIM_ERROR;
	const char *what = elem(rep, 0);
	rec->claimed_at = elem_int(rep, 1);
	rec->doubt_since = elem_int(rep, 2);
	rec->state = STORE_CLAIMED;
	if (strcmp(what, "won") == 0) {
		c = CLAIM_WON;
	} else if (strcmp(what, "busy") == 0) {
		c = CLAIM_BUSY;
	} else if (strcmp(what, "doubt") == 0) {
		c = CLAIM_IN_DOUBT;
	} else if (strcmp(what, "sent") == 0) {
		c = CLAIM_SENT;
		rec->state = STORE_SENT;
		rec->ids = g_strdup(elem(rep, 3));
		rec->credits = g_ascii_strtod(elem(rep, 4), NULL);
		rec->receivers = g_strdup(elem(rep, 5));
	} else {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected claim reply");
	}
	freeReplyObject(rep);
	return c;
}

/* The outcome and the job-id keys, written by one script (all or nothing). */
static gboolean rd_sent(void *b, const char *tag, gint64 now, const StoreSent *s, GError **err)
{
	Rd *r = b;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	char snow[24], credits[G_ASCII_DTOSTR_BUF_SIZE];

	g_ptr_array_add(keys, g_strconcat(KEY_TAG, tag, NULL));
	for (guint i = 0; i < s->n_job_ids; i++)
		g_ptr_array_add(keys, g_strdup_printf(KEY_JOB "%" G_GINT64_FORMAT, s->job_ids[i]));
	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	g_ascii_dtostr(credits, sizeof credits, s->credits);
	const char *args[] = { snow, r->keep, s->ids, credits, s->receivers, s->mail.queue_id,
	                       s->mail.sender, s->mail.message_id, s->mail.subject, tag };
	redisReply *rep = rd_eval(r, &sent_script, keys->len, (const char *const *)keys->pdata,
	                          G_N_ELEMENTS(args), args, err);
	if (rep == NULL)
		return FALSE;
	freeReplyObject(rep);
	return TRUE;
}

/* Runs SCRIPT on the one key PREFIX+NAME with ARGS; its reply is not
 * needed, only whether Redis ran it. */
static gboolean rd_run(Rd *r, Script *script, const char *prefix, const char *name, int nargs,
                       const char **args, GError **err)
{
	g_autofree char *key = g_strconcat(prefix, name, NULL);
	const char *keys[] = { key };

	redisReply *rep = rd_eval(r, script, 1, keys, nargs, args, err);
	if (rep == NULL)
		return FALSE;
	freeReplyObject(rep);
	return TRUE;
}

/* Marks TAG in doubt since the earlier of its doubt and NOW (see store_doubt). */
static gboolean rd_doubt(void *b, const char *tag, gint64 now, GError **err)
{
	Rd *r = b;
	char snow[24];

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	const char *args[] = { snow, r->keep };
	return rd_run(r, &doubt_script, KEY_TAG, tag, 2, args, err);
}

/* Gives up the claim made at CLAIMED_AT (see store_release). */
static gboolean rd_release(void *b, const char *tag, gint64 claimed_at, GError **err)
{
	char sclaimed[24];

	g_snprintf(sclaimed, sizeof sclaimed, "%" G_GINT64_FORMAT, claimed_at);
	const char *args[] = { sclaimed };
	return rd_run(b, &release_script, KEY_TAG, tag, 1, args, err);
}

/* Deletes a sent record claimed at CLAIMED_AT, and only that (see StoreBackend.forget). */
static gboolean rd_forget(void *b, const char *tag, gint64 claimed_at, GError **err)
{
	char sclaimed[24];

	g_snprintf(sclaimed, sizeof sclaimed, "%" G_GINT64_FORMAT, claimed_at);
	const char *args[] = { sclaimed };
	return rd_run(b, &forget_script, KEY_TAG, tag, 1, args, err);
}

/* Every number's claim in one script (see store_numbers_claim). */
static gboolean rd_numbers_claim(void *b, const char *key, const char *tag,
                                 const char *const *numbers, guint n, gint64 now,
                                 gint64 window, GPtrArray *taken, gboolean *pending,
                                 GError **err)
{
	Rd *r = b;
	g_autofree char *nkey = g_strconcat(KEY_NUMBERS, key, NULL);
	g_autofree const char **args = g_new(const char *, 5 + n);
	char snow[24], swindow[24];

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	g_snprintf(swindow, sizeof swindow, "%" G_GINT64_FORMAT, window);
	args[0] = tag;
	args[1] = snow;
	args[2] = swindow;
	args[3] = r->keep;
	args[4] = KEY_TAG;
	for (guint i = 0; i < n; i++)
		args[5 + i] = numbers[i];
	const char *keys[] = { nkey };
	redisReply *rep = rd_eval(r, &numbers_claim_script, 1, keys, 5 + n, args, err);
	if (rep == NULL)
		return FALSE;
	gboolean ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	              rep->element[0]->type == REDIS_REPLY_INTEGER &&
	              rep->element[1]->type == REDIS_REPLY_ARRAY;
	if (ok) {
		*pending = rep->element[0]->integer != 0;
		for (size_t i = 0; i < rep->element[1]->elements; i++)
			g_ptr_array_add(taken, g_strdup(elem(rep->element[1], i)));
	} else {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected reply to the number claim");
	}
	freeReplyObject(rep);
	return ok;
}

/* The numbers TAG holds for KEY are free again. */
static gboolean rd_numbers_release(void *b, const char *key, const char *tag, GError **err)
{
	const char *args[] = { tag };

	return rd_run(b, &numbers_release_script, KEY_NUMBERS, key, 1, args, err);
}

/* A plain command's reply; an error reply becomes *ERR. */
static redisReply *rd_plain(Rd *r, int argc, const char **argv, GError **err)
{
	size_t len[16];

	g_assert(argc <= (int)G_N_ELEMENTS(len));
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = rd_call(r, argc, argv, len, err);
	return refused(r, rep, err);
}

/* The sent job with JOB_ID among its ids: the job's tag, then the tag's record (both
 * expire together). */
static int rd_lookup_job(void *b, gint64 job_id, StoreJobMeta *m, GError **err)
{
	Rd *r = b;
	g_autofree char *jkey = g_strdup_printf(KEY_JOB "%" G_GINT64_FORMAT, job_id);
	const char *get[] = { "GET", jkey };
	redisReply *rep = rd_plain(r, 2, get, err);

	if (rep == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_STRING) {
		freeReplyObject(rep);
		return 0;
	}
	g_autofree char *tag = g_strdup(rep->str);
	freeReplyObject(rep);
	g_autofree char *tkey = g_strconcat(KEY_TAG, tag, NULL);
	const char *hmget[] = { "HMGET", tkey, "state", "ids", "queue_id", "sender", "message_id",
	                        "subject", "receivers", "sent_at" };
	rep = rd_plain(r, G_N_ELEMENTS(hmget), hmget, err);
	if (rep == NULL)
		return -1;
	if (strcmp(elem(rep, 0), "sent") != 0) {
		freeReplyObject(rep);
		return 0;
	}
	m->tag = g_steal_pointer(&tag);
	char **f[] = { &m->ids, &m->queue_id, &m->sender, &m->message_id, &m->subject,
	               &m->receivers };
	for (guint i = 0; i < G_N_ELEMENTS(f); i++)
		*f[i] = g_strdup(elem(rep, i + 1));
	m->sent_at = elem_int(rep, G_N_ELEMENTS(f) + 1);
	freeReplyObject(rep);
	return 1;
}

/* A named value: a hash of value and at, gone with the rest after keep. */
static gboolean rd_get_value(void *b, const char *name, gint64 *value, gint64 *at,
                             GError **err)
{
	Rd *r = b;
	g_autofree char *key = g_strconcat(KEY_VALUE, name, NULL);
	const char *argv[] = { "HMGET", key, "value", "at" };

	*at = 0;
	redisReply *rep = rd_plain(r, G_N_ELEMENTS(argv), argv, err);
	if (rep == NULL)
		return FALSE;
	if (*elem(rep, 1) != '\0') {
		*value = elem_int(rep, 0);
		*at = elem_int(rep, 1);
	}
	freeReplyObject(rep);
	return TRUE;
}

/* Sets a named value (HSET, then EXPIRE: a value left by a crash in between only lives
 * longer). */
static gboolean rd_set_value(void *b, const char *name, gint64 value, gint64 now,
                             GError **err)
{
	Rd *r = b;
	g_autofree char *key = g_strconcat(KEY_VALUE, name, NULL);
	char svalue[24], snow[24];

	g_snprintf(svalue, sizeof svalue, "%" G_GINT64_FORMAT, value);
	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	const char *set[] = { "HSET", key, "value", svalue, "at", snow };
	const char *expire[] = { "EXPIRE", key, r->keep };
	redisReply *rep = rd_plain(r, G_N_ELEMENTS(set), set, err);
	if (rep != NULL) {
		freeReplyObject(rep);
		rep = rd_plain(r, G_N_ELEMENTS(expire), expire, err);
	}
	if (rep == NULL)
		return FALSE;
	freeReplyObject(rep);
	return TRUE;
}

/* Adds to a named value in one script (all of it or nothing: no HINCRBY without its
 * EXPIRE). */
static gboolean rd_add_value(void *b, const char *name, gint64 delta, gint64 now,
                             gint64 *total, GError **err)
{
	Rd *r = b;
	g_autofree char *key = g_strconcat(KEY_VALUE, name, NULL);
	char sdelta[24], snow[24];

	g_snprintf(sdelta, sizeof sdelta, "%" G_GINT64_FORMAT, delta);
	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	const char *keys[] = { key }, *args[] = { sdelta, snow, r->keep };
	redisReply *rep = rd_eval(r, &add_value_script, 1, keys, 3, args, err);
	if (rep == NULL)
		return FALSE;
	gboolean ok = rep->type == REDIS_REPLY_STRING;
	if (ok)
		*total = g_ascii_strtoll(rep->str, NULL, 10);
	else
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected reply to an add");
	freeReplyObject(rep);
	return ok;
}

/* Sets a text unless a newer one is kept (set_text_script: one round trip). */
static gboolean rd_set_text(void *b, const char *name, const char *text, gint64 now,
                            GError **err)
{
	Rd *r = b;
	char snow[24];

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	const char *args[] = { text, snow, r->keep };
	return rd_run(r, &set_text_script, KEY_TEXT, name, G_N_ELEMENTS(args), args, err);
}

/* A text: a hash of text and at, gone after keep. */
static gboolean rd_get_text(void *b, const char *name, char **text, gint64 *at, GError **err)
{
	Rd *r = b;
	g_autofree char *key = g_strconcat(KEY_TEXT, name, NULL);
	const char *argv[] = { "HMGET", key, "text", "at" };

	redisReply *rep = rd_plain(r, G_N_ELEMENTS(argv), argv, err);
	if (rep == NULL)
		return FALSE;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING && *elem(rep, 1) != '\0') {
		*text = g_strdup(elem(rep, 0));
		*at = elem_int(rep, 1);
	}
	freeReplyObject(rep);
	return TRUE;
}

/* A window's take or count, decided by window_script inside Redis. */
static gboolean rd_window(void *b, const char *key, const char *text, gint64 now_ms,
                          gint64 window_ms, guint limit, gboolean take, StoreWindow *out,
                          GError **err)
{
	Rd *r = b;
	g_autofree char *wkey = g_strconcat(KEY_WINDOW, key, NULL);
	g_autofree char *tkey = g_strconcat(KEY_WINDOW_TEXT, text != NULL ? text : "", "|", key,
	                                    NULL);
	char snow[24], scut[24], swindow[24], slimit[16];

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now_ms);
	g_snprintf(scut, sizeof scut, "%" G_GINT64_FORMAT, now_ms - window_ms);
	g_snprintf(swindow, sizeof swindow, "%" G_GINT64_FORMAT, window_ms);
	g_snprintf(slimit, sizeof slimit, "%u", limit);
	const char *keys[] = { wkey, KEY_SEQ, tkey };
	const char *args[] = { snow, scut, swindow, slimit, take ? "1" : "0" };
	redisReply *rep = rd_eval(r, &window_script, 3, keys, 5, args, err);
	if (rep == NULL)
		return FALSE;
	gboolean ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 3;
	if (ok) {
		out->count = (guint)elem_num(rep, 1);
		out->admitted = take ? elem_num(rep, 0) != 0 : out->count < limit;
		out->frees_at_ms = *elem(rep, 2) != '\0'
		                           ? (gint64)g_ascii_strtod(elem(rep, 2), NULL) + window_ms
		                           : now_ms;
	} else {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected reply to a window");
	}
	freeReplyObject(rep);
	return ok;
}

/* One event at AT_MS no longer counts. */
static gboolean rd_window_give_back(void *b, const char *key, gint64 at_ms, GError **err)
{
	char sat[24];

	g_snprintf(sat, sizeof sat, "%" G_GINT64_FORMAT, at_ms);
	const char *args[] = { sat };
	return rd_run(b, &give_back_script, KEY_WINDOW, key, 1, args, err);
}

/* PREFIX as a SCAN MATCH pattern for keys starting with it: the glob's characters
 * escaped, so that each matches itself only. */
static char *glob_prefix(const char *prefix)
{
	GString *g = g_string_new(KEY_WINDOW_TEXT);

	for (const char *p = prefix; *p; p++) {
		if (strchr("*?[]\\", *p) != NULL)
			g_string_append_c(g, '\\');
		g_string_append_c(g, *p);
	}
	g_string_append_c(g, '*');
	return g_string_free(g, FALSE);
}

/* Counts the windows of one SCAN's batch (KEYS: their text keys, "text|hashed key") and
 * appends those over LIMIT to OUT, at most MAX in all; keys seen in an earlier batch (SCAN
 * may give a key twice) are skipped. */
static gboolean rd_window_batch(Rd *r, const redisReply *keys, GHashTable *seen,
                                const char *const *args, gint64 window_ms, guint limit,
                                guint max, GPtrArray *out, GError **err)
{
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) wkeys = g_ptr_array_new_with_free_func(g_free);
	const gsize skip = strlen(KEY_WINDOW_TEXT);

	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		if (k->type != REDIS_REPLY_STRING || k->len <= skip)
			continue;
		char *name = g_strndup(k->str, k->len);
		char *bar = strrchr(name, '|');
		if (bar == NULL || bar < name + skip || bar[1] == '\0') {
			g_free(name);
			continue;
		}
		/* NAME is the table's now, whether it was there (FALSE) or not. */
		if (!g_hash_table_add(seen, name))
			continue;
		g_ptr_array_add(texts, g_strndup(name + skip, bar - (name + skip)));
		g_ptr_array_add(wkeys, g_strconcat(KEY_WINDOW, bar + 1, NULL));
	}
	if (wkeys->len == 0)
		return TRUE;
	redisReply *rep = rd_eval(r, &window_list_script, wkeys->len,
	                          (const char *const *)wkeys->pdata, 2, args, err);
	if (rep == NULL)
		return FALSE;
	gboolean ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == wkeys->len;
	for (size_t i = 0; ok && i < rep->elements && out->len < max; i++) {
		const redisReply *e = rep->element[i];
		ok = e->type == REDIS_REPLY_ARRAY && e->elements == 2;
		if (!ok || elem_num(e, 0) < (gint64)limit || *elem(e, 1) == '\0')
			continue;
		StoreWindowEntry *w = g_new0(StoreWindowEntry, 1);
		w->key = g_strdup(texts->pdata[i]);
		w->count = (guint)elem_num(e, 0);
		w->frees_at_ms = (gint64)g_ascii_strtod(elem(e, 1), NULL) + window_ms;
		g_ptr_array_add(out, w);
	}
	if (!ok)
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected reply to a window list");
	freeReplyObject(rep);
	return ok;
}

/* The windows over LIMIT whose key starts with PREFIX: SCAN for their text keys, then one
 * read-only script per batch counts them, each command on whichever connection is free. A
 * walk is bounded by the database's keys (SCAN may give one more than once: SEEN), and
 * stops once MAX windows are found. */
static gboolean rd_window_list(void *b, const char *prefix, gint64 now_ms, gint64 window_ms,
                               guint limit, guint max, GPtrArray *out, GError **err)
{
	Rd *r = b;
	g_autofree char *pattern = glob_prefix(prefix);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char cursor[32] = "0", scut[24], slimit[16];
	guint first = out->len;

	g_snprintf(scut, sizeof scut, "%" G_GINT64_FORMAT, now_ms - window_ms);
	g_snprintf(slimit, sizeof slimit, "%u", limit);
	const char *args[] = { scut, slimit };
	do {
		const char *scan[] = { "SCAN", cursor, "MATCH", pattern, "COUNT",
		                       G_STRINGIFY(REDIS_SCAN_COUNT) };
		redisReply *rep = rd_plain(r, G_N_ELEMENTS(scan), scan, err);
		if (rep == NULL)
			return FALSE;
		gboolean ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
		              rep->element[0]->type == REDIS_REPLY_STRING &&
		              rep->element[0]->len < sizeof cursor &&
		              rep->element[1]->type == REDIS_REPLY_ARRAY;
		if (!ok) {
			g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected reply to SCAN");
			freeReplyObject(rep);
			return FALSE;
		}
		g_strlcpy(cursor, rep->element[0]->str, sizeof cursor);
		ok = rd_window_batch(r, rep->element[1], seen, args, window_ms, limit,
		                     first + max, out, err);
		freeReplyObject(rep);
		if (!ok)
			return FALSE;
	} while (strcmp(cursor, "0") != 0 && out->len < first + max);
	return TRUE;
}

/* Holds one alert (hold_script). */
static gboolean rd_hold(void *b, const char *queue, gint64 now, const char *summary,
                        GError **err)
{
	Rd *r = b;
	char snow[24], scut[24];

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	g_snprintf(scut, sizeof scut, "%" G_GINT64_FORMAT, now - r->keep_s);
	const char *args[] = { queue, snow, r->keep, summary, scut };
	redisReply *rep = rd_eval(r, &hold_script, 0, NULL, G_N_ELEMENTS(args), args, err);
	if (rep == NULL)
		return FALSE;
	freeReplyObject(rep);
	return TRUE;
}

/* Takes a digest (held_take_script). */
static gboolean rd_held_take(void *b, const char *queue, const char *tag, gint64 now,
                             guint max, StoreHeld *out, GError **err)
{
	Rd *r = b;
	char snow[24], scut[24], smax[16];

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	g_snprintf(scut, sizeof scut, "%" G_GINT64_FORMAT, now - r->keep_s);
	g_snprintf(smax, sizeof smax, "%u", max);
	const char *args[] = { queue, tag, snow, r->keep, scut, smax };
	redisReply *rep = rd_eval(r, &held_take_script, 0, NULL, G_N_ELEMENTS(args), args, err);
	if (rep == NULL)
		return FALSE;
	gboolean ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
	              rep->element[3]->type == REDIS_REPLY_ARRAY;
	if (ok) {
		out->count = (guint)elem_num(rep, 0);
		out->first_at = (gint64)g_ascii_strtod(elem(rep, 1), NULL);
		out->last_at = (gint64)g_ascii_strtod(elem(rep, 2), NULL);
		for (size_t i = 0; i < rep->element[3]->elements; i++)
			g_ptr_array_add(out->summaries, g_strdup(elem(rep->element[3], i)));
	} else {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected reply to a digest's take");
	}
	freeReplyObject(rep);
	return ok;
}

/* Ends the digest TAG by SCRIPT (done or returned). */
static gboolean rd_held_end(Rd *r, Script *script, const char *tag, GError **err)
{
	const char *args[] = { tag, r->keep };
	redisReply *rep = rd_eval(r, script, 0, NULL, G_N_ELEMENTS(args), args, err);

	if (rep == NULL)
		return FALSE;
	freeReplyObject(rep);
	return TRUE;
}

static gboolean rd_held_done(void *b, const char *tag, GError **err)
{
	return rd_held_end(b, &held_done_script, tag, err);
}

static gboolean rd_held_return(void *b, const char *tag, GError **err)
{
	return rd_held_end(b, &held_return_script, tag, err);
}

/* The queues holding alerts (held_list_script). */
static gboolean rd_held_list(void *b, gint64 now, guint max, GPtrArray *out, GError **err)
{
	Rd *r = b;
	char snow[24], scut[24], smax[16];

	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	g_snprintf(scut, sizeof scut, "%" G_GINT64_FORMAT, now - r->keep_s);
	g_snprintf(smax, sizeof smax, "%u", max);
	const char *args[] = { snow, r->keep, scut, smax };
	redisReply *rep = rd_eval(r, &held_list_script, 0, NULL, G_N_ELEMENTS(args), args, err);
	if (rep == NULL)
		return FALSE;
	gboolean ok = rep->type == REDIS_REPLY_ARRAY;
	for (size_t i = 0; ok && i < rep->elements && i < max; i++) {
		const redisReply *e = rep->element[i];
		ok = e->type == REDIS_REPLY_ARRAY && e->elements == 5;
		if (!ok)
			break;
		StoreHeldQueue *h = g_new0(StoreHeldQueue, 1);
		h->queue = g_strdup(elem(e, 0));
		h->count = (guint)elem_num(e, 1);
		h->first_at = elem_num(e, 2);
		h->last_at = elem_num(e, 3);
		h->digest_tag = *elem(e, 4) != '\0' ? g_strdup(elem(e, 4)) : NULL;
		g_ptr_array_add(out, h);
	}
	if (!ok)
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "unexpected reply to the held list");
	freeReplyObject(rep);
	return ok;
}

/* Redis answers PING (connecting first when needed). */
static gboolean rd_ping(void *b, GError **err)
{
	Rd *r = b;
	const char *argv[] = { "PING" };

	redisReply *rep = rd_plain(r, 1, argv, err);
	if (rep == NULL)
		return FALSE;
	freeReplyObject(rep);
	return TRUE;
}

const StoreBackend store_backend_redis = {
	.name = "redis",
	.open = rd_open,
	.close = rd_close,
	.claim = rd_claim,
	.sent = rd_sent,
	.doubt = rd_doubt,
	.release = rd_release,
	.forget = rd_forget,
	.numbers_claim = rd_numbers_claim,
	.numbers_release = rd_numbers_release,
	.lookup_job = rd_lookup_job,
	.get_value = rd_get_value,
	.set_value = rd_set_value,
	.add_value = rd_add_value,
	.set_text = rd_set_text,
	.get_text = rd_get_text,
	.window = rd_window,
	.window_give_back = rd_window_give_back,
	.window_list = rd_window_list,
	.hold = rd_hold,
	.held_take = rd_held_take,
	.held_done = rd_held_done,
	.held_return = rd_held_return,
	.held_list = rd_held_list,
	.ping = rd_ping,
};

/* store.h: the state store, what must outlive a process or be shared between processes and
 * hosts: per job tag, a claim and then an outcome (exactly once), and per OVH job id what a
 * reply or a delivery report is later matched against.
 *
 * One interface, one file per backend (store_sqlite.c, store_redis.c), chosen by a spec:
 *   sqlite:/var/lib/mail2sms/state.db   the embedded default
 *   redis://HOST[:PORT][/DB]            several MTAs sharing one Redis (HOST may be [v6])
 *   unix:/path/redis.sock[?db=N]        the same over a unix socket
 *   none                                no store: store_open succeeds with *store NULL
 * Every time is in seconds since the epoch (the sliding windows': milliseconds) and is the
 * caller's (tests move it). Every call is safe from many threads of one process and from
 * many processes (and hosts, for Redis) at once. Store trouble is an M2S_ERR_IO naming the
 * store (never a password); a Redis that refuses the password or the database is an
 * M2S_ERR_CONFIG. */
#ifndef M2S_STORE_H
#define M2S_STORE_H

#include <glib.h>

typedef struct Store Store;

/* The state of a tag's record. */
typedef enum {
	STORE_CLAIMED = 1, /* someone is posting it since claimed_at */
	STORE_IN_DOUBT,    /* posted, fate unknown: OVH must be asked before it goes again */
	STORE_SENT,        /* OVH accepted it: ids, credits, receivers */
} StoreState;

/* What store_claim found, and what the caller may do. */
typedef enum {
	CLAIM_ERROR = 0, /* the store failed (*err): degrade or tempfail */
	CLAIM_WON,       /* the tag is the caller's: post it */
	CLAIM_SENT,      /* sent already: the record holds ids, credits, receivers */
	CLAIM_BUSY,      /* someone else claimed it less than claim_timeout ago: post nothing */
	CLAIM_IN_DOUBT,  /* an earlier attempt's fate is unknown; the claim is now the caller's:
	                  * ask OVH by tag (record.doubt_since says how old the attempt is) */
} StoreClaim;

/* A tag's record as store_claim leaves it (strings newly allocated, NULL when unset). */
typedef struct {
	StoreState state;
	gint64 claimed_at;  /* the latest claim */
	gint64 doubt_since; /* the earliest attempt whose fate is unknown, 0 for none */
	char *ids;          /* sent: OVH's job ids, "1,2,3" */
	double credits;     /* sent: credits OVH took */
	char *receivers;    /* sent: "+33612345678,+33698765432" */
} StoreRecord;

/* What is kept of the mail a sent job came from (store_sent's input; NULL fields allowed).
 * The store keeps each one line, Subject at most STORE_SUBJECT_MAX bytes, others at most
 * STORE_FIELD_MAX (cut on a UTF-8 boundary). */
typedef struct {
	const char *queue_id;
	const char *sender;     /* the envelope sender */
	const char *message_id;
	const char *subject;
} StoreMail;

#define STORE_SUBJECT_MAX 200
#define STORE_FIELD_MAX   998

/* A sent job found by one of its OVH ids (strings newly allocated, "" when not given). */
typedef struct {
	char *tag;
	char *ids;          /* every id of the job, "1,2,3" */
	char *queue_id;
	char *sender;
	char *message_id;
	char *subject;
	char *receivers;
	gint64 sent_at;
} StoreJobMeta;

typedef struct {
	/* Redis AUTH: the password is the file's first line; ignored by sqlite. */
	const char *password_file;
	/* Seconds a record is kept after its last write (replies and reports need them), a
	 * value after its last set or add, a held alert after it was held;
	 * 0 means STORE_KEEP_DEFAULT. */
	gint64 keep;
	/* Seconds within which a retry comes (0: forever): a sent record claimed longer ago
	 * than this was another alert, and its tag is claimed anew. */
	gint64 retry_window;
} StoreOptions;

#define STORE_KEEP_DEFAULT (7 * 24 * 3600)
/* Records pruned at most per write by sqlite (Redis expires keys by itself). */
#define STORE_PRUNE_PER_WRITE 8

/* Opens the store SPEC names. TRUE with *STORE set, or with *STORE NULL for "none"; FALSE
 * with *ERR for a bad spec, an unreadable password file, a sqlite file that cannot be
 * created (its directory missing) or a Redis refusing the password. A Redis that does not
 * answer yet is no error: every call connects again until it does. */
gboolean store_open(const char *spec, const StoreOptions *opt, Store **store, GError **err);
void store_close(Store *store);
/* The spec as given, for log lines ("sqlite:/var/lib/mail2sms/state.db"). */
const char *store_name(const Store *store);

/* Claims TAG before its job is posted (see StoreClaim). An expired claim or a record in
 * doubt is taken over atomically: of two claimers exactly one gets CLAIM_IN_DOUBT, the
 * other CLAIM_BUSY. A sent record older than the retry window is forgotten first, so that
 * the new alert under its tag wins the claim. REC (may be NULL) receives the record; clear it with
 * store_record_clear. */
StoreClaim store_claim(Store *store, const char *tag, gint64 now, gint64 claim_timeout,
                       StoreRecord *rec, GError **err);
/* TAG went out as IDS ("1,2,3"): the record becomes sent, each id indexes MAIL. */
gboolean store_sent(Store *store, const char *tag, gint64 now, const char *ids, double credits,
                    const char *receivers, const StoreMail *mail, GError **err);
/* TAG's post may have been executed (no reply, 5xx after sending): the record is in doubt
 * since the earlier of its doubt_since and NOW, and the next claim is CLAIM_IN_DOUBT at once.
 * A sent record stays sent. */
gboolean store_doubt(Store *store, const char *tag, gint64 now, GError **err);
/* OVH certainly did not execute TAG's post (4xx, connection refused): gives up the claim
 * made at CLAIMED_AT (the NOW of the store_claim that returned WON or IN_DOUBT). A claim
 * with no doubt is deleted, and the next claim wins; a claim that took over a doubtful
 * attempt becomes in doubt again with its doubt_since kept (that attempt's fate is no
 * better known). A claim someone else holds now, a sent record or none: nothing changes. */
gboolean store_release(Store *store, const char *tag, gint64 claimed_at, GError **err);
/* What store_numbers_claim found of a job's numbers. */
typedef struct {
	GPtrArray *taken;  /* char*: numbers another job of the same mail paged or is paging */
	gboolean pending;  /* one of those jobs is not recorded sent yet */
} StoreNumbers;

/* The delivery agent plans one recipient per call, so two jobs of one mail (oncall@ and a
 * member's own number) can share a number. Claims NUMBERS (char*) for TAG's job of the mail
 * MAIL_KEY (its Message-ID, else its queue id) in one atomic step: a number no other job
 * of the mail holds becomes TAG's; the others are listed in OUT. A holder whose record is
 * gone (released, pruned) or older than the retry window (another alert under a reused
 * Message-ID) holds nothing. Call it with TAG claimed (store_claim), so that a holder
 * always has a record. Clear OUT with store_numbers_clear. */
gboolean store_numbers_claim(Store *store, const char *mail_key, const char *tag,
                             GPtrArray *numbers, gint64 now, StoreNumbers *out, GError **err);
/* TAG's job certainly did not go out: the numbers it holds for MAIL_KEY are free again. */
gboolean store_numbers_release(Store *store, const char *mail_key, const char *tag,
                               GError **err);
void store_numbers_clear(StoreNumbers *n);

/* Deletes TAG's record if it is sent and was claimed at CLAIMED_AT (a tag that names a
 * mail's content, remembered only while an attempt is in doubt); anything else: nothing. */
gboolean store_forget(Store *store, const char *tag, gint64 claimed_at, GError **err);
/* The sent job OVH knows as JOB_ID: 1 with *META filled, 0 when none is kept, -1 with *ERR. */
int store_lookup_job(Store *store, gint64 job_id, StoreJobMeta *meta, GError **err);
/* A small value kept under NAME for every process (the OVH clock offset), with the time it
 * was set: TRUE with *VALUE and *AT (*AT 0 when none is kept), FALSE with *ERR. A value
 * lives keep seconds after it was last set (or added to). */
gboolean store_get_value(Store *store, const char *name, gint64 *value, gint64 *at,
                         GError **err);
gboolean store_set_value(Store *store, const char *name, gint64 value, gint64 now,
                         GError **err);
/* The values of N NAMES into VALUES (0 for one not kept), in one call: what a scrape of the
 * metrics reads (metrics_store.c), counted as one operation of the store, not N. FALSE with
 * *ERR at the first value that cannot be read. */
gboolean store_get_values(Store *store, const char *const *names, guint n, gint64 *values,
                          GError **err);
/* Adds DELTA to the value NAME (the one store_get_value reads, created at 0 when missing)
 * in one atomic step, and sets its time to NOW: TRUE with *TOTAL (may be NULL) the value
 * after the add. NAME is at most STORE_NAME_MAX bytes (the caller names the period, e.g.
 * "credits:2026-12-02"). Values live keep seconds after their last set or add. */
gboolean store_add_value(Store *store, const char *name, gint64 delta, gint64 now,
                         gint64 *total, GError **err);
#define STORE_NAME_MAX 200
/* TRUE for the first caller in the current slice of PERIOD seconds (NOW / PERIOD) to take
 * WHAT's turn, across every process and host sharing the store: periodic work that each
 * would repeat at the same cost (a poll of OVH). FALSE for the others, and when the store
 * fails (the work waits for the next period). */
gboolean store_take_turn(Store *store, const char *what, gint64 now, guint period);

/* A short text kept under NAME for every process (the last job sent, the last error, as
 * status.c words them), with the time it was set; texts and values are two namespaces (one
 * name may be both). The newest wins: a set whose NOW is older than the time kept changes
 * nothing, so that a process writing late does not hide what another wrote since (the same
 * NOW: the last set wins). TEXT is kept as one line of at most STORE_TEXT_MAX bytes, cut on
 * a UTF-8 boundary; NAME is 1 to STORE_NAME_MAX bytes. A text lives keep seconds after its
 * last set. */
gboolean store_set_text(Store *store, const char *name, const char *text, gint64 now,
                        GError **err);
/* TRUE with *TEXT newly allocated and *AT, or *TEXT NULL and *AT 0 when none is kept. */
gboolean store_get_text(Store *store, const char *name, char **text, gint64 *at,
                        GError **err);
#define STORE_TEXT_MAX 2000

/* Flood control's sliding windows: per KEY a log of events, so that a limit holds in ANY
 * window of the duration, not only in fixed slices of it. Times are milliseconds (an API
 * budget of 60 a minute counted per second would let 61 through), the caller's clock like
 * every other time here. KEY is any text (it is hashed; its first bytes are kept as text
 * too, for store_window_list); a key is always used with the same window. An event at T counts until T + window (excluded). Two events in one millisecond
 * (two processes) both count. Records go by themselves a window after their last event. */
typedef struct {
	gboolean admitted;  /* take: the event was recorded; count: a take now would be */
	guint count;        /* events in the window after the call */
	gint64 frees_at_ms; /* when a take would next be admitted: NOW_MS while there is room,
	                     * else when the event that must leave for one to enter does
	                     * (the oldest one + window, when count is the limit) */
} StoreWindow;

/* Atomically: forgets KEY's events at or before NOW_MS - WINDOW_MS; records one at NOW_MS
 * if fewer than LIMIT remain. LIMIT and WINDOW_MS are at least 1. OUT is always set. */
gboolean store_window_take(Store *store, const char *key, gint64 now_ms, gint64 window_ms,
                           guint limit, StoreWindow *out, GError **err);
/* The same figures for the same LIMIT, recording nothing (what is over a limit, and until
 * when). */
gboolean store_window_count(Store *store, const char *key, gint64 now_ms, gint64 window_ms,
                            guint limit, StoreWindow *out, GError **err);
/* Removes one event of KEY recorded at AT_MS (a take whose SMS did not go: OVH refused it
 * before executing it), so that it no longer counts; none there: nothing changes. */
gboolean store_window_give_back(Store *store, const char *key, gint64 at_ms, GError **err);

/* A window over its limit (store_window_list). */
typedef struct {
	char *key;          /* the key as a take gave it, one line, at most STORE_WINDOW_KEY_MAX
	                     * bytes (cut on a UTF-8 boundary) */
	guint count;        /* its events in the window */
	gint64 frees_at_ms; /* as StoreWindow's: when a take would next be admitted */
} StoreWindowEntry;

/* Of a window's key, what the store keeps as text beside its events, to list it by: a
 * sender's address (at most 254 bytes) with "sender:" before it fits. */
#define STORE_WINDOW_KEY_MAX 300
/* Windows listed at most per call: a list for a person to read, and a bound on what one
 * call costs (with Redis it walks the keys that match). More senders or numbers than this
 * over a limit at once is one storm, which the first thousand show well enough. */
#define STORE_WINDOWS_MAX 1000

/* Appends to OUT (its free function becomes store_window_entry_free) one StoreWindowEntry
 * per key starting with PREFIX that holds LIMIT events or more in (NOW_MS - WINDOW_MS,
 * NOW_MS]: the keys a take for LIMIT would not be admitted to now. PREFIX is plain text,
 * compared byte for byte with the key's first STORE_WINDOW_KEY_MAX bytes made one line (no
 * character is a wildcard). In the order of their keys, at most STORE_WINDOWS_MAX (which
 * ones when more are over is not said). Events recorded by a mail2sms that kept no text
 * (before this call existed) are counted, but a window that only they fill is not listed:
 * after an upgrade, for one window at most. Changes nothing. */
gboolean store_window_list(Store *store, const char *prefix, gint64 now_ms, gint64 window_ms,
                           guint limit, GPtrArray *out, GError **err);
void store_window_entry_free(gpointer e);

/* Alerts held over a limit, summed up later in one digest SMS per queue (a receiver's
 * number), exactly once whichever of several processes or hosts sends it, and nothing lost
 * if one dies between taking a digest and sending it. A held alert is in its queue until
 * a digest takes it; it is forgotten keep seconds after it was held, whether or not a
 * digest holds it (held for so long, its SMS would not help). Times are seconds. */

/* A digest's alerts (store_held_take; clear with store_held_clear). */
typedef struct {
	guint count;          /* every alert of the digest */
	gint64 first_at;      /* when the oldest and the newest were held, 0 when count is 0 */
	gint64 last_at;
	GPtrArray *summaries; /* char*: newest first, at most STORE_HELD_SUMMARIES */
} StoreHeld;

/* A queue holding alerts (store_held_list). */
typedef struct {
	char *queue;
	guint count;        /* its alerts, held or in a digest not done */
	gint64 first_at;    /* the oldest and the newest of them */
	gint64 last_at;
	char *digest_tag;   /* the earliest taken of its digests not done, NULL for none */
} StoreHeldQueue;

#define STORE_HELD_SUMMARIES 50
#define STORE_HELD_QUEUES_MAX 1000
/* A queue's name: one line, cut on a UTF-8 boundary (longer names sharing these bytes are
 * one queue). */
#define STORE_QUEUE_MAX 200

/* Appends one alert held at NOW to QUEUE (not empty once made one line); SUMMARY is kept
 * one line, at most STORE_SUBJECT_MAX bytes. */
gboolean store_hold(Store *store, const char *queue, gint64 now, const char *summary,
                    GError **err);
/* Moves every alert QUEUE holds, in no digest yet, into the digest TAG, atomically, and
 * fills OUT with them. If TAG holds alerts already (a taker that died before its digest was
 * done or returned), OUT is those, whatever their queue, and nothing new is taken. A digest
 * of no alert (count 0) is nothing: post none. The caller then claims TAG (store_claim),
 * posts the digest and says store_held_done, or store_held_return if it certainly did not
 * go. A TAG done must not be taken again (its claim is sent). OUT is always set. */
gboolean store_held_take(Store *store, const char *queue, const char *tag, gint64 now,
                         StoreHeld *out, GError **err);
/* The digest TAG went out: its alerts are deleted. */
gboolean store_held_done(Store *store, const char *tag, GError **err);
/* The digest TAG certainly did not go: its alerts are held in their queue again, with the
 * times they were held, for a later digest. */
gboolean store_held_return(Store *store, const char *tag, GError **err);
/* Appends to OUT (its free function becomes store_held_queue_free) one StoreHeldQueue per
 * queue holding alerts not forgotten at NOW, those holding the oldest first, at most
 * STORE_HELD_QUEUES_MAX. */
gboolean store_held_list(Store *store, gint64 now, GPtrArray *out, GError **err);
void store_held_clear(StoreHeld *held);
void store_held_queue_clear(StoreHeldQueue *q);
void store_held_queue_free(gpointer q);

/* TRUE when the store answers. */
gboolean store_ping(Store *store, GError **err);

void store_record_clear(StoreRecord *rec);
void store_job_meta_clear(StoreJobMeta *meta);

#endif

/* store_backend.h: what a state store backend provides to store.c, and nothing else uses.
 *
 * store.c parses the spec, reads the password file, cleans the mail's fields and names the
 * store in errors; a backend only keeps records. A backend must not call into store.c
 * (store.c calls it): what both need lives here. */
#ifndef M2S_STORE_BACKEND_H
#define M2S_STORE_BACKEND_H

#include "store.h"

/* A parsed spec. */
typedef struct {
	const char *path; /* sqlite: the file; unix: the socket; NULL for TCP */
	const char *host; /* redis://: the host, without brackets */
	int port;
	int db;
} StoreSpec;

/* A sent job as a backend writes it: IDS is the text, JOB_IDS the same as numbers. */
typedef struct {
	const char *ids;
	const gint64 *job_ids;
	guint n_job_ids;
	double credits;
	const char *receivers;
	StoreMail mail; /* fields one line, bounded, never NULL */
} StoreSent;

typedef struct {
	const char *name;
	/* PASSWORD may be NULL; the backend copies what it keeps. */
	void *(*open)(const StoreSpec *spec, const char *password, gint64 keep, GError **err);
	void (*close)(void *b);
	StoreClaim (*claim)(void *b, const char *tag, gint64 now, gint64 claim_timeout,
	                    StoreRecord *rec, GError **err);
	gboolean (*sent)(void *b, const char *tag, gint64 now, const StoreSent *s, GError **err);
	gboolean (*doubt)(void *b, const char *tag, gint64 now, GError **err);
	gboolean (*release)(void *b, const char *tag, gint64 claimed_at, GError **err);
	/* Deletes TAG's record if it is sent and was claimed at CLAIMED_AT (an old alert's,
	 * whose tag a new one takes); anything else: nothing changes. */
	gboolean (*forget)(void *b, const char *tag, gint64 claimed_at, GError **err);
	/* KEY is the mail's key hashed (hex, bounded); WINDOW the retry window, 0: none.
	 * Appends to TAKEN (char*) the numbers held by another tag, sets *PENDING when one of
	 * those tags is not sent. */
	gboolean (*numbers_claim)(void *b, const char *key, const char *tag,
	                          const char *const *numbers, guint n, gint64 now, gint64 window,
	                          GPtrArray *taken, gboolean *pending, GError **err);
	gboolean (*numbers_release)(void *b, const char *key, const char *tag, GError **err);
	int (*lookup_job)(void *b, gint64 job_id, StoreJobMeta *meta, GError **err);
	/* A small named value (the OVH clock offset) and when it was set (*AT 0: none). */
	gboolean (*get_value)(void *b, const char *name, gint64 *value, gint64 *at, GError **err);
	gboolean (*set_value)(void *b, const char *name, gint64 value, gint64 now, GError **err);
	/* Adds DELTA to NAME's value (0 when missing), its time set to NOW; *TOTAL the sum. */
	gboolean (*add_value)(void *b, const char *name, gint64 delta, gint64 now, gint64 *total,
	                      GError **err);
	/* A text (store_set_text): TEXT one line and bounded; kept unless the one there is
	 * newer than NOW. *TEXT NULL and *AT 0: none. */
	gboolean (*set_text)(void *b, const char *name, const char *text, gint64 now,
	                     GError **err);
	gboolean (*get_text)(void *b, const char *name, char **text, gint64 *at, GError **err);
	/* KEY is the window's key hashed (hex, bounded), TEXT the key as window_list gives it
	 * back (one line, bounded; NULL when only counting). TAKE: forget what left the window
	 * and record one event if there is room (store_window_take), keeping TEXT beside it;
	 * else only count. OUT is zeroed by store.c. */
	gboolean (*window)(void *b, const char *key, const char *text, gint64 now_ms,
	                   gint64 window_ms, guint limit, gboolean take, StoreWindow *out,
	                   GError **err);
	gboolean (*window_give_back)(void *b, const char *key, gint64 at_ms, GError **err);
	/* Appends to OUT, in any order, at most MAX newly allocated StoreWindowEntry: the
	 * windows whose TEXT starts with PREFIX (one line, bounded; matched byte for byte) and
	 * which hold LIMIT events or more after NOW_MS - WINDOW_MS. */
	gboolean (*window_list)(void *b, const char *prefix, gint64 now_ms, gint64 window_ms,
	                        guint limit, guint max, GPtrArray *out, GError **err);
	/* QUEUE and SUMMARY are one line and bounded. */
	gboolean (*hold)(void *b, const char *queue, gint64 now, const char *summary,
	                 GError **err);
	/* OUT->summaries is an empty array of char* (g_free) to fill, at most MAX of them. */
	gboolean (*held_take)(void *b, const char *queue, const char *tag, gint64 now, guint max,
	                      StoreHeld *out, GError **err);
	gboolean (*held_done)(void *b, const char *tag, GError **err);
	gboolean (*held_return)(void *b, const char *tag, GError **err);
	/* Appends at most MAX newly allocated StoreHeldQueue to OUT. */
	gboolean (*held_list)(void *b, gint64 now, guint max, GPtrArray *out, GError **err);
	gboolean (*ping)(void *b, GError **err);
} StoreBackend;

extern const StoreBackend store_backend_sqlite;
extern const StoreBackend store_backend_redis;

#endif

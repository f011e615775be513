/* store.c: the state store's interface: the backend a spec names, and the parts every
 * backend shares (spec parsing, the password file, bounded one-line mail fields and texts,
 * errors that name the store).
 *
 * It keeps no record itself and decides nothing about jobs: the backends keep the records,
 * dispatch decides. It must not log: the caller rate-limits and words store trouble. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_backend.h"
#include "safeline.h"
#include "error.h"
#include "metrics.h"

#define REDIS_DEFAULT_PORT 6379

struct Store {
	const StoreBackend *be;
	void *b;
	char *name;
	gint64 window;  /* StoreOptions.retry_window */
	MetricsBackend metrics; /* the label its calls are counted under */
};

/* A decimal in [MIN, MAX] from the whole of S. */
static gboolean parse_int(const char *s, int min, int max, int *out)
{
	guint64 v;

	if (s == NULL || !g_ascii_string_to_unsigned(s, 10, min, max, &v, NULL))
		return FALSE;
	*out = (int)v;
	return TRUE;
}

/* SPEC's backend and its parts in *SP (strings pointing into *BUF, which the caller frees). */
static const StoreBackend *parse_spec(const char *spec, StoreSpec *sp, char **buf, GError **err)
{
	memset(sp, 0, sizeof *sp);
	*buf = NULL;
	if (g_str_has_prefix(spec, "sqlite:")) {
		const char *path = spec + strlen("sqlite:");
		if (path[0] != '/')
			goto bad;
		sp->path = path;
		return &store_backend_sqlite;
	}
	if (g_str_has_prefix(spec, "unix:")) {
		/* unix:/path/redis.sock[?db=N] */
		char *p = *buf = g_strdup(spec + strlen("unix:"));
		char *q = strchr(p, '?');
		if (q != NULL) {
			*q++ = '\0';
			if (!g_str_has_prefix(q, "db=") || !parse_int(q + 3, 0, 65535, &sp->db))
				goto bad;
		}
		if (p[0] != '/')
			goto bad;
		sp->path = p;
		return &store_backend_redis;
	}
	if (g_str_has_prefix(spec, "redis://")) {
		/* redis://HOST[:PORT][/DB], HOST a name, an IPv4 address or [an IPv6 one] */
		char *h = *buf = g_strdup(spec + strlen("redis://"));
		char *slash = strchr(h, '/'), *port = NULL;
		sp->port = REDIS_DEFAULT_PORT;
		if (slash != NULL) {
			*slash = '\0';
			if (slash[1] != '\0' && !parse_int(slash + 1, 0, 65535, &sp->db))
				goto bad;
		}
		if (h[0] == '[') {
			char *end = strchr(h, ']');
			if (end == NULL || (end[1] != '\0' && end[1] != ':'))
				goto bad;
			*end = '\0';
			port = end[1] == ':' ? end + 2 : NULL;
			h++;
		} else if ((port = strchr(h, ':')) != NULL) {
			*port++ = '\0';
		}
		if (port != NULL && !parse_int(port, 1, 65535, &sp->port))
			goto bad;
		if (h[0] == '\0')
			goto bad;
		sp->host = h;
		return &store_backend_redis;
	}
bad:
	g_clear_pointer(buf, g_free);
	g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG,
	            "state store \"%s\": not sqlite:/PATH, redis://HOST[:PORT][/DB], "
	            "unix:/PATH[?db=N] or none", spec);
	return NULL;
}

/* The password in FILE (its first line), or NULL with *ERR. The text never goes in an error. */
static char *read_password(const char *file, GError **err)
{
	char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) e = NULL;

	if (!g_file_get_contents(file, &text, &len, &e)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "state store password file: %s",
		            e->message);
		return NULL;
	}
	text[strcspn(text, "\r\n")] = '\0';
	if (text[0] == '\0') {
		explicit_bzero(text, len);
		g_free(text);
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG,
		            "state store password file %s: empty first line", file);
		return NULL;
	}
	return text;
}

/* The backend SPEC names, opened with the password file read here (never kept). */
gboolean store_open(const char *spec, const StoreOptions *opt, Store **store, GError **err)
{
	StoreSpec sp;
	g_autofree char *buf = NULL;
	char *password = NULL;

	*store = NULL;
	if (spec == NULL || strcmp(spec, "none") == 0)
		return TRUE;
	const StoreBackend *be = parse_spec(spec, &sp, &buf, err);
	if (be == NULL)
		return FALSE;
	if (be == &store_backend_redis && opt != NULL && opt->password_file != NULL &&
	    opt->password_file[0] != '\0') {
		password = read_password(opt->password_file, err);
		if (password == NULL)
			return FALSE;
	}
	gint64 keep = opt != NULL && opt->keep > 0 ? opt->keep : STORE_KEEP_DEFAULT;
	g_autoptr(GError) e = NULL;
	void *b = be->open(&sp, password, keep, &e);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		g_free(password);
	}
	if (b == NULL) {
		g_set_error(err, M2S_ERROR, e->code, "state store %s: %s", spec, e->message);
		return FALSE;
	}
	Store *s = g_new0(Store, 1);
	s->window = opt != NULL ? opt->retry_window : 0;
	s->be = be;
	s->b = b;
	s->name = g_strdup(spec);
	s->metrics = be == &store_backend_redis ? METRICS_BACKEND_REDIS : METRICS_BACKEND_SQLITE;
	*store = s;
	return TRUE;
}

void store_close(Store *store)
{
	if (store == NULL)
		return;
	store->be->close(store->b);
	g_free(store->name);
	g_free(store);
}

const char *store_name(const Store *store)
{
	return store->name;
}

/* One call into the backend, counted where it happens: store health in the figures. */
static void counted(const Store *store, gboolean ok)
{
	metrics_store_op(store->metrics, ok);
}

/* Names the store in E (a backend's error) and passes it to ERR. */
static void name_error(Store *store, GError *e, GError **err)
{
	if (e == NULL)
		return;
	g_prefix_error(&e, "state store %s: ", store->name);
	g_propagate_error(err, e);
}

/* The backend's claim with REC always cleared first, and its error naming the store. */
StoreClaim store_claim(Store *store, const char *tag, gint64 now, gint64 claim_timeout,
                       StoreRecord *rec, GError **err)
{
	StoreRecord dummy;
	GError *e = NULL;

	if (rec == NULL)
		rec = &dummy;
	memset(rec, 0, sizeof *rec);
	StoreClaim c = store->be->claim(store->b, tag, now, claim_timeout, rec, &e);
	/* Forgotten with a compare-and-delete, then claimed again: of two alerts racing for an
	 * old tag, one wins and the other finds it busy. */
	if (c == CLAIM_SENT && store->window > 0 && now - rec->claimed_at >= store->window) {
		gint64 old = rec->claimed_at;
		store_record_clear(rec);
		memset(rec, 0, sizeof *rec);
		c = store->be->forget(store->b, tag, old, &e)
		            ? store->be->claim(store->b, tag, now, claim_timeout, rec, &e)
		            : CLAIM_ERROR;
	}
	if (rec == &dummy)
		store_record_clear(rec);
	counted(store, c != CLAIM_ERROR);
	if (c == CLAIM_ERROR)
		name_error(store, e, err);
	return c;
}

/* S as a safe line of at most MAX bytes, without blanks at its ends. */
static char *one_line(const char *s, gsize max)
{
	return g_strstrip(safeline(s, max, FALSE));
}

/* IDS ("1,2,3") as numbers, or NULL when it is not such a list. */
static GArray *parse_ids(const char *ids)
{
	g_auto(GStrv) parts = g_strsplit(ids, ",", -1);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(gint64));

	for (guint i = 0; parts[i] != NULL; i++) {
		guint64 v;
		if (!g_ascii_string_to_unsigned(g_strstrip(parts[i]), 10, 1, G_MAXINT64, &v, NULL)) {
			g_array_free(a, TRUE);
			return NULL;
		}
		gint64 id = (gint64)v;
		g_array_append_val(a, id);
	}
	return a;
}

/* Checks IDS and bounds the mail's fields before the backend writes them. */
gboolean store_sent(Store *store, const char *tag, gint64 now, const char *ids, double credits,
                    const char *receivers, const StoreMail *mail, GError **err)
{
	g_autoptr(GArray) job_ids = parse_ids(ids != NULL ? ids : "");

	if (job_ids == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "state store %s: job ids \"%s\" are not 1,2,3",
		            store->name, ids != NULL ? ids : "");
		return FALSE;
	}
	StoreMail none = { 0 };
	if (mail == NULL)
		mail = &none;
	g_autofree char *qid = one_line(mail->queue_id, STORE_FIELD_MAX);
	g_autofree char *sender = one_line(mail->sender, STORE_FIELD_MAX);
	g_autofree char *msgid = one_line(mail->message_id, STORE_FIELD_MAX);
	g_autofree char *subject = one_line(mail->subject, STORE_SUBJECT_MAX);
	g_autofree char *rcpts = one_line(receivers, G_MAXSIZE - 1);
	g_autoptr(GString) idtext = g_string_new(NULL);
	for (guint i = 0; i < job_ids->len; i++)
		g_string_append_printf(idtext, "%s%" G_GINT64_FORMAT, i ? "," : "",
		                       g_array_index(job_ids, gint64, i));
	StoreSent s = {
		.ids = idtext->str,
		.job_ids = (const gint64 *)(void *)job_ids->data,
		.n_job_ids = job_ids->len,
		.credits = credits,
		.receivers = rcpts,
		.mail = { .queue_id = qid, .sender = sender, .message_id = msgid, .subject = subject },
	};
	GError *e = NULL;
	gboolean ok = store->be->sent(store->b, tag, now, &s, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

gboolean store_doubt(Store *store, const char *tag, gint64 now, GError **err)
{
	GError *e = NULL;
	gboolean ok = store->be->doubt(store->b, tag, now, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

gboolean store_release(Store *store, const char *tag, gint64 claimed_at, GError **err)
{
	GError *e = NULL;
	gboolean ok = store->be->release(store->b, tag, claimed_at, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

/* MAIL_KEY as the backends key it: a digest, bounded whatever the Message-ID holds. */
static char *numbers_key(const char *mail_key)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, mail_key, -1);
}

/* The backend's number claim, OUT cleared first. */
gboolean store_numbers_claim(Store *store, const char *mail_key, const char *tag,
                             GPtrArray *numbers, gint64 now, StoreNumbers *out, GError **err)
{
	g_autofree char *key = numbers_key(mail_key);
	GError *e = NULL;

	out->taken = g_ptr_array_new_with_free_func(g_free);
	out->pending = FALSE;
	gboolean ok = store->be->numbers_claim(store->b, key, tag,
	                                       (const char *const *)numbers->pdata, numbers->len,
	                                       now, store->window, out->taken, &out->pending, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

gboolean store_numbers_release(Store *store, const char *mail_key, const char *tag,
                               GError **err)
{
	g_autofree char *key = numbers_key(mail_key);
	GError *e = NULL;
	gboolean ok = store->be->numbers_release(store->b, key, tag, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

void store_numbers_clear(StoreNumbers *n)
{
	g_clear_pointer(&n->taken, g_ptr_array_unref);
	n->pending = FALSE;
}

/* The backend's lookup, META cleared first. */
int store_lookup_job(Store *store, gint64 job_id, StoreJobMeta *meta, GError **err)
{
	GError *e = NULL;

	memset(meta, 0, sizeof *meta);
	int r = store->be->lookup_job(store->b, job_id, meta, &e);
	counted(store, r >= 0);
	if (r < 0)
		name_error(store, e, err);
	return r;
}

gboolean store_forget(Store *store, const char *tag, gint64 claimed_at, GError **err)
{
	GError *e = NULL;
	gboolean ok = store->be->forget(store->b, tag, claimed_at, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

gboolean store_get_value(Store *store, const char *name, gint64 *value, gint64 *at,
                         GError **err)
{
	GError *e = NULL;
	gboolean ok = store->be->get_value(store->b, name, value, at, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

/* One backend call per value (a backend may learn to read them at once): a store that fails
 * fails at the first, without N timeouts. */
gboolean store_get_values(Store *store, const char *const *names, guint n, gint64 *values,
                          GError **err)
{
	GError *e = NULL;
	gboolean ok = TRUE;

	for (guint i = 0; i < n && ok; i++) {
		gint64 at = 0;
		values[i] = 0;
		ok = store->be->get_value(store->b, names[i], &values[i], &at, &e);
		if (ok && at == 0)
			values[i] = 0;
	}
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

gboolean store_set_value(Store *store, const char *name, gint64 value, gint64 now,
                         GError **err)
{
	GError *e = NULL;
	gboolean ok = store->be->set_value(store->b, name, value, now, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

/* An argument the caller got wrong, as an error naming the store like any other. */
static gboolean bad_argument(Store *store, GError **err, const char *what)
{
	g_set_error(err, M2S_ERROR, M2S_ERR_IO, "state store %s: %s", store->name, what);
	return FALSE;
}

/* A name a value or a text is kept under, checked: 1 to STORE_NAME_MAX bytes. */
static gboolean check_name(Store *store, const char *name, GError **err)
{
	if (name != NULL && name[0] != '\0' && strlen(name) <= STORE_NAME_MAX)
		return TRUE;
	return bad_argument(store, err, "a value's or a text's name must be 1 to "
	                    G_STRINGIFY(STORE_NAME_MAX) " bytes");
}

/* NAME must be short enough to be a key in every backend: a value's name is kept as given,
 * since store_get_value must find it under the same name. */
gboolean store_add_value(Store *store, const char *name, gint64 delta, gint64 now,
                         gint64 *total, GError **err)
{
	GError *e = NULL;
	gint64 dummy;

	if (!check_name(store, name, err))
		return FALSE;
	gboolean ok = store->be->add_value(store->b, name, delta, now,
	                                   total != NULL ? total : &dummy, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

/* The text is bounded here, as the mail's fields are: a backend keeps what it is given. */
gboolean store_set_text(Store *store, const char *name, const char *text, gint64 now,
                        GError **err)
{
	if (!check_name(store, name, err))
		return FALSE;
	g_autofree char *line = safeline(text, STORE_TEXT_MAX, FALSE);
	GError *e = NULL;
	gboolean ok = store->be->set_text(store->b, name, line, now, &e);
	name_error(store, e, err);
	return ok;
}

/* *TEXT and *AT are cleared first, so that a failure leaves none. */
gboolean store_get_text(Store *store, const char *name, char **text, gint64 *at,
                        GError **err)
{
	*text = NULL;
	*at = 0;
	if (!check_name(store, name, err))
		return FALSE;
	GError *e = NULL;
	gboolean ok = store->be->get_text(store->b, name, text, at, &e);
	if (!ok || *text == NULL) {
		g_clear_pointer(text, g_free);
		*at = 0;
	}
	name_error(store, e, err);
	return ok;
}

/* A window's KEY as the backends key it: a digest, bounded whatever the key holds (a
 * sender's address comes from a mail). */
static char *window_key(const char *key)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, key != NULL ? key : "", -1);
}

/* A window's KEY as the backends keep it to list it by, and a prefix to match it: one line,
 * bounded, the same transformation for both, so that a prefix of the key matches. */
static char *window_text(const char *key)
{
	return safeline(key, STORE_WINDOW_KEY_MAX, FALSE);
}

/* The take and the count share their checks: OUT is set even on failure. */
static gboolean window(Store *store, const char *key, gint64 now_ms, gint64 window_ms,
                       guint limit, gboolean take, StoreWindow *out, GError **err)
{
	memset(out, 0, sizeof *out);
	out->frees_at_ms = now_ms;
	if (window_ms < 1 || limit < 1)
		return bad_argument(store, err, "a window's duration and limit must be at least 1");
	g_autofree char *k = window_key(key);
	g_autofree char *text = take ? window_text(key) : NULL;
	GError *e = NULL;
	gboolean ok = store->be->window(store->b, k, text, now_ms, window_ms, limit, take, out,
	                                &e);
	counted(store, ok);
	if (!ok) {
		memset(out, 0, sizeof *out);
		out->frees_at_ms = now_ms;
	}
	name_error(store, e, err);
	return ok;
}

gboolean store_window_take(Store *store, const char *key, gint64 now_ms, gint64 window_ms,
                           guint limit, StoreWindow *out, GError **err)
{
	return window(store, key, now_ms, window_ms, limit, TRUE, out, err);
}

gboolean store_window_count(Store *store, const char *key, gint64 now_ms, gint64 window_ms,
                            guint limit, StoreWindow *out, GError **err)
{
	return window(store, key, now_ms, window_ms, limit, FALSE, out, err);
}

gboolean store_window_give_back(Store *store, const char *key, gint64 at_ms, GError **err)
{
	g_autofree char *k = window_key(key);
	GError *e = NULL;
	gboolean ok = store->be->window_give_back(store->b, k, at_ms, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

/* Orders two StoreWindowEntry pointers by key. */
static int entry_cmp(const void *a, const void *b)
{
	const StoreWindowEntry *x = *(StoreWindowEntry *const *)a;
	const StoreWindowEntry *y = *(StoreWindowEntry *const *)b;

	return strcmp(x->key, y->key);
}

/* The backend's list, sorted by key here (Redis finds keys in no order); what it appended
 * is taken back on failure, so that OUT holds either the whole answer or what it held
 * before. */
gboolean store_window_list(Store *store, const char *prefix, gint64 now_ms, gint64 window_ms,
                           guint limit, GPtrArray *out, GError **err)
{
	guint before = out->len;

	g_ptr_array_set_free_func(out, store_window_entry_free);
	if (window_ms < 1 || limit < 1)
		return bad_argument(store, err, "a window's duration and limit must be at least 1");
	g_autofree char *p = window_text(prefix);
	GError *e = NULL;
	gboolean ok = store->be->window_list(store->b, p, now_ms, window_ms, limit,
	                                     STORE_WINDOWS_MAX, out, &e);
	counted(store, ok);
	if (!ok)
		g_ptr_array_set_size(out, before);
	else if (out->len > before)
		qsort(out->pdata + before, out->len - before, sizeof(gpointer), entry_cmp);
	name_error(store, e, err);
	return ok;
}

void store_window_entry_free(gpointer e)
{
	if (e == NULL)
		return;
	g_free(((StoreWindowEntry *)e)->key);
	g_free(e);
}

/* QUEUE as the backends keep it (one line, bounded), or NULL with *ERR when nothing is left
 * of it: the queue's name comes back in store_held_list, so it is cut, not hashed. */
static char *queue_name(Store *store, const char *queue, GError **err)
{
	char *q = one_line(queue, STORE_QUEUE_MAX);

	if (q[0] == '\0') {
		g_free(q);
		bad_argument(store, err, "an alert queue needs a name");
		return NULL;
	}
	return q;
}

/* A digest tag is a claim's tag: it must not be empty. */
static gboolean check_tag(Store *store, const char *tag, GError **err)
{
	return tag != NULL && tag[0] != '\0' ? TRUE
	                                    : bad_argument(store, err, "a digest needs a tag");
}

/* The summary is bounded like a Subject: a digest quotes a few of them. */
gboolean store_hold(Store *store, const char *queue, gint64 now, const char *summary,
                    GError **err)
{
	g_autofree char *q = queue_name(store, queue, err);
	if (q == NULL)
		return FALSE;
	g_autofree char *sum = one_line(summary, STORE_SUBJECT_MAX);
	GError *e = NULL;
	gboolean ok = store->be->hold(store->b, q, now, sum, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

/* The backend's take, OUT set first and cleared again on failure. */
gboolean store_held_take(Store *store, const char *queue, const char *tag, gint64 now,
                         StoreHeld *out, GError **err)
{
	memset(out, 0, sizeof *out);
	out->summaries = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *q = queue_name(store, queue, err);
	if (q == NULL || !check_tag(store, tag, err))
		return FALSE;
	GError *e = NULL;
	gboolean ok = store->be->held_take(store->b, q, tag, now, STORE_HELD_SUMMARIES, out, &e);
	counted(store, ok);
	if (!ok) {
		g_ptr_array_set_size(out->summaries, 0);
		out->count = 0;
		out->first_at = out->last_at = 0;
	}
	name_error(store, e, err);
	return ok;
}

gboolean store_held_done(Store *store, const char *tag, GError **err)
{
	if (!check_tag(store, tag, err))
		return FALSE;
	GError *e = NULL;
	gboolean ok = store->be->held_done(store->b, tag, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

gboolean store_held_return(Store *store, const char *tag, GError **err)
{
	if (!check_tag(store, tag, err))
		return FALSE;
	GError *e = NULL;
	gboolean ok = store->be->held_return(store->b, tag, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

/* The backend's list; what it appended is taken back on failure, so that OUT holds either
 * the whole answer or what it held before. */
gboolean store_held_list(Store *store, gint64 now, GPtrArray *out, GError **err)
{
	guint before = out->len;
	GError *e = NULL;

	g_ptr_array_set_free_func(out, store_held_queue_free);
	gboolean ok = store->be->held_list(store->b, now, STORE_HELD_QUEUES_MAX, out, &e);
	counted(store, ok);
	if (!ok)
		g_ptr_array_set_size(out, before);
	name_error(store, e, err);
	return ok;
}

void store_held_clear(StoreHeld *held)
{
	g_clear_pointer(&held->summaries, g_ptr_array_unref);
	held->count = 0;
	held->first_at = held->last_at = 0;
}

void store_held_queue_clear(StoreHeldQueue *q)
{
	g_clear_pointer(&q->queue, g_free);
	g_clear_pointer(&q->digest_tag, g_free);
}

void store_held_queue_free(gpointer q)
{
	if (q == NULL)
		return;
	store_held_queue_clear(q);
	g_free(q);
}

gboolean store_ping(Store *store, GError **err)
{
	GError *e = NULL;
	gboolean ok = store->be->ping(store->b, &e);
	counted(store, ok);
	name_error(store, e, err);
	return ok;
}

void store_record_clear(StoreRecord *rec)
{
	g_clear_pointer(&rec->ids, g_free);
	g_clear_pointer(&rec->receivers, g_free);
}

void store_job_meta_clear(StoreJobMeta *meta)
{
	g_clear_pointer(&meta->tag, g_free);
	g_clear_pointer(&meta->ids, g_free);
	g_clear_pointer(&meta->queue_id, g_free);
	g_clear_pointer(&meta->sender, g_free);
	g_clear_pointer(&meta->message_id, g_free);
	g_clear_pointer(&meta->subject, g_free);
	g_clear_pointer(&meta->receivers, g_free);
}

gboolean store_take_turn(Store *store, const char *what, gint64 now, guint period)
{
	g_autofree char *name = g_strdup_printf("turn:%s:%" G_GINT64_FORMAT, what,
	                                        now / MAX(period, 1));
	gint64 total = 0;

	return store != NULL && store_add_value(store, name, 1, now, &total, NULL) && total == 1;
}

/* activity.c: the last job sent and the last error, noted by whichever process met them
 * (the milter's threads, a delivery agent, `mail2sms send`, a digest) and kept in the
 * state store for `mail2sms status`.
 *
 * A note is memory only: the mail path pays a mutex and a short JSON text, never a store
 * round trip. activity_flush writes what changed, each fact as one store text (a bounded
 * JSON object, store_set_text), stamped with the time it happened, so that the store keeps
 * the newest of what several processes write, whenever each writes it. The milter flushes
 * from a thread of its own at most once a second; a short process once, before it exits.
 * It must not log, and it keeps no text longer than its bounds (ACTIVITY_*), so that what
 * it writes always fits STORE_TEXT_MAX whole. */
#include <string.h>
#include "activity.h"
#include "address.h"
#include "error.h"
#include "safeline.h"

#define ACTIVITY_SENT_NAME "activity:last_sent"
#define ACTIVITY_ERROR_NAME "activity:last_error"
/* A queue id or a tag is short: Postfix's long ids are 20 characters, tags 20. */
#define ACTIVITY_ID_MAX 64

/* One fact as noted: its JSON text and time; WRITTEN is the generation last written. */
typedef struct {
	char *json;
	gint64 at;
	guint generation;
	guint written;
} Note;

static struct {
	GMutex lock;
	Note sent;
	Note failed;
} mem;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

/* Replaces NOTE with JSON at AT (taken), unless it holds a later fact already. */
static void note_set(Note *note, char *json, gint64 at)
{
	g_mutex_lock(&mem.lock);
	if (note->json == NULL || at >= note->at) {
		g_free(note->json);
		note->json = json;
		note->at = at;
		note->generation++;
		json = NULL;
	}
	g_mutex_unlock(&mem.lock);
	g_free(json);
}

/* Adds S (NULL: nothing) to O under KEY as a safe line of at most MAX bytes. */
static void add_line(json_object *o, const char *key, const char *s, gsize max)
{
	if (s == NULL || *s == '\0')
		return;
	g_autofree char *line = safeline(s, max, FALSE);
	json_object_object_add(o, key, json_object_new_string(line));
}

/* The first ACTIVITY_LIST_MAX receivers of LIST, masked, comma-joined; *MORE the others. */
static char *masked_list(const Cfg *cfg, GPtrArray *list, guint *more)
{
	GString *s = g_string_new(NULL);
	guint n = MIN(list->len, ACTIVITY_LIST_MAX);

	for (guint i = 0; i < n; i++) {
		g_autofree char *m = addr_mask(list->pdata[i], cfg->log_numbers_full);
		g_string_append_printf(s, "%s%s", i ? "," : "", m);
	}
	*more = list->len - n;
	return g_string_free(s, FALSE);
}

void activity_sent(const Cfg *cfg, const char *queue_id, const char *tag, const OvhJobResult *r,
                   gint64 now)
{
	g_autoptr(json_object) o = json_object_new_object();
	json_object *ids = json_object_new_array();
	guint n = MIN(r->ids->len, ACTIVITY_LIST_MAX), more;

	for (guint i = 0; i < n; i++)
		json_object_array_add(ids, json_object_new_int64(g_array_index(r->ids, gint64, i)));
	json_object_object_add(o, "ids", ids);
	if (r->ids->len > n)
		json_object_object_add(o, "more_ids", json_object_new_int64(r->ids->len - n));
	g_autofree char *who = masked_list(cfg, r->valid, &more);
	/* Masked numbers are short: the list is within its bound before this cut. */
	add_line(o, "receivers", who, ACTIVITY_LIST_MAX * 24);
	if (more > 0)
		json_object_object_add(o, "more_receivers", json_object_new_int64(more));
	json_object_object_add(o, "credits", json_object_new_double(r->credits));
	add_line(o, "queue_id", queue_id, ACTIVITY_ID_MAX);
	add_line(o, "tag", tag, ACTIVITY_ID_MAX);
	note_set(&mem.sent, g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)),
	         now);
}

void activity_failed(const Cfg *cfg, const char *queue_id, const char *tag, const GError *err,
                     gint64 now)
{
	g_autoptr(json_object) o = json_object_new_object();
	g_autofree char *why = addr_mask_text(err->message, cfg->log_numbers_full);

	json_object_object_add(o, "kind", json_object_new_string(m2s_error_name(err)));
	add_line(o, "reason", why, ACTIVITY_REASON_MAX);
	add_line(o, "queue_id", queue_id, ACTIVITY_ID_MAX);
	add_line(o, "tag", tag, ACTIVITY_ID_MAX);
	note_set(&mem.failed, g_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)),
	         now);
}

/* Writes NOTE under NAME if it changed since its last write. Taken under the lock, written
 * without it (the mail path must not wait for the store); marked written only if no newer
 * note came meanwhile. */
static gboolean flush_one(Store *st, Note *note, const char *name, GError **err)
{
	g_mutex_lock(&mem.lock);
	guint generation = note->generation;
	gboolean due = note->json != NULL && generation != note->written;
	g_autofree char *json = due ? g_strdup(note->json) : NULL;
	gint64 at = note->at;
	g_mutex_unlock(&mem.lock);

	if (!due)
		return TRUE;
	if (!store_set_text(st, name, json, at, err))
		return FALSE;
	g_mutex_lock(&mem.lock);
	if ((gint)(generation - note->written) > 0)
		note->written = generation;
	g_mutex_unlock(&mem.lock);
	return TRUE;
}

gboolean activity_flush(Store *st, GError **err)
{
	if (st == NULL)
		return TRUE;
	return flush_one(st, &mem.sent, ACTIVITY_SENT_NAME, err) &&
	       flush_one(st, &mem.failed, ACTIVITY_ERROR_NAME, err);
}

/* The fact NAME as an object with its "at", or NULL: none kept, or not an object (a text
 * another version wrote, say). */
static gboolean read_one(Store *st, const char *name, json_object **out, GError **err)
{
	g_autofree char *text = NULL;
	gint64 at;

	*out = NULL;
	if (!store_get_text(st, name, &text, &at, err))
		return FALSE;
	if (text == NULL)
		return TRUE;
	json_object *o = json_tokener_parse(text);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return TRUE;
	}
	json_object_object_add(o, "at", json_object_new_int64(at));
	*out = o;
	return TRUE;
}

gboolean activity_read(Store *st, json_object **sent, json_object **failed, GError **err)
{
	*failed = NULL;
	if (!read_one(st, ACTIVITY_SENT_NAME, sent, err))
		return FALSE;
	if (!read_one(st, ACTIVITY_ERROR_NAME, failed, err)) {
		g_clear_pointer(sent, json_object_put);
		return FALSE;
	}
	return TRUE;
}

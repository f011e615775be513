/* tags.c: the memory of job tags in this process (tags.h), shared by its threads.
 *
 * Bounded (TAGS_MAX, oldest sent tag dropped first) and independent of the configuration,
 * so that a reload forgets nothing. Past the bound of tags in doubt every tag counts as in
 * doubt: asking OVH once too often is safe, posting a job twice is not. It must not make a
 * network call or log. */
#include "tags.h"

#define TAGS_MAX 20000

typedef struct {
	GArray *ids;            /* gint64 */
	gint64 at;              /* when it was sent, monotonic microseconds */
} SentTag;

static void sent_tag_free(SentTag *t)
{
	g_array_unref(t->ids);
	g_free(t);
}

static struct {
	GMutex lock;
	GHashTable *sent;       /* tag -> SentTag */
	GQueue order;           /* sent tags, oldest first */
	GHashTable *doubt;      /* tag -> when it was put in doubt, seconds since the epoch */
	gboolean overflow;      /* more tags in doubt than kept */
} mem = { .order = G_QUEUE_INIT };

TagState tags_state(const char *tag, GArray **ids)
{
	TagState st = TAG_NEW;
	gint64 oldest = g_get_monotonic_time() - (gint64)TAGS_RETRY_WINDOW * G_USEC_PER_SEC;
	SentTag *found;

	*ids = NULL;
	g_mutex_lock(&mem.lock);
	if (mem.sent && (found = g_hash_table_lookup(mem.sent, tag)) != NULL && found->at >= oldest) {
		*ids = g_array_copy(found->ids);
		st = TAG_SENT;
	} else if (mem.overflow || (mem.doubt && g_hash_table_contains(mem.doubt, tag))) {
		st = TAG_IN_DOUBT;
	}
	g_mutex_unlock(&mem.lock);
	return st;
}

void tags_sent(const char *tag, GArray *ids)
{
	g_mutex_lock(&mem.lock);
	if (mem.sent == NULL)
		mem.sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                 (GDestroyNotify)sent_tag_free);
	SentTag *t = g_hash_table_lookup(mem.sent, tag);
	if (t == NULL) {
		char *key = g_strdup(tag);
		t = g_new0(SentTag, 1);
		g_hash_table_insert(mem.sent, key, t);
		g_queue_push_tail(&mem.order, key);
		if (mem.order.length > TAGS_MAX)
			g_hash_table_remove(mem.sent, g_queue_pop_head(&mem.order));
	} else {
		g_array_unref(t->ids);  /* a new alert past the window: its ids now */
	}
	t->ids = g_array_copy(ids);
	t->at = g_get_monotonic_time();
	if (mem.doubt)
		g_hash_table_remove(mem.doubt, tag);
	g_mutex_unlock(&mem.lock);
}

void tags_in_doubt(const char *tag)
{
	g_mutex_lock(&mem.lock);
	if (mem.doubt == NULL)
		mem.doubt = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (g_hash_table_contains(mem.doubt, tag))
		;  /* the earliest attempt in doubt is the one that counts */
	else if (g_hash_table_size(mem.doubt) < TAGS_MAX)
		g_hash_table_insert(mem.doubt, g_strdup(tag),
		                    GSIZE_TO_POINTER((gsize)(g_get_real_time() / G_USEC_PER_SEC)));
	else
		mem.overflow = TRUE;
	g_mutex_unlock(&mem.lock);
}

gint64 tags_doubt_since(const char *tag)
{
	gint64 since = 0;

	g_mutex_lock(&mem.lock);
	if (mem.doubt)
		since = (gint64)GPOINTER_TO_SIZE(g_hash_table_lookup(mem.doubt, tag));
	g_mutex_unlock(&mem.lock);
	return since;
}

void tags_settled(const char *tag)
{
	g_mutex_lock(&mem.lock);
	if (mem.doubt)
		g_hash_table_remove(mem.doubt, tag);
	g_mutex_unlock(&mem.lock);
}

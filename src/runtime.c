/* runtime.c: the configuration, the OVH client and the sent-tag memory, as one
 * reference-counted value that a reload replaces atomically.
 *
 * Work in progress keeps the runtime it started with; new messages take the current one.
 * The sent-tag memory is bounded (RUNTIME_MAX_TAGS, oldest dropped first) and survives a
 * reload, so that a retried mail is recognised whatever happened in between. */
#include "runtime.h"
#include "ovh_http.h"

#define RUNTIME_MAX_TAGS 20000

/* Tags already sent, and tags whose job's fate is unknown, shared by every runtime of the
 * process. */
typedef struct {
	GMutex lock;
	GHashTable *ids;        /* tag -> "id,id" */
	GQueue order;           /* tags, oldest first */
	GHashTable *uncertain;  /* tags; bounded like ids */
	gboolean overflow;      /* more uncertain tags than kept: every tag is uncertain */
} SentTags;

struct Runtime {
	gint refcount;
	Cfg *cfg;
	OvhClient *ovh;
};

static SentTags sent = { .order = G_QUEUE_INIT };
static GMutex current_lock;
static Runtime *current;

Runtime *runtime_new(Cfg *cfg, GError **err)
{
	OvhClient *ovh = ovh_client_new(cfg, err);
	Runtime *rt;

	if (ovh == NULL)
		return NULL;
	rt = g_new0(Runtime, 1);
	rt->refcount = 1;
	rt->cfg = cfg_ref(cfg);
	rt->ovh = ovh;
	return rt;
}

Runtime *runtime_ref(Runtime *rt)
{
	g_atomic_int_inc(&rt->refcount);
	return rt;
}

void runtime_unref(Runtime *rt)
{
	if (rt == NULL || !g_atomic_int_dec_and_test(&rt->refcount))
		return;
	ovh_client_free(rt->ovh);
	cfg_unref(rt->cfg);
	g_free(rt);
}

const Cfg *runtime_cfg(const Runtime *rt)
{
	return rt->cfg;
}

OvhClient *runtime_ovh(const Runtime *rt)
{
	return rt->ovh;
}

void runtime_tag_sent(const char *tag, const char *ids)
{
	g_mutex_lock(&sent.lock);
	if (sent.ids == NULL)
		sent.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!g_hash_table_contains(sent.ids, tag)) {
		char *key = g_strdup(tag);
		g_hash_table_insert(sent.ids, key, g_strdup(ids));
		g_queue_push_tail(&sent.order, key);
		if (sent.order.length > RUNTIME_MAX_TAGS)
			g_hash_table_remove(sent.ids, g_queue_pop_head(&sent.order));
	}
	g_mutex_unlock(&sent.lock);
}

char *runtime_tag_lookup(const char *tag)
{
	char *ids = NULL;

	g_mutex_lock(&sent.lock);
	if (sent.ids)
		ids = g_strdup(g_hash_table_lookup(sent.ids, tag));
	g_mutex_unlock(&sent.lock);
	return ids;
}

void runtime_tag_uncertain(const char *tag)
{
	g_mutex_lock(&sent.lock);
	if (sent.uncertain == NULL)
		sent.uncertain = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* Past the bound, every tag is asked about before it is posted. */
	if (g_hash_table_size(sent.uncertain) < RUNTIME_MAX_TAGS)
		g_hash_table_add(sent.uncertain, g_strdup(tag));
	else
		sent.overflow = TRUE;
	g_mutex_unlock(&sent.lock);
}

gboolean runtime_tag_is_uncertain(const char *tag)
{
	gboolean yes;

	g_mutex_lock(&sent.lock);
	yes = sent.overflow || (sent.uncertain && g_hash_table_contains(sent.uncertain, tag));
	g_mutex_unlock(&sent.lock);
	return yes;
}

void runtime_tag_settled(const char *tag)
{
	g_mutex_lock(&sent.lock);
	if (sent.uncertain)
		g_hash_table_remove(sent.uncertain, tag);
	g_mutex_unlock(&sent.lock);
}

Runtime *runtime_current(void)
{
	Runtime *rt;

	g_mutex_lock(&current_lock);
	rt = current ? runtime_ref(current) : NULL;
	g_mutex_unlock(&current_lock);
	return rt;
}

void runtime_install(Runtime *rt)
{
	Runtime *old;

	g_mutex_lock(&current_lock);
	old = current;
	current = rt ? runtime_ref(rt) : NULL;
	g_mutex_unlock(&current_lock);
	runtime_unref(old);
}

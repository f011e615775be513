/*
 * states.c: the delivery state of each SMS sent. An SMS no one has set is delivered (ptt 4,
 * deliveryReceipt 1, delivered when created); the control port's POST /state sets one SMS
 * (by id) or every SMS of a tag to a ptt, derives the receipt from it unless given, and
 * calls the account's callBack URL for each SMS changed, as OVH does.
 * It must not make a callback with the state lock held (a slow listener would stall every
 * request) and must not change the recorded jobs.
 */
#include "mock.h"

#include <string.h>
#include <time.h>

#define MAX_PTT 999

/* Caller holds m->lock. The state of SMS s: the one set last, or delivered at creation. */
void state_of(struct mock *m, const struct sms_ref *s, struct sms_state *out)
{
	struct sms_state *st = g_hash_table_lookup(m->states, &s->id);

	if (st) {
		*out = *st;
		return;
	}
	out->id = s->id;
	out->ptt = 4;
	out->receipt = 1;
	out->delivered_at = s->created;
}

/* Caller holds m->lock. */
void states_reset(struct mock *m)
{
	g_hash_table_remove_all(m->states);
}

/* Caller holds m->lock: delivery times move back with the jobs on POST /age. */
void states_age(struct mock *m, gint64 by)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, m->states);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct sms_state *st = v;

		if (st->delivered_at)
			st->delivered_at -= by;
	}
}

/* One SMS changed, and where to tell of it once the lock is released. */
struct change {
	struct sms_state st;
	char *url;			/* NULL: no callback */
	char *receiver, *tag;
};

static void change_clear(gpointer p)
{
	struct change *c = p;

	g_free(c->url);
	g_free(c->receiver);
	g_free(c->tag);
}

/* What a POST /state body asks for. */
struct state_order {
	struct mock *m;
	gint64 id;			/* 0: by tag */
	const char *tag;
	int ptt, receipt;
	gboolean callback;
	GArray *changes;		/* struct change */
};

/* OVH's deliveryReceipt values: 0 pending, 1 delivered, 2 failed, 4 waiting, 8 buffered, 16 error. */
static gboolean receipt_known(gint64 n)
{
	return n == 0 || n == 1 || n == 2 || n == 4 || n == 8 || n == 16;
}

/* Reads a POST /state body into o; an error message (to free) when it is wrong. */
static char *order_parse(json_object *body, struct state_order *o)
{
	gboolean has_ptt = FALSE;

	o->receipt = -1;
	o->callback = TRUE;
	if (!body || !json_object_is_type(body, json_type_object))
		return g_strdup("body must be a JSON object");
	json_object_object_foreach(body, key, val) {
		gint64 n = json_object_get_int64(val);
		gboolean is_int = json_object_is_type(val, json_type_int);

		if (!strcmp(key, "id") && is_int && n > 0) {
			o->id = n;
		} else if (!strcmp(key, "tag") && json_object_is_type(val, json_type_string) &&
			   *json_object_get_string(val)) {
			o->tag = json_object_get_string(val);
		} else if (!strcmp(key, "ptt") && is_int && n >= 0 && n <= MAX_PTT) {
			o->ptt = (int)n;
			has_ptt = TRUE;
		} else if (!strcmp(key, "deliveryReceipt") && is_int && receipt_known(n)) {
			o->receipt = (int)n;
		} else if (!strcmp(key, "callback") && json_object_is_type(val, json_type_boolean)) {
			o->callback = json_object_get_boolean(val);
		} else {
			return g_strdup_printf("%s: unknown field or bad value", key);
		}
	}
	if (!has_ptt)
		return g_strdup("ptt is required");
	if (!o->id == !o->tag)
		return g_strdup("give either id or tag");
	if (o->receipt < 0)
		o->receipt = ptt_receipt(o->ptt);
	return NULL;
}

/* Caller holds m->lock: sets one SMS's state and notes the callback it calls for. */
static gboolean state_set(const struct sms_ref *s, void *data)
{
	struct state_order *o = data;
	struct sms_state *st;
	struct mock_service *svc;
	struct change c = { 0 };

	if (o->tag && strcmp(s->tag, o->tag) != 0)
		return TRUE;
	st = g_hash_table_lookup(o->m->states, &s->id);
	if (!st) {
		st = g_new0(struct sms_state, 1);
		st->id = s->id;
		g_hash_table_insert(o->m->states, &st->id, st);
	}
	st->ptt = o->ptt;
	st->receipt = o->receipt;
	st->delivered_at = o->receipt == 1 ? (gint64)time(NULL) : 0;
	c.st = *st;
	svc = sms_service(o->m, s->service);
	if (o->callback && svc && *svc->callback)
		c.url = g_strdup(svc->callback);
	c.receiver = g_strdup(s->receiver);
	c.tag = g_strdup(s->tag);
	g_array_append_val(o->changes, c);
	return TRUE;
}

/* Caller holds m->lock: applies the order to its SMS. */
static void order_apply(struct state_order *o)
{
	struct sms_ref s;

	if (o->tag)
		sms_foreach(o->m, state_set, o);
	else if (sms_find(o->m, o->id, &s))
		state_set(&s, o);
}

/* The control port's POST /state: the reply, its HTTP status in *status. */
json_object *state_control(struct mock *m, json_object *body, int *status)
{
	struct state_order o = { .m = m };
	g_autofree char *err = order_parse(body, &o);
	g_autoptr(GArray) changes = NULL;
	json_object *results, *reply;

	if (err) {
		*status = 400;
		reply = json_object_new_object();
		json_object_object_add(reply, "error", json_object_new_string(err));
		return reply;
	}
	changes = o.changes = g_array_new(FALSE, TRUE, sizeof(struct change));
	g_array_set_clear_func(changes, change_clear);
	pthread_mutex_lock(&m->lock);
	order_apply(&o);
	pthread_mutex_unlock(&m->lock);
	if (changes->len == 0) {
		*status = 404;
		reply = json_object_new_object();
		json_object_object_add(reply, "error", json_object_new_string(
			o.tag ? "no SMS with that tag" : "no SMS with that id"));
		return reply;
	}

	results = json_object_new_array();
	for (guint i = 0; i < changes->len; i++) {
		struct change *c = &g_array_index(changes, struct change, i);
		const char *description = ptt_description(c->st.ptt);
		json_object *one = json_object_new_object();

		json_object_object_add(one, "id", json_object_new_int64(c->st.id));
		json_object_object_add(one, "ptt", json_object_new_int(c->st.ptt));
		json_object_object_add(one, "deliveryReceipt", json_object_new_int(c->st.receipt));
		json_object_object_add(one, "callback_status", json_object_new_int(
			c->url ? callback_send(c->url, &c->st, description ? description : "",
					       c->receiver, c->tag) : 0));
		json_object_array_add(results, one);
	}
	*status = 200;
	if (!o.tag) {
		reply = json_object_get(json_object_array_get_idx(results, 0));
		json_object_put(results);
		return reply;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "tag", json_object_new_string(o.tag));
	json_object_object_add(reply, "results", results);
	return reply;
}

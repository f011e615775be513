/*
 * sms.c: the /sms routes of the stand-in API. Lists services and senders, validates job
 * bodies field by field as OVH does (names, types, enums, length in parts), sorts receivers
 * into valid and invalid, hands out increasing ids, takes the credits and records every
 * executed job for /outgoing, the control port and the log. Lists and shows the SMS sent,
 * each with the delivery state states.c keeps, and walks them for the other modules.
 * It must not check credentials (routes.c has done so before a handler runs) and must not
 * touch the recorded jobs or the credits outside the state lock.
 */
#include "mock.h"

#include <string.h>
#include <time.h>

#define MOCK_ERROR g_quark_from_static_string("ovhmock")
#define MOCK_FIRST_ID 27814656

/* "NAME[:CREDITS]" */
gboolean sms_add_service(struct mock *m, const char *spec, GError **err)
{
	g_auto(GStrv) f = g_strsplit(spec, ":", 2);
	struct mock_service *s;
	char *end = NULL;
	gint64 credits = 1000;

	if (!f[0] || !*f[0] || strchr(f[0], '/')) {
		g_set_error(err, MOCK_ERROR, 1, "--service %s: expected NAME[:CREDITS]", spec);
		return FALSE;
	}
	if (f[1]) {
		credits = g_ascii_strtoll(f[1], &end, 10);
		if (!*f[1] || *end || credits < 0) {
			g_set_error(err, MOCK_ERROR, 1, "--service %s: bad credits", spec);
			return FALSE;
		}
	}
	s = g_new0(struct mock_service, 1);
	s->name = g_strdup(f[0]);
	s->credits = s->credits_initial = credits;
	s->callback = g_strdup("");
	s->stop_callback = g_strdup("");
	s->description = g_strdup("");
	g_ptr_array_add(m->services, s);
	if (!m->next_id)
		m->next_id = MOCK_FIRST_ID;
	return TRUE;
}

/* Caller holds m->lock. */
void sms_reset(struct mock *m)
{
	for (guint i = 0; i < m->services->len; i++) {
		struct mock_service *s = m->services->pdata[i];

		s->credits = s->credits_initial;
	}
	g_ptr_array_set_size(m->jobs, 0);
}

/* Caller holds m->lock. */
struct mock_service *sms_service(struct mock *m, const char *name)
{
	for (guint i = 0; i < m->services->len; i++) {
		struct mock_service *s = m->services->pdata[i];

		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

/* Replies 404 and returns FALSE when the service is unknown. */
gboolean sms_service_known(struct mock_req *r, const char *name)
{
	gboolean known;

	pthread_mutex_lock(&r->m->lock);
	known = sms_service(r->m, name) != NULL;
	pthread_mutex_unlock(&r->m->lock);
	if (!known)
		mock_reply_class(r, 404, "Client::NotFound", "This service does not exist");
	return known;
}

/* GET /sms */
void sms_list(struct mock_req *r, char **args)
{
	json_object *a = json_object_new_array();

	(void)args;
	pthread_mutex_lock(&r->m->lock);
	for (guint i = 0; i < r->m->services->len; i++) {
		struct mock_service *s = r->m->services->pdata[i];

		json_object_array_add(a, json_object_new_string(s->name));
	}
	pthread_mutex_unlock(&r->m->lock);
	mock_reply(r, 200, a);
}

/* GET /sms/{svc}/senders */
void sms_senders(struct mock_req *r, char **args)
{
	json_object *a;

	if (!sms_service_known(r, args[0]))
		return;
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("MAIL2SMS"));
	mock_reply(r, 200, a);
}

static gboolean in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return TRUE;
	return FALSE;
}

/* Checks every field of a job body; replies 400 and returns FALSE on the first fault. */
static gboolean job_valid(struct mock_req *r)
{
	static const char *const priorities[] = { "high", "medium", "low", "veryLow", NULL };
	static const char *const codings[] = { "7bit", "8bit", NULL };
	static const char *const classes[] = { "flash", "phoneDisplay", "sim", "toolkit", NULL };
	static const char *const strings[] = { "message", "sender", "priority", "tag", "charset",
					       "coding", "class", NULL };
	static const char *const bools[] = { "senderForResponse", "noStopClause", NULL };
	static const char *const ints[] = { "validityPeriod", "differedPeriod", NULL };
	json_object *msg = NULL, *rcv = NULL;

	if (!r->json || !json_object_is_type(r->json, json_type_object)) {
		mock_reply_bad(r, "Invalid JSON received");
		return FALSE;
	}
	json_object_object_foreach(r->json, key, val) {
		const char *s = json_object_get_string(val);

		if (!val)
			continue;
		if (in_list(key, strings)) {
			if (!json_object_is_type(val, json_type_string))
				goto bad_type;
		} else if (in_list(key, bools)) {
			if (!json_object_is_type(val, json_type_boolean))
				goto bad_type;
		} else if (in_list(key, ints)) {
			if (!json_object_is_type(val, json_type_int))
				goto bad_type;
			if (json_object_get_int64(val) < 0) {
				mock_reply_bad(r, "Invalid parameter %s", key);
				return FALSE;
			}
		} else if (strcmp(key, "receivers") == 0) {
			if (!json_object_is_type(val, json_type_array))
				goto bad_type;
			for (size_t i = 0; i < json_object_array_length(val); i++)
				if (!json_object_is_type(json_object_array_get_idx(val, i),
							 json_type_string))
					goto bad_type;
		} else {
			mock_reply_bad(r, "Invalid parameter %s", key);
			return FALSE;
		}
		if ((!strcmp(key, "priority") && !in_list(s, priorities)) ||
		    (!strcmp(key, "coding") && !in_list(s, codings)) ||
		    (!strcmp(key, "class") && !in_list(s, classes)) ||
		    (!strcmp(key, "charset") && strcmp(s, "UTF-8") != 0) ||
		    (!strcmp(key, "tag") && (!g_utf8_validate(s, -1, NULL) ||
					     g_utf8_strlen(s, -1) > 20))) {
			mock_reply_bad(r, "Invalid parameter %s", key);
			return FALSE;
		}
		continue;
bad_type:
		mock_reply_bad(r, "Invalid type for parameter %s", key);
		return FALSE;
	}
	json_object_object_get_ex(r->json, "message", &msg);
	json_object_object_get_ex(r->json, "receivers", &rcv);
	if (!msg || !*json_object_get_string(msg)) {
		mock_reply_bad(r, "Missing parameter message");
		return FALSE;
	}
	if (!g_utf8_validate(json_object_get_string(msg), -1, NULL)) {
		mock_reply_bad(r, "Invalid parameter message");
		return FALSE;
	}
	if (!rcv || json_object_array_length(rcv) == 0) {
		mock_reply_bad(r, "No receivers");
		return FALSE;
	}
	return TRUE;
}

/* "0033..." becomes "+33..."; NULL when the number is not a valid international one. */
static char *receiver_normalise(struct mock *m, const char *in)
{
	g_autofree char *n = g_str_has_prefix(in, "00") ? g_strconcat("+", in + 2, NULL)
							: g_strdup(in);
	size_t len = strlen(n);

	if (n[0] != '+' || n[1] < '1' || n[1] > '9' || len < 9 || len > 16)
		return NULL;
	for (size_t i = 1; i < len; i++)
		if (!g_ascii_isdigit(n[i]))
			return NULL;
	for (guint i = 0; i < m->invalid_prefixes->len; i++)
		if (g_str_has_prefix(n, m->invalid_prefixes->pdata[i]))
			return NULL;
	return g_steal_pointer(&n);
}

static const char *opt_string(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

/* POST /sms/{svc}/jobs */
void sms_job(struct mock_req *r, char **args)
{
	struct mock *m = r->m;
	struct sms_parts parts;
	json_object *rcv, *valid, *invalid, *ids, *job, *o;
	const char *tag, *sender;
	struct mock_service *s;
	int nvalid = 0, after;

	if (!sms_service_known(r, args[0]) || !job_valid(r))
		return;
	parts_count(opt_string(r->json, "message"), &parts);
	if (parts.parts > MOCK_MAX_PARTS) {
		mock_reply_bad(r, "Message too long");
		return;
	}
	tag = opt_string(r->json, "tag");
	sender = opt_string(r->json, "sender");
	json_object_object_get_ex(r->json, "receivers", &rcv);
	valid = json_object_new_array();
	invalid = json_object_new_array();
	ids = json_object_new_array();

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < json_object_array_length(rcv); i++) {
		const char *in = json_object_get_string(json_object_array_get_idx(rcv, i));
		g_autofree char *n = receiver_normalise(m, in);

		if (n) {
			json_object_array_add(valid, json_object_new_string(n));
			json_object_array_add(ids, json_object_new_int64(m->next_id++));
			nvalid++;
		} else {
			json_object_array_add(invalid, json_object_new_string(in));
		}
	}
	s = sms_service(m, args[0]);
	s->credits -= (gint64)parts.parts * nvalid;
	job = json_object_new_object();
	json_object_object_add(job, "service", json_object_new_string(args[0]));
	json_object_object_add(job, "receivers", json_object_get(rcv));
	json_object_object_add(job, "valid", json_object_get(valid));
	json_object_object_add(job, "invalid", json_object_get(invalid));
	json_object_object_add(job, "message", json_object_new_string(opt_string(r->json, "message")));
	json_object_object_add(job, "tag", json_object_new_string(tag ? tag : ""));
	json_object_object_add(job, "ids", json_object_get(ids));
	json_object_object_add(job, "parts", json_object_new_int(parts.parts));
	json_object_object_add(job, "encoding", json_object_new_string(parts.gsm7 ? "gsm7" : "ucs2"));
	json_object_object_add(job, "characters", json_object_new_int(parts.chars));
	json_object_object_add(job, "credits", json_object_new_int(parts.parts * nvalid));
	json_object_object_add(job, "sender", sender ? json_object_new_string(sender) : NULL);
	json_object_object_add(job, "consumer", json_object_new_string(r->consumer));
	json_object_object_add(job, "conn", json_object_new_int64((gint64)r->conn));
	json_object_object_add(job, "created", json_object_new_int64(time(NULL)));
	r->drop = r->rate_drop || fault_take_drop(m);
	after = fault_after_execute(m);
	json_object_object_add(job, "dropped", json_object_new_boolean(r->drop));
	json_object_object_add(job, "request", json_object_get(r->json));
	/* The stored copy shares nothing with this request's objects: only the lock guards it. */
	o = NULL;
	json_object_deep_copy(job, &o, NULL);
	g_ptr_array_add(m->jobs, o);
	pthread_mutex_unlock(&m->lock);
	r->job = job;
	if (after) {
		/* Executed, yet answered with an error: the client cannot tell it went out. */
		json_object_put(valid);
		json_object_put(invalid);
		json_object_put(ids);
		mock_reply_status(r, after);
		return;
	}

	o = json_object_new_object();
	json_object_object_add(o, "totalCreditsRemoved", json_object_new_int(parts.parts * nvalid));
	json_object_object_add(o, "invalidReceivers", invalid);
	json_object_object_add(o, "ids", ids);
	json_object_object_add(o, "validReceivers", valid);
	json_object_object_add(o, "tag", json_object_new_string(tag ? tag : ""));
	mock_reply(r, 200, o);
}

/* Caller holds m->lock. Calls fn once per SMS sent (valid receiver), oldest first. */
void sms_foreach(struct mock *m, sms_visit *fn, void *data)
{
	for (guint i = 0; i < m->jobs->len; i++) {
		json_object *job = m->jobs->pdata[i], *ids, *valid, *v;
		struct sms_ref s = { 0 };

		s.service = opt_string(job, "service");
		s.tag = opt_string(job, "tag");
		s.message = opt_string(job, "message");
		s.sender = opt_string(job, "sender");
		if (json_object_object_get_ex(job, "created", &v))
			s.created = json_object_get_int64(v);
		if (json_object_object_get_ex(job, "parts", &v))
			s.parts = json_object_get_int(v);
		json_object_object_get_ex(job, "ids", &ids);
		json_object_object_get_ex(job, "valid", &valid);
		for (size_t k = 0; k < json_object_array_length(ids); k++) {
			s.id = json_object_get_int64(json_object_array_get_idx(ids, k));
			s.receiver = json_object_get_string(json_object_array_get_idx(valid, k));
			if (!fn(&s, data))
				return;
		}
	}
}

/* sms_find's visitor: stops at the SMS whose id it was given. */
static gboolean find_one(const struct sms_ref *s, void *data)
{
	struct sms_ref *want = data;

	if (s->id != want->id)
		return TRUE;
	*want = *s;
	return FALSE;
}

/* Caller holds m->lock. Fills out (its strings valid while the lock is held) for SMS id. */
gboolean sms_find(struct mock *m, gint64 id, struct sms_ref *out)
{
	struct sms_ref want = { .id = id };

	sms_foreach(m, find_one, &want);
	if (!want.service)
		return FALSE;
	*out = want;
	return TRUE;
}

/* A date-time query argument; OVH takes one with its offset, anything else is a bad request. */
gboolean sms_time_arg(struct mock_req *r, const char *name, gint64 *out)
{
	const char *text = mock_arg(r, name);
	g_autoptr(GDateTime) d = NULL;

	if (!text)
		return TRUE;
	d = g_date_time_new_from_iso8601(text, NULL);
	if (d == NULL) {
		mock_reply_bad(r, "Invalid value for %s: %s", name, text);
		return FALSE;
	}
	*out = g_date_time_to_unix(d);
	return TRUE;
}

/* An integer query argument; left alone when absent, a bad request when not an integer. */
gboolean sms_int_arg(struct mock_req *r, const char *name, gint64 *out)
{
	const char *text = mock_arg(r, name);
	char *end = NULL;
	gint64 n;

	if (!text)
		return TRUE;
	n = g_ascii_strtoll(text, &end, 10);
	if (!*text || *end) {
		mock_reply_bad(r, "Invalid value for %s: %s", name, text);
		return FALSE;
	}
	*out = n;
	return TRUE;
}

/* A date-time as OVH writes it: local time with its offset, "2024-05-01T10:00:00+02:00". */
json_object *sms_iso_time(gint64 t)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
	g_autofree char *s = g_date_time_format(d, "%Y-%m-%dT%H:%M:%S%:z");

	return json_object_new_string(s);
}

/* What GET /outgoing was asked for; -1 in ptt or receipt: any. */
struct outgoing_query {
	struct mock *m;
	const char *service, *tag, *receiver;
	gint64 from, to, listed_before, ptt, receipt;
	json_object *out;
};

/* GET /outgoing's visitor: lists the SMS that pass every filter asked for. */
static gboolean outgoing_match(const struct sms_ref *s, void *data)
{
	struct outgoing_query *q = data;
	struct sms_state st;

	if (strcmp(s->service, q->service) != 0 || (q->tag && strcmp(s->tag, q->tag) != 0) ||
	    (q->receiver && strcmp(s->receiver, q->receiver) != 0) || s->created < q->from ||
	    s->created > q->to || s->created > q->listed_before)
		return TRUE;
	state_of(q->m, s, &st);
	if ((q->ptt >= 0 && st.ptt != q->ptt) || (q->receipt >= 0 && st.receipt != q->receipt))
		return TRUE;
	json_object_array_add(q->out, json_object_new_int64(s->id));
	return TRUE;
}

/*
 * GET /sms/{svc}/outgoing[?tag=X][&receiver=N][&creationDatetime.from=ISO]
 * [&creationDatetime.to=ISO][&ptt=N][&deliveryReceipt=N]
 */
void sms_outgoing(struct mock_req *r, char **args)
{
	struct outgoing_query q = {
		.m = r->m, .service = args[0], .tag = mock_arg(r, "tag"),
		.receiver = mock_arg(r, "receiver"), .from = G_MININT64, .to = G_MAXINT64,
		.ptt = -1, .receipt = -1,
	};

	if (!sms_service_known(r, args[0]) ||
	    !sms_time_arg(r, "creationDatetime.from", &q.from) ||
	    !sms_time_arg(r, "creationDatetime.to", &q.to) || !sms_int_arg(r, "ptt", &q.ptt) ||
	    !sms_int_arg(r, "deliveryReceipt", &q.receipt))
		return;
	q.out = json_object_new_array();
	pthread_mutex_lock(&r->m->lock);
	/* A job OVH has queued shows in the list only once it went out. */
	q.listed_before = (gint64)time(NULL) - fault_list_delay(r->m);
	sms_foreach(r->m, outgoing_match, &q);
	pthread_mutex_unlock(&r->m->lock);
	mock_reply(r, 200, q.out);
}

/* GET /sms/{svc}/outgoing/{id} */
void sms_outgoing_one(struct mock_req *r, char **args)
{
	char *end = NULL;
	gint64 id = g_ascii_strtoll(args[1], &end, 10);
	json_object *o = NULL;
	struct sms_ref s;
	struct sms_state st;

	if (!sms_service_known(r, args[0]))
		return;
	pthread_mutex_lock(&r->m->lock);
	if (*end == '\0' && sms_find(r->m, id, &s) && strcmp(s.service, args[0]) == 0) {
		state_of(r->m, &s, &st);
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "message", json_object_new_string(s.message));
		json_object_object_add(o, "receiver", json_object_new_string(s.receiver));
		json_object_object_add(o, "sender", json_object_new_string(s.sender ? s.sender : ""));
		json_object_object_add(o, "tag", json_object_new_string(s.tag));
		json_object_object_add(o, "credits", json_object_new_int64(s.parts));
		json_object_object_add(o, "numberOfSms", json_object_new_int64(s.parts));
		json_object_object_add(o, "ptt", json_object_new_int(st.ptt));
		json_object_object_add(o, "deliveryReceipt", json_object_new_int(st.receipt));
		json_object_object_add(o, "differedDelivery", json_object_new_int(0));
		json_object_object_add(o, "creationDatetime", sms_iso_time(s.created));
		json_object_object_add(o, "sentAt", sms_iso_time(s.created));
		json_object_object_add(o, "deliveredAt",
				       st.delivered_at ? sms_iso_time(st.delivered_at) : NULL);
	}
	pthread_mutex_unlock(&r->m->lock);
	if (!o) {
		g_autofree char *msg =
			g_strdup_printf("The requested object (id = %s) does not exist", args[1]);

		mock_reply_class(r, 404, "Client::NotFound", msg);
		return;
	}
	mock_reply(r, 200, o);
}

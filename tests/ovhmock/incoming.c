/*
 * incoming.c: SMS received by a service, the replies OVH keeps until the client deletes them.
 * Tests put one in through the control port's POST /incoming and see what is left with
 * GET /incoming; the client lists them (filters sender, tag, creationDatetime.from/.to),
 * reads and deletes them through GET, GET and DELETE /sms/{svc}/incoming[/{id}].
 * Ids start at MOCK_FIRST_INCOMING (5000001) and are never given twice, even after a reset.
 * It must not touch the list outside the state lock and must not check credentials.
 */
#include "mock.h"

#include <string.h>
#include <time.h>

void incoming_free(gpointer p)
{
	struct mock_incoming *in = p;

	g_free(in->service);
	g_free(in->sender);
	g_free(in->message);
	g_free(in->tag);
	g_free(in);
}

/* Caller holds m->lock. */
void incoming_reset(struct mock *m)
{
	g_ptr_array_set_size(m->incoming, 0);
}

/* Caller holds m->lock: every SMS received is made older, like the jobs on POST /age. */
void incoming_age(struct mock *m, gint64 by)
{
	for (guint i = 0; i < m->incoming->len; i++)
		((struct mock_incoming *)m->incoming->pdata[i])->created -= by;
}

/* OVH's shape of an incoming SMS; the control port adds the service. */
static json_object *incoming_json(const struct mock_incoming *in, gboolean with_service)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(in->id));
	json_object_object_add(o, "creationDatetime", sms_iso_time(in->created));
	json_object_object_add(o, "credits", json_object_new_int64(in->credits));
	json_object_object_add(o, "message", json_object_new_string(in->message));
	json_object_object_add(o, "sender", json_object_new_string(in->sender));
	json_object_object_add(o, "tag", json_object_new_string(in->tag));
	if (with_service)
		json_object_object_add(o, "service", json_object_new_string(in->service));
	return o;
}

/* A control-port error reply {"error": msg}; takes msg. */
static json_object *control_error(int *status, int code, char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	g_free(msg);
	*status = code;
	return o;
}

/* The control port's POST /incoming: {"sender","message"[,"tag","service","credits"]}. */
json_object *incoming_add(struct mock *m, json_object *body, int *status)
{
	const char *sender = NULL, *message = NULL, *tag = "", *service = NULL;
	gint64 credits = 1, id;
	struct mock_incoming *in;
	struct mock_service *svc;
	json_object *o;

	if (!body || !json_object_is_type(body, json_type_object))
		return control_error(status, 400, g_strdup("body must be a JSON object"));
	json_object_object_foreach(body, key, val) {
		const char *s = json_object_is_type(val, json_type_string)
					? json_object_get_string(val) : NULL;

		if (!strcmp(key, "sender") && s && *s)
			sender = s;
		else if (!strcmp(key, "message") && s && *s && g_utf8_validate(s, -1, NULL))
			message = s;
		else if (!strcmp(key, "tag") && s)
			tag = s;
		else if (!strcmp(key, "service") && s)
			service = s;
		else if (!strcmp(key, "credits") && json_object_is_type(val, json_type_int) &&
			 json_object_get_int64(val) >= 0)
			credits = json_object_get_int64(val);
		else
			return control_error(status, 400,
					     g_strdup_printf("%s: unknown field or bad value", key));
	}
	if (!sender || !message)
		return control_error(status, 400, g_strdup("sender and message are required"));
	pthread_mutex_lock(&m->lock);
	svc = service ? sms_service(m, service) : m->services->pdata[0];
	if (!svc) {
		pthread_mutex_unlock(&m->lock);
		return control_error(status, 404, g_strdup_printf("unknown service %s", service));
	}
	in = g_new0(struct mock_incoming, 1);
	in->id = id = m->next_incoming++;
	in->service = g_strdup(svc->name);
	in->sender = g_strdup(sender);
	in->message = g_strdup(message);
	in->tag = g_strdup(tag);
	in->credits = credits;
	in->created = time(NULL);
	g_ptr_array_add(m->incoming, in);
	pthread_mutex_unlock(&m->lock);
	*status = 200;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	return o;
}

/* Caller holds m->lock: every SMS received still held, for the control port's GET /incoming. */
json_object *incoming_dump(struct mock *m)
{
	json_object *a = json_object_new_array();

	for (guint i = 0; i < m->incoming->len; i++)
		json_object_array_add(a, incoming_json(m->incoming->pdata[i], TRUE));
	return a;
}

/* GET /sms/{svc}/incoming[?sender=N][&tag=T][&creationDatetime.from=ISO][&creationDatetime.to=ISO] */
void incoming_list(struct mock_req *r, char **args)
{
	const char *sender = mock_arg(r, "sender"), *tag = mock_arg(r, "tag");
	gint64 from = G_MININT64, to = G_MAXINT64;
	json_object *out;

	if (!sms_service_known(r, args[0]) || !sms_time_arg(r, "creationDatetime.from", &from) ||
	    !sms_time_arg(r, "creationDatetime.to", &to))
		return;
	out = json_object_new_array();
	pthread_mutex_lock(&r->m->lock);
	for (guint i = 0; i < r->m->incoming->len; i++) {
		struct mock_incoming *in = r->m->incoming->pdata[i];

		if (strcmp(in->service, args[0]) == 0 && (!sender || !strcmp(in->sender, sender)) &&
		    (!tag || !strcmp(in->tag, tag)) && in->created >= from && in->created <= to)
			json_object_array_add(out, json_object_new_int64(in->id));
	}
	pthread_mutex_unlock(&r->m->lock);
	mock_reply(r, 200, out);
}

/* Caller holds m->lock: the index of incoming SMS idtext of service svc, or -1. */
static int incoming_index(struct mock *m, const char *svc, const char *idtext)
{
	char *end = NULL;
	gint64 id = g_ascii_strtoll(idtext, &end, 10);

	for (guint i = 0; *end == '\0' && i < m->incoming->len; i++) {
		struct mock_incoming *in = m->incoming->pdata[i];

		if (in->id == id && strcmp(in->service, svc) == 0)
			return (int)i;
	}
	return -1;
}

static void not_found(struct mock_req *r, const char *id)
{
	g_autofree char *msg = g_strdup_printf("The requested object (id = %s) does not exist", id);

	mock_reply_class(r, 404, "Client::NotFound", msg);
}

/* GET /sms/{svc}/incoming/{id} */
void incoming_one(struct mock_req *r, char **args)
{
	json_object *o = NULL;
	int i;

	if (!sms_service_known(r, args[0]))
		return;
	pthread_mutex_lock(&r->m->lock);
	if ((i = incoming_index(r->m, args[0], args[1])) >= 0)
		o = incoming_json(r->m->incoming->pdata[i], FALSE);
	pthread_mutex_unlock(&r->m->lock);
	if (!o)
		not_found(r, args[1]);
	else
		mock_reply(r, 200, o);
}

/* DELETE /sms/{svc}/incoming/{id}: OVH answers null. */
void incoming_delete(struct mock_req *r, char **args)
{
	int i;

	if (!sms_service_known(r, args[0]))
		return;
	pthread_mutex_lock(&r->m->lock);
	if ((i = incoming_index(r->m, args[0], args[1])) >= 0)
		g_ptr_array_remove_index(r->m->incoming, (guint)i);
	pthread_mutex_unlock(&r->m->lock);
	if (i < 0)
		not_found(r, args[1]);
	else
		mock_reply(r, 200, NULL);
}

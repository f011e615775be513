/*
 * account.c: an SMS account as GET and PUT /sms/{svc} show and change it. GET reports the
 * credits left and the callBack URL; PUT takes a body checked as strictly as OVH does
 * (unknown fields and wrong types are 400) and keeps callBack, stopCallBack and
 * description. The control port reads every account through account_dump.
 * It must not call the callBack URL (states.c does when a state changes) and must not
 * touch a service outside the state lock.
 */
#include "mock.h"

#include <string.h>

/* Caller holds m->lock: what POST /reset leaves of each account's settings. */
void account_reset(struct mock *m)
{
	for (guint i = 0; i < m->services->len; i++) {
		struct mock_service *s = m->services->pdata[i];

		g_free(s->callback);
		g_free(s->stop_callback);
		g_free(s->description);
		s->callback = g_strdup("");
		s->stop_callback = g_strdup("");
		s->description = g_strdup("");
	}
}

/* Caller holds m->lock: every account by name, for the control port's GET /account. */
json_object *account_dump(struct mock *m)
{
	json_object *all = json_object_new_object();

	for (guint i = 0; i < m->services->len; i++) {
		struct mock_service *s = m->services->pdata[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "creditsLeft", json_object_new_int64(s->credits));
		json_object_object_add(o, "callBack", json_object_new_string(s->callback));
		json_object_object_add(o, "stopCallBack", json_object_new_string(s->stop_callback));
		json_object_object_add(o, "description", json_object_new_string(s->description));
		json_object_object_add(all, s->name, o);
	}
	return all;
}

/* GET /sms/{svc} */
void account_get(struct mock_req *r, char **args)
{
	struct mock_service *s;
	json_object *o = json_object_new_object();

	pthread_mutex_lock(&r->m->lock);
	s = sms_service(r->m, args[0]);
	if (s) {
		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "description", json_object_new_string(s->description));
		json_object_object_add(o, "creditsLeft", json_object_new_int64(s->credits));
		json_object_object_add(o, "creditsHoldByQuota", json_object_new_int(0));
		json_object_object_add(o, "status", json_object_new_string("enable"));
		json_object_object_add(o, "automaticRecreditAmount", NULL);
		json_object_object_add(o, "userQuantityWithQuota", json_object_new_int(0));
		json_object_object_add(o, "callBack", json_object_new_string(s->callback));
		json_object_object_add(o, "stopCallBack",
				       json_object_new_string(s->stop_callback));
	}
	pthread_mutex_unlock(&r->m->lock);
	if (!s) {
		json_object_put(o);
		mock_reply_class(r, 404, "Client::NotFound", "This service does not exist");
		return;
	}
	mock_reply(r, 200, o);
}

/* The type an account field must have; FALSE for a field OVH does not know. */
static gboolean field_type(const char *key, json_type *type)
{
	static const struct {
		const char *name;
		json_type type;
	} fields[] = {
		{ "callBack", json_type_string },
		{ "stopCallBack", json_type_string },
		{ "description", json_type_string },
		{ "automaticRecreditAmount", json_type_int },
		{ "creditThresholdForAutomaticRecredit", json_type_int },
		{ "smsResponse", json_type_object },
		{ "templates", json_type_object },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
		if (strcmp(key, fields[i].name) == 0) {
			*type = fields[i].type;
			return TRUE;
		}
	return FALSE;
}

/* An empty callBack clears it; any other must be an http(s) URL. */
static gboolean url_ok(const char *url)
{
	return !*url || g_str_has_prefix(url, "http://") || g_str_has_prefix(url, "https://");
}

/* Checks a PUT body; replies 400 and returns FALSE on the first fault. */
static gboolean account_valid(struct mock_req *r)
{
	if (!r->json || !json_object_is_type(r->json, json_type_object)) {
		mock_reply_bad(r, "Invalid JSON received");
		return FALSE;
	}
	json_object_object_foreach(r->json, key, val) {
		json_type type;

		if (!field_type(key, &type)) {
			mock_reply_bad(r, "Invalid parameter %s", key);
			return FALSE;
		}
		if (val && !json_object_is_type(val, type)) {
			mock_reply_bad(r, "Invalid type for parameter %s", key);
			return FALSE;
		}
		if (val && !strcmp(key, "callBack") && !url_ok(json_object_get_string(val))) {
			mock_reply_bad(r, "Invalid parameter %s", key);
			return FALSE;
		}
	}
	return TRUE;
}

/* Replaces *field with the body's string for key, when the body has one. */
static void take_string(json_object *body, const char *key, char **field)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(body, key, &v) && v) {
		g_free(*field);
		*field = g_strdup(json_object_get_string(v));
	}
}

/* PUT /sms/{svc}: OVH answers null. */
void account_put(struct mock_req *r, char **args)
{
	struct mock_service *s;

	if (!sms_service_known(r, args[0]) || !account_valid(r))
		return;
	pthread_mutex_lock(&r->m->lock);
	s = sms_service(r->m, args[0]);
	take_string(r->json, "callBack", &s->callback);
	take_string(r->json, "stopCallBack", &s->stop_callback);
	take_string(r->json, "description", &s->description);
	pthread_mutex_unlock(&r->m->lock);
	mock_reply(r, 200, NULL);
}

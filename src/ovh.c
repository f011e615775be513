/* ovh.c: the OVH SMS calls: services, credits, senders, jobs, outgoing by tag, consumer keys.
 *
 * Each call builds its JSON with json-c, goes through ovh_http.c and has ovh_reply.c check
 * the reply's shape: a reply that is not what OVH documents is an M2S_ERR_SERVER, never a
 * crash. It must not print or log anything. */
#include <string.h>
#include "ovh.h"
#include "ovh_reply.h"
#include "error.h"
#include "ovh_http.h"

GPtrArray *ovh_services(OvhClient *c, GError **err)
{
	json_object *j = ovh_call(c, "GET", "/sms", NULL, TRUE, "services", err);
	GPtrArray *out = j ? ovh_json_strings(j, "services", err) : NULL;

	json_object_put(j);
	return out;
}

const char *ovh_service(OvhClient *c, GError **err)
{
	g_autoptr(GPtrArray) list = NULL;
	const char *svc = ovh_client_service(c);

	if (svc)
		return svc;
	list = ovh_services(c, err);
	if (list == NULL)
		return NULL;
	if (list->len == 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "no SMS service on this OVH account");
		return NULL;
	}
	if (list->len > 1) {
		g_ptr_array_add(list, NULL);
		g_autofree char *names = g_strjoinv(", ", (char **)list->pdata);
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG,
		            "several SMS services (%s): set [ovh] service", names);
		return NULL;
	}
	return ovh_client_keep_service(c, list->pdata[0]);
}

/* "/sms/{svc}" + SUFFIX, with the service escaped for the path. */
char *ovh_service_path(OvhClient *c, const char *suffix, GError **err)
{
	const char *svc = ovh_service(c, err);
	g_autofree char *esc = NULL;

	if (svc == NULL)
		return NULL;
	esc = g_uri_escape_string(svc, NULL, FALSE);
	return g_strconcat("/sms/", esc, suffix, NULL);
}

gboolean ovh_credits(OvhClient *c, double *credits, GError **err)
{
	g_autofree char *path = ovh_service_path(c, "", err);
	json_object *j;
	gboolean ok;

	if (path == NULL)
		return FALSE;
	j = ovh_call(c, "GET", path, NULL, TRUE, "service", err);
	if (j == NULL)
		return FALSE;
	ok = ovh_json_credits(j, credits, err);
	json_object_put(j);
	return ok;
}

GPtrArray *ovh_senders(OvhClient *c, GError **err)
{
	g_autofree char *path = ovh_service_path(c, "/senders", err);
	json_object *j = path ? ovh_call(c, "GET", path, NULL, TRUE, "senders", err) : NULL;
	GPtrArray *out = j ? ovh_json_strings(j, "senders", err) : NULL;

	json_object_put(j);
	return out;
}

/* The job's JSON, compact and with '/' unescaped: this exact text is signed and sent. */
static char *job_body(const OvhJob *job)
{
	json_object *o = json_object_new_object(), *rcv = json_object_new_array();
	char *s;

	json_object_object_add(o, "charset", json_object_new_string("UTF-8"));
	json_object_object_add(o, "message", json_object_new_string(job->message));
	for (const char *const *p = job->receivers; p && *p; p++)
		json_object_array_add(rcv, json_object_new_string(*p));
	json_object_object_add(o, "receivers", rcv);
	if (job->sender_for_response)
		json_object_object_add(o, "senderForResponse", json_object_new_boolean(TRUE));
	else if (job->sender && *job->sender)
		json_object_object_add(o, "sender", json_object_new_string(job->sender));
	json_object_object_add(o, "noStopClause", json_object_new_boolean(job->no_stop_clause));
	if (job->priority)
		json_object_object_add(o, "priority", json_object_new_string(job->priority));
	if (job->validity)
		json_object_object_add(o, "validityPeriod", json_object_new_int64(job->validity));
	if (job->differed)
		json_object_object_add(o, "differedPeriod", json_object_new_int64(job->differed));
	if (job->tag && *job->tag)
		json_object_object_add(o, "tag", json_object_new_string(job->tag));
	s = g_strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

OvhJobResult *ovh_post_job(OvhClient *c, const OvhJob *job, GError **err)
{
	g_autofree char *path = ovh_service_path(c, "/jobs", err);
	g_autofree char *body = NULL;
	OvhJobResult *r;
	json_object *j;

	if (path == NULL)
		return NULL;
	body = job_body(job);
	j = ovh_call(c, "POST", path, body, TRUE, "job", err);
	if (j == NULL)
		return NULL;
	r = ovh_json_job(j, err);
	json_object_put(j);
	return r;
}

char *ovh_ids_text(GArray *ids)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? "," : "",
		                       g_array_index(ids, gint64, i));
	return g_string_free(s, FALSE);
}

char *ovh_since_query(gint64 since)
{
	if (since <= 0)
		return g_strdup("");
	/* OVH reads a date-time with its offset; '+' and ':' escaped for the query. */
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(since);
	g_autofree char *iso = g_date_time_format(d, "%Y-%m-%dT%H:%M:%S+00:00");
	g_autofree char *iso_esc = g_uri_escape_string(iso, NULL, FALSE);
	return g_strconcat("creationDatetime.from=", iso_esc, NULL);
}

GArray *ovh_outgoing_by_tag(OvhClient *c, const char *tag, gint64 since, GError **err)
{
	g_autofree char *esc = g_uri_escape_string(tag, NULL, FALSE);
	g_autofree char *from = ovh_since_query(since);
	g_autofree char *suffix = g_strconcat("/outgoing?tag=", esc, *from ? "&" : "", from, NULL);
	g_autofree char *path = ovh_service_path(c, suffix, err);
	json_object *j = path ? ovh_call(c, "GET", path, NULL, TRUE, "outgoing", err) : NULL;
	GArray *ids = j ? ovh_json_outgoing(j, err) : NULL;

	json_object_put(j);
	return ids;
}

gboolean ovh_request_credential(OvhClient *c, char **consumer_key, char **validation_url,
                                GError **err)
{
	static const char *const rules[][2] = {
		{ "GET", "/sms" }, { "GET", "/sms/*" }, { "POST", "/sms/*/jobs" },
		{ "GET", "/sms/*/outgoing" }, { "DELETE", "/sms/*/incoming/*" }, { "PUT", "/sms/*" },
	};
	json_object *o = json_object_new_object(), *a = json_object_new_array(), *j;
	g_autofree char *body = NULL;
	gboolean ok;

	if (ovh_client_cfg(c)->ovh_application_key == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "[ovh] application_key is not set");
		json_object_put(o);
		json_object_put(a);
		return FALSE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(rules); i++) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "method", json_object_new_string(rules[i][0]));
		json_object_object_add(r, "path", json_object_new_string(rules[i][1]));
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "accessRules", a);
	body = g_strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	j = ovh_call(c, "POST", "/auth/credential", body, FALSE, "credential", err);
	if (j == NULL)
		return FALSE;
	ok = ovh_json_credential(j, consumer_key, validation_url, err);
	json_object_put(j);
	return ok;
}

char *ovh_current_credential(OvhClient *c, GError **err)
{
	json_object *j = ovh_call(c, "GET", "/auth/currentCredential", NULL, TRUE, "credential", err);
	char *out;

	if (j == NULL)
		return NULL;
	out = ovh_json_current_credential(j, err);
	json_object_put(j);
	return out;
}

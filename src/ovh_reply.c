/* ovh_reply.c: OVH's HTTP replies read into results or classified errors.
 *
 * Everything here is a function of the reply's bytes: the status classifies an error, the
 * body is parsed with json-c and its shape checked against what OVH documents. A reply of
 * the wrong shape is an M2S_ERR_SERVER, never a crash; OVH's own texts are cleaned before
 * they are kept. It must not do I/O, hold state or know the client. */
#include <limits.h>
#include <string.h>
#include "ovh_reply.h"
#include "error.h"
#include "safeline.h"

void ovh_job_result_free(OvhJobResult *r)
{
	if (r == NULL)
		return;
	if (r->ids)
		g_array_unref(r->ids);
	if (r->valid)
		g_ptr_array_unref(r->valid);
	if (r->invalid)
		g_ptr_array_unref(r->invalid);
	g_free(r);
}

/* The body as JSON, or NULL when it is not (exactly) JSON. */
static json_object *body_json(const OvhReply *r)
{
	json_tokener *tok;
	json_object *j;

	if (r->len > INT_MAX)
		return NULL;
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, r->body, (int)r->len);
	if (j && json_tokener_get_parse_end(tok) < r->len) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	return j;
}

/* Classifies a non-2xx reply, reading both shapes of OVH error body. */
static void reply_error(const OvhReply *r, const char *what, char **code_out, GError **err)
{
	json_object *j = body_json(r), *v;
	const char *code = NULL, *msg = NULL;
	M2sErrorCode kind;
	g_autofree char *cmsg = NULL, *ccode = NULL;

	if (j && json_object_is_type(j, json_type_object)) {
		if (json_object_object_get_ex(j, "errorCode", &v) && json_object_is_type(v, json_type_string))
			code = json_object_get_string(v);
		else if (json_object_object_get_ex(j, "class", &v) && json_object_is_type(v, json_type_string))
			code = json_object_get_string(v);
		if (json_object_object_get_ex(j, "message", &v) && json_object_is_type(v, json_type_string))
			msg = json_object_get_string(v);
	}
	if (r->status == 429)
		kind = M2S_ERR_THROTTLED;
	else if (r->status >= 500)
		kind = M2S_ERR_SERVER;
	else if (r->status == 401 || r->status == 403 || r->status == 404)
		kind = M2S_ERR_CONFIG;
	else if (code && strcmp(code, "INVALID_SIGNATURE") == 0)
		kind = M2S_ERR_CONFIG;  /* a wrong application secret looks like this */
	else if (code && strcmp(code, "QUERY_TIME_OUT") == 0)
		kind = M2S_ERR_THROTTLED;  /* still skewed after a re-sync: may pass later */
	else
		kind = M2S_ERR_REQUEST;
	cmsg = safeline(msg ? msg : r->status == 429 ? "too many requests" : "no error message",
	                SAFELINE_OVH, FALSE);
	ccode = code ? safeline(code, SAFELINE_OVH, FALSE) : NULL;
	g_set_error(err, M2S_ERROR, kind, "OVH %s: %s (%s%sHTTP %ld%s%s)", what, cmsg,
	            ccode ? ccode : "", ccode ? ", " : "", r->status,
	            r->query_id ? ", query " : "", r->query_id ? r->query_id : "");
	if (code_out)
		*code_out = code ? g_strdup(code) : NULL;
	if (j)
		json_object_put(j);
}

json_object *ovh_reply_body(const OvhReply *r, const char *what, char **code, GError **err)
{
	json_object *j;

	if (code)
		*code = NULL;
	if (r->status < 200 || r->status >= 300) {
		reply_error(r, what, code, err);
		return NULL;
	}
	j = body_json(r);
	/* PUT and DELETE answer "null" (json-c's NULL): done, nothing to read. */
	if (j == NULL && r->len == 4 && memcmp(r->body, "null", 4) == 0)
		return json_object_new_object();
	if (j == NULL)
		g_set_error(err, M2S_ERROR, M2S_ERR_SERVER, "OVH %s: the reply is not JSON (HTTP %ld)",
		            what, r->status);
	return j;
}

gboolean ovh_reply_time(const OvhReply *r, gint64 *server, GError **err)
{
	g_autofree char *text = NULL;
	char *end;
	gint64 t;

	/* Any other 2xx is no refusal either: a reply that is not a time, like a 200 one. */
	if (r->status < 200 || r->status >= 300) {
		reply_error(r, "clock", NULL, err);
		return FALSE;
	}
	text = g_strndup(r->body, r->len);
	t = g_ascii_strtoll(g_strstrip(text), &end, 10);
	if (*end || t <= 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_SERVER, "OVH clock: /auth/time did not answer a time");
		return FALSE;
	}
	*server = t;
	return TRUE;
}

/* A reply that does not have the expected shape is OVH's problem, not ours. */
static gboolean bad_shape(GError **err, const char *what)
{
	g_set_error(err, M2S_ERROR, M2S_ERR_SERVER, "OVH %s: unexpected reply", what);
	return FALSE;
}

GPtrArray *ovh_json_strings(json_object *j, const char *what, GError **err)
{
	GPtrArray *out;

	if (!json_object_is_type(j, json_type_array)) {
		bad_shape(err, what);
		return NULL;
	}
	out = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		json_object *e = json_object_array_get_idx(j, i);
		if (!json_object_is_type(e, json_type_string)) {
			g_ptr_array_unref(out);
			bad_shape(err, what);
			return NULL;
		}
		g_ptr_array_add(out, safeline(json_object_get_string(e), SAFELINE_OVH, FALSE));
	}
	return out;
}

gboolean ovh_json_credits(json_object *j, double *credits, GError **err)
{
	json_object *v;
	gboolean ok = json_object_object_get_ex(j, "creditsLeft", &v) &&
	              (json_object_is_type(v, json_type_double) ||
	               json_object_is_type(v, json_type_int));

	if (ok)
		*credits = json_object_get_double(v);
	else
		bad_shape(err, "service");
	return ok;
}

/* An array of integers, or NULL when J is anything else. */
static GArray *id_array(json_object *j)
{
	GArray *ids;

	if (!json_object_is_type(j, json_type_array))
		return NULL;
	ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		json_object *e = json_object_array_get_idx(j, i);
		gint64 id;
		if (!json_object_is_type(e, json_type_int)) {
			g_array_unref(ids);
			return NULL;
		}
		id = json_object_get_int64(e);
		g_array_append_val(ids, id);
	}
	return ids;
}

OvhJobResult *ovh_json_job(json_object *j, GError **err)
{
	g_autoptr(OvhJobResult) r = g_new0(OvhJobResult, 1);
	json_object *v;

	if (json_object_object_get_ex(j, "ids", &v))
		r->ids = id_array(v);
	if (json_object_object_get_ex(j, "validReceivers", &v))
		r->valid = ovh_json_strings(v, "job", NULL);
	if (json_object_object_get_ex(j, "invalidReceivers", &v))
		r->invalid = ovh_json_strings(v, "job", NULL);
	if (json_object_object_get_ex(j, "totalCreditsRemoved", &v))
		r->credits = json_object_get_double(v);
	if (r->ids == NULL || r->valid == NULL || r->invalid == NULL) {
		bad_shape(err, "job");
		return NULL;
	}
	return g_steal_pointer(&r);
}

GArray *ovh_json_outgoing(json_object *j, GError **err)
{
	GArray *ids = id_array(j);

	if (ids == NULL)
		bad_shape(err, "outgoing");
	return ids;
}

gboolean ovh_json_credential(json_object *j, char **consumer_key, char **validation_url,
                             GError **err)
{
	json_object *k, *u;
	gboolean ok = json_object_object_get_ex(j, "consumerKey", &k) &&
	              json_object_object_get_ex(j, "validationUrl", &u) &&
	              json_object_is_type(k, json_type_string) &&
	              json_object_is_type(u, json_type_string);

	if (ok) {
		*consumer_key = safeline(json_object_get_string(k), SAFELINE_OVH, FALSE);
		*validation_url = safeline(json_object_get_string(u), SAFELINE_OVH, FALSE);
	} else {
		bad_shape(err, "credential");
	}
	return ok;
}

char *ovh_json_current_credential(json_object *j, GError **err)
{
	json_object *st, *ex;

	if (!json_object_object_get_ex(j, "status", &st) || !json_object_is_type(st, json_type_string)) {
		bad_shape(err, "credential");
		return NULL;
	}
	if (!json_object_object_get_ex(j, "expiration", &ex) || !json_object_is_type(ex, json_type_string))
		ex = NULL;
	g_autofree char *status = safeline(json_object_get_string(st), SAFELINE_OVH, FALSE);
	g_autofree char *exp = safeline(ex ? json_object_get_string(ex) : "never", SAFELINE_OVH,
	                                FALSE);
	return g_strdup_printf("%s, expires %s", status, exp);
}

GPtrArray *ovh_reply_strings(const OvhReply *r, const char *what, GError **err)
{
	json_object *j = ovh_reply_body(r, what, NULL, err);
	GPtrArray *out = j ? ovh_json_strings(j, what, err) : NULL;

	json_object_put(j);
	return out;
}

gboolean ovh_reply_credits(const OvhReply *r, double *credits, GError **err)
{
	json_object *j = ovh_reply_body(r, "service", NULL, err);
	gboolean ok = j && ovh_json_credits(j, credits, err);

	json_object_put(j);
	return ok;
}

OvhJobResult *ovh_reply_job(const OvhReply *r, GError **err)
{
	json_object *j = ovh_reply_body(r, "job", NULL, err);
	OvhJobResult *out = j ? ovh_json_job(j, err) : NULL;

	json_object_put(j);
	return out;
}

GArray *ovh_reply_outgoing(const OvhReply *r, GError **err)
{
	json_object *j = ovh_reply_body(r, "outgoing", NULL, err);
	GArray *out = j ? ovh_json_outgoing(j, err) : NULL;

	json_object_put(j);
	return out;
}

gboolean ovh_reply_credential(const OvhReply *r, char **consumer_key, char **validation_url,
                              GError **err)
{
	json_object *j = ovh_reply_body(r, "credential", NULL, err);
	gboolean ok = j && ovh_json_credential(j, consumer_key, validation_url, err);

	json_object_put(j);
	return ok;
}

char *ovh_reply_current_credential(const OvhReply *r, GError **err)
{
	json_object *j = ovh_reply_body(r, "credential", NULL, err);
	char *out = j ? ovh_json_current_credential(j, err) : NULL;

	json_object_put(j);
	return out;
}

/* ovh_twoway.c: the OVH calls that bring SMS back (ovh_twoway.h): list, read and delete
 * incoming SMS, list and read the state of sent SMS, set the account's callBack.
 *
 * What OVH answers is bounded and made safe here, once: texts valid UTF-8 of bounded
 * length, identifiers one line, so that a reply or a report built from them cannot carry
 * a header of its own. It must not decide anything: replies.c and reports.c do. */
#include <string.h>
#include <json-c/json.h>
#include "ovh_twoway.h"
#include "error.h"
#include "ovh.h"
#include "ovh_reply.h"
#include "safeline.h"

/* A string member of O made one safe line of at most MAX bytes, "" when absent. */
static char *member_line(json_object *o, const char *name, gsize max)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return g_strdup("");
	return safeline(json_object_get_string(v), max, FALSE);
}

/* An integer member of O, DEFAULT when absent or not a number. */
static gint64 member_int(json_object *o, const char *name, gint64 dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

/* A date-time member of O (ISO 8601 with an offset) in seconds, 0 when unreadable. */
static gint64 member_time(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return 0;
	g_autoptr(GDateTime) d = g_date_time_new_from_iso8601(json_object_get_string(v), NULL);
	return d != NULL ? g_date_time_to_unix(d) : 0;
}

/* GET or DELETE of "/sms/{svc}SUFFIX". */
static json_object *svc_call(OvhClient *c, const char *method, const char *suffix,
                             const char *body, const char *what, GError **err)
{
	g_autofree char *path = ovh_service_path(c, suffix, err);

	return path != NULL ? ovh_call(c, method, path, body, TRUE, what, err) : NULL;
}

/* The ids a list call answered. */
static GArray *ids_of(json_object *j, GError **err)
{
	GArray *ids = j != NULL ? ovh_json_outgoing(j, err) : NULL;

	json_object_put(j);
	return ids;
}

GArray *ovh_incoming_ids(OvhClient *c, GError **err)
{
	return ids_of(svc_call(c, "GET", "/incoming", NULL, "incoming", err), err);
}

OvhIncoming *ovh_incoming_get(OvhClient *c, gint64 id, GError **err)
{
	g_autofree char *suffix = g_strdup_printf("/incoming/%" G_GINT64_FORMAT, id);
	json_object *j = svc_call(c, "GET", suffix, NULL, "incoming", err), *v;
	OvhIncoming *in;

	if (j == NULL)
		return NULL;
	if (!json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		g_set_error(err, M2S_ERROR, M2S_ERR_SERVER, "OVH incoming: unexpected reply shape");
		return NULL;
	}
	in = g_new0(OvhIncoming, 1);
	in->id = id;
	in->created = member_time(j, "creationDatetime");
	in->sender = member_line(j, "sender", SAFELINE_FIELD);
	in->tag = member_line(j, "tag", SAFELINE_FIELD);
	/* The text keeps its lines: valid UTF-8, bounded, no other control character. */
	if (json_object_object_get_ex(j, "message", &v) && json_object_is_type(v, json_type_string)) {
		const char *m = json_object_get_string(v);
		g_autofree char *valid = g_utf8_make_valid(m, MIN(strlen(m), OVH_INCOMING_MAX));
		GString *t = g_string_new(NULL);
		for (const char *p = valid; *p; p++)
			g_string_append_c(t, (*p == '\n' || (guchar)*p >= 0x20) && *p != 0x7f ? *p : ' ');
		in->message = g_string_free(t, FALSE);
	} else {
		in->message = g_strdup("");
	}
	json_object_put(j);
	return in;
}

gboolean ovh_incoming_delete(OvhClient *c, gint64 id, GError **err)
{
	g_autofree char *suffix = g_strdup_printf("/incoming/%" G_GINT64_FORMAT, id);
	json_object *j = svc_call(c, "DELETE", suffix, NULL, "incoming", err);

	json_object_put(j);
	return j != NULL;
}

void ovh_incoming_free(OvhIncoming *in)
{
	if (in == NULL)
		return;
	g_free(in->sender);
	g_free(in->message);
	g_free(in->tag);
	g_free(in);
}

GArray *ovh_outgoing_by_receipt(OvhClient *c, int dlr, gint64 since, GError **err)
{
	g_autofree char *from = ovh_since_query(since);
	g_autofree char *suffix = g_strdup_printf("/outgoing?deliveryReceipt=%d%s%s", dlr,
	                                          *from ? "&" : "", from);

	return ids_of(svc_call(c, "GET", suffix, NULL, "outgoing", err), err);
}

gboolean ovh_outgoing_get(OvhClient *c, gint64 id, OvhOutgoing *out, GError **err)
{
	g_autofree char *suffix = g_strdup_printf("/outgoing/%" G_GINT64_FORMAT, id);
	json_object *j = svc_call(c, "GET", suffix, NULL, "outgoing", err);

	memset(out, 0, sizeof *out);
	if (j == NULL)
		return FALSE;
	if (!json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		g_set_error(err, M2S_ERROR, M2S_ERR_SERVER, "OVH outgoing: unexpected reply shape");
		return FALSE;
	}
	out->id = id;
	out->ptt = (int)CLAMP(member_int(j, "ptt", -1), -1, G_MAXINT);
	out->dlr = (int)CLAMP(member_int(j, "deliveryReceipt", -1), -1, G_MAXINT);
	out->receiver = member_line(j, "receiver", SAFELINE_FIELD);
	out->tag = member_line(j, "tag", SAFELINE_FIELD);
	out->created = member_time(j, "creationDatetime");
	json_object_put(j);
	return TRUE;
}

void ovh_outgoing_clear(OvhOutgoing *out)
{
	g_free(out->receiver);
	g_free(out->tag);
	memset(out, 0, sizeof *out);
}

gboolean ovh_set_callback(OvhClient *c, const char *url, GError **err)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "callBack", json_object_new_string(url));
	g_autofree char *body = g_strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	json_object *j = svc_call(c, "PUT", "", body, "callBack", err);

	json_object_put(j);
	return j != NULL;
}

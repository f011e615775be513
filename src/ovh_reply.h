/* ovh_reply.h: OVH's HTTP replies read into results or classified errors.
 *
 * Pure functions of one reply (status, body bytes, query id): no I/O, no client. The
 * transport (ovh_http.c) and the calls (ovh.c) go through them, and so can a test or a
 * fuzzer with bytes of its own. Errors are M2S_ERROR values whose text is one printable,
 * bounded line (safeline.h). */
#ifndef M2S_OVH_REPLY_H
#define M2S_OVH_REPLY_H

#include <glib.h>
#include <json-c/json.h>

/* OVH's answer to a job: what went out. */
typedef struct {
	GArray *ids;                   /* gint64 */
	GPtrArray *valid;              /* char* */
	GPtrArray *invalid;            /* char* */
	double credits;                /* totalCreditsRemoved */
} OvhJobResult;

void ovh_job_result_free(OvhJobResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvhJobResult, ovh_job_result_free)

/* One HTTP reply as received; QUERY_ID (X-Ovh-QueryId) already cleaned, or NULL. */
typedef struct {
	long status;
	const char *body;
	gsize len;
	const char *query_id;
} OvhReply;

/* The JSON of a 2xx reply (M2S_ERR_SERVER when the body is not exactly JSON), or the
 * classified error of any other status, named after WHAT. CODE (may be NULL) receives
 * OVH's errorCode or class when the error body has one. */
json_object *ovh_reply_body(const OvhReply *r, const char *what, char **code, GError **err);

/* GET /auth/time: the server's clock in seconds since the epoch. */
gboolean ovh_reply_time(const OvhReply *r, gint64 *server, GError **err);

/* The shape checks of each call on its parsed JSON: anything else than what OVH documents
 * is an M2S_ERR_SERVER "OVH WHAT: unexpected reply". */
GPtrArray *ovh_json_strings(json_object *j, const char *what, GError **err);
gboolean ovh_json_credits(json_object *j, double *credits, GError **err);
OvhJobResult *ovh_json_job(json_object *j, GError **err);
GArray *ovh_json_outgoing(json_object *j, GError **err);
gboolean ovh_json_credential(json_object *j, char **consumer_key, char **validation_url,
                             GError **err);
char *ovh_json_current_credential(json_object *j, GError **err);

/* The same from a whole reply: ovh_reply_body, then the call's shape check. */
GPtrArray *ovh_reply_strings(const OvhReply *r, const char *what, GError **err);
gboolean ovh_reply_credits(const OvhReply *r, double *credits, GError **err);
OvhJobResult *ovh_reply_job(const OvhReply *r, GError **err);
GArray *ovh_reply_outgoing(const OvhReply *r, GError **err);
gboolean ovh_reply_credential(const OvhReply *r, char **consumer_key, char **validation_url,
                              GError **err);
char *ovh_reply_current_credential(const OvhReply *r, GError **err);

#endif

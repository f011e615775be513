/* ovh.h: the OVH SMS calls (services, credits, senders, jobs, outgoing by tag, consumer
 * keys) over an OvhClient from ovh_http.h.
 *
 * Every call may run on many threads at once with one client. Errors are M2S_ERROR values
 * (UNREACHABLE, NO_REPLY, SERVER, THROTTLED, CONFIG, REQUEST) carrying OVH's message. */
#ifndef M2S_OVH_H
#define M2S_OVH_H

#include <glib.h>
#include "ovh_http.h"  /* OvhClient, made and freed by the transport */
#include "ovh_reply.h" /* OvhJobResult, read from OVH's reply */

/* The configured service, else the account's only one (looked up once); NULL with *err. */
const char *ovh_service(OvhClient *c, GError **err);

/* "/sms/{svc}" and SUFFIX (escaped by the caller); NULL with *err. */
char *ovh_service_path(OvhClient *c, const char *suffix, GError **err);
/* "creationDatetime.from=..." for SINCE (seconds since the epoch), "" for SINCE <= 0. */
char *ovh_since_query(gint64 since);

/* GET /sms: service names (char*). */
GPtrArray *ovh_services(OvhClient *c, GError **err);
/* GET /sms/{svc}: creditsLeft. */
gboolean ovh_credits(OvhClient *c, double *credits, GError **err);
/* GET /sms/{svc}/senders: sender names (char*). */
GPtrArray *ovh_senders(OvhClient *c, GError **err);

typedef struct {
	const char *message;
	const char *const *receivers;  /* NULL-terminated E.164 */
	const char *sender;            /* NULL: none */
	gboolean sender_for_response;
	gboolean no_stop_clause;
	const char *priority;          /* NULL: not sent */
	guint validity;                /* minutes; 0: not sent */
	guint differed;                /* minutes; 0: not sent */
	const char *tag;               /* NULL: none */
} OvhJob;


/* POST /sms/{svc}/jobs. */
OvhJobResult *ovh_post_job(OvhClient *c, const OvhJob *job, GError **err);

/* IDS (gint64) as "1,2,3". */
char *ovh_ids_text(GArray *ids);

/* GET /sms/{svc}/outgoing?tag=TAG: ids sent with that tag (SINCE > 0: created at or after
 * SINCE, seconds since the epoch). */
GArray *ovh_outgoing_by_tag(OvhClient *c, const char *tag, gint64 since, GError **err);

/* POST /auth/credential with the SMS access rules; the new key and its validation URL. */
gboolean ovh_request_credential(OvhClient *c, char **consumer_key, char **validation_url,
                                GError **err);

/* GET /auth/currentCredential: status and expiration as text (check-config). */
char *ovh_current_credential(OvhClient *c, GError **err);

#endif

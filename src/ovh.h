/* ovh.h: the OVHcloud API client (signed HTTPS calls, SMS jobs, account queries).
 *
 * One OvhClient serves many threads: each call borrows a connection-holding handle from a
 * pool, so requests neither serialise on one connection nor open one each. Errors are
 * M2S_ERROR values (UNREACHABLE, SERVER, CONFIG, REQUEST) carrying OVH's message. */
#ifndef M2S_OVH_H
#define M2S_OVH_H

#include <glib.h>
#include "cfg.h"

typedef struct OvhClient OvhClient;

/* The base URL of an endpoint name (ovh-eu ...) or of a full https:// URL; NULL if unknown. */
char *ovh_endpoint_url(const char *endpoint);

/* "$1$" + hex SHA-1 of AS+CK+METHOD+URL+BODY+TS joined with '+'. */
char *ovh_sign(const char *secret, const char *consumer, const char *method, const char *url,
               const char *body, gint64 timestamp);

OvhClient *ovh_client_new(const Cfg *cfg, GError **err);
void ovh_client_free(OvhClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvhClient, ovh_client_free)

/* The configured service, else the account's only one (looked up once); NULL with *err. */
const char *ovh_service(OvhClient *c, GError **err);

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

typedef struct {
	GArray *ids;                   /* gint64 */
	GPtrArray *valid;              /* char* */
	GPtrArray *invalid;            /* char* */
	double credits;                /* totalCreditsRemoved */
} OvhJobResult;

/* POST /sms/{svc}/jobs. */
OvhJobResult *ovh_post_job(OvhClient *c, const OvhJob *job, GError **err);
void ovh_job_result_free(OvhJobResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvhJobResult, ovh_job_result_free)

/* IDS (gint64) as "1,2,3". */
char *ovh_ids_text(GArray *ids);

/* GET /sms/{svc}/outgoing?tag=TAG: ids already sent with that tag. */
GArray *ovh_outgoing_by_tag(OvhClient *c, const char *tag, GError **err);

/* POST /auth/credential with the SMS access rules; the new key and its validation URL. */
gboolean ovh_request_credential(OvhClient *c, char **consumer_key, char **validation_url,
                                GError **err);

/* GET /auth/currentCredential: status and expiration as text (check-config). */
char *ovh_current_credential(OvhClient *c, GError **err);

#endif

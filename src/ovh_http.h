/* ovh_http.h: the transport under ovh.c: the client (its Cfg, connection pool, clock offset
 * and cached service name, all private to ovh_http.c), one signed call, the signature. */
#ifndef M2S_OVH_HTTP_H
#define M2S_OVH_HTTP_H

#include <glib.h>
#include <json-c/json.h>
#include "cfg.h"

typedef struct OvhClient OvhClient;

/* A client for CFG's endpoint and credentials (CFG is referenced, not copied); NULL with
 * *err when CFG names no endpoint. One client serves many threads. */
OvhClient *ovh_client_new(const Cfg *cfg, GError **err);
void ovh_client_free(OvhClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvhClient, ovh_client_free)

/* The configuration the client was made with. */
const Cfg *ovh_client_cfg(OvhClient *c);
/* The service name cached in the client ([ovh] service, or one looked up), NULL if none. */
const char *ovh_client_service(OvhClient *c);
/* Caches NAME unless a name is cached already; returns the cached name, which lives as long
 * as the client. */
const char *ovh_client_keep_service(OvhClient *c, const char *name);

/* The clock offset in use (OVH's time - local time, seconds) in *OFFSET; TRUE when this
 * client read it from OVH itself, so that it is worth keeping for the next process. */
gboolean ovh_client_clock(OvhClient *c, gint64 *offset);
/* Starts a client with an OFFSET measured earlier (by another process): its first signed
 * call goes without a GET /auth/time. A timestamp OVH refuses (QUERY_TIME_OUT) still
 * makes it read the clock and try once more: a refused request was not executed. */
void ovh_client_set_clock(OvhClient *c, gint64 offset);

/* What every request asks first and tells after (the [ovh] max_requests budget, kept by
 * budget.c): ADMIT FALSE with *err: the request is not sent; ANSWERED gets the HTTP
 * status of each reply. Both are called from any thread, without the client's lock. */
typedef struct {
	gboolean (*admit)(void *arg, GError **err);
	void (*answered)(void *arg, long status);
	void *arg;
} OvhGate;

/* Every request of C goes through GATE from now on (copied; NULL: none). */
void ovh_client_set_gate(OvhClient *c, const OvhGate *gate);

/* "$1$" + hex SHA-1 of AS+CK+METHOD+URL+BODY+TS joined with '+'. */
char *ovh_sign(const char *secret, const char *consumer, const char *method, const char *url,
               const char *body, gint64 timestamp);

/* One call to PATH (under the endpoint's base URL) with BODY (NULL: none), signed when SIGN;
 * the parsed JSON reply on success. Re-syncs the clock once on QUERY_TIME_OUT, since a
 * request refused for its time was not executed. WHAT names the call in errors. */
json_object *ovh_call(OvhClient *c, const char *method, const char *path, const char *body,
                      gboolean sign, const char *what, GError **err);

#endif

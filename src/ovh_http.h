/* ovh_http.h: the transport under ovh.c: the client's state and one signed call. */
#ifndef M2S_OVH_HTTP_H
#define M2S_OVH_HTTP_H

#include <json-c/json.h>
#include "ovh.h"

struct OvhClient {
	Cfg *cfg;
	GMutex lock;         /* guards everything below */
	GPtrArray *idle;     /* CURL* handles with their live connections */
	gboolean synced;
	gint64 offset;       /* OVH time - local time, seconds */
	char *service;       /* resolved service name */
};

/* One call to PATH (under the endpoint's base URL) with BODY (NULL: none), signed when SIGN;
 * the parsed JSON reply on success. Re-syncs the clock once on QUERY_TIME_OUT, since a
 * request refused for its time was not executed. WHAT names the call in errors. */
json_object *ovh_call(OvhClient *c, const char *method, const char *path, const char *body,
                      gboolean sign, const char *what, GError **err);

#endif

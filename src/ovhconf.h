/* ovhconf.h: the [ovh] values mail2sms.conf leaves out, from ovh.conf files and OVH_*
 * variables; the OVH endpoint names and their base URLs. */
#ifndef M2S_OVHCONF_H
#define M2S_OVHCONF_H

#include "cfg.h"

/* Fills the [ovh] values that mail2sms.conf left out, with the python-ovh precedence, and
 * resolves the endpoint to its base URL. */
gboolean ovhconf_complete(Cfg *cfg, GError **err);

/* The base URL of an endpoint name (ovh-eu ...) or of a full https:// URL; NULL if unknown. */
char *ovh_endpoint_url(const char *endpoint);

#endif

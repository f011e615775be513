/* ovhconf.h: OVH credentials from ovh.conf files and OVH_* variables. */
#ifndef M2S_OVHCONF_H
#define M2S_OVHCONF_H

#include "cfg.h"

/* Fills the [ovh] values that mail2sms.conf left out, with the python-ovh precedence, and
 * resolves the endpoint to its base URL. */
gboolean ovhconf_complete(Cfg *cfg, GError **err);

#endif

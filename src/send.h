/* send.h: posts one SMS job built from the configuration, and reads its result. */
#ifndef M2S_SEND_H
#define M2S_SEND_H

#include "cfg.h"
#include "ovh.h"

/* Posts MESSAGE to RECEIVERS with the [sms] settings (SENDER, when not NULL, replaces the
 * configured one). When OVH answers that no receiver is valid the result is an
 * M2S_ERR_NOUSER naming them. When the request went out but no reply (or a server error)
 * came, the tag is looked up at OVH: a job found there counts as sent; when OVH cannot be
 * asked, *UNKNOWN (if not NULL) is set: the job may have been executed, and must not be
 * posted again before OVH says it was not. */
OvhJobResult *send_job(OvhClient *c, const Cfg *cfg, const char *const *receivers,
                       const char *message, const char *tag, const char *sender,
                       gboolean *unknown, GError **err);

#endif

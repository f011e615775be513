/* send.h: posts one SMS job built from the configuration, and reads its result. */
#ifndef M2S_SEND_H
#define M2S_SEND_H

#include "cfg.h"
#include "ovh.h"

/* Posts MESSAGE to RECEIVERS with the [sms] settings (SENDER, when not NULL, replaces the
 * configured one). When OVH answers that no receiver is valid the result is an
 * M2S_ERR_NOUSER naming them. When the request went out but no reply came, the tag is
 * looked up at OVH: a job found there counts as sent, so that nothing is sent twice. */
OvhJobResult *send_job(OvhClient *c, const Cfg *cfg, const char *const *receivers,
                       const char *message, const char *tag, const char *sender,
                       GError **err);

#endif

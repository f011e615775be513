/* send.h: posts one SMS job built from the configuration, and classifies OVH's answer. */
#ifndef M2S_SEND_H
#define M2S_SEND_H

#include "cfg.h"
#include "message.h"
#include "ovh.h"

/* Posts JOB (its text to its receivers, under its tag) with the [sms] settings; SENDER, when
 * not NULL, replaces the configured one. When OVH answers that no receiver is valid the
 * result is an M2S_ERR_NOUSER naming them; any other failure is OVH's error as it came. */
OvhJobResult *send_job(OvhClient *c, const Cfg *cfg, const MsgJob *job, const char *sender,
                       GError **err);

#endif

/* replies.h: SMS replies: each incoming SMS mailed to whoever paged its number (or to
 * [replies] unmatched_to), then deleted at OVH. */
#ifndef M2S_REPLIES_H
#define M2S_REPLIES_H

#include "ovh_reply.h"
#include "message.h"
#include "runtime.h"

/* One look at OVH's incoming SMS: each is mailed once, across crashes and every process
 * sharing the store, and deleted at OVH once the MTA took it. The replies mailed, -1 with
 * *err when OVH or the store failed before any could be looked at. */
int replies_poll(Runtime *rt, gint64 now, GError **err);

/* JOB went out as R: with [replies] enable, each receiver's last job (and the job's tag)
 * is written to the store, for a reply to be matched against. Trouble is logged. */
void replies_job_sent(Runtime *rt, const MsgJob *job, const OvhJobResult *r);

#endif

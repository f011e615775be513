/* activity.h: the last job sent and the last error, known to every process that shares the
 * state store, for `mail2sms status`. */
#ifndef M2S_ACTIVITY_H
#define M2S_ACTIVITY_H

#include <json-c/json.h>
#include "cfg.h"
#include "ovh_reply.h"
#include "store.h"

/* What is kept of one job, at most: ids and receivers beyond are counted, not listed. */
#define ACTIVITY_LIST_MAX 20
/* Bytes of an error's reason kept (its numbers masked as in the log). */
#define ACTIVITY_REASON_MAX 600

/* A job of TAG (QUEUE_ID may be NULL) went out at NOW as R. Kept in this process's memory
 * only: no store call, no log (this is on the mail path). Its receivers are masked unless
 * log_numbers = full. */
void activity_sent(const Cfg *cfg, const char *queue_id, const char *tag, const OvhJobResult *r,
                   gint64 now);
/* A job of TAG did not go out at NOW, for ERR; in memory only, like activity_sent. */
void activity_failed(const Cfg *cfg, const char *queue_id, const char *tag, const GError *err,
                     gint64 now);

/* Writes to ST what this process noted since its last write: one store call for each of
 * the two facts that changed, none when neither did. The store keeps the newer of what
 * processes write. On failure the notes are kept for the next call (FALSE, *ERR). */
gboolean activity_flush(Store *st, GError **err);

/* The two facts ST holds, as JSON objects (NULL: none kept, or unreadable), each with "at"
 * (seconds since the epoch) added. The last sent: "ids" (numbers), "receivers" (masked
 * text), "credits", "queue_id", "tag", and "more_ids", "more_receivers" when more than
 * ACTIVITY_LIST_MAX. The last error: "kind" (m2s_error_name), "reason", "queue_id",
 * "tag". */
gboolean activity_read(Store *st, json_object **sent, json_object **failed, GError **err);

#endif

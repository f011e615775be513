/* flush.h: sends the digests of held alerts that are due (the milter's digest thread and
 * `mail2sms flush`). */
#ifndef M2S_FLUSH_H
#define M2S_FLUSH_H

#include "runtime.h"

/* One pass over the store's held alerts at NOW: the number of digests sent, -1 with *err
 * when the store cannot be read (0 without a store). Failures of one digest are logged and
 * leave its alerts for the next pass. */
int flush_digests(Runtime *rt, gint64 now, GError **err);

#endif

/* tags.h: what is remembered of the jobs posted, by their tag.
 *
 * A tag is either new, sent (with OVH's ids), or in doubt: posted, but whether OVH executed
 * it is unknown (no reply, OVH not reachable to ask), so OVH must be asked before it is
 * posted again. dispatch.c is the only caller; today the memory is this process's (tags.c),
 * the state store implements the same four calls durably and shared. */
#ifndef M2S_TAGS_H
#define M2S_TAGS_H

#include <glib.h>

/* A retry is recognised only this long after the attempt it repeats (seconds): Postfix's
 * maximal_queue_lifetime and Sendmail's queue timeout, 5 days by default, are the longest an
 * MTA retries. Beyond it the same tag is a new alert (a device reusing its Message-IDs after
 * a reboot), never an old one taken for a retry. */
#define TAGS_RETRY_WINDOW (5 * 24 * 3600)

typedef enum { TAG_NEW, TAG_SENT, TAG_IN_DOUBT } TagState;

/* The state of TAG; for TAG_SENT, *IDS (gint64, newly allocated) holds OVH's ids. A tag sent
 * longer than TAGS_RETRY_WINDOW ago is new again. */
TagState tags_state(const char *tag, GArray **ids);
/* TAG went out as IDS: a retried mail is then not sent again. */
void tags_sent(const char *tag, GArray *ids);
/* TAG's job may have been executed: OVH is asked before it is posted again. */
void tags_in_doubt(const char *tag);
/* When TAG was first put in doubt (seconds since the epoch), 0 when it is not. */
gint64 tags_doubt_since(const char *tag);
/* OVH was asked and has no job under TAG: the doubt is lifted. */
void tags_settled(const char *tag);

#endif

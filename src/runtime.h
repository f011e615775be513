/* runtime.h: what a long-running front end works with: one configuration, its OVH client
 * and the tags it has sent, swapped as a whole on reload. */
#ifndef M2S_RUNTIME_H
#define M2S_RUNTIME_H

#include "cfg.h"
#include "ovh.h"

typedef struct Runtime Runtime;

/* Takes a reference to CFG. NULL with *err when the client cannot be made. */
Runtime *runtime_new(Cfg *cfg, GError **err);
Runtime *runtime_ref(Runtime *rt);
void runtime_unref(Runtime *rt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Runtime, runtime_unref)

const Cfg *runtime_cfg(const Runtime *rt);
OvhClient *runtime_ovh(const Runtime *rt);

/* Remembers that TAG was sent with IDS ("1,2"); a retried mail is then not sent again. */
void runtime_tag_sent(const char *tag, const char *ids);
/* The ids TAG was sent with, newly allocated, or NULL. */
char *runtime_tag_lookup(const char *tag);
/* Remembers that TAG's job may have been executed (sent, no reply, OVH not reachable to
 * ask): before it is posted again OVH must be asked. runtime_tag_settled forgets it. */
void runtime_tag_uncertain(const char *tag);
gboolean runtime_tag_is_uncertain(const char *tag);
void runtime_tag_settled(const char *tag);

/* The current runtime of the process (a new reference), and its replacement. */
Runtime *runtime_current(void);
void runtime_install(Runtime *rt);

#endif

/* runtime.h: what a long-running front end works with: one configuration and its OVH
 * client, as one reference-counted value. A reload (milter_main.c) installs a new one for
 * new messages; work in progress keeps the one it started with. What was sent is not here
 * but in tags.h, which a reload does not touch. */
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

/* The current runtime of the process (a new reference, NULL before the first install),
 * and its replacement. */
Runtime *runtime_current(void);
void runtime_install(Runtime *rt);

#endif

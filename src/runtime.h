/* runtime.h: what a front end works with: one configuration, its OVH client and its state
 * store, as one reference-counted value. A reload (milter_main.c) installs a new one for
 * new messages; work in progress keeps the one it started with. */
#ifndef M2S_RUNTIME_H
#define M2S_RUNTIME_H

#include "cfg.h"
#include "ovh.h"
#include "store.h"

typedef struct Runtime Runtime;

/* Takes a reference to CFG. NULL with *err when the client cannot be made or the store is
 * wrongly set up (M2S_ERR_CONFIG: its spec, its password); a store that is only
 * unreachable is not an error here (runtime_store). */
Runtime *runtime_new(Cfg *cfg, GError **err);
Runtime *runtime_ref(Runtime *rt);
void runtime_unref(Runtime *rt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Runtime, runtime_unref)

const Cfg *runtime_cfg(const Runtime *rt);
OvhClient *runtime_ovh(const Runtime *rt);
/* The state store; NULL for "none", or NULL with *err while it cannot be opened (tried
 * again every few seconds). Safe from many threads. */
Store *runtime_store(Runtime *rt, GError **err);

/* Keeps the OVH clock offset this runtime's client read in the store, once, for the
 * processes that follow (runtime_new gives it to their client). */
void runtime_keep_clock(Runtime *rt);

/* The current runtime of the process (a new reference, NULL before the first install),
 * and its replacement. */
Runtime *runtime_current(void);
void runtime_install(Runtime *rt);

#endif

/* metrics_store.h: the counts of every process on one store in one set of figures: short
 * processes add theirs to the state store, the milter reads them back when it is scraped. */
#ifndef M2S_METRICS_STORE_H
#define M2S_METRICS_STORE_H

#include "cfg.h"
#include "runtime.h"
#include "store.h"

/* Adds this process's count of every slot that moved (and what metrics_store_read set
 * aside) to the store's value "metric:<slot name>", one store_add_value each. FALSE with
 * *err at the first that fails: the rest is not tried. */
gboolean metrics_store_save(Store *st, GError **err);

/* The short processes' exit (the delivery agent, `mail2sms flush`, `mail2sms send`): their
 * counts saved to the store of RT, or of CFG when RT is NULL (a mail refused before the
 * runtime was made), when CFG sets [metrics] listen; nothing otherwise. A failure is logged,
 * never the process's. */
void metrics_store_save_process(const Cfg *cfg, Runtime *rt);

/* What the store adds to every slot for a scrape, into EXTRA (metrics_n_slots() values):
 * its values as read now, and those it forgot since this process first read them (a value
 * the store drops after [state] keep, or a store emptied), so that no counter this process
 * renders ever goes down. ST NULL, or a store that cannot be read (FALSE with *err): the
 * values read last. */
gboolean metrics_store_read(Store *st, guint64 *extra, GError **err);

#endif

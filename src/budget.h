/* budget.h: the [ovh] max_requests budget of API requests, shared through the state store;
 * its two functions are the OvhGate of ovh_http.h. */
#ifndef M2S_BUDGET_H
#define M2S_BUDGET_H

#include "cfg.h"
#include "store.h"

typedef struct Budget Budget;

/* The store to count in: NULL with *err when it is down, NULL without for none. */
typedef Store *(*BudgetStore)(void *arg, GError **err);

/* A budget for CFG's max_requests (CFG outlives it), counted in the store STORE(ARG) gives. */
Budget *budget_new(const Cfg *cfg, BudgetStore store, void *arg);
void budget_free(Budget *b);
/* A place for one request, waiting at most max_wait for one; FALSE with M2S_ERR_BUSY (no
 * room within max_wait, or the store down with on_store_error = tempfail): the request is not
 * made. ARG is the Budget. */
gboolean budget_admit(void *arg, GError **err);
/* A reply came with STATUS: a 429 halves the budget for a while, for every process. */
void budget_answered(void *arg, long status);

#endif

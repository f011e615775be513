/* metrics_http.h: the milter's [metrics] listener, serving GET /metrics to Prometheus. */
#ifndef M2S_METRICS_HTTP_H
#define M2S_METRICS_HTTP_H

#include "cfg.h"

typedef struct MetricsHttp MetricsHttp;

/* A listening socket on CFG's [metrics] listen, bound now: before the milter forks to the
 * background and drops its privileges. -1 with *err NULL when listen is not set, -1 with
 * *err when the address cannot be bound. */
int metrics_http_bind(const Cfg *cfg, GError **err);
/* Serves FD (from metrics_http_bind, which it then owns) from a thread of its own; NULL
 * with *err when the server cannot start. */
MetricsHttp *metrics_http_start(int fd, GError **err);
/* Stops serving, a scrape in progress finished first (NULL: nothing). */
void metrics_http_stop(MetricsHttp *h);

/* The page a scrape gets: this process's counts with the current runtime's store's share
 * added (metrics_store_read), in the text format 0.0.4. */
char *metrics_http_page(void);

/* A reload from BEFORE to AFTER: the listener stays as it was started; a change of
 * [metrics] listen is logged as waiting for a restart. */
void metrics_http_reloaded(const Cfg *before, const Cfg *after);

#endif

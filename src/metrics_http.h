/* metrics_http.h: the page of the milter's [metrics] listener (httpd.c serves it): GET
 * /metrics for Prometheus. */
#ifndef M2S_METRICS_HTTP_H
#define M2S_METRICS_HTTP_H

#include "httpd.h"

/* The page a scrape gets: this process's counts with the current runtime's store's share
 * added (metrics_store_read), in the text format 0.0.4. */
char *metrics_http_page(void);

/* The [metrics] listener's handler: the page at /metrics, 404 elsewhere. */
void metrics_http_answer(struct MHD_Connection *conn, const char *url, HttpdAnswer *out);

#endif

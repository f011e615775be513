/* metrics_http.c: what the milter's [metrics] listener answers (httpd.c serves it): GET
 * /metrics in the Prometheus text format 0.0.4, 404 for any other path.
 *
 * The page holds counts, label values from fixed lists and the version: never a number,
 * an address, a tag or a secret. It must not be reached from the mail path: a mail only
 * ever increments a counter. */
#include <string.h>
#include "metrics_http.h"
#include "metrics.h"
#include "metrics_store.h"
#include "runtime.h"

#define METRICS_HTTP_PATH "/metrics"
#define METRICS_HTTP_TYPE "text/plain; version=0.0.4; charset=utf-8"

char *metrics_http_page(void)
{
	g_autoptr(Runtime) rt = runtime_current();
	g_autoptr(GError) e = NULL;
	g_autofree guint64 *extra = g_new0(guint64, metrics_n_slots());
	Store *st = rt != NULL ? runtime_store(rt, &e) : NULL;
	MetricsView view = { .extra = extra, .store_up = -1 };
	GString *out = g_string_sized_new(16384);

	/* Without a store, the values read last; a store configured but down is 0, "none" no
	 * line at all. */
	if (st != NULL) {
		view.store_up = metrics_store_read(st, extra, NULL) ? 1 : 0;
	} else {
		metrics_store_read(NULL, extra, NULL);
		view.store_up = e != NULL ? 0 : -1;
	}
	metrics_render(out, &view);
	return g_string_free(out, FALSE);
}

void metrics_http_answer(struct MHD_Connection *conn, const char *url, HttpdAnswer *out)
{
	(void)conn;
	if (strcmp(url, METRICS_HTTP_PATH) != 0) {
		out->status = 404;
		out->body = g_strdup("not found: the metrics are at " METRICS_HTTP_PATH "\n");
		return;
	}
	out->status = 200;
	out->body = metrics_http_page();
	out->type = METRICS_HTTP_TYPE;
}

/* metrics_http.c: the milter's [metrics] listener: GET /metrics in the Prometheus text
 * format 0.0.4, 404 for any other path, 405 for any other method.
 *
 * libmicrohttpd serves it from one internal thread, so scrapes never run at once and never
 * on a thread that serves mail; connections are bounded in number and in time, so that a
 * slow or hostile client cannot hold the milter's resources. The socket is bound by
 * metrics_http_bind at start-up (errors show then, and a port below 1024 works before the
 * privileges go) and served once the milter runs. The page holds counts, label values from
 * fixed lists and the version: never a number, an address, a tag or a secret.
 * It must not be reached from the mail path: a mail only ever increments a counter. */
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "metrics_http.h"
#include "error.h"
#include "metrics.h"
#include "metrics_store.h"
#include "runtime.h"

/* Scrapers at once: Prometheus is one, a person with curl another; more is not a scrape. */
#define METRICS_HTTP_CONNECTIONS 8
/* Seconds an idle connection is kept: a scrape is one request, answered at once. */
#define METRICS_HTTP_TIMEOUT 10
#define METRICS_HTTP_BACKLOG 16
#define METRICS_HTTP_PATH "/metrics"
#define METRICS_HTTP_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct MetricsHttp {
	struct MHD_Daemon *daemon;
};

int metrics_http_bind(const Cfg *cfg, GError **err)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (cfg->metrics_listen == NULL)
		return -1;
	if (inet_pton(AF_INET, cfg->metrics_host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(cfg->metrics_port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, cfg->metrics_host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(cfg->metrics_port);
		len = sizeof *in6;
	} else {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "[metrics] listen: '%s' is not an address",
		            cfg->metrics_host);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, METRICS_HTTP_BACKLOG) != 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "[metrics] listen = %s: %s",
		            cfg->metrics_listen, g_strerror(saved));
		return -1;
	}
	return fd;
}

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

/* A fixed answer: the 404 and 405 pages. */
static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned int status,
                                   const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	                                                         MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* One request, answered as soon as its headers are in: nothing is read from a body. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size != 0)
		return MHD_NO;  /* a GET has no body: whoever sends one is not a scraper */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (strcmp(url, METRICS_HTTP_PATH) != 0)
		return answer_text(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at "
		                   METRICS_HTTP_PATH "\n");
	char *page = metrics_http_page();
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(
		strlen(page), page, g_free);
	enum MHD_Result rc;

	if (r == NULL) {
		g_free(page);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_HTTP_TYPE);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

MetricsHttp *metrics_http_start(int fd, GError **err)
{
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_HTTP_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_HTTP_TIMEOUT,
		MHD_OPTION_END);
	MetricsHttp *h;

	if (d == NULL) {
		close(fd);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "[metrics] listen: the HTTP server did not "
		            "start");
		return NULL;
	}
	h = g_new0(MetricsHttp, 1);
	h->daemon = d;
	return h;
}

void metrics_http_stop(MetricsHttp *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	g_free(h);
}

void metrics_http_reloaded(const Cfg *before, const Cfg *after)
{
	if (before == NULL || g_strcmp0(before->metrics_listen, after->metrics_listen) == 0)
		return;
	syslog(LOG_WARNING, "[metrics] listen changed from '%s' to '%s': the listener stays as it "
	       "was until mail2sms-milter is restarted",
	       before->metrics_listen ? before->metrics_listen : "",
	       after->metrics_listen ? after->metrics_listen : "");
}

/* httpd.c: the milter's small HTTP listeners (httpd.h): [metrics] listen for Prometheus,
 * [reports] listen for OVH's delivery callbacks.
 *
 * libmicrohttpd serves each from one internal thread, so that a handler never runs twice
 * at once nor on a thread that serves mail; connections are bounded in number and in
 * time, so that a slow or hostile client cannot hold the milter's resources. A socket is
 * bound at start-up (errors show then, and a port below 1024 works before the privileges
 * go) and served once the milter runs. Only GET and HEAD are answered, as soon as the
 * headers are in: nothing is read from a body. It must not know what it serves: the
 * handlers (metrics_http.c, reports_http.c) do. */
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "httpd.h"
#include "error.h"

/* Clients at once: a scraper, OVH's callbacks and a person with curl; more is an attack. */
#define HTTPD_CONNECTIONS 16
/* Seconds an idle connection is kept: every request is answered at once. */
#define HTTPD_TIMEOUT 10
#define HTTPD_BACKLOG 16

struct Httpd {
	struct MHD_Daemon *daemon;
	HttpdHandler handler;
};

int httpd_bind(const char *what, const char *host, guint port, GError **err)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		len = sizeof *in4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof *in6;
	} else {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s: '%s' is not an address", what, host);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, HTTPD_BACKLOG) != 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s", what, g_strerror(saved));
		return -1;
	}
	return fd;
}

const char *httpd_arg(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Queues BODY (freed with the response) with STATUS and TYPE. */
static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int status, char *body,
                              const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(
		strlen(body), body, g_free);
	enum MHD_Result rc;

	if (r == NULL) {
		g_free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* One request, answered as soon as its headers are in. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	Httpd *h = cls;
	HttpdAnswer a = { 0 };

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size != 0)
		return MHD_NO;  /* a GET has no body: whoever sends one is no client of ours */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, g_strdup("only GET and HEAD\n"),
		              "text/plain; charset=utf-8");
	h->handler(conn, url, &a);
	return answer(conn, a.status, a.body != NULL ? a.body : g_strdup(""),
	              a.type != NULL ? a.type : "text/plain; charset=utf-8");
}

Httpd *httpd_start(int fd, const char *what, HttpdHandler handler, GError **err)
{
	Httpd *h = g_new0(Httpd, 1);

	h->handler = handler;
	h->daemon = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTPD_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_TIMEOUT,
		MHD_OPTION_END);
	if (h->daemon == NULL) {
		close(fd);
		g_free(h);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: the HTTP server did not start", what);
		return NULL;
	}
	return h;
}

void httpd_stop(Httpd *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->daemon);
	g_free(h);
}

void httpd_reloaded(const char *what, const char *before, const char *after)
{
	if (g_strcmp0(before, after) == 0)
		return;
	syslog(LOG_WARNING, "%s changed from '%s' to '%s': the listener stays as it was until "
	       "mail2sms-milter is restarted", what, before ? before : "", after ? after : "");
}

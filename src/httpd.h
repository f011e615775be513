/* httpd.h: the milter's small HTTP listeners ([metrics] listen, [reports] listen): a socket
 * bound at start-up and served by libmicrohttpd from a thread of its own, one handler per
 * listener. */
#ifndef M2S_HTTPD_H
#define M2S_HTTPD_H

#include <glib.h>

typedef struct Httpd Httpd;
struct MHD_Connection;

/* What a handler answers: an HTTP status, a body (newly allocated, freed by httpd) and its
 * type (static). */
typedef struct {
	unsigned int status;
	char *body;
	const char *type;
} HttpdAnswer;

/* Answers a GET or HEAD of URL (path alone; the query is read with httpd_arg). Runs on the
 * listener's one thread: never two at once. */
typedef void (*HttpdHandler)(struct MHD_Connection *conn, const char *url, HttpdAnswer *out);

/* A listening socket on HOST:PORT (an IP literal), bound now: before the milter drops its
 * privileges. WHAT names it in errors ("[metrics] listen = 127.0.0.1:9464"). -1 with
 * *err when the address cannot be bound. */
int httpd_bind(const char *what, const char *host, guint port, GError **err);
/* Serves FD (from httpd_bind, which it then owns) with HANDLER; any method but GET and
 * HEAD gets 405, a request with a body is dropped. NULL with *err when it cannot start. */
Httpd *httpd_start(int fd, const char *what, HttpdHandler handler, GError **err);
/* Stops serving, a request in progress finished first (NULL: nothing). */
void httpd_stop(Httpd *h);
/* The query argument NAME of the request on CONN, NULL when absent. */
const char *httpd_arg(struct MHD_Connection *conn, const char *name);
/* A reload changing the listen address of WHAT from BEFORE to AFTER (either NULL): the
 * listener stays as it was started, which is logged. */
void httpd_reloaded(const char *what, const char *before, const char *after);

#endif

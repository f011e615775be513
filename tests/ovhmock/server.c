/*
 * server.c: the HTTPS side of ovhmock. Runs the libmicrohttpd daemon with GnuTLS (one thread
 * per connection, so slow replies never stall other clients), counts accepted connections
 * (one TLS handshake each), assembles each request (raw URI, headers, body up to 1 MiB),
 * applies the transport faults (refuse, latency, drop) and sends the reply with its
 * X-Ovh-QueryID, then logs it.
 * It decides nothing about routes, credentials or SMS: routes.c does. It must not block
 * one connection on another's work beyond the state lock.
 */
#include "mock.h"

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

/* Refuses new connections while the "refuse" fault is on. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	(void)addr;
	(void)len;
	return fault_refuse(cls) ? MHD_NO : MHD_YES;
}

/*
 * Numbers connections and keeps the handshake and open-connection counters. TCP_NODELAY:
 * GnuTLS writes the session ticket and the reply as separate records, and Nagle would hold
 * the reply for the client's delayed ACK (40 ms on the first request of every connection).
 */
static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct mock *m = cls;
	const union MHD_ConnectionInfo *ci;
	int on = 1;

	if (code == MHD_CONNECTION_NOTIFY_STARTED &&
	    (ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD)))
		setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	pthread_mutex_lock(&m->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		m->handshakes++;
		m->conns_open++;
		*socket_context = GSIZE_TO_POINTER((gsize)++m->conn_seq);
	} else {
		m->conns_open--;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Called first for every request: keeps the URI exactly as the client sent it. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct mock_req *r = g_new0(struct mock_req, 1);

	(void)con;
	r->m = cls;
	r->uri = g_strdup(uri);
	r->body = g_string_new(NULL);
	return r;
}

static void req_free(struct mock_req *r)
{
	g_free(r->method);
	g_free(r->uri);
	g_free(r->path);
	g_free(r->query);
	g_string_free(r->body, TRUE);
	if (r->json)
		json_object_put(r->json);
	if (r->reply)
		json_object_put(r->reply);
	if (r->job)
		json_object_put(r->job);
	g_free(r->error);
	g_free(r->message);
	g_free(r);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)con;
	(void)toe;
	if (*req_cls)
		req_free(*req_cls);
	*req_cls = NULL;
}

const char *mock_header(struct mock_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, name);
}

const char *mock_arg(struct mock_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, name);
}

/* Sets the reply; takes ownership of body, NULL for a JSON null. */
void mock_reply(struct mock_req *r, int status, json_object *body)
{
	if (r->reply)
		json_object_put(r->reply);
	r->status = status;
	r->reply = body;
}

/* Legacy OVH error shape: {"errorCode","httpCode","message"}. */
void mock_reply_code(struct mock_req *r, int status, const char *code, const char *message)
{
	json_object *o = json_object_new_object();
	g_autofree char *http = g_strdup_printf("%d %s", status, MHD_get_reason_phrase_for(status));

	json_object_object_add(o, "errorCode", json_object_new_string(code));
	json_object_object_add(o, "httpCode", json_object_new_string(http));
	json_object_object_add(o, "message", json_object_new_string(message));
	g_free(r->error);
	g_free(r->message);
	r->error = g_strdup(code);
	r->message = g_strdup(message);
	mock_reply(r, status, o);
}

/* Current OVH error shape: {"class","message"}. */
void mock_reply_class(struct mock_req *r, int status, const char *cls, const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "class", json_object_new_string(cls));
	json_object_object_add(o, "message", json_object_new_string(message));
	g_free(r->error);
	g_free(r->message);
	r->error = NULL;
	r->message = g_strdup(message);
	mock_reply(r, status, o);
}

/* 400 for a request body OVH refuses. */
void mock_reply_bad(struct mock_req *r, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	mock_reply_class(r, 400, "Client::BadRequest", msg);
}

/* Parses the body as one JSON value; anything but whitespace after it makes the body bad. */
static void parse_body(struct mock_req *r)
{
	json_tokener *tok;
	size_t end;

	if (r->body->len == 0)
		return;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	r->json = json_tokener_parse_ex(tok, r->body->str, (int)r->body->len);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) == json_tokener_continue) {
		/* A bare number is complete only at the end of the input. */
		r->json = json_tokener_parse_ex(tok, "", 1);
		end = r->body->len;
	}
	if (json_tokener_get_error(tok) != json_tokener_success) {
		if (r->json)
			json_object_put(r->json);
		r->json = NULL;
	}
	while (r->json && end < r->body->len && g_ascii_isspace(r->body->str[end]))
		end++;
	if (r->json && end < r->body->len) {
		json_object_put(r->json);
		r->json = NULL;
	}
	r->json_bad = r->json == NULL;
	json_tokener_free(tok);
}

/* Everything about one complete request: route it, apply faults, reply, log. */
static enum MHD_Result serve(struct mock_req *r, struct MHD_Connection *con, const char *method)
{
	struct mock *m = r->m;
	const union MHD_ConnectionInfo *ci;
	const char *q;
	char query_id[64];
	struct MHD_Response *resp;
	const char *text;
	enum MHD_Result ret;
	int latency;
	guint64 qn;

	r->received_ms = g_get_real_time() / 1000;
	r->method = g_strdup(method);
	q = strchr(r->uri, '?');
	r->path = q ? g_strndup(r->uri, (gsize)(q - r->uri)) : g_strdup(r->uri);
	r->query = q ? g_strdup(q + 1) : NULL;
	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->conn = ci ? GPOINTER_TO_SIZE(ci->socket_context) : 0;
	r->app = mock_header(r, "X-Ovh-Application");
	r->consumer = mock_header(r, "X-Ovh-Consumer");

	pthread_mutex_lock(&m->lock);
	m->requests++;
	qn = ++m->query_seq;
	pthread_mutex_unlock(&m->lock);
	g_snprintf(query_id, sizeof query_id, "EU.ext-1.%x.%lu", (unsigned)getpid(), (unsigned long)qn);

	latency = fault_latency(m);
	if (latency > 0)
		g_usleep((gulong)latency * 1000);

	if (r->too_large) {
		mock_reply_class(r, 413, "Client::RequestEntityTooLarge", "Request entity too large");
	} else {
		parse_body(r);
		routes_dispatch(r);
	}
	/* A reply is set once it has a status: its body may be JSON null (OVH's PUT, DELETE). */
	if (!r->status)
		mock_reply_class(r, 500, "Server::InternalServerError", "Internal server error");

	log_request(m->log, r, query_id);
	if (r->drop)
		return MHD_NO;

	text = json_object_to_json_string_ext(r->reply,
					      JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(resp, "X-Ovh-QueryID", query_id);
	if (r->retry_after > 0) {
		char ra[16];

		g_snprintf(ra, sizeof ra, "%d", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(con, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* libmicrohttpd's access handler: called for the headers, for each body chunk, then once more. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **req_cls)
{
	struct mock_req *r = *req_cls;

	(void)cls;
	(void)url;
	(void)version;
	if (!r->started) {
		r->started = TRUE;
		r->con = con;
		return MHD_YES;
	}
	if (*data_size) {
		if (r->body->len + *data_size > MOCK_MAX_BODY)
			r->too_large = TRUE;
		else
			g_string_append_len(r->body, data, (gssize)*data_size);
		*data_size = 0;
		return MHD_YES;
	}
	return serve(r, con, method);
}

static char *read_pem(const char *path, GError **err)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, err))
		return NULL;
	return text;
}

/* Starts the HTTPS daemon on an already listening socket. */
struct MHD_Daemon *server_start(struct mock *m, int fd, const char *cert, const char *key,
				GError **err)
{
	g_autofree char *cert_pem = read_pem(cert, err);
	g_autofree char *key_pem = NULL;
	gnutls_certificate_credentials_t cred;
	struct MHD_Daemon *d;
	int rc;

	if (!cert_pem)
		return NULL;
	if (!(key_pem = read_pem(key, err)))
		return NULL;
	/* Check the pair here so that a bad file gets a message naming it. */
	gnutls_certificate_allocate_credentials(&cred);
	rc = gnutls_certificate_set_x509_key_file(cred, cert, key, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (rc < 0) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "certificate %s / key %s: %s",
			    cert, key, gnutls_strerror(rc));
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_AUTO_INTERNAL_THREAD,
			     0, on_accept, m, on_request, m,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
			     MHD_OPTION_HTTPS_MEM_KEY, key_pem,
			     MHD_OPTION_URI_LOG_CALLBACK, on_uri, m,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
			     MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1024 * 1024),
			     MHD_OPTION_END);
	if (!d)
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "cannot start the HTTPS server on port %d", m->port);
	return d;
}

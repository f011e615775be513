/* ovh_http.c: the OVHcloud API's transport: signed HTTPS requests and their classified
 * errors.
 *
 * It promises: the bytes signed are the bytes sent; TLS peer and host verification always
 * on; connections kept alive (15 s idle at most) and reused through a pool of libcurl
 * handles that threads borrow, so that concurrent calls neither share one connection nor
 * open one each; every request bounded in time (connect 5 s, whole request
 * cfg->ovh_timeout) and in reply size (1 MiB); a request with a body never sent twice. Errors are M2S_ERROR values carrying
 * OVH's own message, errorCode and query id. The client's state (struct OvhClient) is
 * private to this file: ovh.c reads it through ovh_client_cfg and the service accessors.
 * It must not log, print, or put a secret into an error. It knows nothing of SMS (ovh.c
 * builds the calls) nor of endpoint names (ovhconf.c resolves them to the base URL). */
#include <string.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "ovh_http.h"
#include "ovh_reply.h"
#include "error.h"
#include "metrics.h"
#include "safeline.h"

/* A reply larger than this is not OVH's: the calls answer a few kilobytes at most. */
#define OVH_MAX_REPLY (1024 * 1024)
/* Idle connections kept for reuse: one per concurrent milter session is plenty. */
#define OVH_MAX_IDLE 64
/* Seconds a connection may stay idle and still be reused. A server closes idle ones after
 * a delay of its own (the stand-in after 60 s, nginx by default after 75 s); a request
 * written on a connection the server closes at that very moment is lost after it was sent,
 * and its job is in doubt until OVH lists it. A process sending less than one SMS in this
 * time pays a handshake per SMS, which costs it nothing noticeable. */
#define OVH_MAX_IDLE_AGE 15L
/* Seconds to connect (the whole request has [ovh] timeout): a TCP and TLS handshake to
 * OVH's front takes well under a second, a longer wait means it is unreachable. */
#define OVH_CONNECT_TIMEOUT 5L
/* Tries of one signed call: the first, and one more after re-reading OVH's clock when it
 * refused the timestamp (QUERY_TIME_OUT: certainly not executed). */
#define OVH_CALL_TRIES 2
/* A header line longer than this is not the query id OVH sends. */
#define OVH_MAX_HEADER 256

struct OvhClient {
	Cfg *cfg;
	GMutex sync_lock;    /* held by the one thread reading OVH's clock */
	GMutex lock;         /* guards everything below */
	GPtrArray *idle;     /* CURL* handles with their live connections */
	gboolean synced;
	gboolean read;       /* the offset was read from OVH by this client, not given */
	gint64 offset;       /* OVH time - local time, seconds */
	char *service;       /* resolved service name; once set, never changed nor freed early */
	OvhGate gate;        /* set before the client serves; admit NULL: none */
};

typedef struct {
	long status;
	GString *body;
	char *query_id;
	gboolean too_big;
	gboolean once;       /* the request must not be sent twice */
	int sends;           /* times libcurl was about to send it */
} Reply;

char *ovh_sign(const char *secret, const char *consumer, const char *method, const char *url,
               const char *body, gint64 timestamp)
{
	g_autofree char *plain = g_strdup_printf("%s+%s+%s+%s+%s+%" G_GINT64_FORMAT, secret,
	                                         consumer, method, url, body ? body : "",
	                                         timestamp);
	unsigned char md[SHA_DIGEST_LENGTH];
	GString *sig = g_string_new("$1$");

	SHA1((const unsigned char *)plain, strlen(plain), md);
	for (gsize i = 0; i < sizeof md; i++)
		g_string_append_printf(sig, "%02x", md[i]);
	memset(plain, 0, strlen(plain));
	return g_string_free(sig, FALSE);
}

static gpointer curl_init_once(gpointer unused)
{
	(void)unused;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return NULL;
}

OvhClient *ovh_client_new(const Cfg *cfg, GError **err)
{
	static GOnce once = G_ONCE_INIT;
	OvhClient *c;

	if (cfg->ovh_base_url == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "no OVH endpoint configured");
		return NULL;
	}
	g_once(&once, curl_init_once, NULL);
	c = g_new0(OvhClient, 1);
	c->cfg = cfg_ref((Cfg *)cfg);
	g_mutex_init(&c->lock);
	g_mutex_init(&c->sync_lock);
	c->idle = g_ptr_array_new_with_free_func((GDestroyNotify)curl_easy_cleanup);
	if (cfg->ovh_service)
		c->service = g_strdup(cfg->ovh_service);
	return c;
}

void ovh_client_free(OvhClient *c)
{
	if (c == NULL)
		return;
	g_ptr_array_unref(c->idle);
	g_mutex_clear(&c->lock);
	g_mutex_clear(&c->sync_lock);
	g_free(c->service);
	cfg_unref(c->cfg);
	g_free(c);
}

const Cfg *ovh_client_cfg(OvhClient *c)
{
	return c->cfg;
}

const char *ovh_client_service(OvhClient *c)
{
	const char *svc;

	g_mutex_lock(&c->lock);
	svc = c->service;
	g_mutex_unlock(&c->lock);
	return svc;
}

/* The first name kept wins: concurrent look-ups may both find the service, and a pointer
 * already returned must stay valid. */
const char *ovh_client_keep_service(OvhClient *c, const char *name)
{
	const char *svc;

	g_mutex_lock(&c->lock);
	if (c->service == NULL)
		c->service = g_strdup(name);
	svc = c->service;
	g_mutex_unlock(&c->lock);
	return svc;
}

/* Adds ca_file to the system trust store rather than replacing it: a TLS-inspecting proxy's
 * CA or a test CA comes on top of the public ones. */
static CURLcode add_ca(CURL *h, void *sslctx, void *arg)
{
	(void)h;
	X509_STORE *store = SSL_CTX_get_cert_store(sslctx);
	return X509_STORE_load_locations(store, arg, NULL) == 1 ? CURLE_OK
	                                                        : CURLE_SSL_CACERT_BADFILE;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	Reply *r = arg;

	if (r->body->len + size * n > OVH_MAX_REPLY) {
		r->too_big = TRUE;
		return 0;
	}
	g_string_append_len(r->body, data, size * n);
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	Reply *r = arg;
	gsize len = size * n;
	static const char name[] = "x-ovh-queryid:";

	if (len > sizeof name - 1 && len < OVH_MAX_HEADER &&
	    g_ascii_strncasecmp(data, name, sizeof name - 1) == 0) {
		g_free(r->query_id);
		g_autofree char *raw = g_strstrip(g_strndup(data + sizeof name - 1,
		                                            len - (sizeof name - 1)));
		r->query_id = safeline(raw, SAFELINE_OVH, FALSE);
	}
	return len;
}

/* libcurl silently sends a request again on a fresh connection when a kept-alive one dies
 * before any reply: for a job that may have been executed already, so it is stopped here
 * and the caller asks OVH for the job's tag instead. */
static int before_send(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	Reply *r = arg;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	return ++r->sends > 1 && r->once ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/* A handle from the pool, or a new one set up with the options that never change. */
static CURL *borrow(OvhClient *c)
{
	CURL *h = NULL;

	g_mutex_lock(&c->lock);
	if (c->idle->len > 0)
		h = g_ptr_array_steal_index_fast(c->idle, c->idle->len - 1);
	g_mutex_unlock(&c->lock);
	if (h)
		return h;
	h = curl_easy_init();
	if (h == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, OVH_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->cfg->ovh_timeout);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, OVH_MAX_IDLE_AGE);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "mail2sms/" M2S_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, before_send);
	/* Where libcurl has a hashed CA directory, OpenSSL reads from it the one certificate a
	 * chain needs; the bundle file would be parsed whole, 140 certificates, for each new
	 * process (each delivery agent): a third of its CPU. */
	const char *capath = NULL;
	if (curl_easy_getinfo(h, CURLINFO_CAPATH, &capath) == CURLE_OK && capath != NULL &&
	    g_file_test(capath, G_FILE_TEST_IS_DIR))
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
	if (c->cfg->ovh_ca_file) {
		curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, add_ca);
		curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, c->cfg->ovh_ca_file);
	}
	return h;
}

/* Returns a handle, keeping its connection open for the next caller. */
static void give_back(OvhClient *c, CURL *h)
{
	g_mutex_lock(&c->lock);
	if (c->idle->len < OVH_MAX_IDLE) {
		g_ptr_array_add(c->idle, h);
		h = NULL;
	}
	g_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

/* The reply as ovh_reply.c reads it. */
static OvhReply reply_view(const Reply *r)
{
	return (OvhReply){ r->status, r->body->str, r->body->len, r->query_id };
}

/* Maps a libcurl failure: before the request was sent it cannot have been executed. */
static void transport_error(CURLcode rc, const Reply *r, const char *what, GError **err)
{
	M2sErrorCode kind = M2S_ERR_UNREACHABLE;

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		kind = M2S_ERR_CONFIG;
		break;
	case CURLE_WRITE_ERROR:
		if (r->too_big) {
			g_set_error(err, M2S_ERROR, M2S_ERR_SERVER, "OVH %s: reply larger than 1 MiB",
			            what);
			return;
		}
		break;
	case CURLE_ABORTED_BY_CALLBACK:  /* before_send: the connection died after sending */
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
		kind = M2S_ERR_NO_REPLY;
		break;
	default:
		break;
	}
	/* A request with a body that went out once and whose connection died: libcurl's own
	 * retry on a fresh connection may fail to connect, yet the first one may have been
	 * executed. */
	if (r->once && r->sends > 0 && kind != M2S_ERR_NO_REPLY) {
		g_set_error(err, M2S_ERROR, M2S_ERR_NO_REPLY,
		            "OVH %s: connection lost after the request was sent (%s)", what,
		            curl_easy_strerror(rc));
		return;
	}
	g_set_error(err, M2S_ERROR, kind, "OVH %s: %s", what,
	            rc == CURLE_ABORTED_BY_CALLBACK ? "connection lost after the request was sent"
	                                            : curl_easy_strerror(rc));
}

/* One HTTP exchange; FALSE only when no HTTP reply came. */
static gboolean perform(OvhClient *c, const char *method, const char *url, const char *body,
                        struct curl_slist *headers, Reply *r, const char *what, GError **err)
{
	CURL *h;
	CURLcode rc;

	if (c->gate.admit != NULL && !c->gate.admit(c->gate.arg, err)) {
		g_prefix_error(err, "OVH %s: ", what);
		return FALSE;
	}
	h = borrow(c);
	if (h == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "OVH %s: cannot create an HTTP handle", what);
		return FALSE;
	}

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, r);
	r->once = strcmp(method, "GET") != 0;
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") ? method : NULL);
	}
	gint64 t0 = g_get_monotonic_time();
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	metrics_ovh_request(what, rc == CURLE_OK ? r->status : 0, g_get_monotonic_time() - t0);
	if (rc == CURLE_OK && c->gate.answered != NULL)
		c->gate.answered(c->gate.arg, r->status);
	/* The handle keeps no pointer to our headers or reply between calls. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	give_back(c, h);
	if (rc != CURLE_OK) {
		transport_error(rc, r, what, err);
		return FALSE;
	}
	return TRUE;
}

static void reply_clear(Reply *r)
{
	if (r->body)
		g_string_free(r->body, TRUE);
	g_free(r->query_id);
	memset(r, 0, sizeof *r);
}

void ovh_client_set_gate(OvhClient *c, const OvhGate *gate)
{
	if (gate != NULL)
		c->gate = *gate;
	else
		memset(&c->gate, 0, sizeof c->gate);
}

gboolean ovh_client_clock(OvhClient *c, gint64 *offset)
{
	gboolean read;

	g_mutex_lock(&c->lock);
	*offset = c->offset;
	read = c->read;
	g_mutex_unlock(&c->lock);
	return read;
}

void ovh_client_set_clock(OvhClient *c, gint64 offset)
{
	g_mutex_lock(&c->lock);
	if (!c->synced) {
		c->offset = offset;
		c->synced = TRUE;
	}
	g_mutex_unlock(&c->lock);
}

/* Reads OVH's clock (unauthenticated GET /auth/time) and keeps the offset. */
static gboolean sync_time(OvhClient *c, GError **err)
{
	g_autofree char *url = g_strconcat(c->cfg->ovh_base_url, "/auth/time", NULL);
	Reply r = { .body = g_string_new(NULL) };
	OvhReply view;
	gint64 server;
	gboolean ok = FALSE;

	if (perform(c, "GET", url, NULL, NULL, &r, "clock", err)) {
		view = reply_view(&r);
		if (ovh_reply_time(&view, &server, err)) {
			g_mutex_lock(&c->lock);
			c->offset = server - g_get_real_time() / G_USEC_PER_SEC;
			c->synced = TRUE;
			c->read = TRUE;
			g_mutex_unlock(&c->lock);
			ok = TRUE;
		}
	}
	reply_clear(&r);
	return ok;
}

json_object *ovh_call(OvhClient *c, const char *method, const char *path,
                         const char *body, gboolean sign, const char *what, GError **err)
{
	const Cfg *cfg = c->cfg;
	g_autofree char *url = g_strconcat(cfg->ovh_base_url, path, NULL);

	if (sign && !cfg_has_credentials(cfg, err))
		return NULL;
	for (int attempt = 0; attempt < OVH_CALL_TRIES; attempt++) {
		struct curl_slist *hl = NULL;
		g_autofree char *h_app = NULL, *h_ck = NULL, *h_ts = NULL, *h_sig = NULL;
		g_autofree char *sig = NULL, *code = NULL;
		Reply r = { .body = g_string_new(NULL) };
		json_object *j = NULL;
		gboolean synced;

		g_mutex_lock(&c->lock);
		synced = c->synced;
		g_mutex_unlock(&c->lock);
		if (sign && !synced) {
			/* One reading for every thread that finds the clock unknown. */
			g_mutex_lock(&c->sync_lock);
			g_mutex_lock(&c->lock);
			synced = c->synced;
			g_mutex_unlock(&c->lock);
			gboolean ok = synced || sync_time(c, err);
			g_mutex_unlock(&c->sync_lock);
			if (!ok) {
				reply_clear(&r);
				return NULL;
			}
		}
		hl = curl_slist_append(hl, "Accept: application/json");
		if (body)
			hl = curl_slist_append(hl, "Content-Type: application/json");
		if (cfg->ovh_application_key) {
			h_app = g_strconcat("X-Ovh-Application: ", cfg->ovh_application_key, NULL);
			hl = curl_slist_append(hl, h_app);
		}
		if (sign) {
			gint64 ts;
			g_mutex_lock(&c->lock);
			ts = g_get_real_time() / G_USEC_PER_SEC + c->offset;
			g_mutex_unlock(&c->lock);
			sig = ovh_sign(cfg->ovh_application_secret, cfg->ovh_consumer_key, method, url,
			               body, ts);
			h_ck = g_strconcat("X-Ovh-Consumer: ", cfg->ovh_consumer_key, NULL);
			h_ts = g_strdup_printf("X-Ovh-Timestamp: %" G_GINT64_FORMAT, ts);
			h_sig = g_strconcat("X-Ovh-Signature: ", sig, NULL);
			hl = curl_slist_append(hl, h_ck);
			hl = curl_slist_append(hl, h_ts);
			hl = curl_slist_append(hl, h_sig);
		}
		if (perform(c, method, url, body, hl, &r, what, err)) {
			OvhReply view = reply_view(&r);
			j = ovh_reply_body(&view, what, &code, err);
		}
		curl_slist_free_all(hl);
		reply_clear(&r);
		if (j)
			return j;
		if (!(sign && attempt + 1 < OVH_CALL_TRIES && code && strcmp(code, "QUERY_TIME_OUT") == 0))
			return NULL;
		g_clear_error(err);
		if (!sync_time(c, err))
			return NULL;
	}
	return NULL;
}

/*
 * callback.c: the call OVH makes to an account's callBack URL when a sent SMS changes state:
 * an HTTP GET of the URL with id, ptt, dlr, description, receiver and tag added to its
 * query string, answered within 5 s or given up. Uses libcurl.
 * It must not connect anywhere but loopback (a stand-in for tests never calls out), must not
 * go through a proxy, and must not be called with the state lock held.
 */
#include "mock.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define CALLBACK_TIMEOUT_S 5L

/* Opens the socket only for a loopback address: 127.0.0.0/8 or ::1. */
static curl_socket_t open_loopback(void *cls, curlsocktype purpose, struct curl_sockaddr *a)
{
	gboolean loopback = FALSE;

	(void)cls;
	(void)purpose;
	if (a->family == AF_INET)
		loopback = (ntohl(((struct sockaddr_in *)&a->addr)->sin_addr.s_addr) >> 24) == 127;
	else if (a->family == AF_INET6)
		loopback = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&a->addr)->sin6_addr);
	if (!loopback)
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t discard(char *data, size_t size, size_t n, void *cls)
{
	(void)data;
	(void)cls;
	return size * n;
}

/* Appends "&name=value" (the first without "&"), the value escaped for a query string. */
static void add_param(CURL *c, GString *q, const char *name, const char *value)
{
	char *esc = curl_easy_escape(c, value, 0);

	g_string_append_printf(q, "%s%s=%s", q->len ? "&" : "", name, esc ? esc : "");
	curl_free(esc);
}

/* curl_global_init is not safe to run twice at once: once, whichever thread gets here first. */
static void callback_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&done, 1);
	}
}

/* GETs url with the SMS's new state in its query; the HTTP status, or 0 when the call failed. */
int callback_send(const char *url, const struct sms_state *st, const char *description,
		  const char *receiver, const char *tag)
{
	g_autoptr(GString) q = g_string_new(NULL);
	g_autofree char *full = NULL;
	char num[32];
	long status = 0;
	const char *sep;
	CURL *c;

	callback_init();
	if (!(c = curl_easy_init()))
		return 0;
	g_snprintf(num, sizeof num, "%" G_GINT64_FORMAT, st->id);
	add_param(c, q, "id", num);
	g_snprintf(num, sizeof num, "%d", st->ptt);
	add_param(c, q, "ptt", num);
	g_snprintf(num, sizeof num, "%d", st->receipt);
	add_param(c, q, "dlr", num);
	add_param(c, q, "description", description);
	add_param(c, q, "receiver", receiver);
	add_param(c, q, "tag", tag);
	sep = !strchr(url, '?') ? "?" : g_str_has_suffix(url, "?") || g_str_has_suffix(url, "&")
					    ? "" : "&";
	full = g_strconcat(url, sep, q->str, NULL);

	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, CALLBACK_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ovhmock");
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_loopback);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(c) != CURLE_OK ||
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	curl_easy_cleanup(c);
	return (int)status;
}

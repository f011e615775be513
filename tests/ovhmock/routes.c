/*
 * routes.c: the route table of the stand-in API. Matches a request's method and path (under
 * /1.0) to a handler, applies the status fault to the /sms routes and the rate faults to job
 * posts, runs the authentication the route needs (none, application key only, or full
 * signature and rights), then calls the handler with the path's wildcard segments.
 * It must not build replies of its own beyond "unknown route" and must not know HTTP.
 */
#include "mock.h"

#include <string.h>

enum route_auth { AUTH_NONE, AUTH_APP, AUTH_SIGNED, AUTH_GRANTED };

struct route {
	const char *method;
	const char *pattern;		/* segments after /1.0; "*" is one segment */
	enum route_auth auth;
	gboolean faults;		/* subject to the status fault */
	mock_handler *handler;
};

static const struct route routes[] = {
	{ "GET", "auth/time", AUTH_NONE, FALSE, auth_time },
	{ "POST", "auth/credential", AUTH_APP, FALSE, auth_credential },
	{ "GET", "auth/currentCredential", AUTH_SIGNED, FALSE, auth_current },
	{ "GET", "sms", AUTH_GRANTED, TRUE, sms_list },
	/* Ahead of GET sms/{svc}: "ptts" is not a service. */
	{ "GET", "sms/ptts", AUTH_GRANTED, TRUE, sms_ptts },
	{ "GET", "sms/*", AUTH_GRANTED, TRUE, account_get },
	{ "PUT", "sms/*", AUTH_GRANTED, TRUE, account_put },
	{ "GET", "sms/*/senders", AUTH_GRANTED, TRUE, sms_senders },
	{ "POST", "sms/*/jobs", AUTH_GRANTED, TRUE, sms_job },
	{ "GET", "sms/*/outgoing", AUTH_GRANTED, TRUE, sms_outgoing },
	{ "GET", "sms/*/outgoing/*", AUTH_GRANTED, TRUE, sms_outgoing_one },
	{ "GET", "sms/*/incoming", AUTH_GRANTED, TRUE, incoming_list },
	{ "GET", "sms/*/incoming/*", AUTH_GRANTED, TRUE, incoming_one },
	{ "DELETE", "sms/*/incoming/*", AUTH_GRANTED, TRUE, incoming_delete },
};

#define MAX_ARGS 4

/* Matches decoded segments against a pattern, collecting the wildcard segments. */
static gboolean route_match(const char *pattern, char **seg, char **args)
{
	g_auto(GStrv) pat = g_strsplit(pattern, "/", -1);
	int i, n = 0;

	for (i = 0; pat[i] && seg[i]; i++) {
		if (strcmp(pat[i], "*") == 0) {
			if (!*seg[i] || n == MAX_ARGS)
				return FALSE;
			args[n++] = seg[i];
		} else if (strcmp(pat[i], seg[i]) != 0) {
			return FALSE;
		}
	}
	args[n] = NULL;
	return !pat[i] && !seg[i];
}

/* The error body OVH (or its gateway) sends with STATUS. */
void mock_reply_status(struct mock_req *r, int status)
{
	switch (status) {
	case 429:
		mock_reply_class(r, 429, "Client::TooManyRequests", "Too many requests");
		break;
	case 500:
		mock_reply_code(r, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
		break;
	case 502:
		mock_reply_class(r, 502, "Server::BadGateway", "Bad gateway");
		break;
	case 503:
		mock_reply_class(r, 503, "Server::ServiceUnavailable",
				 "The service is temporarily unavailable");
		break;
	default:
		mock_reply_class(r, status, "Server::Error", "Injected error");
	}
}

void routes_dispatch(struct mock_req *r)
{
	g_auto(GStrv) seg = NULL;
	char *args[MAX_ARGS + 1];
	const struct route *hit = NULL;
	gboolean path_known = FALSE;
	int status, retry = 0;

	if (g_str_has_prefix(r->path, "/1.0/")) {
		seg = g_strsplit(r->path + 5, "/", -1);
		for (int i = 0; seg[i]; i++) {
			char *plain = g_uri_unescape_string(seg[i], NULL);

			if (plain) {
				g_free(seg[i]);
				seg[i] = plain;
			}
		}
		for (gsize i = 0; i < G_N_ELEMENTS(routes) && !hit; i++) {
			if (route_match(routes[i].pattern, seg, args)) {
				path_known = TRUE;
				if (strcmp(routes[i].method, r->method) == 0)
					hit = &routes[i];
			}
		}
	}
	if (!hit) {
		if (path_known)
			mock_reply_code(r, 405, "INVALID_METHOD", "Method not allowed");
		else
			mock_reply_code(r, 404, "INVALID_URL", "Got an invalid (or empty) URL");
		return;
	}
	if (hit->faults && (status = fault_take_status(r->m, &retry)) != 0) {
		r->retry_after = retry;
		mock_reply_status(r, status);
		return;
	}
	if (hit->handler == sms_job) {
		switch (fault_post_fate(r->m)) {
		case POST_503:
			r->retry_after = 1;
			mock_reply_status(r, 503);
			return;
		case POST_DROP:
			r->rate_drop = TRUE;
			break;
		case POST_NORMAL:
			break;
		}
	}
	if (hit->auth == AUTH_APP && !auth_app(r))
		return;
	if (hit->auth >= AUTH_SIGNED && !auth_signed(r, hit->auth == AUTH_GRANTED))
		return;
	hit->handler(r, args);
}

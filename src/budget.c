/* budget.c: the [ovh] max_requests budget, one sliding window of API requests in the state
 * store, shared by every process and mail server that use the store.
 *
 * Each request takes a place before it is sent (ovh_http.c's gate); a request with no room
 * waits for the oldest one to leave the window, at most max_wait, then fails BUSY so that
 * the mail is deferred with nothing posted, whatever on_api_error says. A 429 from OVH halves the budget for
 * BUDGET_HALVED_FOR seconds, recorded in the store so that every process slows down. The
 * store down: on_store_error decides (degrade lets requests through). It must not post,
 * retry or decide anything about a job: a refused request is simply not made. */
#include <syslog.h>
#include "budget.h"
#include "error.h"

/* After a 429 the budget is halved this long (seconds), then back to what is configured:
 * OVH's counter forgets within minutes. */
#define BUDGET_HALVED_FOR 600
/* Milliseconds a request may take from its place in the budget to OVH's door (a new TLS
 * connection, a busy network): the window counted here is that much longer than the one
 * configured, so that OVH, which counts arrivals, never sees more than N in a window. */
#define BUDGET_MARGIN_MS 2000
/* The store keys: the window of requests, and the time of the last 429. */
#define BUDGET_KEY "ovh:requests"
#define BUDGET_429 "ovh:last_429"
/* A store failure is logged at most this often (seconds). */
#define BUDGET_LOG_EVERY 60

struct Budget {
	const Cfg *cfg;
	BudgetStore store;
	void *arg;
	gint64 logged; /* monotonic seconds of the last store failure logged */
};

Budget *budget_new(const Cfg *cfg, BudgetStore store, void *arg)
{
	Budget *b = g_new0(Budget, 1);

	b->cfg = cfg;
	b->store = store;
	b->arg = arg;
	return b;
}

void budget_free(Budget *b)
{
	g_free(b);
}

/* The store failed: let the request go (degrade) or not (tempfail), logged once a minute. */
static gboolean store_failed(Budget *b, const GError *e, GError **err)
{
	gint64 now = g_get_monotonic_time() / G_USEC_PER_SEC;
	gint64 last = b->logged; /* a race only logs twice */
	gboolean tempfail = b->cfg->on_store_error == CFG_STORE_TEMPFAIL;

	if (now - last >= BUDGET_LOG_EVERY) {
		b->logged = now;
		syslog(LOG_ERR, "max_requests: %s (on_store_error = %s: %s)", e->message,
		       tempfail ? "tempfail" : "degrade",
		       tempfail ? "requests wait" : "requests are not counted");
	}
	if (!tempfail)
		return TRUE;
	g_set_error(err, M2S_ERROR, M2S_ERR_BUSY, "the API budget cannot be read: %s", e->message);
	return FALSE;
}

/* The budget now: the configured one, halved while a 429 is recent. */
static guint current_limit(Budget *b, Store *st, gint64 now)
{
	guint n = b->cfg->ovh_max_requests.n;
	gint64 at = 0, when = 0;

	if (store_get_value(st, BUDGET_429, &when, &at, NULL) && at > 0 &&
	    now - when < BUDGET_HALVED_FOR)
		n = MAX(n / 2, 1);
	return n;
}

gboolean budget_admit(void *arg, GError **err)
{
	Budget *b = arg;
	const LimitRate *r = &b->cfg->ovh_max_requests;
	gint64 start = g_get_real_time() / 1000;
	gint64 deadline = start + (gint64)b->cfg->ovh_max_wait * 1000;
	g_autoptr(GError) e = NULL;
	Store *st = b->store(b->arg, &e);

	if (st == NULL)
		return e == NULL || store_failed(b, e, err);
	for (;;) {
		gint64 now = g_get_real_time() / 1000;
		StoreWindow w;
		guint n = current_limit(b, st, now / 1000);

		if (!store_window_take(st, BUDGET_KEY, now, (gint64)r->seconds * 1000 + BUDGET_MARGIN_MS,
		                       n, &w, &e))
			return store_failed(b, e, err);
		if (w.admitted)
			return TRUE;
		if (w.frees_at_ms > deadline) {
			g_autofree char *limit = limit_text(r);
			g_set_error(err, M2S_ERROR, M2S_ERR_BUSY,
			            "over the API budget ([ovh] max_requests = %s%s): room in %"
			            G_GINT64_FORMAT " s, more than max_wait", limit,
			            n < r->n ? ", halved after a 429" : "",
			            (w.frees_at_ms - now + 999) / 1000);
			return FALSE;
		}
		/* Requests waiting together would all wake at once: a few ms apart. */
		g_usleep((gulong)(MAX(w.frees_at_ms - now, 1) * 1000 + g_random_int_range(0, 20000)));
	}
}

void budget_answered(void *arg, long status)
{
	Budget *b = arg;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	Store *st;

	if (status != 429 || (st = b->store(b->arg, NULL)) == NULL)
		return;
	syslog(LOG_WARNING, "OVH answered 429 (too many requests): the API budget is halved for "
	       "%d s", BUDGET_HALVED_FOR);
	store_set_value(st, BUDGET_429, now, now, NULL);
}

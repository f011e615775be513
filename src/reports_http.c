/* reports_http.c: OVH's delivery callbacks, as the milter's [reports] listener answers them
 * (httpd.c serves it): GET /callback/TOKEN?id=SMSID&ptt=N&dlr=N (the receipt also as
 * "description", which OVH's guide names), handed to reports_state with the current
 * runtime.
 *
 * A wrong path or token, and an id no job the store keeps has, get 404 and are counted,
 * never mailed; a state taken gets 200 whether or not it called for a report (OVH must
 * not retry it); trouble on our side gets 503, so that OVH may call again. The answer says
 * nothing of the job, and the token is never logged. */
#include <string.h>
#include <syslog.h>
#include "reports_http.h"
#include "metrics.h"
#include "reports.h"
#include "reports_token.h"
#include "runtime.h"

#define CALLBACK_PREFIX "/callback/"

/* A small non-negative integer argument, -1 when absent or not one. */
static int int_arg(struct MHD_Connection *conn, const char *name)
{
	const char *v = httpd_arg(conn, name);
	guint64 n;

	if (v == NULL || !g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT, &n, NULL))
		return -1;
	return (int)n;
}

static void say(HttpdAnswer *out, unsigned int status, const char *text)
{
	out->status = status;
	out->body = g_strconcat(text, "\n", NULL);
}

void reports_http_answer(struct MHD_Connection *conn, const char *url, HttpdAnswer *out)
{
	g_autoptr(Runtime) rt = runtime_current();
	g_autoptr(GError) e = NULL;
	const char *id_text = httpd_arg(conn, "id");
	guint64 id = 0;

	if (rt == NULL || !g_str_has_prefix(url, CALLBACK_PREFIX) ||
	    !reports_token_check(runtime_cfg(rt), url + strlen(CALLBACK_PREFIX))) {
		metrics_twoway(METRICS_TWOWAY_CALLBACK_REFUSED);
		say(out, 404, "not found");
		return;
	}
	if (id_text == NULL || !g_ascii_string_to_unsigned(id_text, 10, 1, G_MAXINT64, &id, NULL)) {
		metrics_twoway(METRICS_TWOWAY_CALLBACK_REFUSED);
		say(out, 400, "id: an SMS id is needed");
		return;
	}
	int dlr = int_arg(conn, "dlr");
	if (dlr < 0)
		dlr = int_arg(conn, "description");
	switch (reports_state(rt, (gint64)id, int_arg(conn, "ptt"), dlr,
	                      g_get_real_time() / G_USEC_PER_SEC, &e)) {
	case REPORT_UNKNOWN:
		metrics_twoway(METRICS_TWOWAY_CALLBACK_UNKNOWN);
		say(out, 404, "unknown SMS id");
		return;
	case REPORT_ERROR:
		syslog(LOG_ERR, "callback: SMS %" G_GUINT64_FORMAT ": %s", id, e->message);
		say(out, 503, "not taken, call again later");
		return;
	case REPORT_MAILED:
	case REPORT_NOTHING:
		break;
	}
	metrics_twoway(METRICS_TWOWAY_CALLBACK);
	say(out, 200, "ok");
}

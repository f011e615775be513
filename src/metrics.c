/* metrics.c: the counters of mail2sms's own work, and their rendering in the Prometheus text
 * format 0.0.4.
 *
 * One static array of 64-bit slots, one per series (a histogram's buckets, each counted
 * alone, and its sum in microseconds); a family is a run of slots whose labels come from
 * fixed lists, so that counting is an index computed from enums and one relaxed atomic add.
 * Relaxed: a scrape needs each count exact, not an order between two of them. These slots
 * are the process's only mutable globals besides the configuration: a figure is about the
 * process, not about one configuration, and must survive a reload.
 *
 * It promises names in base units (seconds, credits) with the mail2sms_ prefix, _total on
 * counters, and label values that are never a number, an address or a tag. It must not
 * call the store, log, or allocate on the counting path; it knows no front end. */
#include <string.h>
#include "metrics.h"
#include "error.h"

/* OVH's latency, upper bounds of the histogram's buckets in microseconds (rendered as the le
 * texts below): a reply usually takes 50 to 300 ms, [ovh] timeout is 20 s by default. */
#define HIST_BOUNDS 12
static const gint64 bound_us[HIST_BOUNDS] = { 10000,   25000,   50000,   100000,
	                                      250000,  500000,  1000000, 2500000,
	                                      5000000, 10000000, 20000000, 30000000 };
static const char *const bound_text[HIST_BOUNDS + 1] = { "0.01", "0.025", "0.05", "0.1",
	                                                 "0.25", "0.5",   "1",    "2.5",
	                                                 "5",    "10",    "20",   "30", "+Inf" };
/* Per call: the buckets, +Inf, and the sum of the durations in microseconds. */
#define HIST_SLOTS (HIST_BOUNDS + 2)
#define HIST_SUM (HIST_BOUNDS + 1)

/* An HTTP status as a label: its class, 429 apart (OVH throttling, which max_requests is
 * there to avoid), and none when no reply came. */
typedef enum { CODE_2XX, CODE_3XX, CODE_4XX, CODE_429, CODE_5XX, CODE_NONE, CODE_N } Code;

/* failures_total's reason is the error's code in M2S_ERROR, 0 for anything else. */
#define REASON_N (M2S_ERR_FLOOD + 1)

/* Credits are kept in thousandths: OVH counts whole credits, but a slot is an integer. */
#define CREDIT_SCALE 1000.0

enum {
	S_MAILS = 0,
	S_FAILURES = S_MAILS + METRICS_MAIL_N,
	S_JOBS = S_FAILURES + REASON_N,
	S_PARTS = S_JOBS + METRICS_JOB_N,
	S_RECEIVERS_REFUSED = S_PARTS + METRICS_PARTS_N,
	S_CREDITS = S_RECEIVERS_REFUSED + 1,
	S_REQUESTS = S_CREDITS + 1,
	S_DURATION = S_REQUESTS + METRICS_CALL_N * CODE_N,
	S_STORE_OPS = S_DURATION + METRICS_CALL_N * HIST_SLOTS,
	S_STORE_ERRORS = S_STORE_OPS + METRICS_BACKEND_N,
	S_FLOOD_HELD = S_STORE_ERRORS + METRICS_BACKEND_N,
	S_FLOOD_DUPLICATES = S_FLOOD_HELD + 1,
	S_FLOOD_DIGESTS = S_FLOOD_DUPLICATES + 1,
	S_FLOOD_OVER = S_FLOOD_DIGESTS + 1,
	S_RELOADS = S_FLOOD_OVER + 2,
	S_TWOWAY = S_RELOADS + 2,
	S_N = S_TWOWAY + METRICS_TWOWAY_N
};

static guint64 slots[S_N];
static gint64 sessions;
static guint64 credits_left_bits;  /* a double's bits, once credits_left_set */
static gint credits_left_set;
static gint64 started_at;          /* seconds since the epoch */

/* The start of the process, for mail2sms_start_time_seconds: a restart is a reset. */
__attribute__((constructor)) static void note_start(void)
{
	started_at = g_get_real_time() / G_USEC_PER_SEC;
}

static const char *const mail_results[METRICS_MAIL_N] = {
	"not_sms", "sent", "refused", "tempfail", "held", "duplicate", "failed",
};
static const char *const reasons[REASON_N] = {
	[0] = "other",
	[M2S_ERR_UNREACHABLE] = "unreachable",
	[M2S_ERR_NO_REPLY] = "no_reply",
	[M2S_ERR_SERVER] = "server",
	[M2S_ERR_THROTTLED] = "throttled",
	[M2S_ERR_CONFIG] = "config",
	[M2S_ERR_REQUEST] = "request",
	[M2S_ERR_NOUSER] = "nouser",
	[M2S_ERR_NOPERM] = "noperm",
	[M2S_ERR_TOO_MANY] = "too_many",
	[M2S_ERR_LIMIT] = "limit",
	[M2S_ERR_DATA] = "data",
	[M2S_ERR_USAGE] = "usage",
	[M2S_ERR_IO] = "io",
	[M2S_ERR_BUSY] = "busy",
	[M2S_ERR_FLOOD] = "flood",
};
static const char *const job_outcomes[METRICS_JOB_N] = {
	"sent", "already_sent", "limited", "refused", "failed",
};
static const char *const parts_outcomes[METRICS_PARTS_N] = { "sent", "refused", "failed" };
static const char *const calls[METRICS_CALL_N] = {
	"job", "outgoing", "credits", "services", "senders", "credential", "time", "other",
};
static const char *const codes[CODE_N] = { "2xx", "3xx", "4xx", "429", "5xx", "none" };
static const char *const backends[METRICS_BACKEND_N] = { "sqlite", "redis" };
static const char *const over_actions[2] = { "tempfail", "reject" };
static const char *const reload_results[2] = { "ok", "failed" };
static const char *const twoway_events[METRICS_TWOWAY_N] = {
	"reply", "reply_unmatched", "report", "callback", "callback_unknown", "callback_refused",
};

typedef enum { T_COUNTER, T_HISTOGRAM } Type;

/* A run of slots: one series per label value (per pair of values with two labels). */
typedef struct {
	const char *name;
	const char *help;
	Type type;
	guint base;
	const char *label;
	const char *const *values;
	guint n;
	const char *label2;
	const char *const *values2;
	guint n2;
	double scale;  /* rendered value = slot / scale */
} Family;

static const Family families[] = {
	{ "mail2sms_mails_total", "Mails seen, by what became of them.", T_COUNTER, S_MAILS,
	  "result", mail_results, METRICS_MAIL_N, NULL, NULL, 1, 1 },
	{ "mail2sms_failures_total", "Refusals and deferrals answered (an SMTP reply, a delivery "
	  "agent's exit) and mails let through without their SMS, by reason.", T_COUNTER, S_FAILURES, "reason", reasons, REASON_N, NULL,
	  NULL, 1, 1 },
	{ "mail2sms_jobs_total", "SMS jobs (one text to its receivers), each attempt, by outcome.",
	  T_COUNTER, S_JOBS, "outcome", job_outcomes, METRICS_JOB_N, NULL, NULL, 1, 1 },
	{ "mail2sms_sms_parts_total", "SMS parts (segments times receivers), by outcome.",
	  T_COUNTER, S_PARTS, "outcome", parts_outcomes, METRICS_PARTS_N, NULL, NULL, 1, 1 },
	{ "mail2sms_receivers_refused_total", "Receivers OVH refused as invalid.", T_COUNTER,
	  S_RECEIVERS_REFUSED, NULL, NULL, 1, NULL, NULL, 1, 1 },
	{ "mail2sms_credits_spent_total", "SMS credits OVH took for the jobs sent.", T_COUNTER,
	  S_CREDITS, NULL, NULL, 1, NULL, NULL, 1, CREDIT_SCALE },
	{ "mail2sms_ovh_requests_total", "Requests to the OVH API, by call and HTTP status class "
	  "(none: no reply).", T_COUNTER, S_REQUESTS, "call", calls, METRICS_CALL_N, "code", codes,
	  CODE_N, 1 },
	{ "mail2sms_ovh_request_duration_seconds", "Time of one request to the OVH API, by call.",
	  T_HISTOGRAM, S_DURATION, "call", calls, METRICS_CALL_N, NULL, NULL, 1, 1 },
	{ "mail2sms_store_operations_total", "Calls into the state store, by backend.", T_COUNTER,
	  S_STORE_OPS, "backend", backends, METRICS_BACKEND_N, NULL, NULL, 1, 1 },
	{ "mail2sms_store_errors_total", "Calls into the state store that failed, by backend.",
	  T_COUNTER, S_STORE_ERRORS, "backend", backends, METRICS_BACKEND_N, NULL, NULL, 1, 1 },
	{ "mail2sms_flood_held_total", "Alerts flood control held for a digest (one receiver "
	  "each).", T_COUNTER, S_FLOOD_HELD, NULL, NULL, 1, NULL, NULL, 1, 1 },
	{ "mail2sms_flood_duplicates_total", "Receivers that had the same text within "
	  "duplicate_window.", T_COUNTER, S_FLOOD_DUPLICATES, NULL, NULL, 1, NULL, NULL, 1, 1 },
	{ "mail2sms_flood_digests_total", "Digests of held alerts sent.", T_COUNTER,
	  S_FLOOD_DIGESTS, NULL, NULL, 1, NULL, NULL, 1, 1 },
	{ "mail2sms_flood_over_limit_total", "Jobs or recipients over a limit, deferred or "
	  "refused (over_limit).", T_COUNTER, S_FLOOD_OVER, "action", over_actions, 2, NULL, NULL,
	  1, 1 },
	{ "mail2sms_config_reloads_total", "Configuration reloads, by result.", T_COUNTER,
	  S_RELOADS, "result", reload_results, 2, NULL, NULL, 1, 1 },
	{ "mail2sms_twoway_total", "Replies and delivery reports mailed, OVH's callbacks taken "
	  "and refused.", T_COUNTER, S_TWOWAY, "event", twoway_events, METRICS_TWOWAY_N, NULL,
	  NULL, 1, 1 },
};

static inline void add(guint slot, guint64 n)
{
	__atomic_fetch_add(&slots[slot], n, __ATOMIC_RELAXED);
}

void metrics_mail(MetricsMail result)
{
	if ((guint)result < METRICS_MAIL_N)
		add(S_MAILS + result, 1);
}

void metrics_failure(const GError *err)
{
	guint reason = 0;

	if (err != NULL && err->domain == M2S_ERROR && err->code > 0 && err->code < REASON_N)
		reason = (guint)err->code;
	add(S_FAILURES + reason, 1);
}

void metrics_job(MetricsJob outcome)
{
	if ((guint)outcome < METRICS_JOB_N)
		add(S_JOBS + outcome, 1);
}

void metrics_parts(MetricsParts outcome, guint64 n)
{
	if ((guint)outcome < METRICS_PARTS_N && n > 0)
		add(S_PARTS + outcome, n);
}

void metrics_receivers_refused(guint64 n)
{
	if (n > 0)
		add(S_RECEIVERS_REFUSED, n);
}

void metrics_credits_spent(double credits)
{
	if (credits > 0)
		add(S_CREDITS, (guint64)(credits * CREDIT_SCALE + 0.5));
}

/* A linear scan of eight short names, once per HTTP exchange with OVH (milliseconds each):
 * no table to keep in step with ovh.c's calls but this one. */
MetricsCall metrics_call_of(const char *what)
{
	static const struct {
		const char *what;
		MetricsCall call;
	} names[] = {
		{ "job", METRICS_CALL_JOB },           { "outgoing", METRICS_CALL_OUTGOING },
		{ "service", METRICS_CALL_CREDITS },   { "services", METRICS_CALL_SERVICES },
		{ "senders", METRICS_CALL_SENDERS },   { "credential", METRICS_CALL_CREDENTIAL },
		{ "clock", METRICS_CALL_TIME },
	};

	for (gsize i = 0; what != NULL && i < G_N_ELEMENTS(names); i++)
		if (strcmp(what, names[i].what) == 0)
			return names[i].call;
	return METRICS_CALL_OTHER;
}

/* STATUS as a label. */
static Code code_of(long status)
{
	if (status <= 0)
		return CODE_NONE;
	if (status == 429)
		return CODE_429;
	if (status < 300)
		return CODE_2XX;
	if (status < 400)
		return CODE_3XX;
	return status < 500 ? CODE_4XX : CODE_5XX;
}

void metrics_ovh_request(const char *what, long status, gint64 usec)
{
	MetricsCall call = metrics_call_of(what);
	guint hist = S_DURATION + call * HIST_SLOTS, b = 0;

	add(S_REQUESTS + call * CODE_N + code_of(status), 1);
	if (usec < 0)
		usec = 0;
	while (b < HIST_BOUNDS && usec > bound_us[b])
		b++;
	add(hist + b, 1);
	add(hist + HIST_SUM, (guint64)usec);
}

void metrics_store_op(MetricsBackend backend, gboolean ok)
{
	if ((guint)backend >= METRICS_BACKEND_N)
		return;
	add(S_STORE_OPS + backend, 1);
	if (!ok)
		add(S_STORE_ERRORS + backend, 1);
}

void metrics_twoway(MetricsTwoway event)
{
	if ((guint)event < METRICS_TWOWAY_N)
		add(S_TWOWAY + event, 1);
}

void metrics_flood(MetricsFlood what)
{
	switch (what) {
	case METRICS_FLOOD_HELD:
		add(S_FLOOD_HELD, 1);
		break;
	case METRICS_FLOOD_DUPLICATE:
		add(S_FLOOD_DUPLICATES, 1);
		break;
	case METRICS_FLOOD_DIGEST:
		add(S_FLOOD_DIGESTS, 1);
		break;
	case METRICS_FLOOD_OVER_TEMPFAIL:
		add(S_FLOOD_OVER, 1);
		break;
	case METRICS_FLOOD_OVER_REJECT:
		add(S_FLOOD_OVER + 1, 1);
		break;
	case METRICS_FLOOD_N:
		break;
	}
}

void metrics_session(int delta)
{
	__atomic_fetch_add(&sessions, (gint64)delta, __ATOMIC_RELAXED);
}

void metrics_reload(gboolean ok)
{
	add(S_RELOADS + (ok ? 0 : 1), 1);
}

void metrics_set_credits_left(double credits)
{
	guint64 bits;

	memcpy(&bits, &credits, sizeof bits);
	__atomic_store_n(&credits_left_bits, bits, __ATOMIC_RELAXED);
	g_atomic_int_set(&credits_left_set, 1);
}

guint metrics_n_slots(void)
{
	return S_N;
}

guint64 metrics_slot_value(guint slot)
{
	return slot < S_N ? __atomic_load_n(&slots[slot], __ATOMIC_RELAXED) : 0;
}

/* `{a="x",b="y"}` for series I of family F (J its second label's index), or "" for none. */
static void labels(GString *s, const Family *f, guint i, guint j, const char *le)
{
	if (f->label == NULL && le == NULL)
		return;
	g_string_append_c(s, '{');
	if (f->label != NULL)
		g_string_append_printf(s, "%s=\"%s\"", f->label, f->values[i]);
	if (f->label2 != NULL)
		g_string_append_printf(s, ",%s=\"%s\"", f->label2, f->values2[j]);
	if (le != NULL)
		g_string_append_printf(s, "%sle=\"%s\"", f->label ? "," : "", le);
	g_string_append_c(s, '}');
}

/* Every slot's name, made once: "metric:" + this is the key of its value in the store. */
static gpointer make_names(gpointer unused)
{
	char **names = g_new0(char *, S_N);

	(void)unused;
	for (gsize k = 0; k < G_N_ELEMENTS(families); k++) {
		const Family *f = &families[k];
		for (guint i = 0; i < f->n; i++) {
			if (f->type == T_HISTOGRAM) {
				guint base = f->base + i * HIST_SLOTS;
				for (guint b = 0; b <= HIST_BOUNDS; b++) {
					GString *s = g_string_new(f->name);
					g_string_append(s, ":bucket");
					labels(s, f, i, 0, bound_text[b]);
					names[base + b] = g_string_free(s, FALSE);
				}
				GString *s = g_string_new(f->name);
				g_string_append(s, ":sum_us");
				labels(s, f, i, 0, NULL);
				names[base + HIST_SUM] = g_string_free(s, FALSE);
				continue;
			}
			for (guint j = 0; j < f->n2; j++) {
				GString *s = g_string_new(f->name);
				labels(s, f, i, j, NULL);
				names[f->base + i * f->n2 + j] = g_string_free(s, FALSE);
			}
		}
	}
	return names;
}

const char *metrics_slot_name(guint slot)
{
	static GOnce once = G_ONCE_INIT;
	char **names = g_once(&once, make_names, NULL);

	return slot < S_N ? names[slot] : NULL;
}

/* A slot as this process counts it plus what VIEW adds (another process's share). */
static guint64 total(const MetricsView *view, guint slot)
{
	guint64 v = metrics_slot_value(slot);

	if (view != NULL && view->extra != NULL)
		v += view->extra[slot];
	return v;
}

/* A value in the text format: an integer as one, NaN and infinities as Prometheus spells
 * them, anything else with six decimals (microseconds, thousandths of a credit). */
static void append_value(GString *out, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (v != v)
		g_string_append(out, "NaN");
	else if (v > G_MAXDOUBLE || v < -G_MAXDOUBLE)
		g_string_append(out, v > 0 ? "+Inf" : "-Inf");
	else if (v > -9e15 && v < 9e15 && v == (double)(gint64)v)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64)v);
	else
		g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.6f", v));
}

static void header(GString *out, const char *name, const char *help, const char *type)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram family: per label value, cumulative buckets, _sum in seconds, _count. */
static void render_histogram(GString *out, const Family *f, const MetricsView *view)
{
	header(out, f->name, f->help, "histogram");
	for (guint i = 0; i < f->n; i++) {
		guint base = f->base + i * HIST_SLOTS;
		guint64 cum = 0;
		for (guint b = 0; b <= HIST_BOUNDS; b++) {
			cum += total(view, base + b);
			g_string_append_printf(out, "%s_bucket", f->name);
			labels(out, f, i, 0, bound_text[b]);
			g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", cum);
		}
		g_string_append_printf(out, "%s_sum", f->name);
		labels(out, f, i, 0, NULL);
		g_string_append_c(out, ' ');
		append_value(out, (double)total(view, base + HIST_SUM) / G_USEC_PER_SEC);
		g_string_append_printf(out, "\n%s_count", f->name);
		labels(out, f, i, 0, NULL);
		g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", cum);
	}
}

void metrics_render(GString *out, const MetricsView *view)
{
	for (gsize k = 0; k < G_N_ELEMENTS(families); k++) {
		const Family *f = &families[k];
		if (f->type == T_HISTOGRAM) {
			render_histogram(out, f, view);
			continue;
		}
		header(out, f->name, f->help, "counter");
		for (guint i = 0; i < f->n; i++)
			for (guint j = 0; j < f->n2; j++) {
				guint slot = f->base + i * f->n2 + j;
				g_string_append(out, f->name);
				labels(out, f, i, j, NULL);
				g_string_append_c(out, ' ');
				if (f->scale == 1)
					g_string_append_printf(out, "%" G_GUINT64_FORMAT, total(view, slot));
				else
					append_value(out, (double)total(view, slot) / f->scale);
				g_string_append_c(out, '\n');
			}
	}
	header(out, "mail2sms_sessions", "Milter connections open now.", "gauge");
	g_string_append_printf(out, "mail2sms_sessions %" G_GINT64_FORMAT "\n",
	                       __atomic_load_n(&sessions, __ATOMIC_RELAXED));
	if (g_atomic_int_get(&credits_left_set)) {
		guint64 bits = __atomic_load_n(&credits_left_bits, __ATOMIC_RELAXED);
		double left;
		memcpy(&left, &bits, sizeof left);
		header(out, "mail2sms_credits_left", "SMS credits left on the OVH account, as last "
		       "read.", "gauge");
		g_string_append(out, "mail2sms_credits_left ");
		append_value(out, left);
		g_string_append_c(out, '\n');
	}
	if (view != NULL && view->store_up >= 0) {
		header(out, "mail2sms_store_up", "Whether the state store answered this scrape.",
		       "gauge");
		g_string_append_printf(out, "mail2sms_store_up %d\n", view->store_up ? 1 : 0);
	}
	header(out, "mail2sms_start_time_seconds", "When this process started, in seconds since "
	       "the epoch.", "gauge");
	g_string_append_printf(out, "mail2sms_start_time_seconds %" G_GINT64_FORMAT "\n",
	                       started_at);
	header(out, "mail2sms_build_info", "The version of mail2sms, as a label; always 1.",
	       "gauge");
	g_string_append_printf(out, "mail2sms_build_info{version=\"%s\"} 1\n", M2S_VERSION);
}

/* cmd_status.c: `mail2sms status [--json]`, one screen of how the gateway does: version,
 * configuration, the state store and its health, OVH and the credits left, the last job
 * sent and the last error (of any process sharing the store), what flood control holds.
 * Also cmd_finish, what a short process leaves behind for it.
 *
 * The facts are gathered once into one JSON object; --json prints it, the screen is drawn
 * from it, so both forms say the same. The exit status names the first problem: the store
 * down, OVH unreachable or refusing the credentials, credits below credits_alarm. It asks
 * OVH once (GET /sms/{service}) and makes a real round trip to the store, and writes
 * nothing: it neither records the figure nor sends the alarm. No secret appears: the keys
 * are never read here, the store's password never reaches an error, numbers are masked
 * unless log_numbers = full. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <json-c/json.h>
#include "activity.h"
#include "address.h"
#include "cmd.h"
#include "credits.h"
#include "error.h"
#include "flood.h"
#include "runtime.h"

/* The exit status when the credits are below credits_alarm (the others come from the
 * error: m2s_error_sysexit). */
#define STATUS_EXIT_LOW_CREDITS EX_UNAVAILABLE

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

void cmd_finish(Runtime *rt, gboolean check_credits)
{
	g_autoptr(GError) e = NULL;

	if (rt == NULL)
		return;
	/* A store that fails now was named by the job's own trouble: only the status is late. */
	activity_flush(runtime_store(rt, NULL), NULL);
	if (check_credits && runtime_cfg(rt)->ovh_credits_alarm != 0 &&
	    credits_check(rt, g_get_real_time() / G_USEC_PER_SEC, FALSE, &e) < 0)
		syslog(LOG_WARNING, "credits: not checked: %s", e->message);
}

/* The facts gathered, and what was found wrong, in the order that decides the exit
 * status; the store's record of the credits checks, for the credits part. */
typedef struct {
	json_object *root;
	json_object *problems;
	int exit;
	gboolean store_up;
	gboolean alarmed;   /* the alarm of the day went out */
	gint64 checked_at;  /* the last check recorded, 0: none */
} Report;

/* Adds a problem WHAT (store, ovh, credits) with its REASON and exit CODE. */
static void problem(Report *r, const char *what, const char *reason, int code)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "what", json_object_new_string(what));
	json_object_object_add(p, "reason", json_object_new_string(reason));
	json_object_array_add(r->problems, p);
	if (r->exit == EX_OK)
		r->exit = code;
}

/* AT as local ISO 8601 in the [limits] time zone ("2026-12-02T14:03:11+01:00"), or NULL. */
static json_object *iso_time(const Cfg *cfg, gint64 at)
{
	g_autoptr(GDateTime) t = at > 0 ? limits_local(cfg->limits_tz, at) : NULL;
	g_autofree char *s = t != NULL ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S%:z") : NULL;

	return s != NULL ? json_object_new_string(s) : NULL;
}

/* Adds "time" next to the "at" of O (a fact read from the store). */
static void add_time(const Cfg *cfg, json_object *o)
{
	json_object *at;

	if (o != NULL && json_object_object_get_ex(o, "at", &at))
		json_object_object_add(o, "time", iso_time(cfg, json_object_get_int64(at)));
}

/* Milliseconds since T0 (monotonic microseconds), to a tenth, written so ("5.1"). */
static json_object *ms_since(gint64 t0)
{
	gint64 tenths = (g_get_monotonic_time() - t0) / 100;
	g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT ".%d", tenths / 10,
	                                        (int)(tenths % 10));

	return json_object_new_double_s((double)tenths / 10, text);
}

/* The flood control part: limits on or not, the numbers holding alerts, the daily cap. */
static json_object *flood_facts(const Cfg *cfg, Store *st, gint64 now, GError **err)
{
	g_autoptr(json_object) f = json_object_new_object();
	g_autoptr(GPtrArray) queues = g_ptr_array_new();
	json_object *held = json_object_new_array();
	gint64 total = 0;

	json_object_object_add(f, "limits", json_object_new_boolean(cfg_limits_on(cfg)));
	json_object_object_add(f, "held", held);
	json_object_object_add(f, "daily_credits", json_object_new_int64(cfg->limits_daily_credits));
	if (cfg_limits_on(cfg) && !store_held_list(st, now, queues, err))
		return NULL;
	for (guint i = 0; i < queues->len; i++) {
		const StoreHeldQueue *q = queues->pdata[i];
		g_autofree char *who = addr_mask(q->queue, cfg->log_numbers_full);
		json_object *h = json_object_new_object();
		json_object_object_add(h, "receiver", json_object_new_string(who));
		json_object_object_add(h, "count", json_object_new_int64(q->count));
		json_object_object_add(h, "first_at", json_object_new_int64(q->first_at));
		json_object_object_add(h, "last_at", json_object_new_int64(q->last_at));
		json_object_object_add(h, "digest_tag",
		                       q->digest_tag ? json_object_new_string(q->digest_tag) : NULL);
		json_object_array_add(held, h);
		total += q->count;
	}
	json_object_object_add(f, "held_total", json_object_new_int64(total));
	gboolean spent = FALSE;
	if (cfg->limits_daily_credits != 0) {
		spent = flood_spent(cfg, st, now, err);
		if (!spent && err != NULL && *err != NULL)
			return NULL;
	}
	json_object_object_add(f, "daily_spent", json_object_new_boolean(spent));
	return g_steal_pointer(&f);
}

/* The store part; with the store up, the facts only it knows (last sent, last error, flood
 * control, the alarm mailed today) go into the report too. */
static void store_facts(Report *r, Runtime *rt, gint64 now)
{
	const Cfg *cfg = runtime_cfg(rt);
	json_object *s = json_object_new_object();
	json_object *sent = NULL, *failed = NULL, *flood = NULL;
	g_autoptr(GError) e = NULL;
	double credits;

	json_object_object_add(r->root, "store", s);
	json_object_object_add(s, "spec", json_object_new_string(cfg->state_store));
	if (strcmp(cfg->state_store, "none") == 0) {
		json_object_object_add(s, "health", json_object_new_string("none"));
		json_object_object_add(r->root, "last_sent", NULL);
		json_object_object_add(r->root, "last_error", NULL);
		json_object_object_add(r->root, "flood", NULL);
		return;
	}
	gint64 t0 = g_get_monotonic_time();
	Store *st = runtime_store(rt, &e);
	if (st != NULL && store_ping(st, &e))
		json_object_object_add(s, "ms", ms_since(t0));
	if (st == NULL || e != NULL || !activity_read(st, &sent, &failed, &e) ||
	    (flood = flood_facts(cfg, st, now, &e)) == NULL ||
	    !credits_recorded(cfg, st, now, &credits, &r->checked_at, &r->alarmed, &e)) {
		const char *why = e != NULL ? e->message : "not open";
		g_clear_pointer(&sent, json_object_put);
		g_clear_pointer(&failed, json_object_put);
		g_clear_pointer(&flood, json_object_put);
		json_object_object_add(s, "health", json_object_new_string("down"));
		json_object_object_add(s, "error", json_object_new_string(why));
		problem(r, "store", why, e != NULL ? m2s_error_sysexit(e) : EX_IOERR);
		r->alarmed = FALSE;
		r->checked_at = 0;
	} else {
		json_object_object_add(s, "health", json_object_new_string("ok"));
		r->store_up = TRUE;
	}
	add_time(cfg, sent);
	add_time(cfg, failed);
	json_object_object_add(r->root, "last_sent", sent);
	json_object_object_add(r->root, "last_error", failed);
	json_object_object_add(r->root, "flood", flood);
}

/* The OVH part (one request, two when the service must be looked up) and the credits. */
static void ovh_facts(Report *r, Runtime *rt)
{
	const Cfg *cfg = runtime_cfg(rt);
	json_object *o = json_object_new_object(), *c = json_object_new_object();
	g_autoptr(GError) e = NULL;
	double left = 0;
	gint64 t0 = g_get_monotonic_time();
	const char *svc = NULL;

	json_object_object_add(r->root, "ovh", o);
	json_object_object_add(r->root, "credits", c);
	json_object_object_add(o, "endpoint", json_object_new_string(cfg->ovh_base_url));
	gboolean ok = cfg_has_credentials(cfg, &e) &&
	              (svc = ovh_service(runtime_ovh(rt), &e)) != NULL &&
	              ovh_credits(runtime_ovh(rt), &left, &e);
	json_object_object_add(o, "service", svc != NULL ? json_object_new_string(svc) : NULL);
	json_object_object_add(c, "alarm", json_object_new_int64(cfg->ovh_credits_alarm));
	/* What the store says of the checks the other processes make (status makes none). */
	json_object_object_add(c, "checked_at",
	                       r->checked_at > 0 ? json_object_new_int64(r->checked_at) : NULL);
	json_object_object_add(c, "alarm_mailed_today",
	                       r->store_up ? json_object_new_boolean(r->alarmed) : NULL);
	if (!ok) {
		json_object_object_add(o, "health", json_object_new_string("down"));
		json_object_object_add(o, "kind", json_object_new_string(m2s_error_name(e)));
		json_object_object_add(o, "error", json_object_new_string(e->message));
		json_object_object_add(c, "left", NULL);
		json_object_object_add(c, "low", NULL);
		problem(r, "ovh", e->message, m2s_error_sysexit(e));
		return;
	}
	json_object_object_add(o, "health", json_object_new_string("ok"));
	json_object_object_add(o, "ms", ms_since(t0));
	json_object_object_add(c, "left", json_object_new_double(left));
	gboolean low = cfg->ovh_credits_alarm != 0 && left < cfg->ovh_credits_alarm;
	json_object_object_add(c, "low", json_object_new_boolean(low));
	if (low) {
		g_autofree char *why = g_strdup_printf("%g credits left on %s, below credits_alarm "
		                                       "= %u", left, svc, cfg->ovh_credits_alarm);
		problem(r, "credits", why, STATUS_EXIT_LOW_CREDITS);
	}
}

/* A member's text, or NULL. */
static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) && v != NULL
	               ? json_object_get_string(v) : NULL;
}

/* A member's number (0 when missing). */
static gint64 int_of(json_object *o, const char *key)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* "YYYY-MM-DD HH:MM:SS" of AT, local in the [limits] zone. */
static char *clock_text(const Cfg *cfg, gint64 at, const char *format)
{
	g_autoptr(GDateTime) t = limits_local(cfg->limits_tz, at);

	return t != NULL ? g_date_time_format(t, format) : g_strdup("?");
}

/* One line "LABEL  TEXT". */
static void line(const char *label, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-14s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* The last job sent, or the last error, on one line. */
static void fact_line(const Cfg *cfg, const char *label, json_object *f, gboolean sent,
                      gboolean store_up)
{
	if (f == NULL) {
		line(label, "%s", !store_up ? "unknown (no state store to read)" : "none kept");
		return;
	}
	g_autofree char *when = clock_text(cfg, int_of(f, "at"), "%Y-%m-%d %H:%M:%S");
	const char *qid = str_of(f, "queue_id");
	g_autofree char *queue = qid ? g_strdup_printf(" (queue id %s)", qid) : g_strdup("");
	if (sent) {
		json_object *ids = NULL;
		g_autoptr(GString) idtext = g_string_new(NULL);
		if (json_object_object_get_ex(f, "ids", &ids) && json_object_is_type(ids, json_type_array))
			for (size_t i = 0; i < json_object_array_length(ids); i++)
				g_string_append_printf(idtext, "%s%" G_GINT64_FORMAT, i ? "," : "",
				                       json_object_get_int64(json_object_array_get_idx(ids, i)));
		if (int_of(f, "more_ids") > 0)
			g_string_append_printf(idtext, " and %" G_GINT64_FORMAT " more",
			                       int_of(f, "more_ids"));
		json_object *cr = NULL;
		json_object_object_get_ex(f, "credits", &cr);
		line(label, "%s ids=%s receivers=%s credits=%g%s", when, idtext->str,
		     str_of(f, "receivers") ? str_of(f, "receivers") : "", json_object_get_double(cr),
		     queue);
	} else {
		line(label, "%s %s: %s%s", when, str_of(f, "kind") ? str_of(f, "kind") : "other",
		     str_of(f, "reason") ? str_of(f, "reason") : "", queue);
	}
}

/* The screen, drawn from the report's JSON. */
static void print_screen(const Cfg *cfg, json_object *root)
{
	json_object *s, *o, *c, *flood, *v, *problems;

	json_object_object_get_ex(root, "store", &s);
	json_object_object_get_ex(root, "ovh", &o);
	json_object_object_get_ex(root, "credits", &c);
	json_object_object_get_ex(root, "flood", &flood);
	json_object_object_get_ex(root, "problems", &problems);
	const char *health = str_of(s, "health");
	gboolean store_up = strcmp(health, "ok") == 0;

	line("mail2sms", "%s", str_of(root, "version"));
	line("configuration", "%s", str_of(root, "config"));
	if (strcmp(health, "none") == 0)
		line("state store", "none (each process remembers alone)");
	else if (store_up)
		line("state store", "%s: ok (%s ms)", str_of(s, "spec"), str_of(s, "ms"));
	else
		line("state store", "%s: DOWN: %s", str_of(s, "spec"), str_of(s, "error"));
	if (strcmp(str_of(o, "health"), "ok") == 0)
		line("OVH", "%s, service %s: ok (%s ms)", str_of(o, "endpoint"), str_of(o, "service"),
		     str_of(o, "ms"));
	else
		line("OVH", "%s: DOWN (%s): %s", str_of(o, "endpoint"), str_of(o, "kind"),
		     str_of(o, "error"));
	if (json_object_object_get_ex(c, "left", &v) && v != NULL) {
		g_autofree char *alarm = cfg->ovh_credits_alarm == 0
		        ? g_strdup("no alarm: credits_alarm = 0")
		        : g_strdup_printf("alarm below %u%s", cfg->ovh_credits_alarm,
		                          json_object_get_boolean(json_object_object_get(c, "low"))
		                                  ? json_object_get_boolean(json_object_object_get(
		                                            c, "alarm_mailed_today"))
		                                            ? ": LOW, mailed today"
		                                            : ": LOW"
		                                  : "");
		line("credits", "%g left (%s)", json_object_get_double(v), alarm);
	} else {
		line("credits", "unknown (OVH did not answer)");
	}
	fact_line(cfg, "last sent", json_object_object_get(root, "last_sent"), TRUE, store_up);
	fact_line(cfg, "last error", json_object_object_get(root, "last_error"), FALSE, store_up);
	if (flood == NULL) {
		line("flood control", "%s", cfg_limits_on(cfg) ? "unknown (no state store to read)"
		                                               : "off (no [limits])");
	} else if (!cfg_limits_on(cfg)) {
		line("flood control", "off (no [limits])");
	} else {
		json_object *held = json_object_object_get(flood, "held");
		size_t n = json_object_array_length(held);
		gint64 total = int_of(flood, "held_total");
		if (n == 0)
			line("flood control", "nothing held");
		else
			line("flood control", "%" G_GINT64_FORMAT " alert%s held for %zu number%s", total,
			     total == 1 ? "" : "s", n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			json_object *h = json_object_array_get_idx(held, i);
			g_autofree char *first = clock_text(cfg, int_of(h, "first_at"), "%Y-%m-%d %H:%M");
			g_autofree char *last = clock_text(cfg, int_of(h, "last_at"), "%Y-%m-%d %H:%M");
			line("", "%s: %" G_GINT64_FORMAT " held, %s to %s%s", str_of(h, "receiver"),
			     int_of(h, "count"), first, last,
			     str_of(h, "digest_tag") ? ", a digest is being sent" : "");
		}
		if (json_object_get_boolean(json_object_object_get(flood, "daily_spent")))
			line("", "daily_credits = %u: spent today, SMS wait until midnight",
			     cfg->limits_daily_credits);
	}
	size_t np = json_object_array_length(problems);
	if (np == 0)
		line("status", "ok");
	else
		line("status", "%zu problem%s (exit %d)", np, np == 1 ? "" : "s",
		     (int)int_of(root, "exit"));
	for (size_t i = 0; i < np; i++) {
		json_object *p = json_object_array_get_idx(problems, i);
		line("problem", "%s: %s", str_of(p, "what"), str_of(p, "reason"));
	}
}

int cmd_status(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(Runtime) rt = NULL;
	g_autoptr(json_object) root = NULL;
	gboolean json = FALSE;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	const GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print one JSON object (for scripts)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!cmd_options(&argc, &argv, "",
	                 "Show how the gateway does: the state store, OVH and the credits left, "
	                 "the last job sent and the last error, what flood control holds. The "
	                 "exit status is not 0 when something is wrong. Changes nothing.",
	                 entries, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL || (rt = runtime_new(cfg, &err)) == NULL)
		return cmd_fail(err);
	root = json_object_new_object();
	Report r = { .root = root, .problems = json_object_new_array(), .exit = EX_OK };
	json_object_object_add(root, "version", json_object_new_string(M2S_VERSION));
	g_autofree char *path = g_canonicalize_filename(cfg->path, NULL);
	json_object_object_add(root, "config", json_object_new_string(path));
	store_facts(&r, rt, now);
	ovh_facts(&r, rt);
	json_object_object_add(root, "ok", json_object_new_boolean(r.exit == EX_OK));
	json_object_object_add(root, "exit", json_object_new_int(r.exit));
	json_object_object_add(root, "problems", r.problems);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
		                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_screen(cfg, root);
	if (r.exit != EX_OK) {
		json_object *p = json_object_array_get_idx(r.problems, 0);
		fprintf(stderr, "%s: %s: %s\n", g_get_prgname(), str_of(p, "what"),
		        str_of(p, "reason"));
	}
	return r.exit;
}

/* test_metrics.c: the counters and their page: each call moves its series by what it says,
 * labels come from the fixed lists, the page is in the text format 0.0.4, the slot names
 * are unique and short enough for the store, and the store's share (metrics_store.c) is
 * saved, read back and never goes down. The counters are the process's: each test reads
 * what it changed, before and after. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>
#include "error.h"
#include "metrics.h"
#include "metrics_store.h"

/* The page as rendered now, with VIEW (NULL: this process's counts alone). */
static char *page(const MetricsView *view)
{
	GString *s = g_string_new(NULL);

	metrics_render(s, view);
	return g_string_free(s, FALSE);
}

/* The value of SERIES (name and labels, exactly as rendered) in TEXT; -1 when absent. */
static double value_in(const char *text, const char *series)
{
	g_autofree char *needle = g_strconcat("\n", series, " ", NULL);
	const char *p = strstr(text, needle);

	if (p == NULL)
		return -1;
	return g_ascii_strtod(p + strlen(needle), NULL);
}

static double value_now(const char *series)
{
	g_autofree char *text = page(NULL);

	return value_in(text, series);
}

/* Each call moves its own series by one (or N), and no other mail result. */
static void counts_by_label(void **state)
{
	(void)state;
	double sent = value_now("mail2sms_mails_total{result=\"sent\"}");
	double held = value_now("mail2sms_mails_total{result=\"held\"}");
	double parts = value_now("mail2sms_sms_parts_total{outcome=\"refused\"}");

	assert_true(sent >= 0 && held >= 0 && parts >= 0);
	metrics_mail(METRICS_MAIL_SENT);
	metrics_mail(METRICS_MAIL_SENT);
	metrics_mail(METRICS_MAIL_N);  /* out of range: nothing */
	metrics_parts(METRICS_PARTS_REFUSED, 3);
	metrics_job(METRICS_JOB_ALREADY_SENT);
	assert_true(value_now("mail2sms_mails_total{result=\"sent\"}") == sent + 2);
	assert_true(value_now("mail2sms_mails_total{result=\"held\"}") == held);
	assert_true(value_now("mail2sms_sms_parts_total{outcome=\"refused\"}") == parts + 3);
	assert_true(value_now("mail2sms_jobs_total{outcome=\"already_sent\"}") >= 1);
}

/* A failure's reason is its code's name; an error of another domain is "other". */
static void failure_reasons(void **state)
{
	(void)state;
	g_autoptr(GError) nouser = g_error_new(M2S_ERROR, M2S_ERR_NOUSER, "x");
	g_autoptr(GError) flood = g_error_new(M2S_ERROR, M2S_ERR_FLOOD, "x");
	g_autoptr(GError) foreign = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
	double n = value_now("mail2sms_failures_total{reason=\"nouser\"}");
	double f = value_now("mail2sms_failures_total{reason=\"flood\"}");
	double o = value_now("mail2sms_failures_total{reason=\"other\"}");

	metrics_failure(nouser);
	metrics_failure(flood);
	metrics_failure(foreign);
	metrics_failure(NULL);
	assert_true(value_now("mail2sms_failures_total{reason=\"nouser\"}") == n + 1);
	assert_true(value_now("mail2sms_failures_total{reason=\"flood\"}") == f + 1);
	assert_true(value_now("mail2sms_failures_total{reason=\"other\"}") == o + 2);
}

/* Every name ovh.c gives a call has its label; anything else is "other". */
static void call_labels(void **state)
{
	static const char *const named[] = { "job", "outgoing", "service", "services", "senders",
		                             "credential", "clock" };

	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(named); i++)
		assert_int_not_equal(metrics_call_of(named[i]), METRICS_CALL_OTHER);
	assert_int_equal(metrics_call_of("service"), METRICS_CALL_CREDITS);
	assert_int_equal(metrics_call_of("clock"), METRICS_CALL_TIME);
	assert_int_equal(metrics_call_of("nonesuch"), METRICS_CALL_OTHER);
	assert_int_equal(metrics_call_of(NULL), METRICS_CALL_OTHER);
}

/* A request is counted by call and status class, and lands in one bucket of its call's
 * histogram: cumulative from its bound up, in _count, and its seconds in _sum. */
static void requests_and_latency(void **state)
{
	(void)state;
	const char *ok = "mail2sms_ovh_requests_total{call=\"credits\",code=\"2xx\"}";
	const char *thr = "mail2sms_ovh_requests_total{call=\"job\",code=\"429\"}";
	const char *none = "mail2sms_ovh_requests_total{call=\"time\",code=\"none\"}";
	const char *b25 = "mail2sms_ovh_request_duration_seconds_bucket{call=\"credits\",le=\"0.025\"}";
	const char *b50 = "mail2sms_ovh_request_duration_seconds_bucket{call=\"credits\",le=\"0.05\"}";
	const char *inf = "mail2sms_ovh_request_duration_seconds_bucket{call=\"credits\",le=\"+Inf\"}";
	const char *cnt = "mail2sms_ovh_request_duration_seconds_count{call=\"credits\"}";
	const char *sum = "mail2sms_ovh_request_duration_seconds_sum{call=\"credits\"}";
	g_autofree char *before = page(NULL);

	metrics_ovh_request("service", 200, 30000);
	metrics_ovh_request("job", 429, 1000);
	metrics_ovh_request("clock", 0, 5000000);
	g_autofree char *after = page(NULL);
	assert_true(value_in(after, ok) == value_in(before, ok) + 1);
	assert_true(value_in(after, thr) == value_in(before, thr) + 1);
	assert_true(value_in(after, none) == value_in(before, none) + 1);
	assert_true(value_in(after, b25) == value_in(before, b25));
	assert_true(value_in(after, b50) == value_in(before, b50) + 1);
	assert_true(value_in(after, inf) == value_in(before, inf) + 1);
	assert_true(value_in(after, cnt) == value_in(before, cnt) + 1);
	double d = value_in(after, sum) - value_in(before, sum);
	assert_true(d > 0.0299 && d < 0.0301);
}

/* Credits in base units, kept in thousandths; credits_left absent until set. */
static void credits(void **state)
{
	(void)state;
	double spent = value_now("mail2sms_credits_spent_total");

	metrics_credits_spent(1.5);
	metrics_credits_spent(2);
	assert_true(value_now("mail2sms_credits_spent_total") == spent + 3.5);
	assert_true(value_now("mail2sms_credits_left") < 0);
	metrics_set_credits_left(12.25);
	assert_true(value_now("mail2sms_credits_left") == 12.25);
}

/* Every line is a comment (# HELP, # TYPE) or a sample "name{labels} value"; each family
 * has its HELP and TYPE before its first sample, and build_info names the version. */
static void text_format(void **state)
{
	(void)state;
	g_autofree char *text = page(NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GRegex) sample = g_regex_new(
		"^(mail2sms_[a-z_]+)(\\{[a-z_]+=\"[^\"\\\\\\n]*\"(,[a-z_]+=\"[^\"\\\\\\n]*\")*\\})? "
		"(-?[0-9]+(\\.[0-9]+)?|NaN|[+-]Inf)$", 0, 0, NULL);
	g_autoptr(GHashTable) typed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint samples = 0;

	assert_non_null(sample);
	for (char **l = lines; *l != NULL && **l != '\0'; l++) {
		g_autoptr(GMatchInfo) m = NULL;
		if (g_str_has_prefix(*l, "# HELP "))
			continue;
		if (g_str_has_prefix(*l, "# TYPE ")) {
			g_auto(GStrv) w = g_strsplit(*l + 7, " ", 2);
			g_hash_table_add(typed, g_strdup(w[0]));
			continue;
		}
		if (!g_regex_match(sample, *l, 0, &m))
			fail_msg("not a sample: %s", *l);
		g_autofree char *name = g_match_info_fetch(m, 1);
		const char *suffixes[] = { "_bucket", "_sum", "_count" };
		gboolean known = g_hash_table_contains(typed, name);
		for (gsize i = 0; !known && i < G_N_ELEMENTS(suffixes); i++)
			if (g_str_has_suffix(name, suffixes[i])) {
				g_autofree char *base = g_strndup(name, strlen(name) - strlen(suffixes[i]));
				known = g_hash_table_contains(typed, base);
			}
		if (!known)
			fail_msg("no # TYPE before %s", *l);
		samples++;
	}
	assert_true(samples > 100);
	g_autofree char *info = g_strdup_printf("mail2sms_build_info{version=\"%s\"}", M2S_VERSION);
	assert_true(value_in(text, info) == 1);
	assert_true(value_in(text, "mail2sms_store_up") < 0);  /* no view: no store */
}

/* One name per slot, none empty, each short enough to be a store value's name. */
static void slot_names(void **state)
{
	(void)state;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	assert_true(metrics_n_slots() > 0);
	for (guint i = 0; i < metrics_n_slots(); i++) {
		const char *n = metrics_slot_name(i);
		assert_non_null(n);
		assert_true(g_str_has_prefix(n, "mail2sms_"));
		assert_true(strlen("metric:") + strlen(n) <= STORE_NAME_MAX);
		if (!g_hash_table_add(seen, (gpointer)n))
			fail_msg("slot %u: %s twice", i, n);
	}
	assert_null(metrics_slot_name(metrics_n_slots()));
}

/* A view adds its values slot by slot, and says whether the store answered. */
static void view_adds(void **state)
{
	(void)state;
	g_autofree guint64 *extra = g_new0(guint64, metrics_n_slots());
	guint slot = 0;

	while (strcmp(metrics_slot_name(slot), "mail2sms_mails_total{result=\"tempfail\"}") != 0)
		slot++;
	extra[slot] = 40;
	MetricsView v = { .extra = extra, .store_up = 0 };
	double own = value_now("mail2sms_mails_total{result=\"tempfail\"}");
	g_autofree char *text = page(&v);
	assert_true(value_in(text, "mail2sms_mails_total{result=\"tempfail\"}") == own + 40);
	assert_true(value_in(text, "mail2sms_store_up") == 0);
}

/* The store's share: saved from this process, read back by another reader's view, and
 * never lower than read before, even when the store forgets a value. */
static void store_share(void **state)
{
	(void)state;
	g_autoptr(GError) e = NULL;
	g_autofree char *dir = g_dir_make_tmp("m2s-metrics-XXXXXX", NULL);
	g_autofree char *spec = g_strconcat("sqlite:", dir, "/s.db", NULL);
	g_autofree guint64 *extra = g_new0(guint64, metrics_n_slots());
	StoreOptions o = { 0 };
	Store *st = NULL;
	guint slot = 0;

	while (strcmp(metrics_slot_name(slot), "mail2sms_flood_digests_total") != 0)
		slot++;
	metrics_flood(METRICS_FLOOD_DIGEST);
	guint64 mine = metrics_slot_value(slot);
	assert_true(mine >= 1);
	assert_true(store_open(spec, &o, &st, &e));
	assert_true(metrics_store_save(st, &e));
	assert_true(metrics_store_read(st, extra, &e));
	assert_true(extra[slot] == mine);
	/* A second process saving the same adds up. */
	assert_true(metrics_store_save(st, &e));
	assert_true(metrics_store_read(st, extra, &e));
	assert_true(extra[slot] == 2 * mine);
	/* The store forgets it: the reader keeps what it had read, and counts on from there. */
	g_autofree char *name = g_strconcat("metric:", metrics_slot_name(slot), NULL);
	assert_true(store_set_value(st, name, 1, g_get_real_time() / G_USEC_PER_SEC, &e));
	assert_true(metrics_store_read(st, extra, &e));
	assert_true(extra[slot] == 2 * mine + 1);
	/* No store to read: the values read last. */
	assert_false(metrics_store_read(NULL, extra, NULL));
	assert_true(extra[slot] == 2 * mine + 1);
	store_close(st);
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_by_label),
		cmocka_unit_test(failure_reasons),
		cmocka_unit_test(call_labels),
		cmocka_unit_test(requests_and_latency),
		cmocka_unit_test(credits),
		cmocka_unit_test(text_format),
		cmocka_unit_test(slot_names),
		cmocka_unit_test(view_adds),
		cmocka_unit_test(store_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

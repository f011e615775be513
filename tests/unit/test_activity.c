/* test_activity.c: the last job sent and the last error (activity.c): noted in memory,
 * written to a sqlite store only when something is new, read back as JSON objects with
 * their time, bounded and with numbers masked.
 *
 * The notes live as long as the process: the cases run in order and each builds on what
 * the one before left. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <glib/gstdio.h>
#include "activity.h"
#include "error.h"

#define T0 1800000000

static char *dir;
static Store *st;
static Cfg *cfg;

static int setup(void **s)
{
	(void)s;
	g_autofree char *spec = NULL;
	g_autoptr(GError) e = NULL;

	dir = g_dir_make_tmp("m2s-activity-XXXXXX", NULL);
	spec = g_strdup_printf("sqlite:%s/state.db", dir);
	assert_true(store_open(spec, NULL, &st, &e));
	cfg = cfg_new_default();
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	store_close(st);
	cfg_unref(cfg);
	g_assert(system(cmd) == 0);
	g_free(dir);
	return 0;
}

/* A result of N ids (1001...) and M valid receivers (+3361100NNNN). */
static OvhJobResult *result(guint n, guint m, double credits)
{
	OvhJobResult *r = g_new0(OvhJobResult, 1);

	r->ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	r->valid = g_ptr_array_new_with_free_func(g_free);
	r->invalid = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n; i++) {
		gint64 id = 1001 + i;
		g_array_append_val(r->ids, id);
	}
	for (guint i = 0; i < m; i++)
		g_ptr_array_add(r->valid, g_strdup_printf("+3361100%04u", i));
	r->credits = credits;
	return r;
}

/* What the store holds, both facts (NULL: none). */
static void read_both(json_object **sent, json_object **failed)
{
	g_autoptr(GError) e = NULL;

	if (!activity_read(st, sent, failed, &e))
		fail_msg("activity_read: %s", e->message);
}

static gint64 int_of(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int64(v);
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

static void flush(void)
{
	g_autoptr(GError) e = NULL;

	if (!activity_flush(st, &e))
		fail_msg("activity_flush: %s", e->message);
}

/* Nothing noted, nothing kept: both NULL, and a flush writes nothing. */
static void nothing_yet(void **s)
{
	(void)s;
	json_object *sent, *failed;
	g_autofree char *text = NULL;
	gint64 at;

	flush();
	read_both(&sent, &failed);
	assert_null(sent);
	assert_null(failed);
	assert_true(store_get_text(st, "activity:last_sent", &text, &at, NULL));
	assert_null(text);
	assert_true(activity_flush(NULL, NULL));
}

/* A job of 30 ids to 25 numbers: 20 of each kept, the rest counted; numbers masked. */
static void sent_bounded_and_masked(void **s)
{
	(void)s;
	g_autoptr(OvhJobResult) r = result(30, 25, 30);
	json_object *sent, *failed, *ids;

	activity_sent(cfg, "4QACT1", "m2s0123456789abcdef0", r, T0);
	read_both(&sent, &failed);
	assert_null(sent);  /* memory only until flushed */
	flush();
	read_both(&sent, &failed);
	assert_non_null(sent);
	assert_null(failed);
	assert_true(json_object_object_get_ex(sent, "ids", &ids));
	assert_int_equal(json_object_array_length(ids), ACTIVITY_LIST_MAX);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(ids, 0)), 1001);
	assert_int_equal(int_of(sent, "more_ids"), 10);
	assert_int_equal(int_of(sent, "more_receivers"), 5);
	assert_non_null(strstr(str_of(sent, "receivers"), "+3361100xxxx"));
	assert_null(strstr(str_of(sent, "receivers"), "+336110000"));
	assert_int_equal(int_of(sent, "credits"), 30);
	assert_string_equal(str_of(sent, "queue_id"), "4QACT1");
	assert_string_equal(str_of(sent, "tag"), "m2s0123456789abcdef0");
	assert_int_equal(int_of(sent, "at"), T0);
	json_object_put(sent);
}

/* A flush with nothing new makes no write: what another process wrote since stays. */
static void flush_writes_only_news(void **s)
{
	(void)s;
	g_autoptr(GError) e = NULL;
	json_object *sent, *failed;

	assert_true(store_set_text(st, "activity:last_sent", "{\"ids\":[7]}", T0 + 5, &e));
	flush();
	read_both(&sent, &failed);
	assert_int_equal(int_of(sent, "at"), T0 + 5);
	json_object_put(sent);
}

/* An error: its kind, its reason with numbers masked, its queue id and tag. */
static void failed_kept_masked(void **s)
{
	(void)s;
	g_autoptr(GError) err = g_error_new(M2S_ERROR, M2S_ERR_NOUSER,
	                                    "OVH refused every receiver: +33612345678");
	json_object *sent, *failed;

	activity_failed(cfg, "4QACT2", "m2s00000000000000001", err, T0 + 10);
	flush();
	read_both(&sent, &failed);
	assert_non_null(failed);
	assert_string_equal(str_of(failed, "kind"), "nouser");
	assert_non_null(strstr(str_of(failed, "reason"), "OVH refused every receiver"));
	assert_null(strstr(str_of(failed, "reason"), "+33612345678"));
	assert_string_equal(str_of(failed, "queue_id"), "4QACT2");
	assert_int_equal(int_of(failed, "at"), T0 + 10);
	/* The last sent is still the one another process wrote. */
	assert_int_equal(int_of(sent, "at"), T0 + 5);
	json_object_put(sent);
	json_object_put(failed);
}

/* Two notes out of order (threads): the later fact stays, and reaches the store. */
static void later_fact_wins(void **s)
{
	(void)s;
	g_autoptr(OvhJobResult) late = result(1, 1, 1), early = result(1, 1, 2);
	json_object *sent, *failed;

	g_array_index(late->ids, gint64, 0) = 5555;
	g_array_index(early->ids, gint64, 0) = 4444;
	activity_sent(cfg, NULL, "t-late", late, T0 + 20);
	activity_sent(cfg, NULL, "t-early", early, T0 + 15);
	flush();
	read_both(&sent, &failed);
	assert_int_equal(int_of(sent, "at"), T0 + 20);
	assert_string_equal(str_of(sent, "tag"), "t-late");
	assert_false(json_object_object_get_ex(sent, "queue_id", NULL));
	json_object_put(sent);
	json_object_put(failed);
}

/* A text that is no JSON object (another version's, a hand edit) reads as none. */
static void unreadable_is_none(void **s)
{
	(void)s;
	json_object *sent, *failed;

	assert_true(store_set_text(st, "activity:last_error", "not json", T0 + 100, NULL));
	read_both(&sent, &failed);
	assert_null(failed);
	assert_non_null(sent);
	json_object_put(sent);
	assert_true(store_set_text(st, "activity:last_error", "[1,2]", T0 + 101, NULL));
	read_both(&sent, &failed);
	assert_null(failed);
	json_object_put(sent);
}

/* log_numbers = full: the numbers as they are. */
static void full_numbers(void **s)
{
	(void)s;
	g_autoptr(OvhJobResult) r = result(1, 1, 1);
	json_object *sent, *failed;

	cfg->log_numbers_full = TRUE;
	activity_sent(cfg, NULL, "t-full", r, T0 + 200);
	cfg->log_numbers_full = FALSE;
	flush();
	read_both(&sent, &failed);
	assert_string_equal(str_of(sent, "receivers"), "+33611000000");
	json_object_put(sent);
	json_object_put(failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_yet),
		cmocka_unit_test(sent_bounded_and_masked),
		cmocka_unit_test(flush_writes_only_news),
		cmocka_unit_test(failed_kept_masked),
		cmocka_unit_test(later_fact_wins),
		cmocka_unit_test(unreadable_is_none),
		cmocka_unit_test(full_numbers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_budget.c: the [ovh] max_requests budget against a real SQLite store: N requests in
 * the window pass, the next waits at most max_wait and is refused BUSY, a 429 halves the
 * budget for every process on the store, and a store that cannot be opened follows
 * on_store_error. No request is made: the budget is what ovh_http.c asks first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include "budget.h"
#include "error.h"

typedef struct {
	char *dir;
	Cfg *cfg;
	Store *store;
	gboolean down; /* the store is "down": budget_store answers an error */
} Fix;

static Store *fix_store(void *arg, GError **err)
{
	Fix *f = arg;

	if (f->down) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "state store sqlite:x: cannot connect");
		return NULL;
	}
	return f->store;
}

/* A configuration with EXTRA lines and a store in a fresh directory. */
static void fix_open(Fix *f, const char *extra)
{
	g_autoptr(GError) e = NULL;
	f->dir = g_dir_make_tmp("m2s-budget-XXXXXX", NULL);
	g_autofree char *db = g_strconcat("sqlite:", f->dir, "/s.db", NULL);
	g_autofree char *conf = g_strconcat(f->dir, "/m.conf", NULL);
	g_autofree char *text = g_strdup_printf("[state]\nstore = %s\n%s", db, extra);

	assert_true(g_file_set_contents(conf, text, -1, NULL));
	f->cfg = cfg_load(conf, &e);
	if (f->cfg == NULL)
		fail_msg("%s", e->message);
	StoreOptions o = { 0 };
	assert_true(store_open(db, &o, &f->store, &e));
}

static void fix_close(Fix *f)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	store_close(f->store);
	cfg_unref(f->cfg);
	g_assert(system(cmd) == 0);
	g_free(f->dir);
}

/* 4/1m, no wait: four pass, the fifth is refused at once and says why. */
static void budget_holds(void **state)
{
	(void)state;
	Fix f = { 0 };
	fix_open(&f, "[ovh]\nmax_requests = 4/1m\nmax_wait = 0s\n");
	Budget *b = budget_new(f.cfg, fix_store, &f);
	g_autoptr(GError) e = NULL;

	for (int i = 0; i < 4; i++)
		assert_true(budget_admit(b, NULL));
	assert_false(budget_admit(b, &e));
	assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_BUSY));
	assert_non_null(strstr(e->message, "max_requests = 4/1m"));
	/* Another process on the same store shares the count. */
	Budget *other = budget_new(f.cfg, fix_store, &f);
	assert_false(budget_admit(other, NULL));
	budget_free(other);
	budget_free(b);
	fix_close(&f);
}

/* A 429 halves the budget, for every process on the store. */
static void too_many_requests_halves(void **state)
{
	(void)state;
	Fix f = { 0 };
	fix_open(&f, "[ovh]\nmax_requests = 4/1m\nmax_wait = 0s\n");
	Budget *b = budget_new(f.cfg, fix_store, &f);
	Budget *other = budget_new(f.cfg, fix_store, &f);
	g_autoptr(GError) e = NULL;

	budget_answered(b, 200);
	assert_true(budget_admit(other, NULL));
	budget_answered(b, 429);
	assert_true(budget_admit(other, NULL));
	assert_false(budget_admit(other, &e));
	assert_non_null(strstr(e->message, "halved after a 429"));
	budget_free(other);
	budget_free(b);
	fix_close(&f);
}

/* A request with no room waits for one when it comes within max_wait. */
static void waits_for_room(void **state)
{
	(void)state;
	Fix f = { 0 };
	fix_open(&f, "[ovh]\nmax_requests = 2/1s\nmax_wait = 5s\n");
	Budget *b = budget_new(f.cfg, fix_store, &f);
	gint64 t0 = g_get_monotonic_time();

	assert_true(budget_admit(b, NULL));
	assert_true(budget_admit(b, NULL));
	assert_true(budget_admit(b, NULL));
	/* The third got the place the first left, a second (and the margin for the way to
	 * OVH) later: it waited, not failed. */
	assert_true(g_get_monotonic_time() - t0 >= 2900 * 1000);
	budget_free(b);
	fix_close(&f);
}

/* The store down: degrade lets the request go, tempfail defers it. */
static void store_down(void **state)
{
	(void)state;
	Fix f = { 0 };
	fix_open(&f, "[ovh]\nmax_requests = 1/1m\nmax_wait = 0s\n");
	Budget *b = budget_new(f.cfg, fix_store, &f);
	f.down = TRUE;
	for (int i = 0; i < 3; i++)
		assert_true(budget_admit(b, NULL));
	budget_free(b);
	fix_close(&f);

	Fix t = { 0 };
	g_autoptr(GError) e = NULL;
	fix_open(&t, "on_store_error = tempfail\n[ovh]\nmax_requests = 1/1m\nmax_wait = 0s\n");
	b = budget_new(t.cfg, fix_store, &t);
	t.down = TRUE;
	assert_false(budget_admit(b, &e));
	assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_BUSY));
	budget_free(b);
	fix_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(budget_holds),
		cmocka_unit_test(too_many_requests_halves),
		cmocka_unit_test(waits_for_room),
		cmocka_unit_test(store_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

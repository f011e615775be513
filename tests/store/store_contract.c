/* store_contract.c: the state store's contract, one program for every backend.
 *
 * Usage: store_contract SPEC   (or M2S_STORE_SPEC=SPEC store_contract)
 * The same cases run against sqlite:/PATH, redis://HOST:PORT/DB and unix:/PATH?db=N.
 * Set by tests/store/run when it applies:
 *   M2S_STORE_PASSWORD_FILE  the server wants this password: AUTH cases run too
 *   M2S_STORE_DOWN, M2S_STORE_UP  shell commands that kill the Redis server (SIGKILL) and
 *                            start it again on the same address: the down-and-back cases run
 * sqlite always runs its own down-and-back (the file deleted) and file-mode cases.
 * Without a spec it fails ("not ok"): it never passes having tested nothing.
 * Internal: "store_contract --child SPEC PREFIX N NOW" claims N tags and prints W, B or E
 * per tag (the 4-process case runs the program 4 times). Every time is a made-up one: the
 * store uses the caller's clock, so the cases move time freely. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include "error.h"
#include "store.h"

#define T0 1700000000
#define TIMEOUT 120
#define THREADS 16
#define PROCS 4
#define CONCURRENT_TAGS 200
#define EXPIRY_PAIRS 50

static const char *spec;
static const char *password_file;
static gboolean is_sqlite;
static char *prefix; /* tags unique to this run: a shared Redis may hold earlier runs' */
static Store *st;

/* A tag for case WHAT, number I. */
static char *tag(const char *what, int i)
{
	return g_strdup_printf("%s:%s:%d", prefix, what, i);
}

static Store *open_window(gint64 keep, gint64 window)
{
	StoreOptions o = { .password_file = password_file, .keep = keep, .retry_window = window };
	Store *s = NULL;
	g_autoptr(GError) e = NULL;

	if (!store_open(spec, &o, &s, &e))
		fail_msg("store_open %s: %s", spec, e->message);
	assert_non_null(s);
	return s;
}

static Store *open_store(gint64 keep)
{
	return open_window(keep, 0);
}

static StoreClaim claim(Store *s, const char *t, gint64 now, StoreRecord *rec)
{
	g_autoptr(GError) e = NULL;
	StoreClaim c = store_claim(s, t, now, TIMEOUT, rec, &e);

	if (c == CLAIM_ERROR)
		fail_msg("claim %s: %s", t, e->message);
	return c;
}

static void sent(Store *s, const char *t, gint64 now, const char *ids, const StoreMail *m)
{
	g_autoptr(GError) e = NULL;

	if (!store_sent(s, t, now, ids, 2.0, "+33612345678,+33698765432", m, &e))
		fail_msg("sent %s: %s", t, e->message);
}

static int lookup(Store *s, gint64 id, StoreJobMeta *m)
{
	g_autoptr(GError) e = NULL;
	StoreJobMeta dummy;
	int r = store_lookup_job(s, id, m != NULL ? m : &dummy, &e);

	if (r < 0)
		fail_msg("lookup %" G_GINT64_FORMAT ": %s", id, e->message);
	if (m == NULL)
		store_job_meta_clear(&dummy);
	return r;
}

static int setup(void **s)
{
	(void)s;
	st = open_store(0);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	store_close(st);
	st = NULL;
	return 0;
}

static void claim_new_tag_wins(void **s)
{
	(void)s;
	g_autofree char *t = tag("new", 0);
	StoreRecord r;

	assert_int_equal(claim(st, t, T0, &r), CLAIM_WON);
	assert_int_equal(r.state, STORE_CLAIMED);
	assert_int_equal(r.claimed_at, T0);
	assert_int_equal(r.doubt_since, 0);
	store_record_clear(&r);
}

static void second_claim_is_busy(void **s)
{
	(void)s;
	g_autofree char *t = tag("busy", 0);
	StoreRecord r;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	assert_int_equal(claim(st, t, T0 + 1, &r), CLAIM_BUSY);
	assert_int_equal(r.claimed_at, T0);
	store_record_clear(&r);
	assert_int_equal(claim(st, t, T0 + TIMEOUT - 1, NULL), CLAIM_BUSY);
}

static void sent_tag_claims_as_sent(void **s)
{
	(void)s;
	g_autofree char *t = tag("sent", 0);
	StoreRecord r;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	sent(st, t, T0 + 2, "101,102", NULL);
	for (gint64 now = T0 + 3; now < T0 + 10 * TIMEOUT; now += TIMEOUT) {
		assert_int_equal(claim(st, t, now, &r), CLAIM_SENT);
		assert_int_equal(r.state, STORE_SENT);
		assert_string_equal(r.ids, "101,102");
		assert_string_equal(r.receivers, "+33612345678,+33698765432");
		assert_true(r.credits > 1.99 && r.credits < 2.01);
		store_record_clear(&r);
	}
	/* Neither a doubt nor a release undoes a sent record. */
	g_autoptr(GError) e = NULL;
	assert_true(store_doubt(st, t, T0 + 20, &e));
	assert_true(store_release(st, t, T0, &e));
	assert_int_equal(claim(st, t, T0 + 21, NULL), CLAIM_SENT);
}

static void expired_claim_is_in_doubt(void **s)
{
	(void)s;
	g_autofree char *t = tag("expiry", 0);
	StoreRecord r;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	assert_int_equal(claim(st, t, T0 + TIMEOUT, &r), CLAIM_IN_DOUBT);
	assert_int_equal(r.doubt_since, T0);
	assert_int_equal(r.claimed_at, T0 + TIMEOUT);
	store_record_clear(&r);
	/* The takeover is a claim like any other. */
	assert_int_equal(claim(st, t, T0 + TIMEOUT + 1, NULL), CLAIM_BUSY);
	/* Its taker crashed too: the doubt still dates from the first attempt. */
	assert_int_equal(claim(st, t, T0 + 3 * TIMEOUT, &r), CLAIM_IN_DOUBT);
	assert_int_equal(r.doubt_since, T0);
	store_record_clear(&r);
}

typedef struct {
	Store *store;
	const char *tag;
	gint64 now;
	pthread_barrier_t *barrier;
	StoreClaim got;
	char *error;
} Claimer;

static gpointer claimer_run(gpointer p)
{
	Claimer *c = p;
	g_autoptr(GError) e = NULL;

	pthread_barrier_wait(c->barrier);
	c->got = store_claim(c->store, c->tag, c->now, TIMEOUT, NULL, &e);
	if (e != NULL)
		c->error = g_strdup(e->message);
	return NULL;
}

/* Two claimers, each with its own store (as two processes or hosts), race for expired claims. */
static void expired_claim_taken_over_once(void **s)
{
	(void)s;
	Store *other = open_store(0);
	pthread_barrier_t barrier_2, *barrier = &barrier_2;

	pthread_barrier_init(barrier, NULL, 2);

	for (int i = 0; i < EXPIRY_PAIRS; i++) {
		g_autofree char *t = tag("expiry-race", i);
		assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
		Claimer c[2] = {
			{ .store = st, .tag = t, .now = T0 + TIMEOUT + 5, .barrier = barrier },
			{ .store = other, .tag = t, .now = T0 + TIMEOUT + 5, .barrier = barrier },
		};
		GThread *th[2];
		for (int k = 0; k < 2; k++)
			th[k] = g_thread_new("claimer", claimer_run, &c[k]);
		for (int k = 0; k < 2; k++)
			g_thread_join(th[k]);
		for (int k = 0; k < 2; k++)
			if (c[k].error != NULL)
				fail_msg("claim: %s", c[k].error);
		int doubt = (c[0].got == CLAIM_IN_DOUBT) + (c[1].got == CLAIM_IN_DOUBT);
		int busy = (c[0].got == CLAIM_BUSY) + (c[1].got == CLAIM_BUSY);
		if (doubt != 1 || busy != 1)
			fail_msg("tag %d: %d IN_DOUBT and %d BUSY of 2 claimers", i, doubt, busy);
	}
	pthread_barrier_destroy(barrier);
	store_close(other);
}

/* A sent record older than the retry window was another alert: its tag is claimed anew,
 * by one of two racing claimers; within the window it stays sent. */
static void old_sent_tag_claimed_anew(void **s)
{
	(void)s;
	Store *a = open_window(0, 100), *b = open_window(0, 100);
	pthread_barrier_t barrier_2, *barrier = &barrier_2;
	StoreRecord r;

	pthread_barrier_init(barrier, NULL, 2);
	for (int i = 0; i < EXPIRY_PAIRS; i++) {
		g_autofree char *t = tag("window", i);
		assert_int_equal(claim(a, t, T0, NULL), CLAIM_WON);
		sent(a, t, T0 + 1, "201", NULL);
		assert_int_equal(claim(b, t, T0 + 99, NULL), CLAIM_SENT);
		Claimer c[2] = {
			{ .store = a, .tag = t, .now = T0 + 100, .barrier = barrier },
			{ .store = b, .tag = t, .now = T0 + 100, .barrier = barrier },
		};
		GThread *th[2];
		for (int k = 0; k < 2; k++)
			th[k] = g_thread_new("claimer", claimer_run, &c[k]);
		for (int k = 0; k < 2; k++)
			g_thread_join(th[k]);
		for (int k = 0; k < 2; k++)
			if (c[k].error != NULL)
				fail_msg("claim: %s", c[k].error);
		int won = (c[0].got == CLAIM_WON) + (c[1].got == CLAIM_WON);
		int busy = (c[0].got == CLAIM_BUSY) + (c[1].got == CLAIM_BUSY);
		if (won != 1 || busy != 1)
			fail_msg("tag %d: %d WON and %d BUSY of 2 claimers of an old tag", i, won, busy);
	}
	/* Without a window (0), a sent record stays sent forever. */
	g_autofree char *t = tag("window-none", 0);
	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	sent(st, t, T0, "202", NULL);
	assert_int_equal(claim(st, t, T0 + 1000000, &r), CLAIM_SENT);
	store_record_clear(&r);
	pthread_barrier_destroy(barrier);
	store_close(a);
	store_close(b);
}

static void doubt_makes_next_claim_in_doubt(void **s)
{
	(void)s;
	g_autofree char *t = tag("doubt", 0);
	g_autoptr(GError) e = NULL;
	StoreRecord r;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	assert_true(store_doubt(st, t, T0 + 5, &e));
	assert_true(store_doubt(st, t, T0 + 8, &e)); /* a later doubt keeps the earlier time */
	assert_int_equal(claim(st, t, T0 + 9, &r), CLAIM_IN_DOUBT);
	assert_int_equal(r.doubt_since, T0 + 5);
	store_record_clear(&r);
	assert_int_equal(claim(st, t, T0 + 10, NULL), CLAIM_BUSY);
	/* A doubt on a tag the store no longer knows is remembered too. */
	g_autofree char *u = tag("doubt", 1);
	assert_true(store_doubt(st, u, T0 + 7, &e));
	assert_int_equal(claim(st, u, T0 + 8, &r), CLAIM_IN_DOUBT);
	assert_int_equal(r.doubt_since, T0 + 7);
	store_record_clear(&r);
}

static void release_lets_next_claim_win(void **s)
{
	(void)s;
	g_autofree char *t = tag("release", 0);
	g_autoptr(GError) e = NULL;
	StoreRecord r;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	assert_true(store_release(st, t, T0, &e));
	assert_int_equal(claim(st, t, T0 + 1, NULL), CLAIM_WON);
	/* A stale claimer (its claim expired and was taken over) releases nothing. */
	assert_true(store_release(st, t, T0, &e));
	assert_int_equal(claim(st, t, T0 + 2, NULL), CLAIM_BUSY);

	/* Releasing a takeover keeps the older attempt's doubt. */
	g_autofree char *u = tag("release", 1);
	assert_int_equal(claim(st, u, T0, NULL), CLAIM_WON);
	assert_int_equal(claim(st, u, T0 + TIMEOUT, NULL), CLAIM_IN_DOUBT);
	assert_true(store_release(st, u, T0 + TIMEOUT, &e));
	assert_int_equal(claim(st, u, T0 + TIMEOUT + 1, &r), CLAIM_IN_DOUBT);
	assert_int_equal(r.doubt_since, T0);
	store_record_clear(&r);
}

/* Claims NUMBERS (a space-separated list) for tag T of the mail KEY; the numbers taken by
 * another job are returned space-separated, and *PENDING says whether one is not sent. */
static char *numbers(Store *s, const char *key, const char *t, const char *list, gint64 now,
                     gboolean *pending)
{
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) v = g_strsplit(list, " ", -1);
	g_autoptr(GPtrArray) a = g_ptr_array_new();
	StoreNumbers out;

	for (char **p = v; *p; p++)
		g_ptr_array_add(a, *p);
	if (!store_numbers_claim(s, key, t, a, now, &out, &e))
		fail_msg("numbers %s for %s: %s", list, t, e->message);
	g_ptr_array_add(out.taken, NULL);
	char *taken = g_strjoinv(" ", (char **)out.taken->pdata);
	if (pending != NULL)
		*pending = out.pending;
	store_numbers_clear(&out);
	return taken;
}

#define ASSERT_TAKEN(got, want) do { g_autofree char *g_ = (got); assert_string_equal(g_, want); } while (0)

/* One mail's numbers are paged once across its jobs (the delivery agent's calls): a number
 * another job holds is taken, pending until that job is sent; a job's own numbers stay its
 * own; a released job, a holder with no record and one beyond the retry window hold none. */
static void numbers_once_per_mail(void **s)
{
	(void)s;
	g_autofree char *mail = tag("mail", 0), *other = tag("mail", 1);
	g_autofree char *oncall = tag("numbers", 0), *member = tag("numbers", 1);
	g_autofree char *gone = tag("numbers", 2), *late = tag("numbers", 3);
	g_autoptr(GError) e = NULL;
	gboolean pending;

	assert_int_equal(claim(st, oncall, T0, NULL), CLAIM_WON);
	ASSERT_TAKEN(numbers(st, mail, oncall, "+33611111111 +33622222222", T0, &pending), "");
	assert_false(pending);
	assert_int_equal(claim(st, member, T0 + 1, NULL), CLAIM_WON);
	ASSERT_TAKEN(numbers(st, mail, member, "+33622222222", T0 + 1, &pending), "+33622222222");
	assert_true(pending);  /* oncall's job is not sent yet */
	sent(st, oncall, T0 + 2, "301,302", NULL);
	ASSERT_TAKEN(numbers(st, mail, member, "+33622222222 +33633333333", T0 + 3, &pending),
	             "+33622222222");
	assert_false(pending);
	/* Its own numbers stay its own on its retry; another mail shares nothing. */
	ASSERT_TAKEN(numbers(st, mail, member, "+33622222222 +33633333333", T0 + 4, NULL),
	             "+33622222222");
	ASSERT_TAKEN(numbers(st, other, member, "+33611111111 +33622222222", T0 + 4, NULL), "");
	/* Released (its job certainly not sent): its numbers are free for another job. */
	assert_true(store_numbers_release(st, mail, member, &e));
	assert_int_equal(claim(st, gone, T0 + 5, NULL), CLAIM_WON);
	ASSERT_TAKEN(numbers(st, mail, gone, "+33633333333 +33644444444", T0 + 5, NULL), "");
	/* A holder whose record is gone holds nothing. */
	assert_true(store_release(st, gone, T0 + 5, &e));
	ASSERT_TAKEN(numbers(st, mail, late, "+33644444444", T0 + 6, NULL), "");
	/* Beyond the retry window the mail key is another alert's (a reused Message-ID). */
	Store *w = open_window(0, 100);
	ASSERT_TAKEN(numbers(w, mail, late, "+33611111111", T0 + 99, NULL), "+33611111111");
	ASSERT_TAKEN(numbers(w, mail, late, "+33611111111", T0 + 102, NULL), "");
	store_close(w);
}

typedef struct {
	pthread_barrier_t *barrier;
	gint won[CONCURRENT_TAGS];
	gint busy, errors;
} Race;

static gpointer race_thread(gpointer p)
{
	Race *race = p;

	pthread_barrier_wait(race->barrier);
	for (int i = 0; i < CONCURRENT_TAGS; i++) {
		g_autofree char *t = tag("threads", i);
		g_autoptr(GError) e = NULL;
		StoreClaim c = store_claim(st, t, T0, TIMEOUT, NULL, &e);
		if (c == CLAIM_WON)
			g_atomic_int_inc(&race->won[i]);
		else if (c == CLAIM_BUSY)
			g_atomic_int_inc(&race->busy);
		else
			g_atomic_int_inc(&race->errors);
	}
	return NULL;
}

static void threads_16_claim_once(void **s)
{
	(void)s;
	Race *race = g_new0(Race, 1);
	GThread *th[THREADS];

	pthread_barrier_t barrier;

	pthread_barrier_init(&barrier, NULL, THREADS);
	race->barrier = &barrier;
	for (int k = 0; k < THREADS; k++)
		th[k] = g_thread_new("race", race_thread, race);
	for (int k = 0; k < THREADS; k++)
		g_thread_join(th[k]);
	pthread_barrier_destroy(&barrier);
	int errors = race->errors, busy = race->busy, bad = 0;
	for (int i = 0; i < CONCURRENT_TAGS; i++)
		bad += race->won[i] != 1;
	g_free(race);
	if (errors != 0 || bad != 0 || busy != (THREADS - 1) * CONCURRENT_TAGS)
		fail_msg("%d tags not won exactly once, %d BUSY, %d errors", bad, busy, errors);
}

/* The child of processes_4_claim_once: claims N tags PREFIX:procs:I once its stdin closes. */
static int child_main(const char *child_spec, const char *pfx, int n, gint64 now)
{
	StoreOptions o = { .password_file = getenv("M2S_STORE_PASSWORD_FILE") };
	Store *s = NULL;
	GError *e = NULL;
	char go;

	if (!store_open(child_spec, &o, &s, &e)) {
		fprintf(stderr, "child: %s\n", e->message);
		return 1;
	}
	if (read(0, &go, 1) < 0)
		return 1;
	GString *out = g_string_new(NULL);
	for (int i = 0; i < n; i++) {
		g_autofree char *t = g_strdup_printf("%s:procs:%d", pfx, i);
		StoreClaim c = store_claim(s, t, now, TIMEOUT, NULL, &e);
		g_string_append_c(out, c == CLAIM_WON ? 'W' : c == CLAIM_BUSY ? 'B' : 'E');
		if (e != NULL) {
			fprintf(stderr, "child: %s\n", e->message);
			g_clear_error(&e);
		}
	}
	printf("%s\n", out->str);
	g_string_free(out, TRUE);
	store_close(s);
	return 0;
}

static void processes_4_claim_once(void **s)
{
	(void)s;
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	GPid pid[PROCS];
	int in[PROCS], out[PROCS];
	char n[16], now[24];

	assert_non_null(self);
	g_snprintf(n, sizeof n, "%d", CONCURRENT_TAGS);
	g_snprintf(now, sizeof now, "%d", T0);
	for (int k = 0; k < PROCS; k++) {
		char *argv[] = { self, "--child", (char *)spec, prefix, n, now, NULL };
		g_autoptr(GError) e = NULL;
		if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
		                              &pid[k], &in[k], &out[k], NULL, &e))
			fail_msg("spawn: %s", e->message);
	}
	/* All start together: each waits for its stdin to close. */
	for (int k = 0; k < PROCS; k++)
		close(in[k]);
	int won[CONCURRENT_TAGS] = { 0 }, busy = 0, errors = 0, bad = 0;
	for (int k = 0; k < PROCS; k++) {
		g_autoptr(GIOChannel) ch = g_io_channel_unix_new(out[k]);
		g_autofree char *line = NULL;
		int status;
		g_io_channel_set_close_on_unref(ch, TRUE);
		g_io_channel_read_line(ch, &line, NULL, NULL, NULL);
		waitpid(pid[k], &status, 0);
		g_spawn_close_pid(pid[k]);
		if (line == NULL || strlen(line) != CONCURRENT_TAGS + 1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			fail_msg("process %d ended badly (status %d, output %s)", k, status,
			         line != NULL ? line : "none");
		for (int i = 0; i < CONCURRENT_TAGS; i++) {
			won[i] += line[i] == 'W';
			busy += line[i] == 'B';
			errors += line[i] == 'E';
		}
	}
	for (int i = 0; i < CONCURRENT_TAGS; i++)
		bad += won[i] != 1;
	if (errors != 0 || bad != 0 || busy != (PROCS - 1) * CONCURRENT_TAGS)
		fail_msg("%d tags not won exactly once, %d BUSY, %d errors", bad, busy, errors);
}

static void job_index_lookup(void **s)
{
	(void)s;
	g_autofree char *t = tag("index", 0);
	g_autoptr(GString) subject = g_string_new("Disk full\r\n on db1 ");
	StoreJobMeta m;
	gint64 base = 1000000 + (g_get_real_time() % 1000000) * 1000;

	for (int i = 0; i < 150; i++)
		g_string_append(subject, "\xc3\xa9"); /* é, two bytes: the cut must fall between */
	StoreMail mail = { .queue_id = "4XyZ1AbC", .sender = "nagios@example.com",
	                   .message_id = "<alert.1@example.com>", .subject = subject->str };
	g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
	                                       base + 1, base + 2);
	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	sent(st, t, T0 + 1, ids, &mail);
	for (int k = 1; k <= 2; k++) {
		assert_int_equal(lookup(st, base + k, &m), 1);
		assert_string_equal(m.tag, t);
		assert_string_equal(m.ids, ids);
		assert_string_equal(m.queue_id, "4XyZ1AbC");
		assert_string_equal(m.sender, "nagios@example.com");
		assert_string_equal(m.message_id, "<alert.1@example.com>");
		assert_string_equal(m.receivers, "+33612345678,+33698765432");
		assert_int_equal(m.sent_at, T0 + 1);
		assert_true(strlen(m.subject) <= STORE_SUBJECT_MAX);
		assert_true(g_str_has_prefix(m.subject, "Disk full   on db1 \xc3\xa9"));
		assert_null(strpbrk(m.subject, "\r\n"));
		assert_true(g_utf8_validate(m.subject, -1, NULL));
		store_job_meta_clear(&m);
	}
	assert_int_equal(lookup(st, base + 3, &m), 0);
	/* A claimed tag is not a job. */
	g_autofree char *u = tag("index", 1);
	assert_int_equal(claim(st, u, T0, NULL), CLAIM_WON);
	assert_int_equal(lookup(st, base + 4, &m), 0);
	/* Bad ids are refused, not half written. */
	g_autoptr(GError) e = NULL;
	assert_false(store_sent(st, u, T0, "12,x", 1, "", NULL, &e));
	assert_int_equal(claim(st, u, T0 + 1, NULL), CLAIM_BUSY);
}

/* sqlite: old records go as new ones are written, at most STORE_PRUNE_PER_WRITE a write.
 * Its times are far older than every other case's, so that only its own records are old. */
static void pruning_sqlite(void)
{
	const gint64 tp = T0 - 10000000, keep = 100;
	const int old = 30;
	Store *s = open_store(keep);
	gint64 base = 2000000 + (g_get_real_time() % 1000000) * 1000;

	for (int i = 0; i < old; i++) {
		g_autofree char *t = tag("prune", i);
		g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, base + i);
		sent(s, t, tp, ids, NULL);
	}
	g_autofree char *young = tag("prune-young", 0);
	g_autofree char *yids = g_strdup_printf("%" G_GINT64_FORMAT, base + 999);
	sent(s, young, tp + keep - 1, yids, NULL);
	int left = old;
	for (int w = 0; left > 0; w++) {
		g_autofree char *t = tag("prune-writer", w);
		assert_int_equal(claim(s, t, tp + keep + 50, NULL), CLAIM_WON);
		int now_left = 0;
		for (int i = 0; i < old; i++)
			now_left += lookup(s, base + i, NULL);
		int removed = left - now_left;
		if (removed != MIN(left, STORE_PRUNE_PER_WRITE))
			fail_msg("write %d removed %d of %d old records (bound %d)", w, removed, left,
			         STORE_PRUNE_PER_WRITE);
		left = now_left;
	}
	assert_int_equal(lookup(s, base + 999, NULL), 1);
	g_autofree char *t0 = tag("prune", 0);
	assert_int_equal(claim(s, t0, tp + keep + 51, NULL), CLAIM_WON);
	store_close(s);
}

/* Redis: keys expire keep seconds after their last write, by Redis's own clock. */
static void pruning_redis(void)
{
	Store *s = open_store(1);
	gint64 id = 3000000 + (g_get_real_time() % 1000000) * 1000;
	g_autofree char *t = tag("prune", 0);
	g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, id);

	sent(s, t, T0, ids, NULL);
	assert_int_equal(lookup(s, id, NULL), 1);
	assert_int_equal(claim(s, t, T0 + 1, NULL), CLAIM_SENT);
	g_usleep(2200 * 1000);
	assert_int_equal(lookup(s, id, NULL), 0);
	assert_int_equal(claim(s, t, T0 + 2, NULL), CLAIM_WON);
	store_close(s);
}

static void pruning(void **s)
{
	(void)s;
	if (is_sqlite)
		pruning_sqlite();
	else
		pruning_redis();
}

/* A named value: none at first, then the last one set, seen by another opening too. */
static void named_values(void **s)
{
	(void)s;
	g_autofree char *name = tag("value", 0);
	g_autoptr(GError) e = NULL;
	gint64 v = 7, at = 1;
	Store *other = open_store(0);

	assert_true(store_get_value(st, name, &v, &at, &e));
	assert_int_equal(at, 0);
	assert_true(store_set_value(st, name, -42, T0, &e));
	assert_true(store_set_value(st, name, 43, T0 + 5, &e));
	assert_true(store_get_value(other, name, &v, &at, &e));
	assert_int_equal(v, 43);
	assert_int_equal(at, T0 + 5);
	store_close(other);
}

static void ping_answers(void **s)
{
	(void)s;
	g_autoptr(GError) e = NULL;

	if (!store_ping(st, &e))
		fail_msg("ping: %s", e->message);
}

static void specs_parsed(void **s)
{
	(void)s;
	static const char *const bad[] = { "sqlite:relative.db", "redis://", "redis://h:0/0",
	                                   "redis://h:99999", "redis://h/x", "redis://[::1",
	                                   "unix:/x?db=y", "unix:relative", "mysql://h", "" };
	Store *s2 = NULL;
	g_autoptr(GError) e = NULL;

	assert_true(store_open("none", NULL, &s2, &e));
	assert_null(s2);
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_clear_error(&e);
		if (store_open(bad[i], NULL, &s2, &e))
			fail_msg("spec \"%s\" accepted", bad[i]);
		assert_int_equal(e->code, M2S_ERR_CONFIG);
		assert_non_null(strstr(e->message, "not sqlite:"));
	}
}

/* The error of a call that must fail, checked clear: in M2S_ERROR, naming the store. */
static void check_store_error(GError *e, const char *what)
{
	if (e == NULL)
		fail_msg("%s: no error", what);
	if (e->domain != M2S_ERROR || e->code != M2S_ERR_IO)
		fail_msg("%s: error \"%s\" not M2S_ERR_IO", what, e->message);
	if (strstr(e->message, spec) == NULL)
		fail_msg("%s: error \"%s\" does not name %s", what, e->message, spec);
	print_message("# %s: %s\n", what, e->message);
}

static void run_cmd(const char *what)
{
	const char *cmd = getenv(what);

	if (cmd == NULL || system(cmd) != 0)
		fail_msg("%s (%s) failed", what, cmd != NULL ? cmd : "unset");
}

static void redis_down_and_back(void **s)
{
	(void)s;
	g_autofree char *t = tag("down", 0);
	g_autofree char *u = tag("down", 1);
	g_autofree char *v = tag("down", 2);
	g_autoptr(GError) e = NULL;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	run_cmd("M2S_STORE_DOWN");
	assert_int_equal(store_claim(st, u, T0, TIMEOUT, NULL, &e), CLAIM_ERROR);
	check_store_error(e, "claim with Redis down");
	g_clear_error(&e);
	assert_false(store_ping(st, &e));
	g_clear_error(&e);
	assert_false(store_sent(st, u, T0, "7", 1, "", NULL, &e));
	check_store_error(e, "sent with Redis down");
	g_clear_error(&e);
	run_cmd("M2S_STORE_UP");
	assert_int_equal(claim(st, u, T0 + 1, NULL), CLAIM_WON);
	/* Restarted between two calls: the dead connection is replaced within the call. */
	run_cmd("M2S_STORE_DOWN");
	run_cmd("M2S_STORE_UP");
	assert_int_equal(claim(st, v, T0 + 2, NULL), CLAIM_WON);
	assert_int_equal(claim(st, v, T0 + 3, NULL), CLAIM_BUSY);
}

static const char *sqlite_path(void)
{
	return spec + strlen("sqlite:");
}

static void sqlite_deleted_file(void **s)
{
	(void)s;
	g_autofree char *t = tag("deleted", 0);
	g_autofree char *u = tag("deleted", 1);
	struct stat sb;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	assert_int_equal(unlink(sqlite_path()), 0);
	assert_int_equal(claim(st, u, T0, NULL), CLAIM_WON);
	assert_int_equal(claim(st, u, T0 + 1, NULL), CLAIM_BUSY);
	assert_int_equal(stat(sqlite_path(), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* Replaced by another file (an operator's restore): that file is used. */
	g_autofree char *other = g_strconcat(sqlite_path(), ".other", NULL);
	g_autofree char *ospec = g_strconcat("sqlite:", other, NULL);
	Store *o = NULL;
	g_autoptr(GError) e = NULL;
	assert_true(store_open(ospec, NULL, &o, &e));
	g_autofree char *w = tag("deleted", 2);
	assert_int_equal(claim(o, w, T0, NULL), CLAIM_WON);
	store_close(o);
	assert_int_equal(rename(other, sqlite_path()), 0);
	assert_int_equal(claim(st, w, T0 + 1, NULL), CLAIM_BUSY);
	assert_int_equal(claim(st, u, T0 + 2, NULL), CLAIM_WON);
	ping_answers(NULL);
}

/* Size of the file at PATH, 0 when there is none. */
static gint64 file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (gint64)sb.st_size : 0;
}

/* Writes N jobs (claim and sent) named WHAT into S. */
static void write_jobs(Store *s, const char *what, int n)
{
	for (int i = 0; i < n; i++) {
		g_autofree char *t = tag(what, i);
		StoreMail m = { .queue_id = "4Xyz", .sender = "nagios@example.org",
		                .message_id = "<wal@example.org>", .subject = "PROBLEM db1 disk" };
		assert_int_equal(claim(s, t, T0, NULL), CLAIM_WON);
		sent(s, t, T0, "1", &m);
	}
}

/* The WAL is copied back into the file as it grows, so it stays a few MB however many jobs
 * go through; and the checkpoint's own connection follows the file when it is replaced. */
static void sqlite_wal_bounded(void **s)
{
	(void)s;
	g_autofree char *dir = g_path_get_dirname(sqlite_path());
	g_autofree char *path = g_strconcat(dir, "/wal.db", NULL);
	g_autofree char *wal = g_strconcat(path, "-wal", NULL);
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autoptr(GError) e = NULL;
	Store *w = NULL;

	assert_true(store_open(sp, NULL, &w, &e));
	write_jobs(w, "wal", 3000);
	/* Checkpointed: the jobs are in the file itself, not only in its WAL. */
	assert_true(file_size(path) > 200000);
	/* 1000 pages of 4 KiB before a checkpoint, and the transaction that crossed it. */
	if (file_size(wal) > 8 * 1024 * 1024)
		fail_msg("the WAL holds %" G_GINT64_FORMAT " bytes after 3000 jobs", file_size(wal));
	assert_int_equal(unlink(path), 0);
	write_jobs(w, "wal-after", 3000);
	if (file_size(wal) > 8 * 1024 * 1024)
		fail_msg("the new file's WAL holds %" G_GINT64_FORMAT " bytes", file_size(wal));
	g_autofree char *first = tag("wal", 0);
	g_autofree char *last = tag("wal-after", 2999);
	assert_int_equal(claim(w, first, T0 + 1, NULL), CLAIM_WON);
	assert_int_equal(claim(w, last, T0 + 1, NULL), CLAIM_SENT);
	store_close(w);
}

/* The mode of a store file created under umask MASK. */
static void created_mode(mode_t mask)
{
	g_autofree char *dir = g_path_get_dirname(sqlite_path());
	g_autofree char *path = g_strdup_printf("%s/umask%03o.db", dir, (unsigned)mask);
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autoptr(GError) e = NULL;
	Store *s = NULL;
	struct stat sb;

	unlink(path);
	mode_t old = umask(mask);
	gboolean ok = store_open(sp, NULL, &s, &e);
	umask(old);
	if (!ok)
		fail_msg("open %s: %s", sp, e->message);
	g_autofree char *t = tag("umask", (int)mask);
	assert_int_equal(claim(s, t, T0, NULL), CLAIM_WON);
	store_close(s);
	assert_int_equal(stat(path, &sb), 0);
	if ((sb.st_mode & 07777) != 0600)
		fail_msg("umask %03o: %s has mode %03o", (unsigned)mask, path,
		         (unsigned)(sb.st_mode & 07777));
}

static void sqlite_file_mode_0600(void **s)
{
	(void)s;
	created_mode(0);
	created_mode(0277);
	created_mode(022);
}

/* Root creating the file (a check by hand) gives it, and its WAL, to the owner of the
 * directory: the user that runs mail2sms must not be locked out by root's file. */
static void sqlite_root_creates_for_the_owner(void **s)
{
	(void)s;
	if (geteuid() != 0)
		skip();
	g_autofree char *base = g_path_get_dirname(sqlite_path());
	g_autofree char *dir = g_build_filename(base, "owned", NULL);
	g_autofree char *path = g_build_filename(dir, "state.db", NULL);
	g_autofree char *wal = g_strconcat(path, "-wal", NULL);
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autoptr(GError) e = NULL;
	Store *st2 = NULL;
	struct stat sb;

	assert_int_equal(g_mkdir_with_parents(dir, 0750), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	if (!store_open(sp, NULL, &st2, &e))
		fail_msg("open %s: %s", sp, e->message);
	g_autofree char *t = tag("owner", 0);
	assert_int_equal(claim(st2, t, T0, NULL), CLAIM_WON);
	assert_int_equal(stat(path, &sb), 0);
	if (sb.st_uid != 65534 || sb.st_gid != 65534)
		fail_msg("%s belongs to %u:%u, not to its directory's owner", path,
		         (unsigned)sb.st_uid, (unsigned)sb.st_gid);
	if (stat(wal, &sb) == 0 && sb.st_uid != 65534)
		fail_msg("%s belongs to %u", wal, (unsigned)sb.st_uid);
	store_close(st2);
}

static void sqlite_missing_directory(void **s)
{
	(void)s;
	g_autofree char *dir = g_path_get_dirname(sqlite_path());
	g_autofree char *sp = g_strdup_printf("sqlite:%s/no-such-dir/state.db", dir);
	g_autoptr(GError) e = NULL;
	Store *s2 = NULL;

	assert_false(store_open(sp, NULL, &s2, &e));
	assert_non_null(strstr(e->message, "does not exist"));
	assert_non_null(strstr(e->message, "no-such-dir"));
	print_message("# %s\n", e->message);
}

/* store_open with a password file holding PASSWORD (NULL: no password file). */
static gboolean open_with_password(const char *password, Store **s, GError **e)
{
	g_autofree char *file = NULL;
	StoreOptions o = { 0 };

	if (password != NULL) {
		int fd = g_file_open_tmp("m2s-pw-XXXXXX", &file, NULL);
		assert_true(fd >= 0);
		close(fd);
		assert_true(g_file_set_contents(file, password, -1, NULL));
		o.password_file = file;
	}
	gboolean ok = store_open(spec, &o, s, e);
	if (file != NULL)
		unlink(file);
	return ok;
}

/* E must say the password is wrong or missing, and hold no password. */
static void check_auth_error(GError *e, const char *right, const char *wrong)
{
	assert_non_null(e);
	if (strstr(e->message, right) != NULL || (wrong != NULL && strstr(e->message, wrong)))
		fail_msg("an error shows a password");
	if (strstr(e->message, "AUTH") == NULL && strstr(e->message, "NOAUTH") == NULL)
		fail_msg("error \"%s\" does not say it is the password", e->message);
	print_message("# %s\n", e->message);
}

static void redis_auth(void **s)
{
	(void)s;
	g_autofree char *right = NULL;
	const char *wrong = "wrong-Pa55word-42";
	g_autoptr(GError) e = NULL;
	Store *s2 = NULL;

	assert_true(g_file_get_contents(password_file, &right, NULL, NULL));
	g_strchomp(right);
	/* A wrong password: refused at open, a configuration error. */
	assert_false(open_with_password(wrong, &s2, &e));
	assert_int_equal(e->code, M2S_ERR_CONFIG);
	check_auth_error(e, right, wrong);
	g_clear_error(&e);
	/* No password: refused at open (SELECT) or at the first call. */
	if (open_with_password(NULL, &s2, &e)) {
		g_autofree char *t = tag("noauth", 0);
		assert_int_equal(store_claim(s2, t, T0, TIMEOUT, NULL, &e), CLAIM_ERROR);
		store_close(s2);
	}
	check_auth_error(e, right, NULL);
	g_clear_error(&e);
	/* A missing password file is named. */
	StoreOptions o = { .password_file = "/nonexistent/redis.pw" };
	assert_false(store_open(spec, &o, &s2, &e));
	assert_non_null(strstr(e->message, "/nonexistent/redis.pw"));
	g_clear_error(&e);
	/* The right one, with a newline after it as editors leave it. */
	g_autofree char *withnl = g_strconcat(right, "\n", NULL);
	if (!open_with_password(withnl, &s2, &e))
		fail_msg("open with the right password: %s", e->message);
	g_autofree char *t = tag("auth", 0);
	assert_int_equal(claim(s2, t, T0, NULL), CLAIM_WON);
	store_close(s2);
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "--child") == 0)
		return child_main(argv[2], argv[3], atoi(argv[4]), g_ascii_strtoll(argv[5], NULL, 10));
	spec = argc > 1 ? argv[1] : getenv("M2S_STORE_SPEC");
	if (spec == NULL || *spec == '\0') {
		printf("not ok - store_contract: no store spec (argument or M2S_STORE_SPEC)\n");
		return 1;
	}
	password_file = getenv("M2S_STORE_PASSWORD_FILE");
	if (password_file != NULL && *password_file == '\0')
		password_file = NULL;
	is_sqlite = g_str_has_prefix(spec, "sqlite:");
	prefix = g_strdup_printf("%d-%" G_GINT64_FORMAT, (int)getpid(), g_get_real_time());

	struct CMUnitTest tests[32];
	size_t n = 0;
#define ADD(f) (tests[n++] = (struct CMUnitTest)cmocka_unit_test(f))
	ADD(specs_parsed);
	ADD(claim_new_tag_wins);
	ADD(second_claim_is_busy);
	ADD(sent_tag_claims_as_sent);
	ADD(old_sent_tag_claimed_anew);
	ADD(expired_claim_is_in_doubt);
	ADD(expired_claim_taken_over_once);
	ADD(doubt_makes_next_claim_in_doubt);
	ADD(release_lets_next_claim_win);
	ADD(threads_16_claim_once);
	ADD(processes_4_claim_once);
	ADD(job_index_lookup);
	ADD(numbers_once_per_mail);
	ADD(pruning);
	ADD(named_values);
	ADD(ping_answers);
	if (is_sqlite) {
		ADD(sqlite_deleted_file);
		ADD(sqlite_wal_bounded);
		ADD(sqlite_file_mode_0600);
		ADD(sqlite_root_creates_for_the_owner);
		ADD(sqlite_missing_directory);
	} else if (getenv("M2S_STORE_DOWN") != NULL && getenv("M2S_STORE_UP") != NULL) {
		ADD(redis_down_and_back);
	}
	if (password_file != NULL && !is_sqlite)
		ADD(redis_auth);
#undef ADD
	g_autofree char *name = g_strdup_printf("store %s", spec);
	int rc = _cmocka_run_group_tests(name, tests, n, setup, teardown);
	g_free(prefix);
	return rc;
}

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
 * Internal: "store_contract --child KIND SPEC ARG N NOW" is one of the 4 processes of a
 * case (the program runs 4 times): KIND claim claims N tags ARG:procs:I and prints W, B or E
 * per tag; window takes the window ARG N times at NOW (ms), limit WINDOW_LIMIT, and prints
 * A, R or E per take; add adds 1 to the value ARG N times and prints + or E per add; text
 * sets the text ARG N times, each at NOW + its number, and prints T or E per set; held
 * holds N alerts in the queue ARG, taking a digest after every 5th, and prints a line per
 * digest (see held_worker). Every time is a made-up one: the store uses the caller's
 * clock, so the cases move time freely (windows never sleep). */
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
#include <sqlite3.h>
#include "error.h"
#include "store.h"

#define T0 1700000000
#define TIMEOUT 120
#define THREADS 16
#define PROCS 4
#define CONCURRENT_TAGS 200
#define EXPIRY_PAIRS 50
#define MS0 ((gint64)T0 * 1000)
#define WINDOW_MS 60000
#define WINDOW_LIMIT 10
#define ADDS 50
#define HELD_PER_WORKER 40

static const char *spec;
static const char *password_file;
static gboolean is_sqlite;
static char *prefix; /* tags unique to this run: a shared Redis may hold earlier runs' */
static Store *st;

static void check_store_error(GError *e, const char *what);

/* A tag for case WHAT, number I. */
static char *tag(const char *what, int i)
{
	return g_strdup_printf("%s:%s:%d", prefix, what, i);
}

static const char *sqlite_path(void)
{
	return spec + strlen("sqlite:");
}

/* The file NAME beside the store's (newly allocated), for a case that needs a file of its
 * own. */
static char *side_path(const char *name)
{
	g_autofree char *dir = g_path_get_dirname(sqlite_path());
	return g_build_filename(dir, name, NULL);
}

/* The store SP, keeping records KEEP seconds and recognising retries within WINDOW. */
static Store *open_at(const char *sp, gint64 keep, gint64 window)
{
	StoreOptions o = { .password_file = password_file, .keep = keep, .retry_window = window };
	Store *s = NULL;
	g_autoptr(GError) e = NULL;

	if (!store_open(sp, &o, &s, &e))
		fail_msg("store_open %s: %s", sp, e->message);
	assert_non_null(s);
	return s;
}

static Store *open_window(gint64 keep, gint64 window)
{
	return open_at(spec, keep, window);
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

/* The text NAME holds in S, and its time (NULL and 0: none). */
static char *text_of(Store *s, const char *name, gint64 *at)
{
	g_autoptr(GError) e = NULL;
	char *text = NULL;

	if (!store_get_text(s, name, &text, at, &e))
		fail_msg("get the text %s: %s", name, e->message);
	return text;
}

static void set_text(Store *s, const char *name, const char *text, gint64 now)
{
	g_autoptr(GError) e = NULL;

	if (!store_set_text(s, name, text, now, &e))
		fail_msg("set the text %s: %s", name, e->message);
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

static void held_worker(Store *s, const char *queue, const char *who, int n, gint64 now,
                        GString *out);

/* One letter per call: LETTER when it succeeded (OK), else E (the error on stderr). */
static void child_letter(GString *out, gboolean ok, char letter, GError **e)
{
	g_string_append_c(out, ok ? letter : 'E');
	if (*e != NULL) {
		fprintf(stderr, "child: %s\n", (*e)->message);
		g_clear_error(e);
	}
}

/* A child of a 4-process case (see the top of the file), started once its stdin closes. */
static int child_main(const char *kind, const char *child_spec, const char *arg, int n,
                      gint64 now)
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
	if (strcmp(kind, "held") == 0) {
		g_autofree char *who = g_strdup_printf("p%d", (int)getpid());
		held_worker(s, arg, who, n, now, out);
	}
	for (int i = 0; i < n && strcmp(kind, "held") != 0; i++) {
		if (strcmp(kind, "claim") == 0) {
			g_autofree char *t = g_strdup_printf("%s:procs:%d", arg, i);
			StoreClaim c = store_claim(s, t, now, TIMEOUT, NULL, &e);
			gboolean ok = c == CLAIM_WON || c == CLAIM_BUSY;
			child_letter(out, ok, c == CLAIM_WON ? 'W' : 'B', &e);
		} else if (strcmp(kind, "window") == 0) {
			StoreWindow w;
			gboolean ok = store_window_take(s, arg, now, WINDOW_MS, WINDOW_LIMIT, &w,
			                                &e);
			child_letter(out, ok, w.admitted ? 'A' : 'R', &e);
		} else if (strcmp(kind, "text") == 0) {
			g_autofree char *text = g_strdup_printf("p%d:%d", (int)getpid(), i);
			child_letter(out, store_set_text(s, arg, text, now + i, &e), 'T', &e);
		} else {
			child_letter(out, store_add_value(s, arg, 1, now, NULL, &e), '+', &e);
		}
	}
	printf("%s\n", out->str);
	g_string_free(out, TRUE);
	store_close(s);
	return 0;
}

/* Runs PROCS children "--child KIND SPEC ARG N NOW", started together; fails unless each
 * exits 0. Their outputs, in a NULL-terminated array (g_strfreev). */
static char **run_children(const char *kind, const char *arg, int n, gint64 now)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	GPid pid[PROCS];
	int in[PROCS], out[PROCS];
	char sn[16], snow[24];
	char **outputs = g_new0(char *, PROCS + 1);

	assert_non_null(self);
	g_snprintf(sn, sizeof sn, "%d", n);
	g_snprintf(snow, sizeof snow, "%" G_GINT64_FORMAT, now);
	for (int k = 0; k < PROCS; k++) {
		char *argv[] = { self, "--child", (char *)kind, (char *)spec, (char *)arg, sn, snow,
		                 NULL };
		g_autoptr(GError) e = NULL;
		if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
		                              &pid[k], &in[k], &out[k], NULL, &e))
			fail_msg("spawn: %s", e->message);
	}
	/* All start together: each waits for its stdin to close. */
	for (int k = 0; k < PROCS; k++)
		close(in[k]);
	for (int k = 0; k < PROCS; k++) {
		g_autoptr(GIOChannel) ch = g_io_channel_unix_new(out[k]);
		int status;
		g_io_channel_set_close_on_unref(ch, TRUE);
		g_io_channel_read_to_end(ch, &outputs[k], NULL, NULL);
		waitpid(pid[k], &status, 0);
		g_spawn_close_pid(pid[k]);
		if (outputs[k] == NULL || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("process %d ended badly (status %d, output %s)", k, status,
			         outputs[k] != NULL ? outputs[k] : "none");
	}
	return outputs;
}

/* How many times C is in S. */
static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

static void processes_4_claim_once(void **s)
{
	(void)s;
	g_auto(GStrv) outputs = run_children("claim", prefix, CONCURRENT_TAGS, T0);
	int won[CONCURRENT_TAGS] = { 0 }, busy = 0, errors = 0, bad = 0;

	for (int k = 0; k < PROCS; k++) {
		const char *line = outputs[k];
		if (strlen(line) != CONCURRENT_TAGS + 1)
			fail_msg("process %d: output %s", k, line);
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

/* store_add_value: a missing value starts at 0; the sum and the time are those
 * store_get_value reads (one namespace); a name too long is refused, naming the store. */
static void add_value_sums(void **s)
{
	(void)s;
	g_autofree char *name = tag("credits", 0);
	g_autoptr(GError) e = NULL;
	gint64 total = 0, v = 0, at = 0;

	assert_true(store_add_value(st, name, 5, T0, &total, &e));
	assert_int_equal(total, 5);
	assert_true(store_add_value(st, name, -2, T0 + 1, &total, &e));
	assert_int_equal(total, 3);
	assert_true(store_get_value(st, name, &v, &at, &e));
	assert_int_equal(v, 3);
	assert_int_equal(at, T0 + 1);
	assert_true(store_set_value(st, name, 100, T0 + 2, &e));
	assert_true(store_add_value(st, name, 1, T0 + 3, NULL, &e));
	assert_true(store_get_value(st, name, &v, &at, &e));
	assert_int_equal(v, 101);
	g_autofree char *big = g_strnfill(STORE_NAME_MAX + 1, 'x');
	assert_false(store_add_value(st, big, 1, T0, &total, &e));
	check_store_error(e, "add to a value with a name too long");
}

typedef struct {
	Store *store;
	const char *name;
	pthread_barrier_t *barrier;
	gint ok, errors, admitted;
	GMutex lock;
	GString *out; /* held workers' lines */
	gint next;    /* held workers' numbers */
} Crowd;

static gpointer adder_thread(gpointer p)
{
	Crowd *c = p;

	pthread_barrier_wait(c->barrier);
	for (int i = 0; i < ADDS; i++) {
		g_autoptr(GError) e = NULL;
		if (store_add_value(c->store, c->name, 1, T0, NULL, &e))
			g_atomic_int_inc(&c->ok);
		else
			g_atomic_int_inc(&c->errors);
	}
	return NULL;
}

/* Runs FN in THREADS threads on C, started together. */
static void run_threads(GThreadFunc fn, Crowd *c)
{
	pthread_barrier_t barrier;
	GThread *th[THREADS];

	pthread_barrier_init(&barrier, NULL, THREADS);
	c->barrier = &barrier;
	for (int k = 0; k < THREADS; k++)
		th[k] = g_thread_new("crowd", fn, c);
	for (int k = 0; k < THREADS; k++)
		g_thread_join(th[k]);
	pthread_barrier_destroy(&barrier);
	c->barrier = NULL;
}

/* The value NAME holds now. */
static gint64 value_of(const char *name)
{
	g_autoptr(GError) e = NULL;
	gint64 v = 0, at = 0;

	if (!store_get_value(st, name, &v, &at, &e))
		fail_msg("get %s: %s", name, e->message);
	return v;
}

static void threads_16_add_value(void **s)
{
	(void)s;
	g_autofree char *name = tag("credits-threads", 0);
	Crowd c = { .store = st, .name = name };

	run_threads(adder_thread, &c);
	if (c.errors != 0 || c.ok != THREADS * ADDS || value_of(name) != THREADS * ADDS)
		fail_msg("%d adds, %d errors: total %" G_GINT64_FORMAT ", not %d", c.ok, c.errors,
		         value_of(name), THREADS * ADDS);
}

static void processes_4_add_value(void **s)
{
	(void)s;
	g_autofree char *name = tag("credits-procs", 0);
	g_auto(GStrv) outputs = run_children("add", name, ADDS, T0);

	for (int k = 0; k < PROCS; k++)
		if (count_char(outputs[k], '+') != ADDS)
			fail_msg("process %d: %s", k, outputs[k]);
	assert_int_equal(value_of(name), PROCS * ADDS);
}

/* One take of KEY at NOW (ms) for LIMIT; its figures in *W. */
static gboolean take(const char *key, gint64 now, guint limit, StoreWindow *w)
{
	g_autoptr(GError) e = NULL;

	if (!store_window_take(st, key, now, WINDOW_MS, limit, w, &e))
		fail_msg("take %s: %s", key, e->message);
	return w->admitted;
}

/* KEY's figures at NOW (ms) for LIMIT, nothing recorded. */
static StoreWindow window_count(const char *key, gint64 now, gint64 window, guint limit)
{
	g_autoptr(GError) e = NULL;
	StoreWindow w;

	if (!store_window_count(st, key, now, window, limit, &w, &e))
		fail_msg("count %s: %s", key, e->message);
	return w;
}

static void give_back(const char *key, gint64 at)
{
	g_autoptr(GError) e = NULL;

	if (!store_window_give_back(st, key, at, &e))
		fail_msg("give back %s: %s", key, e->message);
}

#define ASSERT_WINDOW(w, adm, n, frees) do { \
	assert_int_equal((w).admitted, (adm)); \
	assert_int_equal((w).count, (n)); \
	assert_int_equal((w).frees_at_ms, (frees)); \
} while (0)

/* A sliding log: never more than the limit in any window; an event at T is forgotten at
 * T + window; counting records nothing; a give-back frees its place. */
static void window_sliding(void **s)
{
	(void)s;
	g_autofree char *key = tag("window", 0);
	StoreWindow w;

	take(key, MS0, 3, &w);
	ASSERT_WINDOW(w, TRUE, 1, MS0);
	take(key, MS0 + 10, 3, &w);
	ASSERT_WINDOW(w, TRUE, 2, MS0 + 10);
	take(key, MS0 + 20, 3, &w); /* the limit-th: admitted, and now full */
	ASSERT_WINDOW(w, TRUE, 3, MS0 + WINDOW_MS);
	take(key, MS0 + 30, 3, &w);
	ASSERT_WINDOW(w, FALSE, 3, MS0 + WINDOW_MS);
	for (int i = 0; i < 3; i++) {
		w = window_count(key, MS0 + 40, WINDOW_MS, 3);
		ASSERT_WINDOW(w, FALSE, 3, MS0 + WINDOW_MS);
	}
	w = window_count(key, MS0 + 40, WINDOW_MS, 5);
	ASSERT_WINDOW(w, TRUE, 3, MS0 + 40);
	take(key, MS0 + WINDOW_MS - 1, 3, &w);
	ASSERT_WINDOW(w, FALSE, 3, MS0 + WINDOW_MS);
	/* At oldest + window exactly, the oldest has left. */
	take(key, MS0 + WINDOW_MS, 3, &w);
	ASSERT_WINDOW(w, TRUE, 3, MS0 + 10 + WINDOW_MS);
	/* Given back (refused by OVH): its place is free, and taken again. */
	give_back(key, MS0 + WINDOW_MS);
	w = window_count(key, MS0 + WINDOW_MS, WINDOW_MS, 3);
	ASSERT_WINDOW(w, TRUE, 2, MS0 + WINDOW_MS);
	give_back(key, MS0 + 5); /* none there: nothing changes */
	w = window_count(key, MS0 + WINDOW_MS, WINDOW_MS, 3);
	assert_int_equal(w.count, 2);
	take(key, MS0 + WINDOW_MS + 1, 3, &w);
	ASSERT_WINDOW(w, TRUE, 3, MS0 + 10 + WINDOW_MS);
	/* A limit lowered: a take waits until enough have left, not only the oldest. */
	w = window_count(key, MS0 + WINDOW_MS + 2, WINDOW_MS, 1);
	ASSERT_WINDOW(w, FALSE, 3, MS0 + WINDOW_MS + 1 + WINDOW_MS);
	/* Another key counts apart; a long one too (keys are hashed). */
	g_autofree char *other = tag("window", 1);
	g_autoptr(GString) longkey = g_string_new(key);
	for (int i = 0; i < 500; i++)
		g_string_append(longkey, "-\xc3\xa9\n");
	assert_true(take(other, MS0 + 30, 3, &w));
	assert_true(take(longkey->str, MS0 + 30, 3, &w));
	assert_true(take(longkey->str, MS0 + 31, 3, &w));
	assert_int_equal(w.count, 2);
	/* Forgotten events are deleted at the next take, not only left out: seen from an
	 * earlier time, they are gone. */
	g_autofree char *gone = tag("window", 2);
	for (int i = 0; i < 3; i++)
		take(gone, MS0 + i, 10, &w);
	take(gone, MS0 + 3 * WINDOW_MS, 10, &w);
	ASSERT_WINDOW(w, TRUE, 1, MS0 + 3 * WINDOW_MS);
	w = window_count(gone, MS0 + 2, WINDOW_MS, 10);
	assert_int_equal(w.count, 1);
	/* Nonsense is refused, naming the store. */
	g_autoptr(GError) e = NULL;
	assert_false(store_window_take(st, key, MS0, WINDOW_MS, 0, &w, &e));
	check_store_error(e, "take with a limit of 0");
	assert_false(w.admitted);
	g_clear_error(&e);
	assert_false(store_window_count(st, key, MS0, 0, 3, &w, &e));
	check_store_error(e, "count over a window of 0 ms");
}

/* Two events in one millisecond (two processes) are two; a give-back removes one. */
static void window_same_millisecond(void **s)
{
	(void)s;
	g_autofree char *key = tag("window-ms", 0);
	StoreWindow w;

	assert_true(take(key, MS0, 5, &w));
	assert_true(take(key, MS0, 5, &w));
	ASSERT_WINDOW(w, TRUE, 2, MS0);
	for (int i = 0; i < 3; i++)
		take(key, MS0, 5, &w);
	ASSERT_WINDOW(w, TRUE, 5, MS0 + WINDOW_MS);
	assert_false(take(key, MS0, 5, &w));
	give_back(key, MS0);
	w = window_count(key, MS0, WINDOW_MS, 5);
	ASSERT_WINDOW(w, TRUE, 4, MS0);
}

static gpointer window_thread(gpointer p)
{
	Crowd *c = p;

	pthread_barrier_wait(c->barrier);
	for (int i = 0; i < 4; i++) {
		g_autoptr(GError) e = NULL;
		StoreWindow w;
		if (!store_window_take(c->store, c->name, MS0, WINDOW_MS, WINDOW_LIMIT, &w, &e))
			g_atomic_int_inc(&c->errors);
		else if (w.admitted)
			g_atomic_int_inc(&c->admitted);
	}
	return NULL;
}

/* 64 takes in one millisecond from 16 threads: exactly the limit admitted. */
static void threads_16_window_limit(void **s)
{
	(void)s;
	g_autofree char *key = tag("window-threads", 0);
	Crowd c = { .store = st, .name = key };

	run_threads(window_thread, &c);
	if (c.errors != 0 || c.admitted != WINDOW_LIMIT)
		fail_msg("%d admitted of %d, %d errors", c.admitted, WINDOW_LIMIT, c.errors);
	StoreWindow w = window_count(key, MS0, WINDOW_MS, WINDOW_LIMIT);
	ASSERT_WINDOW(w, FALSE, WINDOW_LIMIT, MS0 + WINDOW_MS);
}

static void processes_4_window_limit(void **s)
{
	(void)s;
	g_autofree char *key = tag("window-procs", 0);
	g_auto(GStrv) outputs = run_children("window", key, WINDOW_LIMIT, MS0);
	int admitted = 0;

	for (int k = 0; k < PROCS; k++) {
		if (count_char(outputs[k], 'E') != 0)
			fail_msg("process %d: %s", k, outputs[k]);
		admitted += count_char(outputs[k], 'A');
	}
	if (admitted != WINDOW_LIMIT)
		fail_msg("%d admitted by %d processes, limit %d", admitted, PROCS, WINDOW_LIMIT);
}

/* The windows over LIMIT at NOW (ms) whose key starts with PFX, in a new array. */
static GPtrArray *window_list(const char *pfx, gint64 now, guint limit)
{
	g_autoptr(GError) e = NULL;
	GPtrArray *out = g_ptr_array_new();

	if (!store_window_list(st, pfx, now, WINDOW_MS, limit, out, &e))
		fail_msg("list %s: %s", pfx, e->message);
	return out;
}

/* Entry I of a list is KEY with COUNT events, freeing at FREES. */
static void assert_entry(GPtrArray *l, guint i, const char *key, guint count, gint64 frees)
{
	assert_true(i < l->len);
	const StoreWindowEntry *w = l->pdata[i];
	assert_string_equal(w->key, key);
	assert_int_equal(w->count, count);
	assert_int_equal(w->frees_at_ms, frees);
}

/* The windows over a limit, by the start of their key: those under it are not listed, nor
 * those of another prefix; an event leaving the window, or given back, drops a key;
 * listing changes nothing. */
static void window_list_over_limit(void **s)
{
	(void)s;
	g_autofree char *base = tag("list", 0);
	g_autofree char *rpfx = g_strconcat(base, ":receiver:", NULL);
	g_autofree char *spfx = g_strconcat(base, ":sender:", NULL);
	g_autofree char *r1 = g_strconcat(rpfx, "+33600000001", NULL);
	g_autofree char *r2 = g_strconcat(rpfx, "+33600000002", NULL);
	g_autofree char *s1 = g_strconcat(spfx, "alice@example.org", NULL);
	g_autofree char *s2 = g_strconcat(spfx, "bob@example.org", NULL);
	StoreWindow w;

	for (int i = 0; i < 3; i++) {
		take(r1, MS0 + i, 3, &w);
		take(s1, MS0 + 10 + i, 3, &w);
	}
	for (int i = 0; i < 2; i++)
		take(r2, MS0 + i, 3, &w);
	for (int i = 0; i < 4; i++) /* the fourth refused */
		take(s2, MS0 + 20 + i, 3, &w);
	g_autoptr(GPtrArray) senders = window_list(spfx, MS0 + 100, 3);
	assert_int_equal(senders->len, 2);
	assert_entry(senders, 0, s1, 3, MS0 + 10 + WINDOW_MS);
	assert_entry(senders, 1, s2, 3, MS0 + 20 + WINDOW_MS);
	g_autoptr(GPtrArray) receivers = window_list(rpfx, MS0 + 100, 3);
	assert_int_equal(receivers->len, 1);
	assert_entry(receivers, 0, r1, 3, MS0 + WINDOW_MS);
	/* For a lower limit the key under 3 is over too, and frees when enough have left. */
	g_autoptr(GPtrArray) low = window_list(rpfx, MS0 + 100, 2);
	assert_int_equal(low->len, 2);
	assert_entry(low, 0, r1, 3, MS0 + 1 + WINDOW_MS);
	assert_entry(low, 1, r2, 2, MS0 + WINDOW_MS);
	/* Listing changed nothing: the counts are the same, and a take is refused still. */
	w = window_count(r1, MS0 + 100, WINDOW_MS, 3);
	ASSERT_WINDOW(w, FALSE, 3, MS0 + WINDOW_MS);
	/* The oldest event leaves at its time + window: then the key is under its limit. */
	g_autoptr(GPtrArray) before = window_list(rpfx, MS0 + WINDOW_MS - 1, 3);
	assert_int_equal(before->len, 1);
	g_autoptr(GPtrArray) after = window_list(rpfx, MS0 + WINDOW_MS, 3);
	assert_int_equal(after->len, 0);
	g_autoptr(GPtrArray) sleft = window_list(spfx, MS0 + 10 + WINDOW_MS, 3);
	assert_int_equal(sleft->len, 1);
	assert_entry(sleft, 0, s2, 3, MS0 + 20 + WINDOW_MS);
	/* A given-back event no longer counts. */
	give_back(s2, MS0 + 21);
	g_autoptr(GPtrArray) back = window_list(spfx, MS0 + 100, 3);
	assert_int_equal(back->len, 1);
	assert_entry(back, 0, s1, 3, MS0 + 10 + WINDOW_MS);
	/* A list is appended to: what it held stays first. */
	g_autoptr(GPtrArray) both = window_list(spfx, MS0 + 100, 3);
	g_autoptr(GError) e = NULL;
	assert_true(store_window_list(st, rpfx, MS0 + 100, WINDOW_MS, 3, both, &e));
	assert_int_equal(both->len, 2);
	assert_entry(both, 0, s1, 3, MS0 + 10 + WINDOW_MS);
	assert_entry(both, 1, r1, 3, MS0 + WINDOW_MS);
	/* Nonsense is refused, naming the store. */
	g_autoptr(GPtrArray) none = g_ptr_array_new();
	assert_false(store_window_list(st, rpfx, MS0, WINDOW_MS, 0, none, &e));
	check_store_error(e, "list with a limit of 0");
	assert_int_equal(none->len, 0);
}

/* A prefix is plain text: SQL's % and _, a glob's * ? [ ] and \ match only themselves, and
 * case counts. Each near key below would match were one of them a wildcard. A long key is
 * listed cut, one line. */
static void window_list_literal_prefix(void **s)
{
	(void)s;
	g_autofree char *base = tag("list-literal", 0);
	g_autofree char *pfx = g_strconcat(base, ":p%_*?[ab]\\x\\", NULL);
	g_autofree char *key = g_strconcat(pfx, "1", NULL);
	const char *near[] = {
		":pZZ_*?[ab]\\x\\1",  /* % */
		":p%Z*?[ab]\\x\\1",   /* _ */
		":p%_ZZ?[ab]\\x\\1",  /* * */
		":p%_*Z[ab]\\x\\1",   /* ? */
		":p%_*?a\\x\\1",      /* [ab] */
		":p%_*?[ab]x\\1",     /* \x */
		":p%_*?[ab]\\x1",     /* the last \ */
		":P%_*?[ab]\\x\\1",   /* case */
	};
	StoreWindow w;

	assert_true(take(key, MS0, 1, &w));
	for (guint i = 0; i < G_N_ELEMENTS(near); i++) {
		g_autofree char *k = g_strconcat(base, near[i], NULL);
		assert_true(take(k, MS0, 1, &w));
	}
	g_autoptr(GPtrArray) l = window_list(pfx, MS0 + 1, 1);
	if (l->len != 1)
		fail_msg("%u keys listed for the prefix %s, not 1 (the first: %s)", l->len, pfx,
		         l->len ? ((StoreWindowEntry *)l->pdata[0])->key : "none");
	assert_entry(l, 0, key, 1, MS0 + WINDOW_MS);
	/* The whole key is a prefix of itself; one byte more matches nothing. */
	g_autoptr(GPtrArray) whole = window_list(key, MS0 + 1, 1);
	assert_int_equal(whole->len, 1);
	g_autofree char *longer = g_strconcat(key, "1", NULL);
	g_autoptr(GPtrArray) none = window_list(longer, MS0 + 1, 1);
	assert_int_equal(none->len, 0);
	/* A long key with line breaks: listed as its first STORE_WINDOW_KEY_MAX bytes, the
	 * breaks made spaces, and found by a prefix holding the same. */
	g_autoptr(GString) longkey = g_string_new(base);
	g_string_append(longkey, ":long\n");
	for (int i = 0; i < 300; i++)
		g_string_append(longkey, "\xc3\xa9");
	assert_true(take(longkey->str, MS0, 1, &w));
	g_autofree char *lpfx = g_strconcat(base, ":long\n", NULL);
	g_autoptr(GPtrArray) ll = window_list(lpfx, MS0 + 1, 1);
	assert_int_equal(ll->len, 1);
	const char *got = ((StoreWindowEntry *)ll->pdata[0])->key;
	g_autofree char *want = g_strconcat(base, ":long ", NULL);
	assert_true(g_str_has_prefix(got, want));
	assert_true(strlen(got) <= STORE_WINDOW_KEY_MAX && strlen(got) >= STORE_WINDOW_KEY_MAX - 1);
	assert_true(g_utf8_validate(got, -1, NULL));
	assert_null(strchr(got, '\n'));
}

/* At most STORE_WINDOWS_MAX windows are listed, however many are over. */
static void window_list_bounded(void **s)
{
	(void)s;
	g_autofree char *base = tag("list-many", 0);
	StoreWindow w;

	for (int i = 0; i < STORE_WINDOWS_MAX + 5; i++) {
		g_autofree char *k = g_strdup_printf("%s:%04d", base, i);
		assert_true(take(k, MS0, 1, &w));
	}
	g_autoptr(GPtrArray) l = window_list(base, MS0 + 1, 1);
	assert_int_equal(l->len, STORE_WINDOWS_MAX);
	for (guint i = 1; i < l->len; i++) /* in the order of their keys */
		assert_true(strcmp(((StoreWindowEntry *)l->pdata[i - 1])->key,
		                   ((StoreWindowEntry *)l->pdata[i])->key) < 0);
}

static void hold(Store *s, const char *queue, gint64 now, const char *summary)
{
	g_autoptr(GError) e = NULL;

	if (!store_hold(s, queue, now, summary, &e))
		fail_msg("hold in %s: %s", queue, e->message);
}

/* Takes QUEUE's digest TAG at NOW into *H (clear it with store_held_clear). */
static void held_take(Store *s, const char *queue, const char *t, gint64 now, StoreHeld *h)
{
	g_autoptr(GError) e = NULL;

	if (!store_held_take(s, queue, t, now, h, &e))
		fail_msg("take %s into %s: %s", queue, t, e->message);
	assert_non_null(h->summaries);
	assert_true(h->summaries->len <= MIN(h->count, STORE_HELD_SUMMARIES));
}

static void held_end(Store *s, const char *t, gboolean done)
{
	g_autoptr(GError) e = NULL;

	if (!(done ? store_held_done(s, t, &e) : store_held_return(s, t, &e)))
		fail_msg("%s %s: %s", done ? "done" : "return", t, e->message);
}

/* QUEUE's entry in the list at NOW, copied into *Q; FALSE when it is not listed. */
static gboolean held_listed(Store *s, const char *queue, gint64 now, StoreHeldQueue *q)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	gboolean found = FALSE;

	memset(q, 0, sizeof *q);
	if (!store_held_list(s, now, all, &e))
		fail_msg("list: %s", e->message);
	assert_true(all->len <= STORE_HELD_QUEUES_MAX);
	for (guint i = 0; i < all->len; i++) {
		StoreHeldQueue *h = all->pdata[i];
		assert_true(h->count > 0);
		if (strcmp(h->queue, queue) != 0)
			continue;
		assert_false(found);
		found = TRUE;
		*q = *h;
		q->queue = g_strdup(h->queue);
		q->digest_tag = g_strdup(h->digest_tag);
	}
	return found;
}

/* Summaries I of H is "alert N". */
static void assert_summary(const StoreHeld *h, guint i, int n)
{
	g_autofree char *want = g_strdup_printf("alert %d", n);

	assert_true(i < h->summaries->len);
	assert_string_equal(h->summaries->pdata[i], want);
}

/* The digest's life: a take moves the held alerts, newest first; a second taker gets only
 * what was held since; taking again into a tag gives its alerts back (a taker that died);
 * a return holds them again with their times; done deletes them. */
static void held_digest_cycle(void **s)
{
	(void)s;
	g_autofree char *queue = tag("held", 0);
	g_autofree char *a = tag("digest-a", 0), *b = tag("digest-b", 0), *c = tag("digest-c", 0);
	StoreHeld h;
	StoreHeldQueue q;

	for (int i = 0; i < 12; i++) {
		g_autofree char *sum = g_strdup_printf("alert %d", i);
		hold(st, queue, T0 + i, sum);
	}
	assert_true(held_listed(st, queue, T0 + 12, &q));
	assert_int_equal(q.count, 12);
	assert_int_equal(q.first_at, T0);
	assert_int_equal(q.last_at, T0 + 11);
	assert_null(q.digest_tag);
	store_held_queue_clear(&q);

	held_take(st, queue, a, T0 + 20, &h);
	assert_int_equal(h.count, 12);
	assert_int_equal(h.first_at, T0);
	assert_int_equal(h.last_at, T0 + 11);
	assert_int_equal(h.summaries->len, 12);
	for (int i = 0; i < 12; i++)
		assert_summary(&h, i, 11 - i);
	store_held_clear(&h);
	/* A second taker while A is not done: nothing to take. */
	held_take(st, queue, b, T0 + 21, &h);
	assert_int_equal(h.count, 0);
	assert_int_equal(h.summaries->len, 0);
	assert_int_equal(h.first_at, 0);
	store_held_clear(&h);
	/* Held after A's take: B gets those only. */
	hold(st, queue, T0 + 30, "alert 12");
	hold(st, queue, T0 + 31, "alert 13");
	held_take(st, queue, b, T0 + 32, &h);
	assert_int_equal(h.count, 2);
	assert_int_equal(h.first_at, T0 + 30);
	assert_int_equal(h.last_at, T0 + 31);
	assert_summary(&h, 0, 13);
	assert_summary(&h, 1, 12);
	store_held_clear(&h);
	/* A taken again (its taker died): A's alerts, nothing new. */
	hold(st, queue, T0 + 33, "alert 14");
	held_take(st, queue, a, T0 + 34, &h);
	assert_int_equal(h.count, 12);
	assert_int_equal(h.last_at, T0 + 11);
	assert_summary(&h, 0, 11);
	store_held_clear(&h);
	/* Listed: everything not done, the earliest digest taken. */
	assert_true(held_listed(st, queue, T0 + 35, &q));
	assert_int_equal(q.count, 15);
	assert_int_equal(q.first_at, T0);
	assert_int_equal(q.last_at, T0 + 33);
	assert_string_equal(q.digest_tag, a);
	store_held_queue_clear(&q);
	/* A did not go: held again with their times, and C takes them with alert 14. */
	held_end(st, a, FALSE);
	held_take(st, queue, a, T0 + 36, &h); /* a returned tag holds nothing any more */
	assert_int_equal(h.count, 13);
	store_held_clear(&h);
	held_end(st, a, FALSE);
	held_take(st, queue, c, T0 + 37, &h);
	assert_int_equal(h.count, 13);
	assert_int_equal(h.first_at, T0);
	assert_int_equal(h.last_at, T0 + 33);
	assert_summary(&h, 0, 14);
	for (int i = 1; i < 13; i++)
		assert_summary(&h, (guint)i, 12 - i);
	store_held_clear(&h);
	assert_true(held_listed(st, queue, T0 + 38, &q));
	assert_int_equal(q.count, 15);
	assert_string_equal(q.digest_tag, b);
	store_held_queue_clear(&q);
	/* Done: gone. A done or returned tag, or one never taken, ends nothing. */
	held_end(st, c, TRUE);
	held_end(st, c, TRUE);
	held_end(st, c, FALSE);
	assert_true(held_listed(st, queue, T0 + 39, &q));
	assert_int_equal(q.count, 2);
	assert_int_equal(q.first_at, T0 + 30);
	store_held_queue_clear(&q);
	held_end(st, b, TRUE);
	assert_false(held_listed(st, queue, T0 + 40, &q));
	held_take(st, queue, c, T0 + 41, &h);
	assert_int_equal(h.count, 0);
	store_held_clear(&h);
}

/* Summaries are one line and bounded like a Subject; a digest quotes the newest
 * STORE_HELD_SUMMARIES but counts them all; queues are cut, and listed oldest first. */
static void held_bounded(void **s)
{
	(void)s;
	g_autofree char *queue = tag("held-many", 0), *t = tag("digest-many", 0);
	g_autoptr(GString) sum = g_string_new("Disk full\r\n on db1 ");
	StoreHeld h;
	StoreHeldQueue q;

	for (int i = 0; i < 150; i++)
		g_string_append(sum, "\xc3\xa9");
	hold(st, queue, T0 - 10, sum->str);
	for (int i = 0; i < 60; i++) {
		g_autofree char *line = g_strdup_printf("alert %d", i);
		hold(st, queue, T0, line);
	}
	held_take(st, queue, t, T0 + 1, &h);
	assert_int_equal(h.count, 61);
	assert_int_equal(h.first_at, T0 - 10);
	assert_int_equal(h.summaries->len, STORE_HELD_SUMMARIES);
	for (int i = 0; i < STORE_HELD_SUMMARIES; i++) /* one second, kept in their order */
		assert_summary(&h, (guint)i, 59 - i);
	store_held_clear(&h);
	held_end(st, t, FALSE);
	held_take(st, queue, t, T0 + 1, &h);
	assert_int_equal(h.count, 61);
	store_held_clear(&h);
	g_autofree char *t2 = tag("digest-many", 1);
	held_end(st, t, TRUE);
	hold(st, queue, T0 + 2, sum->str);
	held_take(st, queue, t2, T0 + 3, &h);
	assert_int_equal(h.count, 1);
	const char *got = h.summaries->pdata[0];
	assert_true(strlen(got) <= STORE_SUBJECT_MAX);
	assert_true(g_str_has_prefix(got, "Disk full   on db1 \xc3\xa9"));
	assert_null(strpbrk(got, "\r\n"));
	assert_true(g_utf8_validate(got, -1, NULL));
	store_held_clear(&h);
	held_end(st, t2, TRUE);
	/* A queue's name is one line, cut: the name held under is the name listed. */
	g_autoptr(GString) longq = g_string_new(queue);
	g_string_append(longq, "\n");
	for (int i = 0; i < 300; i++)
		g_string_append(longq, "\xc3\xa9");
	hold(st, longq->str, T0 - 30, "long");
	g_autofree char *cut = g_strdup(longq->str);
	cut[strlen(queue)] = ' ';
	cut[STORE_QUEUE_MAX - (STORE_QUEUE_MAX - strlen(queue) - 1) % 2] = '\0';
	assert_true(g_utf8_validate(cut, -1, NULL));
	assert_true(held_listed(st, cut, T0, &q));
	assert_int_equal(q.count, 1);
	store_held_queue_clear(&q);
	/* Oldest first: this queue before one held later. */
	g_autofree char *later = tag("held-later", 0);
	hold(st, later, T0 - 20, "later");
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	g_autoptr(GError) e = NULL;
	assert_true(store_held_list(st, T0, all, &e));
	int at_cut = -1, at_later = -1;
	for (guint i = 0; i < all->len; i++) {
		StoreHeldQueue *x = all->pdata[i];
		if (strcmp(x->queue, cut) == 0)
			at_cut = (int)i;
		if (strcmp(x->queue, later) == 0)
			at_later = (int)i;
	}
	assert_true(at_cut >= 0 && at_later > at_cut);
	g_autofree char *t3 = tag("digest-many", 3), *t4 = tag("digest-many", 4);
	held_take(st, longq->str, t3, T0, &h);
	assert_int_equal(h.count, 1);
	store_held_clear(&h);
	held_take(st, later, t4, T0, &h);
	store_held_clear(&h);
	held_end(st, t3, TRUE);
	held_end(st, t4, TRUE);
	/* Nonsense is refused, naming the store. */
	assert_false(store_held_take(st, "\n", t3, T0, &h, &e));
	check_store_error(e, "take from a queue with no name");
	assert_int_equal(h.count, 0);
	store_held_clear(&h);
	g_clear_error(&e);
	assert_false(store_held_done(st, "", &e));
	check_store_error(e, "done with no tag");
}

/* A held alert is forgotten keep seconds after it was held, in a digest or not: by the
 * caller's clock, whatever the backend prunes when. Far in the past, so that this case's
 * writes prune nothing of the others'. */
static void held_forgotten_after_keep(void **s)
{
	(void)s;
	const gint64 th = T0 - 20000000, keep = 100;
	Store *k = open_store(keep);
	g_autofree char *queue = tag("held-keep", 0);
	g_autofree char *t = tag("digest-keep", 0), *u = tag("digest-keep", 1);
	StoreHeldQueue q;
	StoreHeld h;

	hold(k, queue, th, "old");
	hold(k, queue, th + 50, "young");
	assert_true(held_listed(k, queue, th + keep - 1, &q));
	assert_int_equal(q.count, 2);
	store_held_queue_clear(&q);
	assert_true(held_listed(k, queue, th + keep + 1, &q));
	assert_int_equal(q.count, 1);
	assert_int_equal(q.first_at, th + 50);
	store_held_queue_clear(&q);
	held_take(k, queue, t, th + keep + 1, &h);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.summaries->pdata[0], "young");
	store_held_clear(&h);
	/* In a digest too. */
	assert_false(held_listed(k, queue, th + keep + 51, &q));
	held_take(k, queue, t, th + keep + 51, &h);
	assert_int_equal(h.count, 0);
	store_held_clear(&h);
	held_take(k, queue, u, th + keep + 51, &h);
	assert_int_equal(h.count, 0);
	store_held_clear(&h);
	store_close(k);
}

/* Holds N alerts "WHO-I" in QUEUE at NOW, and after every 5th takes a digest (tags
 * QUEUE:WHO:J) and says it done. One line per digest in OUT: its count, then its summaries;
 * "E why" for an error. */
static void held_worker(Store *s, const char *queue, const char *who, int n, gint64 now,
                        GString *out)
{
	GError *e = NULL;

	for (int i = 0; i < n; i++) {
		g_autofree char *sum = g_strdup_printf("%s-%d", who, i);
		if (!store_hold(s, queue, now, sum, &e))
			break;
		if (i % 5 != 4)
			continue;
		g_autofree char *t = g_strdup_printf("%s:%s:%d", queue, who, i);
		StoreHeld h;
		if (!store_held_take(s, queue, t, now, &h, &e)) {
			store_held_clear(&h);
			break;
		}
		g_string_append_printf(out, "%u", h.count);
		for (guint k = 0; k < h.summaries->len; k++)
			g_string_append_printf(out, " %s", (char *)h.summaries->pdata[k]);
		g_string_append_c(out, '\n');
		guint n_taken = h.count;
		store_held_clear(&h);
		if (n_taken > 0 && !store_held_done(s, t, &e))
			break;
	}
	if (e != NULL) {
		g_string_append_printf(out, "E %s\n", e->message);
		g_error_free(e);
	}
}

/* Every alert of WORKERS workers' OUTPUT (their lines) is in exactly one digest: counts
 * sum up to the alerts held (with a last take for what remains), and no summary is in two
 * digests. */
static void check_digests_once(const char *output, const char *queue, int workers)
{
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *last = g_strconcat(queue, ":last", NULL);
	guint total = 0, digests = 0;
	gboolean all_quoted = TRUE;
	StoreHeld h;

	held_take(st, queue, last, T0 + 1, &h);
	g_autoptr(GString) more = g_string_new(NULL);
	g_string_append_printf(more, "%u", h.count);
	for (guint k = 0; k < h.summaries->len; k++)
		g_string_append_printf(more, " %s", (char *)h.summaries->pdata[k]);
	store_held_clear(&h);
	held_end(st, last, TRUE);
	for (char **l = lines; ; l++) {
		const char *line = *l != NULL ? *l : more->str;
		if (line[0] == '\0')
			continue;
		if (line[0] == 'E')
			fail_msg("a worker failed: %s", line);
		g_auto(GStrv) f = g_strsplit(line, " ", -1);
		guint n = (guint)atoi(f[0]);
		total += n;
		digests += n > 0;
		all_quoted &= g_strv_length(f) - 1 == n;
		for (char **x = f + 1; *x != NULL; x++)
			if (!g_hash_table_add(seen, g_strdup(*x)))
				fail_msg("alert %s is in two digests", *x);
		if (*l == NULL)
			break;
	}
	if (total != (guint)(workers * HELD_PER_WORKER))
		fail_msg("%u alerts in digests, %d held", total, workers * HELD_PER_WORKER);
	if (all_quoted && g_hash_table_size(seen) != total)
		fail_msg("%u alerts quoted, %u counted", g_hash_table_size(seen), total);
	print_message("# %u alerts in %u digests\n", total, digests);
	StoreHeldQueue q;
	assert_false(held_listed(st, queue, T0 + 2, &q));
}

static gpointer held_thread(gpointer p)
{
	Crowd *c = p;
	g_autofree char *who = g_strdup_printf("t%d", g_atomic_int_add(&c->next, 1));
	g_autoptr(GString) out = g_string_new(NULL);

	pthread_barrier_wait(c->barrier);
	held_worker(c->store, c->name, who, HELD_PER_WORKER, T0, out);
	g_mutex_lock(&c->lock);
	g_string_append(c->out, out->str);
	g_mutex_unlock(&c->lock);
	return NULL;
}

/* 16 threads hold into one queue and take digests of it: each alert in one digest. */
static void threads_held_digests_once(void **s)
{
	(void)s;
	g_autofree char *queue = tag("held-threads", 0);
	Crowd c = { .store = st, .name = queue, .out = g_string_new(NULL) };

	g_mutex_init(&c.lock);
	run_threads(held_thread, &c);
	g_mutex_clear(&c.lock);
	check_digests_once(c.out->str, queue, THREADS);
	g_string_free(c.out, TRUE);
}

static void processes_4_held_digests_once(void **s)
{
	(void)s;
	g_autofree char *queue = tag("held-procs", 0);
	g_auto(GStrv) outputs = run_children("held", queue, HELD_PER_WORKER, T0);
	g_autofree char *all = g_strjoinv("", outputs);

	check_digests_once(all, queue, PROCS);
}

/* pruning_sqlite's window: its events outlive the young record's write (keep - 1 s after
 * them) and not the writers' (keep + 50 s after). */
#define PRUNE_WINDOW_MS 220000

/* What is left of pruning_sqlite's old records of each kind: jobs, held alerts, window
 * events, values, texts. */
typedef struct {
	int n[5];
} PruneLeft;

static PruneLeft prune_left(Store *s, gint64 base, const char *queue, const char *wkey,
                            gint64 tp, int old)
{
	PruneLeft l = { { 0 } };
	g_autoptr(GError) e = NULL;
	StoreHeldQueue q;
	StoreWindow w;

	for (int i = 0; i < old; i++) {
		g_autofree char *v = tag("prune-value", i);
		gint64 value, at;
		l.n[0] += lookup(s, base + i, NULL);
		if (!store_get_value(s, v, &value, &at, &e))
			fail_msg("get %s: %s", v, e->message);
		l.n[3] += at != 0;
		g_autofree char *text = text_of(s, v, &at);
		l.n[4] += text != NULL;
	}
	/* Seen from the time they were written, when nothing of them had expired. */
	if (held_listed(s, queue, tp + 1, &q))
		l.n[1] = (int)q.count;
	store_held_queue_clear(&q);
	if (!store_window_count(s, wkey, tp * 1000 + 100, PRUNE_WINDOW_MS, 1000, &w, &e))
		fail_msg("count %s: %s", wkey, e->message);
	l.n[2] = (int)w.count;
	return l;
}

/* sqlite: old records go as new ones are written, at most STORE_PRUNE_PER_WRITE a write of
 * each kind (jobs, held alerts, window events, values, texts), oldest first. In a file of
 * its own: job records are taken in the order they were last changed in, which the other
 * cases' made-up times do not follow. */
static void pruning_sqlite(void)
{
	static const char *const kinds[] = { "records", "held alerts", "window events", "values",
		                             "texts" };
	/* keep above TIMEOUT, so that a claim can expire before its record is old. */
	const gint64 tp = T0 - 10000000, keep = 200;
	const int old = 30;
	g_autofree char *path = side_path("prune.db");
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	unlink(path);
	Store *s = open_at(sp, keep, 0);
	gint64 base = 2000000 + (g_get_real_time() % 1000000) * 1000;
	g_autofree char *queue = tag("prune-held", 0), *wkey = tag("prune-window", 0);
	g_autoptr(GError) e = NULL;
	StoreWindow win;
	/* Claimed long ago, before the old records, then sent, marked in doubt or taken over
	 * lately: kept from then, and moved past the old ones, which go first. */
	g_autofree char *late = tag("prune-late", 0);
	g_autofree char *doubt = tag("prune-doubt", 0), *over = tag("prune-over", 0);
	assert_int_equal(claim(s, late, tp, NULL), CLAIM_WON);
	assert_int_equal(claim(s, doubt, tp, NULL), CLAIM_WON);
	assert_int_equal(claim(s, over, tp + keep - 1 - TIMEOUT, NULL), CLAIM_WON);
	assert_true(TIMEOUT < keep);

	for (int i = 0; i < old; i++) {
		g_autofree char *t = tag("prune", i);
		g_autofree char *v = tag("prune-value", i);
		g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, base + i);
		sent(s, t, tp, ids, NULL);
		hold(s, queue, tp, "old");
		if (!store_window_take(s, wkey, tp * 1000 + i, PRUNE_WINDOW_MS, 1000, &win, &e) ||
		    !store_add_value(s, v, 1, tp, NULL, &e) ||
		    !store_set_text(s, v, "old", tp, &e))
			fail_msg("old records: %s", e->message);
	}
	g_autofree char *young = tag("prune-young", 0);
	g_autofree char *yids = g_strdup_printf("%" G_GINT64_FORMAT, base + 999);
	sent(s, young, tp + keep - 1, yids, NULL);
	g_autofree char *lids = g_strdup_printf("%" G_GINT64_FORMAT, base + 998);
	sent(s, late, tp + keep - 1, lids, NULL);
	assert_true(store_doubt(s, doubt, tp + keep - 1, &e));
	assert_int_equal(claim(s, over, tp + keep - 1, NULL), CLAIM_IN_DOUBT);
	PruneLeft left = prune_left(s, base, queue, wkey, tp, old);
	for (guint k = 0; k < G_N_ELEMENTS(left.n); k++)
		assert_int_equal(left.n[k], old);
	for (int w = 0; left.n[0] + left.n[1] + left.n[2] + left.n[3] + left.n[4] > 0; w++) {
		g_autofree char *t = tag("prune-writer", w);
		assert_int_equal(claim(s, t, tp + keep + 50, NULL), CLAIM_WON);
		PruneLeft now_left = prune_left(s, base, queue, wkey, tp, old);
		for (guint k = 0; k < G_N_ELEMENTS(left.n); k++) {
			int removed = left.n[k] - now_left.n[k];
			if (removed != MIN(left.n[k], STORE_PRUNE_PER_WRITE))
				fail_msg("write %d removed %d of %d old %s (bound %d)", w, removed,
				         left.n[k], kinds[k], STORE_PRUNE_PER_WRITE);
		}
		left = now_left;
	}
	assert_int_equal(lookup(s, base + 999, NULL), 1);
	assert_int_equal(lookup(s, base + 998, NULL), 1);
	assert_int_equal(claim(s, doubt, tp + keep + 51, NULL), CLAIM_IN_DOUBT);
	assert_int_equal(claim(s, over, tp + keep + 51, NULL), CLAIM_BUSY);
	g_autofree char *t0 = tag("prune", 0);
	assert_int_equal(claim(s, t0, tp + keep + 51, NULL), CLAIM_WON);
	store_close(s);
}

/* Redis: keys expire keep seconds after their last write, by Redis's own clock; values,
 * texts and held alerts (in a digest or not) too, and a window's events a window after the last. */
static void pruning_redis(void)
{
	Store *s = open_store(1);
	gint64 id = 3000000 + (g_get_real_time() % 1000000) * 1000;
	g_autofree char *t = tag("prune", 0);
	g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, id);
	g_autofree char *queue = tag("prune-held", 0), *d = tag("prune-digest", 0);
	g_autofree char *v = tag("prune-value", 0), *wkey = tag("prune-window", 0);
	g_autoptr(GError) e = NULL;
	StoreHeldQueue q;
	StoreWindow w;
	StoreHeld h;
	gint64 value, at;

	sent(s, t, T0, ids, NULL);
	hold(s, queue, T0, "in a digest");
	held_take(s, queue, d, T0, &h);
	store_held_clear(&h);
	hold(s, queue, T0, "held");
	assert_true(store_add_value(s, v, 1, T0, NULL, &e));
	set_text(s, v, "kept one second", T0);
	assert_true(store_window_take(s, wkey, MS0, 1000, 5, &w, &e));
	assert_int_equal(lookup(s, id, NULL), 1);
	assert_int_equal(claim(s, t, T0 + 1, NULL), CLAIM_SENT);
	assert_true(held_listed(s, queue, T0, &q));
	assert_int_equal(q.count, 2);
	store_held_queue_clear(&q);
	g_usleep(2200 * 1000);
	assert_int_equal(lookup(s, id, NULL), 0);
	assert_int_equal(claim(s, t, T0 + 2, NULL), CLAIM_WON);
	assert_false(held_listed(s, queue, T0, &q));
	held_take(s, queue, d, T0, &h);
	assert_int_equal(h.count, 0);
	store_held_clear(&h);
	assert_true(store_get_value(s, v, &value, &at, &e));
	assert_int_equal(at, 0);
	g_autofree char *text = text_of(s, v, &at);
	assert_null(text);
	assert_true(store_window_count(s, wkey, MS0, 1000, 5, &w, &e));
	assert_int_equal(w.count, 0);
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

/* JSON with non-ASCII text, as status.c keeps its facts. */
#define A_JSON "{\"ids\":[27814656],\"reason\":\"d\xc3\xa9j\xc3\xa0 \xc3\xa9t\xc3\xa9\"}"

/* A text: none at first; then the newest set, seen by another opening too; a set older
 * than the text kept changes nothing; a value of the same name is another thing. */
static void named_texts(void **s)
{
	(void)s;
	g_autofree char *name = tag("text", 0);
	g_autofree char *never = tag("text-never", 0);
	g_autoptr(GError) e = NULL;
	gint64 at = 1, v = 0, vat = 0;
	Store *other = open_store(0);
	g_autofree char *t0 = text_of(st, name, &at);

	assert_null(t0);
	assert_int_equal(at, 0);
	set_text(st, name, "first", T0);
	set_text(st, name, A_JSON, T0 + 5);
	g_autofree char *t1 = text_of(other, name, &at);
	assert_string_equal(t1, A_JSON);
	assert_int_equal(at, T0 + 5);
	/* Written late by a slower process: the newer text stays. */
	set_text(other, name, "older", T0 + 4);
	g_autofree char *t2 = text_of(st, name, &at);
	assert_string_equal(t2, A_JSON);
	assert_int_equal(at, T0 + 5);
	/* The same second: the last set wins. */
	set_text(other, name, "same second", T0 + 5);
	g_autofree char *t3 = text_of(st, name, &at);
	assert_string_equal(t3, "same second");
	/* Values and texts are two namespaces. */
	assert_true(store_set_value(st, name, 12, T0 + 6, &e));
	g_autofree char *t4 = text_of(st, name, &at);
	assert_string_equal(t4, "same second");
	assert_int_equal(at, T0 + 5);
	assert_true(store_get_value(st, name, &v, &vat, &e));
	assert_int_equal(v, 12);
	set_text(st, never, "a text only", T0);
	assert_true(store_get_value(st, never, &v, &vat, &e));
	assert_int_equal(vat, 0);
	store_close(other);
}

/* A text is one line of at most STORE_TEXT_MAX bytes, cut on a character boundary; a name
 * too long or empty is refused, naming the store. */
static void text_bounded(void **s)
{
	(void)s;
	g_autofree char *name = tag("text-long", 0);
	g_autofree char *toolong = g_strnfill(STORE_NAME_MAX + 1, 'n');
	g_autoptr(GString) big = g_string_new("two\nlines\r");
	g_autoptr(GError) e = NULL;
	char *none = NULL;
	gint64 at;

	/* "é" is two bytes after an odd start: one of them straddles the bound. */
	while (big->len < STORE_TEXT_MAX + 100)
		g_string_append(big, "\xc3\xa9");
	set_text(st, name, big->str, T0);
	g_autofree char *t = text_of(st, name, &at);
	assert_non_null(t);
	assert_true(strlen(t) <= STORE_TEXT_MAX);
	assert_true(strlen(t) >= STORE_TEXT_MAX - 1);
	assert_true(g_utf8_validate(t, -1, NULL));
	assert_true(g_str_has_prefix(t, "two lines "));
	assert_null(strpbrk(t, "\r\n"));

	assert_false(store_set_text(st, toolong, "x", T0, &e));
	check_store_error(e, "set a text with a name too long");
	g_clear_error(&e);
	assert_false(store_get_text(st, "", &none, &at, &e));
	assert_null(none);
	check_store_error(e, "get a text with no name");
}

typedef struct {
	const char *name;
	pthread_barrier_t *barrier;
	gint next, errors;
} TextCrowd;

/* One of THREADS writers with a store of its own (a connection of its own): it sets the
 * text at T0 + its number once every writer is ready. */
static gpointer text_writer(gpointer p)
{
	TextCrowd *c = p;
	int k = g_atomic_int_add(&c->next, 1);
	Store *mine = open_store(0);
	g_autofree char *text = g_strdup_printf("writer %d", k);
	g_autoptr(GError) e = NULL;

	pthread_barrier_wait(c->barrier);
	if (!store_set_text(mine, c->name, text, T0 + k, &e))
		g_atomic_int_inc(&c->errors);
	store_close(mine);
	return NULL;
}

/* 16 writers at once, each at its own time: the newest stays, whatever order they reached
 * the store in. */
static void threads_16_text_newest(void **s)
{
	(void)s;
	g_autofree char *name = tag("text-threads", 0);
	g_autofree char *want = g_strdup_printf("writer %d", THREADS - 1);
	pthread_barrier_t barrier;
	TextCrowd c = { .name = name, .barrier = &barrier };
	GThread *th[THREADS];
	gint64 at;

	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int k = 0; k < THREADS; k++)
		th[k] = g_thread_new("text", text_writer, &c);
	for (int k = 0; k < THREADS; k++)
		g_thread_join(th[k]);
	pthread_barrier_destroy(&barrier);
	assert_int_equal(c.errors, 0);
	g_autofree char *t = text_of(st, name, &at);
	assert_string_equal(t, want);
	assert_int_equal(at, T0 + THREADS - 1);
}

/* 4 processes each set the text ADDS times, at T0, T0 + 1, ...: the one kept is at the
 * latest time, written by one of them. */
static void processes_4_text_newest(void **s)
{
	(void)s;
	g_autofree char *name = tag("text-procs", 0);
	g_autofree char *suffix = g_strdup_printf(":%d", ADDS - 1);
	g_auto(GStrv) outputs = run_children("text", name, ADDS, T0);
	gint64 at;

	for (int k = 0; k < PROCS; k++)
		if (count_char(outputs[k], 'T') != ADDS)
			fail_msg("process %d: %s", k, outputs[k]);
	g_autofree char *t = text_of(st, name, &at);
	assert_int_equal(at, T0 + ADDS - 1);
	assert_true(g_str_has_prefix(t, "p") && g_str_has_suffix(t, suffix));
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

/* Connections to the Redis under test, all clients counted (M2S_STORE_CLIENTS prints it). */
static int redis_clients(void)
{
	const char *cmd = getenv("M2S_STORE_CLIENTS");
	FILE *f = cmd != NULL ? popen(cmd, "r") : NULL;
	int n = -1;

	if (f == NULL || fscanf(f, "%d", &n) != 1 || pclose(f) != 0 || n < 0)
		fail_msg("M2S_STORE_CLIENTS (%s) printed no count", cmd != NULL ? cmd : "unset");
	return n;
}

/* One store's connections: one for calls made one at a time; more while threads wait on
 * Redis together, so that one thread's round trip does not hold up the others, but never
 * more than REDIS_CONNECTIONS (8, store_redis.c) whatever the threads; all closed with the
 * store. */
static void redis_connections_bounded(void **s)
{
	(void)s;
	int base = redis_clients();
	Store *mine = open_store(0);
	g_autofree char *one = tag("connections-one", 0);
	g_autofree char *many = tag("connections-threads", 0);
	g_autoptr(GError) e = NULL;

	for (int i = 0; i < ADDS; i++)
		assert_true(store_add_value(mine, one, 1, T0, NULL, &e));
	assert_int_equal(redis_clients() - base, 1);
	Crowd c = { .store = mine, .name = many };
	run_threads(adder_thread, &c);
	assert_int_equal(c.errors, 0);
	int used = redis_clients() - base;
	if (used < 2 || used > 8)
		fail_msg("%d connections for %d threads, not 2 to 8", used, THREADS);
	print_message("# %d connections for %d threads\n", used, THREADS);
	store_close(mine);
	/* Redis notices a closed connection at its next event loop turn. */
	for (int i = 0; i < 50 && redis_clients() != base; i++)
		g_usleep(20 * 1000);
	assert_int_equal(redis_clients(), base);
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
	g_autofree char *path = side_path("wal.db");
	g_autofree char *wal = g_strconcat(path, "-wal", NULL);
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autoptr(GError) e = NULL;
	Store *w = NULL;

	assert_true(store_open(sp, NULL, &w, &e));
	write_jobs(w, "wal", 3000);
	/* Checkpointed: the jobs are in the file itself, not only in its WAL. */
	assert_true(file_size(path) > 200000);
	/* 4096 pages of 2 KiB before a checkpoint, and the commits made while it ran. */
	if (file_size(wal) > 16 * 1024 * 1024)
		fail_msg("the WAL holds %" G_GINT64_FORMAT " bytes after 3000 jobs", file_size(wal));
	assert_int_equal(unlink(path), 0);
	write_jobs(w, "wal-after", 3000);
	if (file_size(wal) > 16 * 1024 * 1024)
		fail_msg("the new file's WAL holds %" G_GINT64_FORMAT " bytes", file_size(wal));
	g_autofree char *first = tag("wal", 0);
	g_autofree char *last = tag("wal-after", 2999);
	assert_int_equal(claim(w, first, T0 + 1, NULL), CLAIM_WON);
	assert_int_equal(claim(w, last, T0 + 1, NULL), CLAIM_SENT);
	store_close(w);
}

/* Job records written under a clock ahead, at the head of the order once it is set back,
 * do not stop pruning: they are kept from the next write, and the records behind them go
 * when they are old. */
static void sqlite_prune_after_clock_ahead(void **s)
{
	(void)s;
	const gint64 tp = T0 - 20000000, keep = 100, ahead = 100000;
	const int n = 2 * STORE_PRUNE_PER_WRITE + 3, bound = 2 * (2 * n / STORE_PRUNE_PER_WRITE + 1);
	g_autofree char *path = side_path("ahead.db");
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	gint64 base = 4000000 + (g_get_real_time() % 1000000) * 1000;
	int w = 0, left = n;

	unlink(path);
	Store *s2 = open_at(sp, keep, 0);
	for (int i = 0; i < n; i++) {
		g_autofree char *t = tag("ahead", i);
		g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, base + n + i);
		sent(s2, t, tp + ahead, ids, NULL);
	}
	/* The clock set back. */
	for (int i = 0; i < n; i++) {
		g_autofree char *t = tag("ahead-old", i);
		g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, base + i);
		sent(s2, t, tp, ids, NULL);
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(lookup(s2, base + n + i, NULL), 1);
	for (; left > 0 && w < bound; w++) {
		g_autofree char *t = tag("ahead-writer", w);
		assert_int_equal(claim(s2, t, tp + keep + 50, NULL), CLAIM_WON);
		left = 0;
		for (int i = 0; i < n; i++)
			left += lookup(s2, base + i, NULL);
	}
	if (left > 0)
		fail_msg("%d of %d old records left after %d writes", left, n, w);
	store_close(s2);
}

/* The integer SQL reads first in the file at PATH (a count, a pragma), -1 for none. */
static int count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* The job ids of a forgotten record (a tag naming the content, forgotten once sent) go
 * with it: nothing else would ever remove them, since pruning finds job ids through
 * their record. */
static void sqlite_forgotten_jobs_go(void **s)
{
	(void)s;
	g_autofree char *t = tag("forgotten-jobs", 0);
	g_autoptr(GError) e = NULL;

	assert_int_equal(claim(st, t, T0, NULL), CLAIM_WON);
	sent(st, t, T0, "9100001,9100002", NULL);
	assert_int_equal(lookup(st, 9100002, NULL), 1);
	assert_true(store_forget(st, t, T0, &e));
	assert_int_equal(count_rows(sqlite_path(), "SELECT count(*) FROM jobs"
	                                           " WHERE id IN (9100001, 9100002)"), 0);
	assert_int_equal(lookup(st, 9100002, NULL), 0);
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

/* The schema of a file mail2sms wrote before flood control (version 2). */
static const char schema_2[] =
	"CREATE TABLE tags (tag TEXT PRIMARY KEY, state INTEGER NOT NULL,"
	" claimed_at INTEGER NOT NULL, doubt_since INTEGER NOT NULL DEFAULT 0,"
	" ids TEXT, credits REAL, receivers TEXT, queue_id TEXT, sender TEXT, message_id TEXT,"
	" subject TEXT, sent_at INTEGER, touched INTEGER NOT NULL);"
	"CREATE INDEX tags_touched ON tags(touched, tag);"
	"CREATE TABLE jobs (id INTEGER PRIMARY KEY, tag TEXT NOT NULL);"
	"CREATE INDEX jobs_tag ON jobs(tag);"
	"CREATE TABLE vals (name TEXT PRIMARY KEY, value INTEGER NOT NULL, at INTEGER NOT NULL);"
	"CREATE TABLE numbers (mail TEXT NOT NULL, number TEXT NOT NULL, tag TEXT NOT NULL,"
	" at INTEGER NOT NULL, PRIMARY KEY (mail, number));"
	"CREATE INDEX numbers_at ON numbers(at);"
	"PRAGMA user_version=2;";

/* The schema this mail2sms writes (store_sqlite.c). */
#define SCHEMA_NOW 6

/* PATH's schema version. */
static int schema_version(const char *path)
{
	return count_rows(path, "PRAGMA user_version");
}

/* A file of schema 2 (before flood control) is upgraded where it is: its records and
 * values stay, and flood control's tables and the texts' come. */
static void sqlite_schema_2_upgraded(void **s)
{
	(void)s;
	g_autofree char *path = side_path("schema2.db");
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autofree char *t = tag("schema2", 0), *queue = tag("schema2-held", 0);
	g_autofree char *d = tag("schema2-digest", 0);
	g_autofree char *ins = g_strdup_printf("INSERT INTO tags (tag, state, claimed_at, ids,"
	                                       " touched) VALUES ('%s', %d, %d, '77', %d);"
	                                       "INSERT INTO vals VALUES ('credits', 4, %d);",
	                                       t, STORE_SENT, T0, T0, T0);
	g_autoptr(GError) e = NULL;
	sqlite3 *db = NULL;
	Store *s2 = NULL;
	StoreRecord r;
	StoreWindow w;
	StoreHeld h;
	gint64 total = 0;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_2, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(schema_version(path), 2);
	if (!store_open(sp, NULL, &s2, &e))
		fail_msg("open %s: %s", sp, e->message);
	assert_int_equal(schema_version(path), SCHEMA_NOW);
	assert_int_equal(claim(s2, t, T0 + 1, &r), CLAIM_SENT);
	assert_string_equal(r.ids, "77");
	store_record_clear(&r);
	assert_true(store_add_value(s2, "credits", 3, T0 + 1, &total, &e));
	assert_int_equal(total, 7);
	assert_true(store_window_take(s2, t, MS0, WINDOW_MS, 1, &w, &e));
	assert_true(w.admitted);
	hold(s2, queue, T0, "after the upgrade");
	held_take(s2, queue, d, T0, &h);
	assert_int_equal(h.count, 1);
	store_held_clear(&h);
	gint64 at;
	set_text(s2, t, "a text after the upgrade", T0);
	g_autofree char *text = text_of(s2, t, &at);
	assert_string_equal(text, "a text after the upgrade");
	store_close(s2);
}

/* What schema 3 (flood control) added to schema 2: windows whose events keep no text. */
static const char schema_3_more[] =
	"CREATE TABLE windows (key TEXT NOT NULL, at INTEGER NOT NULL, expires INTEGER NOT NULL);"
	"CREATE INDEX windows_key ON windows(key, at);"
	"CREATE INDEX windows_expires ON windows(expires);"
	"CREATE TABLE held (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, at INTEGER NOT NULL,"
	" summary TEXT NOT NULL, digest TEXT, taken INTEGER);"
	"CREATE INDEX held_queue ON held(queue, digest, at);"
	"CREATE INDEX held_digest ON held(digest) WHERE digest IS NOT NULL;"
	"CREATE INDEX held_at ON held(at);"
	"CREATE INDEX vals_at ON vals(at);"
	"PRAGMA user_version=3;";

/* A file of schema 3 is upgraded where it is: its window events still count, and a key
 * is listed once a take of this version kept its text. */
static void sqlite_schema_3_upgraded(void **s)
{
	(void)s;
	g_autofree char *path = side_path("schema3.db");
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autofree char *pfx = tag("schema3", 0);
	g_autofree char *key = g_strconcat(pfx, ":sender:old@example.org", NULL);
	/* The store keys a window by its key's SHA-256 (src/store.c, window_key). */
	g_autofree char *hashed = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
	g_autofree char *ins = g_strdup_printf("INSERT INTO windows VALUES ('%s', %" G_GINT64_FORMAT
	                                       ", %" G_GINT64_FORMAT ");", hashed, MS0,
	                                       MS0 + WINDOW_MS);
	g_autoptr(GError) e = NULL;
	sqlite3 *db = NULL;
	Store *s2 = NULL;
	StoreWindow w;

	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_2, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_3_more, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(schema_version(path), 3);
	if (!store_open(sp, NULL, &s2, &e))
		fail_msg("open %s: %s", sp, e->message);
	assert_int_equal(schema_version(path), SCHEMA_NOW);
	assert_true(store_window_count(s2, key, MS0 + 1, WINDOW_MS, 3, &w, &e));
	assert_int_equal(w.count, 1);
	g_autoptr(GPtrArray) l = g_ptr_array_new();
	assert_true(store_window_list(s2, pfx, MS0 + 1, WINDOW_MS, 1, l, &e));
	assert_int_equal(l->len, 0);
	assert_true(store_window_take(s2, key, MS0 + 1, WINDOW_MS, 3, &w, &e));
	assert_true(store_window_take(s2, key, MS0 + 2, WINDOW_MS, 3, &w, &e));
	assert_int_equal(w.count, 3);
	assert_true(store_window_list(s2, pfx, MS0 + 3, WINDOW_MS, 3, l, &e));
	assert_int_equal(l->len, 1);
	const StoreWindowEntry *x = l->pdata[0];
	assert_string_equal(x->key, key);
	assert_int_equal(x->count, 3);
	assert_int_equal(x->frees_at_ms, MS0 + WINDOW_MS);
	store_close(s2);
	/* Opened again: already upgraded, nothing to do. */
	if (!store_open(sp, NULL, &s2, &e))
		fail_msg("open %s again: %s", sp, e->message);
	store_close(s2);
}

/* A file of schema 4 (before the texts) is upgraded where it is: its values stay, texts
 * can be kept. It is made as this version makes one, its texts table taken away. */
static void sqlite_schema_4_upgraded(void **s)
{
	(void)s;
	g_autofree char *path = side_path("schema4.db");
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autofree char *name = tag("schema4", 0);
	g_autoptr(GError) e = NULL;
	sqlite3 *db = NULL;
	Store *s2 = NULL;
	gint64 v = 0, at = 0;

	unlink(path);
	if (!store_open(sp, NULL, &s2, &e))
		fail_msg("open %s: %s", sp, e->message);
	assert_true(store_set_value(s2, name, 44, T0, &e));
	store_close(s2);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE texts; PRAGMA user_version=4;", NULL, NULL,
	                              NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(schema_version(path), 4);
	if (!store_open(sp, NULL, &s2, &e))
		fail_msg("open %s: %s", sp, e->message);
	assert_int_equal(schema_version(path), SCHEMA_NOW);
	assert_true(store_get_value(s2, name, &v, &at, &e));
	assert_int_equal(v, 44);
	set_text(s2, name, "kept after the upgrade", T0);
	g_autofree char *text = text_of(s2, name, &at);
	assert_string_equal(text, "kept after the upgrade");
	store_close(s2);
}

/* What schemas 4 and 5 added to schema 3: the window events' text, the texts. */
static const char schema_5_more[] =
	"ALTER TABLE windows ADD COLUMN name TEXT;"
	"CREATE TABLE texts (name TEXT PRIMARY KEY, text TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX texts_at ON texts(at);"
	"PRAGMA user_version=5;";

/* A file of schema 5 is upgraded where it is: its records and their job ids stay, in the
 * order of their last change (the oldest is pruned first, though written after younger
 * ones), the indexes on touched and on jobs(tag) go, and so do job ids whose record was
 * forgotten before schema 5 removed them with it. */
static void sqlite_schema_5_upgraded(void **s)
{
	(void)s;
	const gint64 keep = 100;
	g_autofree char *path = side_path("schema5.db");
	g_autofree char *sp = g_strconcat("sqlite:", path, NULL);
	g_autofree char *old = tag("schema5-old", 0);
	g_autoptr(GString) ins = g_string_new(NULL);
	sqlite3 *db = NULL;
	StoreRecord r;

	/* Younger records first, more than a write prunes, then the old one. */
	for (int i = 0; i <= STORE_PRUNE_PER_WRITE; i++) {
		g_autofree char *t = i < STORE_PRUNE_PER_WRITE ? tag("schema5-young", i) : g_strdup(old);
		gint64 at = i < STORE_PRUNE_PER_WRITE ? T0 + 50 : T0;
		g_string_append_printf(ins, "INSERT INTO tags (tag, state, claimed_at, ids, touched)"
		                       " VALUES ('%s', %d, %" G_GINT64_FORMAT ", '%d,%d', %"
		                       G_GINT64_FORMAT "); INSERT INTO jobs VALUES (%d, '%s'),"
		                       " (%d, '%s');", t, STORE_SENT, at, 9500000 + 2 * i,
		                       9500001 + 2 * i, at, 9500000 + 2 * i, t, 9500001 + 2 * i, t);
	}
	g_string_append(ins, "INSERT INTO jobs VALUES (9599999, 'forgotten');");
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_2, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_3_more, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema_5_more, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, ins->str, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(schema_version(path), 5);
	Store *s2 = open_at(sp, keep, 0);
	assert_int_equal(schema_version(path), SCHEMA_NOW);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM sqlite_master WHERE name IN"
	                                  " ('tags_touched', 'jobs_tag', 'tags_6')"), 0);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM jobs WHERE id = 9599999"), 0);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM tags"), STORE_PRUNE_PER_WRITE + 1);
	for (int i = 0; i < 2 * (STORE_PRUNE_PER_WRITE + 1); i++)
		assert_int_equal(lookup(s2, 9500000 + i, NULL), 1);
	assert_int_equal(claim(s2, old, T0 + 1, &r), CLAIM_SENT);
	g_autofree char *want = g_strdup_printf("%d,%d", 9500000 + 2 * STORE_PRUNE_PER_WRITE,
	                                        9500001 + 2 * STORE_PRUNE_PER_WRITE);
	assert_string_equal(r.ids, want);
	store_record_clear(&r);
	/* One write when the old record is old and the young ones are not: it goes, with its
	 * job ids. */
	g_autofree char *w = tag("schema5-writer", 0);
	assert_int_equal(claim(s2, w, T0 + keep + 10, NULL), CLAIM_WON);
	assert_int_equal(lookup(s2, 9500000 + 2 * STORE_PRUNE_PER_WRITE, NULL), 0);
	assert_int_equal(lookup(s2, 9500001 + 2 * STORE_PRUNE_PER_WRITE, NULL), 0);
	assert_int_equal(count_rows(path, "SELECT count(*) FROM jobs WHERE id >= 9500000"
	                                  " AND id < 9600000"), 2 * STORE_PRUNE_PER_WRITE);
	assert_int_equal(lookup(s2, 9500000, NULL), 1);
	store_close(s2);
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
	if (argc == 7 && strcmp(argv[1], "--child") == 0)
		return child_main(argv[2], argv[3], argv[4], atoi(argv[5]),
		                  g_ascii_strtoll(argv[6], NULL, 10));
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

	struct CMUnitTest tests[56];
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
	ADD(named_texts);
	ADD(text_bounded);
	ADD(threads_16_text_newest);
	ADD(processes_4_text_newest);
	ADD(add_value_sums);
	ADD(threads_16_add_value);
	ADD(processes_4_add_value);
	ADD(window_sliding);
	ADD(window_same_millisecond);
	ADD(threads_16_window_limit);
	ADD(processes_4_window_limit);
	ADD(window_list_over_limit);
	ADD(window_list_literal_prefix);
	ADD(window_list_bounded);
	ADD(held_digest_cycle);
	ADD(held_bounded);
	ADD(held_forgotten_after_keep);
	ADD(threads_held_digests_once);
	ADD(processes_4_held_digests_once);
	ADD(ping_answers);
	if (is_sqlite) {
		ADD(sqlite_deleted_file);
		ADD(sqlite_wal_bounded);
		ADD(sqlite_forgotten_jobs_go);
		ADD(sqlite_schema_2_upgraded);
		ADD(sqlite_schema_3_upgraded);
		ADD(sqlite_schema_4_upgraded);
		ADD(sqlite_schema_5_upgraded);
		ADD(sqlite_prune_after_clock_ahead);
		ADD(sqlite_file_mode_0600);
		ADD(sqlite_root_creates_for_the_owner);
		ADD(sqlite_missing_directory);
	} else if (getenv("M2S_STORE_DOWN") != NULL && getenv("M2S_STORE_UP") != NULL) {
		ADD(redis_down_and_back);
	}
	if (!is_sqlite && getenv("M2S_STORE_CLIENTS") != NULL)
		ADD(redis_connections_bounded);
	if (password_file != NULL && !is_sqlite)
		ADD(redis_auth);
#undef ADD
	g_autofree char *name = g_strdup_printf("store %s", spec);
	int rc = _cmocka_run_group_tests(name, tests, n, setup, teardown);
	g_free(prefix);
	return rc;
}

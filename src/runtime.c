/* runtime.c: the configuration, its OVH client and its state store, as one
 * reference-counted value that a reload replaces atomically.
 *
 * Work in progress keeps the runtime it started with; new messages take the current one.
 * A store that cannot be opened (its directory missing, a file it may not write) is no
 * reason to stop: the runtime runs without it and tries again at most every
 * RUNTIME_STORE_RETRY seconds, and the caller decides (on_store_error). It must not hold
 * anything a reload may lose: what was sent is in the store, or in tags.c without one. */
#include "runtime.h"
#include "budget.h"
#include "error.h"
#include "tags.h"

/* Seconds between two attempts to open a store that could not be opened. */
#define RUNTIME_STORE_RETRY 10
/* OVH's clock offset measured by another process is trusted this long (seconds): clocks
 * drift little in an hour, and a timestamp OVH refuses costs one re-read anyway. */
#define RUNTIME_CLOCK_TRUST 3600
#define RUNTIME_CLOCK_NAME "ovh_clock_offset"
#include "ovh_http.h"

struct Runtime {
	gint refcount;
	Cfg *cfg;
	OvhClient *ovh;
	GMutex store_lock;      /* guards the three below */
	Store *store;           /* NULL: none configured, or not open yet */
	GError *store_err;      /* why it is not open (NULL for "none") */
	gint64 store_tried;     /* monotonic time of the last attempt, microseconds */
	gint clock_kept;        /* the offset this client read is in the store */
	Budget *budget;         /* [ovh] max_requests, NULL when unset */
};

/* Opens RT's store (the lock held); FALSE with rt->store_err set when it cannot be. */
static gboolean open_store(Runtime *rt)
{
	StoreOptions opt = { .password_file = rt->cfg->state_password_file,
		             .keep = rt->cfg->state_keep,
		             .retry_window = TAGS_RETRY_WINDOW };

	g_clear_error(&rt->store_err);
	rt->store_tried = g_get_monotonic_time();
	return store_open(rt->cfg->state_store, &opt, &rt->store, &rt->store_err);
}

/* The budget's store: RT's (BudgetStore). */
static Store *budget_store(void *rt, GError **err)
{
	return runtime_store(rt, err);
}

static GMutex current_lock;
static Runtime *current;

Runtime *runtime_new(Cfg *cfg, GError **err)
{
	OvhClient *ovh = ovh_client_new(cfg, err);
	Runtime *rt;

	if (ovh == NULL)
		return NULL;
	rt = g_new0(Runtime, 1);
	rt->refcount = 1;
	rt->cfg = cfg_ref(cfg);
	rt->ovh = ovh;
	g_mutex_init(&rt->store_lock);
	/* A wrong password or spec is the set-up's fault and named now; a store that is only
	 * unreachable is tried again when it is needed. */
	if (!open_store(rt) && g_error_matches(rt->store_err, M2S_ERROR, M2S_ERR_CONFIG)) {
		g_propagate_error(err, g_steal_pointer(&rt->store_err));
		runtime_unref(rt);
		return NULL;
	}
	if (cfg->ovh_max_requests.n != 0) {
		rt->budget = budget_new(rt->cfg, budget_store, rt);
		OvhGate gate = { budget_admit, budget_answered, rt->budget };
		ovh_client_set_gate(rt->ovh, &gate);
	}
	/* Every delivery agent is a new process: without this, each would read OVH's clock
	 * before its one job, two requests where one does. */
	gint64 offset, at, now = g_get_real_time() / G_USEC_PER_SEC;
	if (rt->store != NULL &&
	    store_get_value(rt->store, RUNTIME_CLOCK_NAME, &offset, &at, NULL) && at > 0 &&
	    now - at >= 0 && now - at < RUNTIME_CLOCK_TRUST)
		ovh_client_set_clock(rt->ovh, offset);
	return rt;
}

Runtime *runtime_ref(Runtime *rt)
{
	g_atomic_int_inc(&rt->refcount);
	return rt;
}

void runtime_unref(Runtime *rt)
{
	if (rt == NULL || !g_atomic_int_dec_and_test(&rt->refcount))
		return;
	ovh_client_free(rt->ovh);
	budget_free(rt->budget);
	store_close(rt->store);
	g_clear_error(&rt->store_err);
	g_mutex_clear(&rt->store_lock);
	cfg_unref(rt->cfg);
	g_free(rt);
}

const Cfg *runtime_cfg(const Runtime *rt)
{
	return rt->cfg;
}

OvhClient *runtime_ovh(const Runtime *rt)
{
	return rt->ovh;
}

Store *runtime_store(Runtime *rt, GError **err)
{
	Store *st;

	g_mutex_lock(&rt->store_lock);
	if (rt->store == NULL && rt->store_err != NULL &&
	    g_get_monotonic_time() - rt->store_tried >= RUNTIME_STORE_RETRY * G_USEC_PER_SEC)
		open_store(rt);
	st = rt->store;
	if (st == NULL && rt->store_err != NULL)
		g_propagate_error(err, g_error_copy(rt->store_err));
	g_mutex_unlock(&rt->store_lock);
	return st;
}

void runtime_keep_clock(Runtime *rt)
{
	gint64 offset;
	Store *st;

	if (g_atomic_int_get(&rt->clock_kept) || !ovh_client_clock(rt->ovh, &offset))
		return;
	if ((st = runtime_store(rt, NULL)) != NULL &&
	    store_set_value(st, RUNTIME_CLOCK_NAME, offset, g_get_real_time() / G_USEC_PER_SEC,
	                    NULL))
		g_atomic_int_set(&rt->clock_kept, 1);
}

Runtime *runtime_current(void)
{
	Runtime *rt;

	g_mutex_lock(&current_lock);
	rt = current ? runtime_ref(current) : NULL;
	g_mutex_unlock(&current_lock);
	return rt;
}

void runtime_install(Runtime *rt)
{
	Runtime *old;

	g_mutex_lock(&current_lock);
	old = current;
	current = rt ? runtime_ref(rt) : NULL;
	g_mutex_unlock(&current_lock);
	runtime_unref(old);
}

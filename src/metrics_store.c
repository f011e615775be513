/* metrics_store.c: the figures of every process on one state store in one place.
 *
 * The delivery agent and `mail2sms flush` live for one mail or one pass; nobody could scrape
 * them. At exit they add their counts to values the store keeps under "metric:" and the
 * slot's name (metrics_slot_name), one store_add_value per slot that moved. The milter,
 * when it is scraped, reads every such value and adds it to its own counts; at a clean stop
 * it adds its own counts to the store, so that a restart does not move its figures back
 * (Prometheus would read that as a reset and count the store's share again).
 *
 * A value can go down under the reader: the store forgets it [state] keep after its last
 * add, or the store is emptied. What the reader had read is then set aside and kept in the
 * figures, so that a counter never goes down while the milter runs.
 * It must not touch the store on the mail path: only at a short process's exit, a scrape
 * and the milter's stop. */
#include <syslog.h>
#include "metrics_store.h"
#include "metrics.h"

#define METRICS_STORE_PREFIX "metric:"

/* The store's last values (LAST) and what it forgot since (BASE), per slot. */
static GMutex lock;
static guint64 *last;
static guint64 *base;

/* The store's names of every slot, made once. */
static gpointer make_keys(gpointer unused)
{
	guint n = metrics_n_slots();
	char **keys = g_new0(char *, n + 1);

	(void)unused;
	for (guint i = 0; i < n; i++)
		keys[i] = g_strconcat(METRICS_STORE_PREFIX, metrics_slot_name(i), NULL);
	return keys;
}

/* The names "metric:..." of the slots, in slot order. */
static const char *const *keys(void)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, make_keys, NULL);
}

/* LAST and BASE, allocated on first use (the lock held). */
static void ensure_tables(void)
{
	if (last == NULL) {
		last = g_new0(guint64, metrics_n_slots());
		base = g_new0(guint64, metrics_n_slots());
	}
}

/* Every count is read before the first add: the adds are store operations, counted too, and
 * must not count themselves into what is saved. */
gboolean metrics_store_save(Store *st, GError **err)
{
	guint n = metrics_n_slots();
	g_autofree guint64 *counts = g_new0(guint64, n);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	const char *const *names = keys();

	g_mutex_lock(&lock);
	for (guint i = 0; i < n; i++)
		counts[i] = metrics_slot_value(i) + (base != NULL ? base[i] : 0);
	g_mutex_unlock(&lock);
	for (guint i = 0; i < n; i++)
		if (counts[i] > 0 && counts[i] <= G_MAXINT64 &&
		    !store_add_value(st, names[i], (gint64)counts[i], now, NULL, err))
			return FALSE;
	return TRUE;
}

void metrics_store_save_process(const Cfg *cfg, Runtime *rt)
{
	g_autoptr(GError) e = NULL;
	Store *own = NULL, *st = NULL;

	if (cfg == NULL || cfg->metrics_listen == NULL)
		return;
	if (rt != NULL) {
		st = runtime_store(rt, &e);
	} else {
		StoreOptions opt = { .password_file = cfg->state_password_file,
			             .keep = cfg->state_keep };
		if (store_open(cfg->state_store, &opt, &own, &e))
			st = own;
	}
	if (st != NULL)
		metrics_store_save(st, &e);
	if (e != NULL)
		syslog(LOG_WARNING, "metrics: this process's counts are not saved: %s", e->message);
	store_close(own);
}

gboolean metrics_store_read(Store *st, guint64 *extra, GError **err)
{
	guint n = metrics_n_slots();
	g_autofree gint64 *values = g_new0(gint64, n);
	gboolean ok = st != NULL && store_get_values(st, keys(), n, values, err);

	g_mutex_lock(&lock);
	ensure_tables();
	for (guint i = 0; i < n; i++) {
		if (ok) {
			guint64 v = values[i] > 0 ? (guint64)values[i] : 0;
			if (v < last[i])
				base[i] += last[i];
			last[i] = v;
		}
		extra[i] = base[i] + last[i];
	}
	g_mutex_unlock(&lock);
	return ok;
}

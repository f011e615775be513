/* cmd_limits.c: `mail2sms flush` (send the digests that are due: the systemd timer's job
 * on sites without the milter; with [ovh] credits_alarm, the credits check when due
 * too) and `mail2sms limits` (what flood control holds now, and who is over a limit).
 *
 * Both read the state store of the configuration; flush sends through the same code as the
 * milter's digest thread (flush.c), so running both is harmless: each digest is claimed.
 * `limits` changes nothing; it also lists the senders over per_sender and the numbers over
 * per_receiver that hold nothing (yet), from the store's windows. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include "address.h"
#include "cmd.h"
#include "error.h"
#include "flood.h"
#include "flush.h"
#include "metrics_store.h"
#include "runtime.h"

int cmd_flush(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(Runtime) rt = NULL;

	if (!cmd_options(&argc, &argv, "",
	                 "Send the digests of held alerts that are due ([limits]). Harmless "
	                 "next to a running milter, which sends them too.", NULL, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	if (!cfg_limits_on(cfg)) {
		printf("no [limits]: nothing is held\n");
		/* The timer that runs flush is also where sites without the milter check the
		 * credits. */
		if (cfg->ovh_credits_alarm != 0 && (rt = runtime_new(cfg, &err)) != NULL) {
			cmd_finish(rt, TRUE);
			metrics_store_save_process(cfg, rt);
		}
		return EX_OK;
	}
	if ((rt = runtime_new(cfg, &err)) == NULL || runtime_store(rt, &err) == NULL)
		return cmd_fail(err);
	int sent = flush_digests(rt, g_get_real_time() / G_USEC_PER_SEC, &err);
	cmd_finish(rt, TRUE);
	/* Its digests in the milter's figures, like the delivery agent's jobs. */
	metrics_store_save_process(cfg, rt);
	if (sent < 0)
		return cmd_fail(err);
	printf("%d digest%s sent\n", sent, sent == 1 ? "" : "s");
	return EX_OK;
}

/* "YYYY-MM-DD HH:MM" local in the zone of [limits]. */
static char *clock_text(const Cfg *cfg, gint64 at)
{
	g_autoptr(GDateTime) l = limits_local(cfg->limits_tz, at);

	return g_date_time_format(l, "%Y-%m-%d %H:%M");
}

/* The windows of RATE ([limits] per_receiver or per_sender) whose key starts with PREFIX
 * and which are over it now, appended to OUT; none when RATE is off. */
static gboolean over_rate(Store *st, const LimitRate *rate, const char *prefix, gint64 now,
                          GPtrArray *out, GError **err)
{
	if (rate->n == 0)
		return TRUE;
	return store_window_list(st, prefix, now * 1000, (gint64)rate->seconds * 1000, rate->n,
	                         out, err);
}

/* "WHAT WHO: N of 10/1h, frees at YYYY-MM-DD HH:MM", a window over RATE. */
static void print_over(const Cfg *cfg, const char *what, const char *who,
                       const StoreWindowEntry *w, const LimitRate *rate)
{
	g_autofree char *l = limit_text(rate);
	g_autofree char *frees = clock_text(cfg, (w->frees_at_ms + 999) / 1000);

	printf("%s %s: %u of %s, frees at %s\n", what, who, w->count, l, frees);
}

/* What says that no window is over the limits that are on, or NULL when none is on. */
static const char *none_over(const Cfg *cfg)
{
	gboolean s = cfg->limits_per_sender.n != 0, r = cfg->limits_per_receiver.n != 0;

	if (s && r)
		return "no sender over per_sender, no receiver over per_receiver";
	if (s)
		return "no sender over per_sender";
	return r ? "no receiver over per_receiver" : NULL;
}

int cmd_limits(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(Runtime) rt = NULL;
	g_autoptr(GPtrArray) queues = g_ptr_array_new();
	g_autoptr(GPtrArray) senders = g_ptr_array_new();
	g_autoptr(GPtrArray) receivers = g_ptr_array_new();
	g_autoptr(GHashTable) held = g_hash_table_new(g_str_hash, g_str_equal);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	Store *st;

	if (!cmd_options(&argc, &argv, "",
	                 "List the numbers whose alerts flood control holds for a digest, with "
	                 "how full their per_receiver window is, then the senders over "
	                 "per_sender and the other numbers over per_receiver. Changes nothing.",
	                 NULL, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	if (!cfg_limits_on(cfg)) {
		printf("no [limits]\n");
		return EX_OK;
	}
	if ((rt = runtime_new(cfg, &err)) == NULL || (st = runtime_store(rt, &err)) == NULL ||
	    !store_held_list(st, now, queues, &err) ||
	    !over_rate(st, &cfg->limits_per_sender, FLOOD_SENDER_PREFIX, now, senders, &err) ||
	    !over_rate(st, &cfg->limits_per_receiver, FLOOD_RECEIVER_PREFIX, now, receivers, &err))
		return cmd_fail(err);
	gboolean spent = flood_spent(cfg, st, now, NULL);
	if (spent)
		printf("daily_credits = %u: spent today, SMS wait until midnight\n",
		       cfg->limits_daily_credits);
	if (queues->len == 0)
		printf("nothing held\n");
	for (guint i = 0; i < queues->len; i++) {
		const StoreHeldQueue *q = queues->pdata[i];
		g_autofree char *who = addr_mask(q->queue, cfg->log_numbers_full);
		g_autofree char *first = clock_text(cfg, q->first_at);
		g_autofree char *last = clock_text(cfg, q->last_at);
		g_hash_table_add(held, q->queue);
		printf("%s: %u alert%s held, %s to %s", who, q->count, q->count == 1 ? "" : "s",
		       first, last);
		if (cfg->limits_per_receiver.n != 0) {
			g_autofree char *key = flood_receiver_key(q->queue);
			g_autofree char *l = limit_text(&cfg->limits_per_receiver);
			StoreWindow w;
			if (store_window_count(st, key, now * 1000,
			                       (gint64)cfg->limits_per_receiver.seconds * 1000,
			                       cfg->limits_per_receiver.n, &w, NULL)) {
				g_autofree char *frees = clock_text(cfg, (w.frees_at_ms + 999) / 1000);
				printf("; per_receiver %u of %s%s%s", w.count, l,
				       w.admitted ? "" : ", the digest goes after ",
				       w.admitted ? "" : frees);
			}
		}
		if (q->digest_tag)
			printf("; a digest is being sent (tag %s)", q->digest_tag);
		printf("\n");
	}
	/* The null sender's key is the prefix alone. */
	for (guint i = 0; i < senders->len; i++) {
		const StoreWindowEntry *w = senders->pdata[i];
		const char *who = w->key + strlen(FLOOD_SENDER_PREFIX);
		print_over(cfg, "sender", who[0] != '\0' ? who : "<>", w, &cfg->limits_per_sender);
	}
	/* A number holding alerts is over per_receiver on its held line already. */
	for (guint i = 0; i < receivers->len; i++) {
		const StoreWindowEntry *w = receivers->pdata[i];
		const char *number = w->key + strlen(FLOOD_RECEIVER_PREFIX);
		if (g_hash_table_contains(held, number))
			continue;
		g_autofree char *who = addr_mask(number, cfg->log_numbers_full);
		print_over(cfg, "receiver", who, w, &cfg->limits_per_receiver);
	}
	/* Said when something else was printed; alone, "nothing held" says it all. */
	const char *none = none_over(cfg);
	if (senders->len == 0 && receivers->len == 0 && none != NULL &&
	    (queues->len > 0 || spent))
		printf("%s\n", none);
	return EX_OK;
}

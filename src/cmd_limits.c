/* cmd_limits.c: `mail2sms flush` (send the digests that are due: the systemd timer's job
 * on sites without the milter) and `mail2sms limits` (what flood control holds now).
 *
 * Both read the state store of the configuration; flush sends through the same code as the
 * milter's digest thread (flush.c), so running both is harmless: each digest is claimed.
 * `limits` changes nothing. */
#include <stdio.h>
#include <sysexits.h>
#include "address.h"
#include "cmd.h"
#include "error.h"
#include "flood.h"
#include "flush.h"
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
		return EX_OK;
	}
	if ((rt = runtime_new(cfg, &err)) == NULL || runtime_store(rt, &err) == NULL)
		return cmd_fail(err);
	int sent = flush_digests(rt, g_get_real_time() / G_USEC_PER_SEC, &err);
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

int cmd_limits(const char *config, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(Runtime) rt = NULL;
	g_autoptr(GPtrArray) queues = g_ptr_array_new();
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	Store *st;

	if (!cmd_options(&argc, &argv, "",
	                 "List the numbers whose alerts flood control holds for a digest, with "
	                 "how full their per_receiver window is. Changes nothing.", NULL, 0))
		return EX_USAGE;
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	if (!cfg_limits_on(cfg)) {
		printf("no [limits]\n");
		return EX_OK;
	}
	if ((rt = runtime_new(cfg, &err)) == NULL || (st = runtime_store(rt, &err)) == NULL ||
	    !store_held_list(st, now, queues, &err))
		return cmd_fail(err);
	if (flood_spent(cfg, st, now, NULL))
		printf("daily_credits = %u: spent today, SMS wait until midnight\n",
		       cfg->limits_daily_credits);
	if (queues->len == 0)
		printf("nothing held\n");
	for (guint i = 0; i < queues->len; i++) {
		const StoreHeldQueue *q = queues->pdata[i];
		g_autofree char *who = addr_mask(q->queue, cfg->log_numbers_full);
		g_autofree char *first = clock_text(cfg, q->first_at);
		g_autofree char *last = clock_text(cfg, q->last_at);
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
	return EX_OK;
}

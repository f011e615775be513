/* dispatch.c: a plan's jobs to OVH, one log line each, nothing sent twice.
 *
 * Shared by the milter and the delivery agent, which only map the outcome. The log line
 * (syslog, facility chosen by the front end) masks numbers unless log_numbers = full, and
 * never holds the text of the SMS. */
#include <string.h>
#include <syslog.h>
#include "dispatch.h"
#include "address.h"
#include "error.h"
#include "send.h"

static char *receivers_for_log(const Cfg *cfg, GPtrArray *numbers)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < numbers->len; i++) {
		g_autofree char *m = addr_mask(numbers->pdata[i], cfg->log_numbers_full);
		g_string_append_printf(s, "%s%s", i ? "," : "", m);
	}
	return g_string_free(s, FALSE);
}

/* A job sent earlier under the same tag: known to this process, or found at OVH when asked
 * (CHECK_TAG, or an earlier attempt's fate is unknown). FALSE when OVH had to be asked and
 * could not be: posting then could send the SMS twice. */
static gboolean already_sent(Runtime *rt, const MsgJob *job, gboolean check_tag, char **ids,
                             GError **err)
{
	g_autoptr(GError) e = NULL;
	GArray *found;

	if ((*ids = runtime_tag_lookup(job->tag)) != NULL)
		return TRUE;
	if (!check_tag && !runtime_tag_is_uncertain(job->tag))
		return TRUE;
	if ((found = ovh_outgoing_by_tag(runtime_ovh(rt), job->tag, &e)) == NULL) {
		g_set_error(err, M2S_ERROR, e->code, "%s%s",
		            e->code == M2S_ERR_CONFIG
		                    ? "the consumer key must allow GET /sms/*/outgoing, which tells "
		                      "whether an earlier attempt was sent: "
		                    : "cannot tell whether an earlier attempt was sent: ",
		            e->message);
		return FALSE;
	}
	if (found->len > 0) {
		*ids = ovh_ids_text(found);
		runtime_tag_sent(job->tag, *ids);
	}
	runtime_tag_settled(job->tag);
	g_array_unref(found);
	return TRUE;
}

/* Appends the strings of LIST to S, comma separated. */
static void join_into(GString *s, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(s, "%s%s", s->len ? "," : "", (char *)list->pdata[i]);
}

static void report_add(DispatchReport *r, const char *ids, GPtrArray *valid,
                       GPtrArray *invalid, double credits)
{
	if (r->ids == NULL) {
		r->ids = g_string_new(NULL);
		r->receivers = g_string_new(NULL);
		r->invalid = g_string_new(NULL);
	}
	g_string_append_printf(r->ids, "%s%s", r->ids->len ? "," : "", ids);
	join_into(r->receivers, valid);
	if (invalid)
		join_into(r->invalid, invalid);
	r->credits += credits;
}

/* A failure of this job alone (its numbers, its text): the mail's other jobs may still go.
 * Any other failure (OVH, the set-up) would meet them too. */
static gboolean job_specific(const GError *e)
{
	static const M2sErrorCode codes[] = { M2S_ERR_NOUSER, M2S_ERR_NOPERM, M2S_ERR_REQUEST,
	                                      M2S_ERR_LIMIT, M2S_ERR_DATA };

	for (gsize i = 0; i < G_N_ELEMENTS(codes); i++)
		if (g_error_matches(e, M2S_ERROR, codes[i]))
			return TRUE;
	return FALSE;
}

/* One log line about a job that did not go out; the reason's numbers are masked too. */
static void log_failure(const Cfg *cfg, const char *qid, const char *what, const char *who,
                        const MsgJob *job, const GError *e)
{
	g_autofree char *why = addr_mask_text(e->message, cfg->log_numbers_full);

	syslog(LOG_WARNING, "%s: %s tag=%s receivers=%s reason=%s", qid, what, job->tag, who, why);
}

gboolean dispatch_plan(Runtime *rt, const MsgPlan *plan, const char *queue_id,
                       gboolean check_tag, DispatchProgress progress, void *arg,
                       DispatchReport *report, GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	const char *qid = queue_id && *queue_id ? queue_id : "NOQUEUE";
	g_autoptr(GError) refused = NULL;  /* the first job that will never go */

	for (guint i = 0; i < plan->jobs->len; i++) {
		const MsgJob *job = plan->jobs->pdata[i];
		g_autofree char *who = receivers_for_log(cfg, job->receivers);
		g_autofree char *ids = NULL;
		g_autoptr(OvhJobResult) r = NULL;
		g_autoptr(GError) e = NULL;
		gint64 t0 = g_get_monotonic_time();
		gboolean unknown = FALSE;

		if (progress)
			progress(arg);
		if (!already_sent(rt, job, check_tag, &ids, &e)) {
			log_failure(cfg, qid, "deferred", who, job, e);
			g_propagate_error(err, g_steal_pointer(&e));
			return FALSE;
		}
		if (ids != NULL) {
			syslog(LOG_INFO, "%s: already sent ids=%s receivers=%s tag=%s", qid, ids, who,
			       job->tag);
			report_add(report, ids, job->receivers, NULL, 0);
			continue;
		}
		g_ptr_array_add(job->receivers, NULL);
		r = send_job(runtime_ovh(rt), cfg, (const char *const *)job->receivers->pdata,
		             job->sms->text, job->tag, NULL, &unknown, &e);
		g_ptr_array_remove_index(job->receivers, job->receivers->len - 1);
		if (r == NULL) {
			if (unknown)
				runtime_tag_uncertain(job->tag);
			log_failure(cfg, qid, "failed", who, job, e);
			/* A job that will never go does not hold back the others; a transient failure
			 * stops here, the retry will send what is left. */
			if (job_specific(e)) {
				if (refused == NULL)
					refused = g_steal_pointer(&e);
				continue;
			}
			g_propagate_error(err, g_steal_pointer(&e));
			return FALSE;
		}
		ids = ovh_ids_text(r->ids);
		runtime_tag_sent(job->tag, ids);
		syslog(LOG_INFO, "%s: sent ids=%s receivers=%s segments=%u encoding=%s credits=%g "
		       "ms=%" G_GINT64_FORMAT " invalid=%u", qid, ids, who, job->sms->segments,
		       job->sms->encoding == GSM_ENC_GSM7 ? "gsm7" : "ucs2", r->credits,
		       (g_get_monotonic_time() - t0) / 1000, r->invalid->len);
		if (r->invalid->len > 0) {
			/* Sent to the others: this is the only trace of the ones OVH refused. */
			g_autofree char *bad = receivers_for_log(cfg, r->invalid);
			syslog(LOG_WARNING, "%s: refused by OVH receivers=%s tag=%s", qid, bad, job->tag);
		}
		report_add(report, ids, r->valid, r->invalid, r->credits);
	}
	if (refused != NULL) {
		g_propagate_error(err, g_steal_pointer(&refused));
		return FALSE;
	}
	return TRUE;
}

void dispatch_report_clear(DispatchReport *r)
{
	if (r->ids)
		g_string_free(r->ids, TRUE);
	if (r->receivers)
		g_string_free(r->receivers, TRUE);
	if (r->invalid)
		g_string_free(r->invalid, TRUE);
	memset(r, 0, sizeof *r);
}

/* dispatch.c: a plan's jobs to OVH, one log line each, nothing sent twice.
 *
 * The one owner of "was this job sent?": it reads and writes the tag memory (tags.h), asks
 * OVH by tag when an earlier attempt's fate is unknown, and has send.c post only what must
 * go. Shared by the milter, the delivery agent and `mail2sms send`, which only map the
 * outcome. The log line (syslog, facility chosen by the front end) masks numbers unless
 * log_numbers = full, and never holds the text of the SMS. */
#include <string.h>
#include <syslog.h>
#include "dispatch.h"
#include "address.h"
#include "error.h"
#include "send.h"
#include "tags.h"

/* NUMBERS for a log line: comma-joined, masked unless log_numbers = full. */
static char *receivers_for_log(const Cfg *cfg, GPtrArray *numbers)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < numbers->len; i++) {
		g_autofree char *m = addr_mask(numbers->pdata[i], cfg->log_numbers_full);
		g_string_append_printf(s, "%s%s", i ? "," : "", m);
	}
	return g_string_free(s, FALSE);
}

/* A job sent earlier as IDS (taken), rebuilt as a result: its receivers count as valid. */
static OvhJobResult *earlier_result(GArray *ids, const MsgJob *job)
{
	OvhJobResult *r = g_new0(OvhJobResult, 1);

	r->ids = ids;
	r->valid = g_ptr_array_new_with_free_func(g_free);
	r->invalid = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < job->receivers->len; i++)
		g_ptr_array_add(r->valid, g_strdup(job->receivers->pdata[i]));
	return r;
}

/* The job OVH holds under JOB's tag in *FOUND, or NULL when it has none; FALSE when OVH
 * could not be asked. Only jobs of the retry window count: an older one under the same tag
 * was another alert. */
static gboolean look_up(Runtime *rt, const MsgJob *job, OvhJobResult **found, GError **err)
{
	gint64 since = g_get_real_time() / G_USEC_PER_SEC - TAGS_RETRY_WINDOW;
	GArray *ids = ovh_outgoing_by_tag(runtime_ovh(rt), job->tag, since, err);

	*found = NULL;
	if (ids == NULL)
		return FALSE;
	if (ids->len == 0)
		g_array_unref(ids);
	else
		*found = earlier_result(ids, job);
	return TRUE;
}

/* No reply, or a server error, after the request went out: OVH may have executed it. */
static gboolean maybe_executed(const GError *e)
{
	return g_error_matches(e, M2S_ERROR, M2S_ERR_NO_REPLY) ||
	       g_error_matches(e, M2S_ERROR, M2S_ERR_SERVER);
}

OvhJobResult *dispatch_job(Runtime *rt, const MsgJob *job, const char *sender, gboolean ask,
                           gboolean *earlier, GError **err)
{
	g_autoptr(GArray) ids = NULL;
	g_autoptr(GError) e = NULL;
	g_autoptr(GError) asked = NULL;  /* the same OVH trouble, most often: not repeated */
	OvhJobResult *r = NULL;
	TagState st = tags_state(job->tag, &ids);

	*earlier = FALSE;
	if (st == TAG_SENT) {
		*earlier = TRUE;
		return earlier_result(g_steal_pointer(&ids), job);
	}
	if (ask || st == TAG_IN_DOUBT) {
		/* Posting without an answer could send the SMS twice. */
		if (!look_up(rt, job, &r, &e)) {
			g_set_error(err, M2S_ERROR, e->code, "%s%s",
			            e->code == M2S_ERR_CONFIG
			                    ? "the consumer key must allow GET /sms/*/outgoing, which "
			                      "tells whether an earlier attempt was sent: "
			                    : "cannot tell whether an earlier attempt was sent: ",
			            e->message);
			return NULL;
		}
		if (r != NULL) {
			*earlier = TRUE;
			tags_sent(job->tag, r->ids);
			return r;
		}
		tags_settled(job->tag);
	}
	r = send_job(runtime_ovh(rt), runtime_cfg(rt), job, sender, &e);
	if (r == NULL && maybe_executed(e)) {
		if (!look_up(rt, job, &r, &asked))
			tags_in_doubt(job->tag);
		/* Not listed yet is not proof: a job OVH has queued may show only once sent, so
		 * the retry asks again. */
		else if (r == NULL && g_error_matches(e, M2S_ERROR, M2S_ERR_NO_REPLY))
			tags_in_doubt(job->tag);
	}
	if (r == NULL) {
		g_propagate_error(err, g_steal_pointer(&e));
		return NULL;
	}
	tags_sent(job->tag, r->ids);
	return r;
}

/* Appends the strings of LIST to S, comma separated. */
static void join_into(GString *s, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(s, "%s%s", s->len ? "," : "", (char *)list->pdata[i]);
}

/* Adds one job's ids, receivers and credits to the report of the whole plan. */
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
		gboolean earlier;

		if (progress)
			progress(arg);
		r = dispatch_job(rt, job, NULL, check_tag, &earlier, &e);
		if (r == NULL) {
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
		if (earlier) {
			syslog(LOG_INFO, "%s: already sent ids=%s receivers=%s tag=%s", qid, ids, who,
			       job->tag);
			report_add(report, ids, job->receivers, NULL, 0);
			continue;
		}
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

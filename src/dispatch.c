/* dispatch.c: a plan's jobs to OVH, one log line each, nothing sent twice.
 *
 * The one owner of "was this job sent?": it reads and writes the tag memory (tags.h), asks
 * OVH by tag when an earlier attempt's fate is unknown, has flood.c say what the limits let
 * go, and has send.c post only that. Shared by the milter, the delivery agent and `mail2sms
 * send`, which only map the outcome. Each job's outcome is counted here, once per attempt
 * (mail2sms_jobs_total). The log line (syslog, facility chosen by the front end) masks
 * numbers unless log_numbers = full, and never holds the text of the SMS. */
#include <string.h>
#include <syslog.h>
#include "dispatch.h"
#include "activity.h"
#include "address.h"
#include "error.h"
#include "flood.h"
#include "metrics.h"
#include "replies.h"
#include "reports.h"
#include "send.h"
#include "tags.h"

/* Seconds a job's creation time at OVH may precede the start of the attempt that posted it,
 * as read through the measured clock offset: drift and rounding. */
#define DISPATCH_CLOCK_MARGIN 120

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
 * was another alert. A tag that names the content (MsgJob.content_tag) counts only jobs
 * created since ATTEMPT (local seconds), the attempt in doubt: an earlier job under it was
 * an earlier alert with the same text. */
static gboolean look_up(Runtime *rt, const MsgJob *job, gint64 attempt, OvhJobResult **found,
                        GError **err)
{
	gint64 since = g_get_real_time() / G_USEC_PER_SEC - TAGS_RETRY_WINDOW, offset;

	if (job->content_tag && attempt > 0) {
		/* In OVH's time, with a margin for the drift of the offset measured. */
		ovh_client_clock(runtime_ovh(rt), &offset);
		since = attempt + offset - DISPATCH_CLOCK_MARGIN;
	}
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

/* The error when OVH had to be asked whether an earlier attempt went out and could not be:
 * posting then could send the SMS twice. */
static void unanswered(const GError *e, GError **err)
{
	g_set_error(err, M2S_ERROR, e->code, "%s%s",
	            e->code == M2S_ERR_CONFIG
	                    ? "the consumer key must allow GET /sms/*/outgoing, which tells "
	                      "whether an earlier attempt was sent: "
	                    : "cannot tell whether an earlier attempt was sent: ",
	            e->message);
}

/* No reply, or a server error, after the request went out: OVH may have executed it. */
static gboolean maybe_executed(const GError *e)
{
	return g_error_matches(e, M2S_ERROR, M2S_ERR_NO_REPLY) ||
	       g_error_matches(e, M2S_ERROR, M2S_ERR_SERVER);
}

/* Without a state store (none configured, or down with on_store_error = degrade): this
 * process's tag memory, and OVH asked by tag when an earlier attempt is in doubt or ASK. */
static OvhJobResult *unclaimed_job(Runtime *rt, const MsgJob *job, const char *sender,
                                   gboolean ask, DispatchHow *how, GError **err)
{
	g_autoptr(GArray) ids = NULL;
	g_autoptr(GError) e = NULL;
	g_autoptr(GError) asked = NULL;  /* the same OVH trouble, most often: not repeated */
	OvhJobResult *r = NULL;
	TagState st = tags_state(job->tag, &ids);

	if (st == TAG_SENT) {
		*how |= DISPATCH_EARLIER;
		return earlier_result(g_steal_pointer(&ids), job);
	}
	if (ask || st == TAG_IN_DOUBT) {
		if (!look_up(rt, job, tags_doubt_since(job->tag), &r, &e)) {
			unanswered(e, err);
			return NULL;
		}
		if (r != NULL) {
			*how |= DISPATCH_EARLIER;
			if (job->content_tag)
				tags_settled(job->tag);
			else
				tags_sent(job->tag, r->ids);
			return r;
		}
		tags_settled(job->tag);
	}
	gint64 posted_at = g_get_real_time() / G_USEC_PER_SEC;
	r = send_job(runtime_ovh(rt), runtime_cfg(rt), job, sender, &e);
	if (r == NULL && maybe_executed(e)) {
		if (!look_up(rt, job, posted_at, &r, &asked))
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
	if (job->content_tag)
		tags_settled(job->tag);
	else
		tags_sent(job->tag, r->ids);
	return r;
}

/* Store trouble E: logged at most once a minute (an outage must not flood the log). With
 * on_store_error = tempfail the job waits (FALSE, *err); with degrade it goes on without
 * the store (TRUE): an alert must still go out. */
static gboolean store_trouble(const Cfg *cfg, const GError *e, GError **err)
{
	static gint last_minute;
	gint minute = (gint)(g_get_monotonic_time() / (60 * G_USEC_PER_SEC)) + 1;
	gint seen = g_atomic_int_get(&last_minute);
	gboolean tempfail = cfg->on_store_error == CFG_STORE_TEMPFAIL;

	if (seen != minute && g_atomic_int_compare_and_exchange(&last_minute, seen, minute))
		syslog(LOG_ERR, "%s (on_store_error = %s: %s)", e->message,
		       tempfail ? "tempfail" : "degrade",
		       tempfail ? "SMS mail is deferred" : "SMS go out as without a store");
	if (tempfail)
		g_set_error(err, M2S_ERROR, M2S_ERR_BUSY, "%s", e->message);
	return !tempfail;
}

/* The record of a tag sent earlier, as a result. */
static OvhJobResult *recorded_result(const StoreRecord *rec, const MsgJob *job)
{
	g_auto(GStrv) parts = g_strsplit(rec->ids ? rec->ids : "", ",", -1);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));

	for (char **p = parts; *p; p++) {
		gint64 id = g_ascii_strtoll(*p, NULL, 10);
		if (id > 0)
			g_array_append_val(ids, id);
	}
	return earlier_result(ids, job);
}

/* Records the outcome of a job sent as R under the claim taken at CLAIMED_AT. A store
 * failing now is logged: the SMS went out, and the process memory still knows it. A tag
 * that names the content is forgotten once its job went out: the same text again is the
 * next alert, not a retry. */
static void record_sent(Store *st, const MsgJob *job, const StoreMail *mail,
                        const OvhJobResult *r, gint64 claimed_at)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *ids = ovh_ids_text(r->ids);
	g_autofree char *receivers = NULL;

	g_ptr_array_add(r->valid, NULL);
	receivers = g_strjoinv(",", (char **)r->valid->pdata);
	g_ptr_array_remove_index(r->valid, r->valid->len - 1);
	if (!job->content_tag)
		tags_sent(job->tag, r->ids);
	if (!store_sent(st, job->tag, g_get_real_time() / G_USEC_PER_SEC, ids, r->credits,
	                receivers, mail, &e) ||
	    (job->content_tag && !store_forget(st, job->tag, claimed_at, &e)))
		syslog(LOG_ERR, "tag=%s: sent ids=%s, but %s", job->tag, ids, e->message);
}

/* JOB without the numbers in TAKEN, sharing JOB's strings (free the receivers array only). */
static MsgJob job_without(const MsgJob *job, GPtrArray *taken)
{
	MsgJob part = *job;

	part.receivers = g_ptr_array_new();
	for (guint i = 0; i < job->receivers->len; i++) {
		gboolean paged = FALSE;
		for (guint k = 0; k < taken->len && !paged; k++)
			paged = strcmp(job->receivers->pdata[i], taken->pdata[k]) == 0;
		if (!paged)
			g_ptr_array_add(part.receivers, job->receivers->pdata[i]);
	}
	return part;
}

/* The numbers of JOB (its tag claimed at NOW) that another call for the mail MAIL_KEY has
 * paged or is paging: FALSE with *err when the job must wait (or the store failed with
 * on_store_error = tempfail), with the tag claim given up; TRUE with *TAKEN (NULL: none)
 * otherwise. A job whose every number was paged needs no post. */
static gboolean numbers_of_mail(Runtime *rt, Store *st, const MsgJob *job, const char *mail_key,
                                gint64 now, GPtrArray **taken, DispatchHow *how, GError **err)
{
	StoreNumbers nb = { 0 };
	g_autoptr(GError) e = NULL;

	*taken = NULL;
	if (!store_numbers_claim(st, mail_key, job->tag, job->receivers, now, &nb, &e)) {
		if (store_trouble(runtime_cfg(rt), e, err)) {
			/* degrade: posted to all its numbers, as without a store */
			*how |= DISPATCH_NO_STORE;
			return TRUE;
		}
		store_release(st, job->tag, now, NULL);
		return FALSE;
	}
	if (nb.pending) {
		/* The other call's job may still fail: paged by neither, were this one to stop. */
		store_release(st, job->tag, now, NULL);
		store_numbers_release(st, mail_key, job->tag, NULL);
		g_set_error(err, M2S_ERROR, M2S_ERR_BUSY,
		            "%u of its numbers are being paged by another delivery of this mail",
		            nb.taken->len);
		store_numbers_clear(&nb);
		return FALSE;
	}
	if (nb.taken->len > 0)
		*taken = g_steal_pointer(&nb.taken);
	store_numbers_clear(&nb);
	return TRUE;
}

/* With a state store: the job's tag is claimed before anything is posted, and its outcome
 * recorded, so that one job goes out once across threads, processes, MTAs and restarts.
 * MAIL_KEY (the delivery agent; NULL: none) names the mail whose numbers are paged once
 * across its calls. */
static OvhJobResult *claimed_job(Runtime *rt, Store *st, const MsgJob *job,
                                 const StoreMail *mail, const char *mail_key,
                                 const char *sender, gboolean ask, const FloodMail *fmail,
                                 FloodJob *fj, DispatchHow *how, GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	StoreRecord rec = { 0 };
	g_autoptr(GError) e = NULL;
	g_autoptr(GError) asked = NULL;
	OvhJobResult *r = NULL;
	StoreClaim claim = store_claim(st, job->tag, now, cfg->state_claim_timeout, &rec, &e);
	gint64 doubt_since = rec.doubt_since, claimed_at = rec.claimed_at;

	if (claim == CLAIM_SENT)
		r = recorded_result(&rec, job);
	store_record_clear(&rec);
	switch (claim) {
	case CLAIM_ERROR:
		if (!store_trouble(cfg, e, err))
			return NULL;
		*how |= DISPATCH_NO_STORE;
		return unclaimed_job(rt, job, sender, ask, how, err);
	case CLAIM_SENT:
		*how |= DISPATCH_EARLIER;
		return r;
	case CLAIM_BUSY:
		g_set_error(err, M2S_ERROR, M2S_ERR_BUSY,
		            "being sent by another session (claimed %" G_GINT64_FORMAT " s ago)",
		            MAX(now - claimed_at, 0));
		return NULL;
	case CLAIM_IN_DOUBT:
		/* An earlier attempt may have gone out: OVH says, or the job waits. */
		if (!look_up(rt, job, doubt_since, &r, &e)) {
			store_release(st, job->tag, now, NULL);
			unanswered(e, err);
			return NULL;
		}
		if (r != NULL) {
			*how |= DISPATCH_EARLIER;
			if (fmail != NULL)
				flood_found(cfg, st, job, r, now);
			record_sent(st, job, mail, r, now);
			return r;
		}
		if (now - doubt_since < cfg->state_settle_time) {
			/* A job OVH queued may not be listed yet: not posted again so soon. */
			store_release(st, job->tag, now, NULL);
			g_set_error(err, M2S_ERROR, M2S_ERR_BUSY,
			            "an attempt %" G_GINT64_FORMAT " s ago may still be queued at OVH; "
			            "asked again at the next try", MAX(now - doubt_since, 0));
			return NULL;
		}
		break;
	case CLAIM_WON:
		break;
	}
	g_autoptr(GPtrArray) taken = NULL;
	g_autoptr(GPtrArray) part_receivers = NULL;
	MsgJob part;
	const MsgJob *posted = job;
	if (mail_key != NULL && !numbers_of_mail(rt, st, job, mail_key, now, &taken, how, err))
		return NULL;
	if (taken != NULL && taken->len == job->receivers->len) {
		/* Every number paged by another job of this mail: nothing to post, nothing to
		 * record under this tag (its retry finds the same). */
		store_release(st, job->tag, now, NULL);
		*how |= DISPATCH_EARLIER | DISPATCH_PAGED;
		return earlier_result(g_array_new(FALSE, FALSE, sizeof(gint64)), job);
	}
	if (taken != NULL) {
		part = job_without(job, taken);
		part_receivers = part.receivers;
		posted = &part;
		syslog(LOG_INFO, "tag=%s: %u of its numbers already paged for this mail, not again",
		       job->tag, taken->len);
	}
	if (fmail != NULL && !flood_decide(cfg, st, posted, fmail, now, fj, &e)) {
		store_release(st, job->tag, now, NULL);
		if (mail_key != NULL && doubt_since == 0)
			store_numbers_release(st, mail_key, job->tag, NULL);
		g_propagate_error(err, g_steal_pointer(&e));
		return NULL;
	}
	g_autoptr(GPtrArray) limited_receivers = NULL;
	MsgJob limited;
	if (fmail != NULL && fj->now->len < posted->receivers->len) {
		if (fj->now->len == 0) {
			/* Held or duplicates, every one: nothing posted, and the tag recorded so that
			 * a retry of this mail is not counted again. */
			r = earlier_result(g_array_new(FALSE, FALSE, sizeof(gint64)), job);
			g_ptr_array_set_size(r->valid, 0);
			record_sent(st, job, mail, r, now);
			return r;
		}
		limited = *posted;
		limited.receivers = limited_receivers = g_ptr_array_ref(fj->now);
		posted = &limited;
	}
	MsgJob quiet;
	if (fmail != NULL && fj->differed != 0) {
		quiet = *posted;
		quiet.differed = fj->differed;
		posted = &quiet;
	}
	r = send_job(runtime_ovh(rt), cfg, posted, sender, &e);
	if (r != NULL) {
		if (fmail != NULL)
			flood_sent(cfg, st, fj, r, now);
		record_sent(st, job, mail, r, now);
		return r;
	}
	if (!maybe_executed(e)) {
		/* OVH certainly did not execute it: the next try may post at once, and the other
		 * calls for this mail may page its numbers. An earlier attempt in doubt keeps
		 * them. */
		store_release(st, job->tag, now, NULL);
		if (mail_key != NULL && doubt_since == 0)
			store_numbers_release(st, mail_key, job->tag, NULL);
		if (fmail != NULL)
			flood_give_back(st, fj);
		g_propagate_error(err, g_steal_pointer(&e));
		return NULL;
	}
	/* No reply, or a 5xx after sending: asked at once, else in doubt for the next try. */
	if (look_up(rt, job, now, &r, &asked) && r != NULL) {
		if (fmail != NULL)
			flood_sent(cfg, st, fj, r, now);
		record_sent(st, job, mail, r, now);
		return r;
	}
	store_doubt(st, job->tag, now, NULL);
	tags_in_doubt(job->tag);
	g_propagate_error(err, g_steal_pointer(&e));
	return NULL;
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

/* A job's fate in the figures, once, whichever path decided it. */
static void count_job(const MsgJob *job, const OvhJobResult *r, DispatchHow how,
                      const FloodJob *fj, const GError *e)
{
	if (r == NULL) {
		metrics_job(job_specific(e) ? METRICS_JOB_REFUSED : METRICS_JOB_FAILED);
		/* Every receiver refused by OVH: send.c counted those parts as refused. */
		if (!g_error_matches(e, M2S_ERROR, M2S_ERR_NOUSER))
			metrics_parts(METRICS_PARTS_FAILED,
			              (guint64)job->sms->segments * job->receivers->len);
	} else if (how & DISPATCH_EARLIER) {
		metrics_job(METRICS_JOB_ALREADY_SENT);
	} else if (fj != NULL && fj->now != NULL && fj->now->len == 0) {
		metrics_job(METRICS_JOB_LIMITED);
	} else {
		metrics_job(METRICS_JOB_SENT);
	}
}

/* dispatch_job, with the key of the mail whose numbers are paged once (NULL: none), and
 * what the limits see of the mail (NULL: no limit applies); FJ receives their sorting. */
static OvhJobResult *decide_one(Runtime *rt, const MsgJob *job, const StoreMail *mail,
                                const char *mail_key, const char *sender, gboolean ask,
                                const FloodMail *fmail, FloodJob *fj, DispatchHow *how,
                                GError **err)
{
	g_autoptr(GError) e = NULL;
	Store *st = runtime_store(rt, &e);

	*how = 0;
	if (st != NULL) {
		OvhJobResult *r = claimed_job(rt, st, job, mail, mail_key, sender, ask, fmail, fj,
		                              how, err);
		runtime_keep_clock(rt);
		return r;
	}
	if (e != NULL) {
		if (!store_trouble(runtime_cfg(rt), e, err))
			return NULL;
		*how |= DISPATCH_NO_STORE;
	}
	return unclaimed_job(rt, job, sender, ask, how, err);
}

/* A job's fate noted for `mail2sms status` (activity.c: memory only): a job posted now, or
 * why one did not go; flood control holding a job back is no error. */
static void note_job(const Cfg *cfg, const MsgJob *job, const StoreMail *mail,
                     const OvhJobResult *r, DispatchHow how, const GError *e)
{
	const char *qid = mail != NULL ? mail->queue_id : NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (r != NULL && !(how & DISPATCH_EARLIER) && r->ids->len > 0)
		activity_sent(cfg, qid, job->tag, r, now);
	else if (r == NULL && e != NULL && !g_error_matches(e, M2S_ERROR, M2S_ERR_FLOOD))
		activity_failed(cfg, qid, job->tag, e, now);
}

/* decide_one, its outcome counted and noted. */
static OvhJobResult *dispatch_one(Runtime *rt, const MsgJob *job, const StoreMail *mail,
                                  const char *mail_key, const char *sender, gboolean ask,
                                  const FloodMail *fmail, FloodJob *fj, DispatchHow *how,
                                  GError **err)
{
	GError *e = NULL;
	OvhJobResult *r = decide_one(rt, job, mail, mail_key, sender, ask, fmail, fj, how, &e);

	count_job(job, r, *how, fj, e);
	note_job(runtime_cfg(rt), job, mail, r, *how, e);
	if (e != NULL)
		g_propagate_error(err, e);
	return r;
}

OvhJobResult *dispatch_job(Runtime *rt, const MsgJob *job, const StoreMail *mail,
                           const char *sender, gboolean ask, DispatchHow *how, GError **err)
{
	return dispatch_one(rt, job, mail, NULL, sender, ask, NULL, NULL, how, err);
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
	if (*ids != '\0')
		g_string_append_printf(r->ids, "%s%s", r->ids->len ? "," : "", ids);
	join_into(r->receivers, valid);
	if (invalid)
		join_into(r->invalid, invalid);
	r->credits += credits;
}

/* What the limits did to a job that went through them: held and duplicate receivers
 * logged and added to the report. */
static void report_limited(const Cfg *cfg, const char *qid, const MsgJob *job,
                           const FloodJob *fj, DispatchReport *r)
{
	if (fj->held != NULL && fj->held->len > 0) {
		g_autofree char *who = receivers_for_log(cfg, fj->held);
		syslog(LOG_NOTICE, "%s: held receivers=%s tag=%s reason=%s", qid, who, job->tag,
		       fj->reason);
		if (r->held == NULL)
			r->held = g_string_new(NULL);
		join_into(r->held, fj->held);
		if (r->held_reason == NULL)
			r->held_reason = g_strdup(fj->reason);
	}
	if (fj->duplicate != NULL && fj->duplicate->len > 0) {
		g_autofree char *who = receivers_for_log(cfg, fj->duplicate);
		syslog(LOG_INFO, "%s: duplicate receivers=%s tag=%s earlier ids=%s", qid, who,
		       job->tag, fj->earlier_ids->str);
		if (r->duplicate == NULL) {
			r->duplicate = g_string_new(NULL);
			r->earlier_ids = g_string_new(NULL);
		}
		join_into(r->duplicate, fj->duplicate);
		g_string_append_printf(r->earlier_ids, "%s%s", r->earlier_ids->len ? "," : "",
		                       fj->earlier_ids->str);
	}
}

/* One log line about a job that did not go out; the reason's numbers are masked too. */
static void log_failure(const Cfg *cfg, const char *qid, const char *what, const char *who,
                        const MsgJob *job, const GError *e)
{
	g_autofree char *why = addr_mask_text(e->message, cfg->log_numbers_full);

	syslog(LOG_WARNING, "%s: %s tag=%s receivers=%s reason=%s", qid, what, job->tag, who, why);
}

gboolean dispatch_plan(Runtime *rt, const MsgPlan *plan, const char *queue_id,
                       const char *sender, DispatchFlags flags, DispatchProgress progress,
                       void *arg, DispatchReport *report, GError **err)
{
	const Cfg *cfg = runtime_cfg(rt);
	const char *qid = queue_id && *queue_id ? queue_id : "NOQUEUE";
	g_autoptr(GError) refused = NULL;  /* the first job that will never go */
	StoreMail mail = { .queue_id = queue_id, .sender = sender,
		           .message_id = plan->message_id, .subject = plan->subject };
	FloodMail fmail = { .sender = plan->login ? plan->login : sender,
		            .summary = plan->subject, .urgent = plan->urgent };
	g_autofree char *mail_key = NULL;

	/* The mail across calls: its Message-ID, else the queue id Postfix keeps for it. */
	if (flags & DISPATCH_ONCE_PER_MAIL) {
		if (plan->message_id != NULL && *plan->message_id != '\0')
			mail_key = g_strconcat("message-id:", plan->message_id, NULL);
		else if (queue_id != NULL && *queue_id != '\0')
			mail_key = g_strconcat("queue-id:", queue_id, NULL);
	}

	for (guint i = 0; i < plan->jobs->len; i++) {
		const MsgJob *job = plan->jobs->pdata[i];
		g_autofree char *who = receivers_for_log(cfg, job->receivers);
		g_autofree char *ids = NULL;
		g_autoptr(OvhJobResult) r = NULL;
		g_autoptr(GError) e = NULL;
		gint64 t0 = g_get_monotonic_time();
		DispatchHow how;
		g_auto(FloodJob) fj = { 0 };

		if (progress)
			progress(arg);
		if (plan->subject == NULL || *plan->subject == '\0')
			fmail.summary = job->sms->text;
		r = dispatch_one(rt, job, &mail, mail_key, NULL, (flags & DISPATCH_ASK) != 0, &fmail,
		                 &fj, &how, &e);
		if (how & DISPATCH_NO_STORE)
			report->no_store = TRUE;
		if (r != NULL)
			report_limited(cfg, qid, job, &fj, report);
		if (r != NULL && fj.now != NULL && fj.now->len == 0)
			continue;
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
		if (how & DISPATCH_PAGED) {
			syslog(LOG_INFO, "%s: already paged by another delivery of this mail "
			       "receivers=%s tag=%s", qid, who, job->tag);
			report_add(report, "", job->receivers, NULL, 0);
			continue;
		}
		if (how & DISPATCH_EARLIER) {
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
		reports_job_sent(rt, plan, sender, job, r);
		replies_job_sent(rt, job, r);
	}
	if (refused != NULL) {
		g_propagate_error(err, g_steal_pointer(&refused));
		return FALSE;
	}
	return TRUE;
}

MetricsMail dispatch_mail_result(const DispatchReport *r)
{
	if (r->ids != NULL && r->ids->len > 0)
		return METRICS_MAIL_SENT;
	if (r->held != NULL)
		return METRICS_MAIL_HELD;
	return r->duplicate != NULL ? METRICS_MAIL_DUPLICATE : METRICS_MAIL_SENT;
}

void dispatch_report_clear(DispatchReport *r)
{
	if (r->ids)
		g_string_free(r->ids, TRUE);
	if (r->receivers)
		g_string_free(r->receivers, TRUE);
	if (r->invalid)
		g_string_free(r->invalid, TRUE);
	if (r->held)
		g_string_free(r->held, TRUE);
	if (r->duplicate)
		g_string_free(r->duplicate, TRUE);
	if (r->earlier_ids)
		g_string_free(r->earlier_ids, TRUE);
	g_free(r->held_reason);
	memset(r, 0, sizeof *r);
}

/* send.c: one SMS job from the configuration to OVH, and OVH's answer classified.
 *
 * The one place where the [sms] settings become an OVH job, where a reply with no valid
 * receiver becomes a refusal, and where what OVH took (parts, credits) and refused is
 * counted. It must not decide whether a job should be posted, nor look a tag up: that is
 * dispatch.c's, which owns "was this job sent?". */
#include "send.h"
#include "error.h"
#include "metrics.h"

OvhJobResult *send_job(OvhClient *c, const Cfg *cfg, const MsgJob *job, const char *sender,
                       GError **err)
{
	/* OVH's job wants a NULL-terminated list; the plan's array stays as it is. */
	g_autofree const char **receivers = g_new0(const char *, job->receivers->len + 1);
	for (guint i = 0; i < job->receivers->len; i++)
		receivers[i] = job->receivers->pdata[i];
	OvhJob post = {
		.message = job->sms->text,
		.receivers = receivers,
		.sender = sender ? sender : cfg->sms_sender,
		.sender_for_response = sender ? FALSE : cfg->sms_sender_for_response,
		.no_stop_clause = cfg->sms_no_stop_clause,
		.priority = cfg->sms_priority,
		.validity = cfg->sms_validity,
		.differed = job->differed,
		.tag = job->tag,
	};
	OvhJobResult *r = ovh_post_job(c, &post, err);

	if (r == NULL)
		return NULL;
	/* What OVH took and refused, counted where its answer is read. */
	metrics_parts(METRICS_PARTS_SENT, (guint64)job->sms->segments * r->valid->len);
	metrics_parts(METRICS_PARTS_REFUSED, (guint64)job->sms->segments * r->invalid->len);
	metrics_receivers_refused(r->invalid->len);
	metrics_credits_spent(r->credits);
	if (r->valid->len > 0)
		return r;
	g_ptr_array_add(r->invalid, NULL);
	g_autofree char *names = g_strjoinv(", ", (char **)r->invalid->pdata);
	g_ptr_array_remove_index(r->invalid, r->invalid->len - 1);
	g_set_error(err, M2S_ERROR, M2S_ERR_NOUSER, "OVH refused every receiver (%s)",
	            *names ? names : "none valid");
	ovh_job_result_free(r);
	return NULL;
}

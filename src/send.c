/* send.c: one SMS job from the configuration to OVH and back.
 *
 * The one place where the [sms] settings become an OVH job and where OVH's answer becomes
 * sent or refused, shared by the CLI, the delivery agent and the milter. A job whose fate is
 * unknown (sent, then no reply or a server error) is looked up by its tag; when even that
 * fails, the caller is told, so that it never posts the job again blindly. */
#include "send.h"
#include "error.h"

/* Whether OVH has a job under TAG: its ids rebuilt as a result, or NULL with *found FALSE;
 * FALSE when OVH could not be asked. */
static gboolean lookup_tag(OvhClient *c, const char *const *receivers, const char *tag,
                           OvhJobResult **found, GError **err)
{
	GArray *ids = ovh_outgoing_by_tag(c, tag, err);
	OvhJobResult *r;

	*found = NULL;
	if (ids == NULL)
		return FALSE;
	if (ids->len == 0) {
		g_array_unref(ids);
		return TRUE;
	}
	r = g_new0(OvhJobResult, 1);
	r->ids = ids;
	r->valid = g_ptr_array_new_with_free_func(g_free);
	r->invalid = g_ptr_array_new_with_free_func(g_free);
	for (const char *const *p = receivers; *p; p++)
		g_ptr_array_add(r->valid, g_strdup(*p));
	*found = r;
	return TRUE;
}

OvhJobResult *send_job(OvhClient *c, const Cfg *cfg, const char *const *receivers,
                       const char *message, const char *tag, const char *sender,
                       gboolean *unknown, GError **err)
{
	OvhJob job = {
		.message = message,
		.receivers = receivers,
		.sender = sender ? sender : cfg->sms_sender,
		.sender_for_response = sender ? FALSE : cfg->sms_sender_for_response,
		.no_stop_clause = cfg->sms_no_stop_clause,
		.priority = cfg->sms_priority,
		.validity = cfg->sms_validity,
		.tag = tag,
	};
	g_autoptr(GError) e = NULL;
	g_autoptr(GError) asked = NULL;  /* the same OVH trouble, most often: not repeated */
	OvhJobResult *r = ovh_post_job(c, &job, &e);

	/* No reply, or a server error, after the job was sent: OVH may have executed it. */
	if (r == NULL && tag &&
	    (g_error_matches(e, M2S_ERROR, M2S_ERR_NO_REPLY) ||
	     g_error_matches(e, M2S_ERROR, M2S_ERR_SERVER))) {
		if (!lookup_tag(c, receivers, tag, &r, &asked)) {
			if (unknown)
				*unknown = TRUE;
			g_propagate_error(err, g_steal_pointer(&e));
			return NULL;
		}
		/* Not listed yet is not proof: a job OVH has queued may show only once sent,
		 * so the retry asks again. */
		if (r == NULL && e->code == M2S_ERR_NO_REPLY && unknown)
			*unknown = TRUE;
	}
	if (r == NULL) {
		g_propagate_error(err, g_steal_pointer(&e));
		return NULL;
	}
	if (r->valid->len == 0) {
		g_ptr_array_add(r->invalid, NULL);
		g_autofree char *names = g_strjoinv(", ", (char **)r->invalid->pdata);
		g_ptr_array_remove_index(r->invalid, r->invalid->len - 1);
		g_set_error(err, M2S_ERROR, M2S_ERR_NOUSER, "OVH refused every receiver (%s)",
		            *names ? names : "none valid");
		ovh_job_result_free(r);
		return NULL;
	}
	return r;
}

/* send.c: one SMS job from the configuration to OVH and back.
 *
 * The one place where the [sms] settings become an OVH job and where OVH's answer becomes
 * sent or refused, shared by the CLI, the delivery agent and the milter. It must not retry a
 * job that may have been executed without first asking OVH for its tag. */
#include "send.h"
#include "error.h"

/* A job OVH executed although its reply was lost: rebuilt from the tag's ids. */
static OvhJobResult *recover_by_tag(OvhClient *c, const char *const *receivers,
                                    const char *tag)
{
	g_autoptr(GError) e = NULL;
	GArray *ids = ovh_outgoing_by_tag(c, tag, &e);
	OvhJobResult *r;

	if (ids == NULL || ids->len == 0) {
		if (ids)
			g_array_unref(ids);
		return NULL;
	}
	r = g_new0(OvhJobResult, 1);
	r->ids = ids;
	r->valid = g_ptr_array_new_with_free_func(g_free);
	r->invalid = g_ptr_array_new_with_free_func(g_free);
	for (const char *const *p = receivers; *p; p++)
		g_ptr_array_add(r->valid, g_strdup(*p));
	return r;
}

OvhJobResult *send_job(OvhClient *c, const Cfg *cfg, const char *const *receivers,
                       const char *message, const char *tag, const char *sender,
                       GError **err)
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
	OvhJobResult *r = ovh_post_job(c, &job, &e);

	if (r == NULL && tag && g_error_matches(e, M2S_ERROR, M2S_ERR_NO_REPLY))
		r = recover_by_tag(c, receivers, tag);
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

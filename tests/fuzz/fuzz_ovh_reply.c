/* fuzz_ovh_reply.c: libFuzzer target over OVH's replies (ovh_reply.c).
 *
 * Input: byte 0 picks the entry point, byte 1 the HTTP status, byte 2 the length of an
 * X-Ovh-QueryId value that follows (0: none, cleaned as ovh_http.c cleans it); the rest is
 * the body. Promises checked: every call gives a result or an M2S_ERROR, never both or
 * neither; the error's kind follows the status; every text, error or result, is valid
 * UTF-8, one line and bounded. A crash, a sanitizer report or a leak is a finding too. */
#include <stdint.h>
#include "fuzz_common.h"
#include "ovh.h"
#include "ovh_reply.h"
#include "safeline.h"

/* OVH's texts are kept to SAFELINE_OVH bytes. */
#define FUZZ_MAX_CLEAN SAFELINE_OVH
/* "OVH what: " + message + " (" + code + ", HTTP n, query " + id + ")". */
#define FUZZ_MAX_ERROR (64 + 3 * FUZZ_MAX_CLEAN)

static const long statuses[] = { 200, 201, 204, 299, 200, 200, 200, 200, 400, 401, 403, 404,
                                 409, 429, 500, 503, 0, 100, 199, 300, 302, 499, 599, 999,
                                 -1, 2147483647, 200, 400, 200, 500, 200, 429 };

/* The error of a call on a reply of STATUS: its kind follows the status. */
static void check_error(const GError *err, long status, gboolean shape_only)
{
	fuzz_check_error(err, FUZZ_MAX_ERROR);
	if (!g_str_has_prefix(err->message, "OVH "))
		fuzz_fail("error does not start with \"OVH \"", err->message);
	if (shape_only || (status >= 200 && status < 300)) {
		if (err->code != M2S_ERR_SERVER)
			fuzz_fail("a 2xx reply that is not usable must be M2S_ERR_SERVER", err->message);
		return;
	}
	if ((status == 429 && err->code != M2S_ERR_THROTTLED) ||
	    (status >= 500 && err->code != M2S_ERR_SERVER) ||
	    ((status == 401 || status == 403 || status == 404) && err->code != M2S_ERR_CONFIG))
		fuzz_fail("error kind does not follow the HTTP status", err->message);
	if (err->code != M2S_ERR_THROTTLED && err->code != M2S_ERR_SERVER &&
	    err->code != M2S_ERR_CONFIG && err->code != M2S_ERR_REQUEST)
		fuzz_fail("error of an unexpected kind", err->message);
	if (strstr(err->message, "HTTP ") == NULL)
		fuzz_fail("a non-2xx error does not give the status", err->message);
}

/* Exactly one of OK and ERR. */
static void check_one(gboolean ok, const GError *err)
{
	if (ok == (err != NULL))
		fuzz_fail(ok ? "a result and an error" : "neither a result nor an error",
		          err ? err->message : NULL);
}

static void check_strings(GPtrArray *a)
{
	for (guint i = 0; i < a->len; i++)
		fuzz_check_line(a->pdata[i], FUZZ_MAX_CLEAN, "string of a reply");
}

static void run(guint8 entry, const OvhReply *r)
{
	GError *err = NULL;

	switch (entry % 9) {
	case 0: {
		char *code = NULL;
		json_object *j = ovh_reply_body(r, "call", &code, &err);
		check_one(j != NULL, err);
		if (j == NULL)
			check_error(err, r->status, FALSE);
		if (code && (j || (r->status >= 200 && r->status < 300)))
			fuzz_fail("an errorCode without a non-2xx error", code);
		json_object_put(j);
		g_free(code);
		break;
	}
	case 1: {
		gint64 t = 0;
		gboolean ok = ovh_reply_time(r, &t, &err);
		check_one(ok, err);
		if (ok && (r->status < 200 || r->status >= 300 || t <= 0))
			fuzz_fail("a time from a reply that is not one", NULL);
		if (!ok)
			check_error(err, r->status, FALSE);
		break;
	}
	case 2: {
		GPtrArray *a = ovh_reply_strings(r, "senders", &err);
		check_one(a != NULL, err);
		if (a) {
			check_strings(a);
			g_ptr_array_unref(a);
		} else {
			check_error(err, r->status, FALSE);
		}
		break;
	}
	case 3: {
		double credits = 0;
		gboolean ok = ovh_reply_credits(r, &credits, &err);
		check_one(ok, err);
		if (!ok)
			check_error(err, r->status, FALSE);
		break;
	}
	case 4: {
		OvhJobResult *res = ovh_reply_job(r, &err);
		check_one(res != NULL, err);
		if (res) {
			if (!res->ids || !res->valid || !res->invalid)
				fuzz_fail("a job result without ids, valid or invalid", NULL);
			check_strings(res->valid);
			check_strings(res->invalid);
			g_autofree char *ids = ovh_ids_text(res->ids);
			fuzz_check_line(ids, 32 * res->ids->len + 1, "job ids");
			ovh_job_result_free(res);
		} else {
			check_error(err, r->status, FALSE);
		}
		break;
	}
	case 5: {
		GArray *ids = ovh_reply_outgoing(r, &err);
		check_one(ids != NULL, err);
		if (ids)
			g_array_unref(ids);
		else
			check_error(err, r->status, FALSE);
		break;
	}
	case 6: {
		char *ck = NULL, *url = NULL;
		gboolean ok = ovh_reply_credential(r, &ck, &url, &err);
		check_one(ok, err);
		if (ok) {
			fuzz_check_line(ck, FUZZ_MAX_CLEAN, "consumer key");
			fuzz_check_line(url, FUZZ_MAX_CLEAN, "validation URL");
		} else {
			if (ck || url)
				fuzz_fail("a refused credential reply gave a key or URL", NULL);
			check_error(err, r->status, FALSE);
		}
		g_free(ck);
		g_free(url);
		break;
	}
	case 7: {
		char *s = ovh_reply_current_credential(r, &err);
		check_one(s != NULL, err);
		if (s)
			fuzz_check_line(s, 2 * FUZZ_MAX_CLEAN + 16, "credential status");
		else
			check_error(err, r->status, FALSE);
		g_free(s);
		break;
	}
	default: {
		g_autofree char *text = g_strndup(r->body, r->len);
		g_autofree char *clean = safeline(text, SAFELINE_OVH, FALSE);
		fuzz_check_line(clean, FUZZ_MAX_CLEAN, "safeline");
		break;
	}
	}
	g_clear_error(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *query_id = NULL;
	g_autofree char *body = NULL;
	OvhReply r;
	gsize qlen;

	if (size < 3)
		return 0;
	qlen = MIN((gsize)data[2], size - 3);
	if (qlen > 0) {
		/* As on_header keeps it: stripped, then cleaned. */
		g_autofree char *raw = g_strstrip(g_strndup((const char *)data + 3, qlen));
		query_id = safeline(raw, SAFELINE_OVH, FALSE);
	}
	/* A copy of the body's bytes with a NUL after them, as a GString holds a reply: ASan
	 * sees any read beyond. */
	body = g_malloc(size - 3 - qlen + 1);
	memcpy(body, data + 3 + qlen, size - 3 - qlen);
	body[size - 3 - qlen] = '\0';
	r = (OvhReply){ statuses[data[1] % G_N_ELEMENTS(statuses)], body, size - 3 - qlen,
		        query_id };
	run(data[0], &r);
	return 0;
}

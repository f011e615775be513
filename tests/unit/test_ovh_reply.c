/* test_ovh_reply.c: OVH's replies read without a server (ovh_reply.c): results, the
 * classification of error replies, and the cleaning of OVH's texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>
#include "error.h"
#include "ovh_reply.h"

#define QID "EU.ext-3.5f1a2b3c.12345.abcdef"

static OvhReply reply(long status, const char *body)
{
	return (OvhReply){ status, body, strlen(body), QID };
}

static void job_reply_read(void **s)
{
	(void)s;
	OvhReply r = reply(200, "{\"totalCreditsRemoved\":2,\"invalidReceivers\":[\"+33600000000\"],"
	                        "\"ids\":[268425642],\"validReceivers\":[\"+33612345678\"]}");
	GError *e = NULL;
	g_autoptr(OvhJobResult) j = ovh_reply_job(&r, &e);

	assert_null(e);
	assert_non_null(j);
	assert_int_equal(j->ids->len, 1);
	assert_true(g_array_index(j->ids, gint64, 0) == 268425642);
	assert_string_equal(j->valid->pdata[0], "+33612345678");
	assert_string_equal(j->invalid->pdata[0], "+33600000000");
	assert_true(j->credits == 2);
}

static void wrong_shapes_are_server_errors(void **s)
{
	(void)s;
	static const char *const bodies[] = { "{\"ids\":[\"1\"],\"validReceivers\":[],"
	                                      "\"invalidReceivers\":[]}",
	                                      "[]", "{}", "\"x\"" };
	for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
		OvhReply r = reply(200, bodies[i]);
		GError *e = NULL;
		assert_null(ovh_reply_job(&r, &e));
		assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_SERVER));
		assert_string_equal(e->message, "OVH job: unexpected reply");
		g_clear_error(&e);
	}
	OvhReply r = reply(200, "{\"a\":1} x");
	GError *e = NULL;
	assert_null(ovh_reply_body(&r, "job", NULL, &e));
	assert_string_equal(e->message, "OVH job: the reply is not JSON (HTTP 200)");
	g_clear_error(&e);
}

static void errors_classified(void **s)
{
	(void)s;
	static const struct { long status; const char *body; int code; const char *text; } cases[] = {
		{ 429, "{\"class\":\"Client::TooManyRequests\",\"message\":\"Too many requests\"}",
		  M2S_ERR_THROTTLED,
		  "OVH job: Too many requests (Client::TooManyRequests, HTTP 429, query " QID ")" },
		{ 503, "<html>down</html>", M2S_ERR_SERVER,
		  "OVH job: no error message (HTTP 503, query " QID ")" },
		{ 403, "{\"errorCode\":\"NOT_GRANTED_CALL\",\"message\":\"This call has not been "
		       "granted\"}", M2S_ERR_CONFIG,
		  "OVH job: This call has not been granted (NOT_GRANTED_CALL, HTTP 403, query " QID ")" },
		{ 400, "{\"errorCode\":\"INVALID_SIGNATURE\",\"message\":\"Invalid signature\"}",
		  M2S_ERR_CONFIG,
		  "OVH job: Invalid signature (INVALID_SIGNATURE, HTTP 400, query " QID ")" },
		{ 400, "{\"errorCode\":\"QUERY_TIME_OUT\",\"message\":\"Query out of time\"}",
		  M2S_ERR_THROTTLED,
		  "OVH job: Query out of time (QUERY_TIME_OUT, HTTP 400, query " QID ")" },
		{ 400, "{\"message\":\"Invalid receiver\"}", M2S_ERR_REQUEST,
		  "OVH job: Invalid receiver (HTTP 400, query " QID ")" },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		OvhReply r = reply(cases[i].status, cases[i].body);
		GError *e = NULL;
		g_autofree char *code = NULL;
		assert_null(ovh_reply_body(&r, "job", &code, &e));
		assert_true(g_error_matches(e, M2S_ERROR, cases[i].code));
		assert_string_equal(e->message, cases[i].text);
		g_clear_error(&e);
	}
}

static void clock_read(void **s)
{
	(void)s;
	OvhReply ok = reply(200, " 1718000000\n"), bad = reply(200, "1718000000x");
	GError *e = NULL;
	gint64 t = 0;

	assert_true(ovh_reply_time(&ok, &t, &e));
	assert_true(t == 1718000000);
	assert_false(ovh_reply_time(&bad, &t, &e));
	assert_string_equal(e->message, "OVH clock: /auth/time did not answer a time");
	g_clear_error(&e);
}

/* Found by fuzz_ovh_reply (seed ovh_reply/clock-299): a 2xx other than 200 from /auth/time
 * was classified as OVH refusing the request (M2S_ERR_REQUEST: a permanent 554 for the mail)
 * when it is a reply that is not one (M2S_ERR_SERVER: try again later). */
static void clock_other_2xx_is_server(void **s)
{
	(void)s;
	OvhReply empty = reply(204, ""), other = reply(299, "1718000000");
	GError *e = NULL;
	gint64 t = 0;

	assert_false(ovh_reply_time(&empty, &t, &e));
	assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_SERVER));
	g_clear_error(&e);
	assert_true(ovh_reply_time(&other, &t, &e));
	assert_true(t == 1718000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(job_reply_read),
		cmocka_unit_test(wrong_shapes_are_server_errors),
		cmocka_unit_test(errors_classified),
		cmocka_unit_test(clock_read),
		cmocka_unit_test(clock_other_2xx_is_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

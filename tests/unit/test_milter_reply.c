/* test_milter_reply.c: outcomes to SMTP replies, and reply-safe text (milter_reply.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "error.h"
#include "milter_reply.h"

typedef struct {
	M2sErrorCode code;
	CfgAction on_api_error;
	CfgAction on_config_error;
	const char *rcode;
	const char *xcode;
	gboolean temporary;
	gboolean accept;
} Case;

/* Every error code under every action: the codes of DESIGN.md and error.h. */
static const Case cases[] = {
	/* Refusals at RCPT do not depend on the actions. */
	{ M2S_ERR_NOUSER, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "550", "5.1.1", FALSE, FALSE },
	{ M2S_ERR_NOUSER, CFG_ACT_ACCEPT, CFG_ACT_REJECT, "550", "5.1.1", FALSE, FALSE },
	{ M2S_ERR_NOPERM, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "550", "5.7.1", FALSE, FALSE },
	{ M2S_ERR_NOPERM, CFG_ACT_ACCEPT, CFG_ACT_REJECT, "550", "5.7.1", FALSE, FALSE },
	{ M2S_ERR_TOO_MANY, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "452", "4.5.3", TRUE, FALSE },
	{ M2S_ERR_TOO_MANY, CFG_ACT_REJECT, CFG_ACT_REJECT, "452", "4.5.3", TRUE, FALSE },
	{ M2S_ERR_TOO_MANY, CFG_ACT_ACCEPT, CFG_ACT_TEMPFAIL, "452", "4.5.3", TRUE, FALSE },
	{ M2S_ERR_LIMIT, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "550", "5.5.3", FALSE, FALSE },
	{ M2S_ERR_LIMIT, CFG_ACT_ACCEPT, CFG_ACT_REJECT, "550", "5.5.3", FALSE, FALSE },
	/* OVH unreachable, or sent with no reply: on_api_error. */
	{ M2S_ERR_UNREACHABLE, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "451", "4.4.1", TRUE, FALSE },
	{ M2S_ERR_UNREACHABLE, CFG_ACT_REJECT, CFG_ACT_TEMPFAIL, "554", "5.4.1", FALSE, FALSE },
	{ M2S_ERR_UNREACHABLE, CFG_ACT_ACCEPT, CFG_ACT_TEMPFAIL, "451", "4.4.1", TRUE, TRUE },
	{ M2S_ERR_UNREACHABLE, CFG_ACT_TEMPFAIL, CFG_ACT_REJECT, "451", "4.4.1", TRUE, FALSE },
	{ M2S_ERR_NO_REPLY, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "451", "4.4.1", TRUE, FALSE },
	{ M2S_ERR_NO_REPLY, CFG_ACT_REJECT, CFG_ACT_REJECT, "554", "5.4.1", FALSE, FALSE },
	{ M2S_ERR_NO_REPLY, CFG_ACT_ACCEPT, CFG_ACT_REJECT, "451", "4.4.1", TRUE, TRUE },
	/* OVH 5xx and 429: on_api_error. */
	{ M2S_ERR_SERVER, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "451", "4.3.0", TRUE, FALSE },
	{ M2S_ERR_THROTTLED, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "451", "4.3.0", TRUE, FALSE },
	{ M2S_ERR_THROTTLED, CFG_ACT_REJECT, CFG_ACT_TEMPFAIL, "554", "5.3.0", FALSE, FALSE },
	{ M2S_ERR_SERVER, CFG_ACT_REJECT, CFG_ACT_TEMPFAIL, "554", "5.3.0", FALSE, FALSE },
	{ M2S_ERR_SERVER, CFG_ACT_ACCEPT, CFG_ACT_TEMPFAIL, "451", "4.3.0", TRUE, TRUE },
	{ M2S_ERR_SERVER, CFG_ACT_TEMPFAIL, CFG_ACT_REJECT, "451", "4.3.0", TRUE, FALSE },
	/* Configuration and credentials: on_config_error only, never accepted. */
	{ M2S_ERR_CONFIG, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "451", "4.3.5", TRUE, FALSE },
	{ M2S_ERR_CONFIG, CFG_ACT_TEMPFAIL, CFG_ACT_REJECT, "554", "5.3.5", FALSE, FALSE },
	{ M2S_ERR_CONFIG, CFG_ACT_ACCEPT, CFG_ACT_TEMPFAIL, "451", "4.3.5", TRUE, FALSE },
	{ M2S_ERR_CONFIG, CFG_ACT_ACCEPT, CFG_ACT_REJECT, "554", "5.3.5", FALSE, FALSE },
	{ M2S_ERR_CONFIG, CFG_ACT_REJECT, CFG_ACT_TEMPFAIL, "451", "4.3.5", TRUE, FALSE },
	/* OVH refused the request itself; an unreadable or empty mail: permanent. */
	{ M2S_ERR_REQUEST, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "554", "5.3.0", FALSE, FALSE },
	{ M2S_ERR_REQUEST, CFG_ACT_ACCEPT, CFG_ACT_REJECT, "554", "5.3.0", FALSE, FALSE },
	{ M2S_ERR_DATA, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "554", "5.6.0", FALSE, FALSE },
	{ M2S_ERR_DATA, CFG_ACT_ACCEPT, CFG_ACT_REJECT, "554", "5.6.0", FALSE, FALSE },
	/* Local trouble: try again later. */
	{ M2S_ERR_IO, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "451", "4.3.0", TRUE, FALSE },
	{ M2S_ERR_IO, CFG_ACT_REJECT, CFG_ACT_REJECT, "451", "4.3.0", TRUE, FALSE },
	{ M2S_ERR_BUSY, CFG_ACT_REJECT, CFG_ACT_REJECT, "451", "4.3.0", TRUE, FALSE },
	{ M2S_ERR_BUSY, CFG_ACT_ACCEPT, CFG_ACT_TEMPFAIL, "451", "4.3.0", TRUE, FALSE },
	{ M2S_ERR_USAGE, CFG_ACT_TEMPFAIL, CFG_ACT_TEMPFAIL, "451", "4.3.0", TRUE, FALSE },
};

static void test_codes(void **state)
{
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const Case *c = &cases[i];
		g_autoptr(Cfg) cfg = cfg_new_default();
		g_autoptr(GError) e = g_error_new(M2S_ERROR, c->code, "what happened %u", (guint)i);
		MilterReply r;

		cfg->on_api_error = c->on_api_error;
		cfg->on_config_error = c->on_config_error;
		milter_reply_for(cfg, e, &r);
		if (strcmp(r.rcode, c->rcode) != 0 || strcmp(r.xcode, c->xcode) != 0 ||
		    r.temporary != c->temporary || r.accept != c->accept)
			print_error("case %u (code %d, api %d, config %d): got %s %s temporary=%d "
			            "accept=%d\n", (guint)i, c->code, c->on_api_error,
			            c->on_config_error, r.rcode, r.xcode, r.temporary, r.accept);
		assert_string_equal(r.rcode, c->rcode);
		assert_string_equal(r.xcode, c->xcode);
		assert_int_equal(r.temporary, c->temporary);
		assert_int_equal(r.accept, c->accept);
		/* The class digit of the code and of the extended code agree. */
		assert_int_equal(r.rcode[0], r.xcode[0]);
		g_autofree char *want = g_strdup_printf("SMS not sent: what happened %u", (guint)i);
		assert_string_equal(r.text, want);
		milter_reply_clear(&r);
		assert_null(r.text);
	}
}

/* Defaults: tempfail for both. */
static void test_defaults(void **state)
{
	(void)state;
	g_autoptr(Cfg) cfg = cfg_new_default();
	g_autoptr(GError) api = g_error_new(M2S_ERROR, M2S_ERR_SERVER, "503");
	g_autoptr(GError) conf = g_error_new(M2S_ERROR, M2S_ERR_CONFIG, "bad key");
	MilterReply r;

	milter_reply_for(cfg, api, &r);
	assert_string_equal(r.rcode, "451");
	assert_string_equal(r.xcode, "4.3.0");
	milter_reply_clear(&r);
	milter_reply_for(cfg, conf, &r);
	assert_string_equal(r.rcode, "451");
	assert_string_equal(r.xcode, "4.3.5");
	milter_reply_clear(&r);
}

/* An error from outside M2S_ERROR is local trouble, whatever its code says. */
static void test_foreign_domain(void **state)
{
	(void)state;
	g_autoptr(Cfg) cfg = cfg_new_default();
	g_autoptr(GError) e = g_error_new(G_FILE_ERROR, M2S_ERR_NOUSER, "disk on fire");
	MilterReply r;

	milter_reply_for(cfg, e, &r);
	assert_string_equal(r.rcode, "451");
	assert_string_equal(r.xcode, "4.3.0");
	assert_true(r.temporary);
	assert_string_equal(r.text, "SMS not sent: disk on fire");
	milter_reply_clear(&r);
}

/* The reply text of a hostile message: one line, '%' doubled, at most 980 bytes. */
static void test_reply_text_hostile(void **state)
{
	(void)state;
	g_autoptr(Cfg) cfg = cfg_new_default();
	g_autoptr(GError) e = g_error_new(M2S_ERROR, M2S_ERR_NOUSER,
	                                  "12%%s%%n\r\n250 2.0.0 ok\n%%");
	MilterReply r;

	milter_reply_for(cfg, e, &r);
	assert_string_equal(r.text, "SMS not sent: 12%%s%%n  250 2.0.0 ok %%");
	milter_reply_clear(&r);

	GString *big = g_string_new(NULL);
	for (int i = 0; i < 2000; i++)
		g_string_append(big, "%\n");
	g_autoptr(GError) e2 = g_error_new_literal(M2S_ERROR, M2S_ERR_SERVER, big->str);
	g_string_free(big, TRUE);
	milter_reply_for(cfg, e2, &r);
	assert_true(strlen(r.text) <= 980);
	assert_true(strlen(r.text) > 900);
	assert_null(strchr(r.text, '\n'));
	assert_null(strchr(r.text, '\r'));
	milter_reply_clear(&r);
}

/* SMTP replies are ASCII: OVH's accented text is transliterated. */
static void test_reply_text_ascii(void **state)
{
	(void)state;
	g_autoptr(Cfg) cfg = cfg_new_default();
	g_autoptr(GError) e = g_error_new(M2S_ERROR, M2S_ERR_REQUEST, "Numéro invalide : « 06 »");
	MilterReply r;

	milter_reply_for(cfg, e, &r);
	for (const char *p = r.text; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	assert_non_null(strstr(r.text, "Numero invalide"));
	milter_reply_clear(&r);
}

/* A quote in OVH's text must not end the header's quoted reason. */
static void test_failed_header_quotes(void **state)
{
	(void)state;
	g_autofree char *h = milter_failed_header("OVH job: \"tag\" is invalid \\ here");
	assert_string_equal(h, "failed; reason=\"OVH job: 'tag' is invalid ' here\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_foreign_domain),
		cmocka_unit_test(test_reply_text_hostile),
		cmocka_unit_test(test_reply_text_ascii),
		cmocka_unit_test(test_failed_header_quotes),
	};
	return cmocka_run_group_tests_name("milter_reply", tests, NULL, NULL);
}

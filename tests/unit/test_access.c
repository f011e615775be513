/* test_access.c: the [access] rules: networks, SMTP AUTH, the senders list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "access.h"
#include "error.h"

static gboolean may(const Cfg *c, const char *ip, const char *auth, const char *sender)
{
	g_autoptr(GError) e = NULL;
	gboolean ok = access_may_send(c, ip, auth, sender, &e);

	if (!ok)
		assert_int_equal(e->code, M2S_ERR_NOPERM);
	return ok;
}

static void defaults_allow_loopback_and_auth_only(void **s)
{
	(void)s;
	g_autoptr(Cfg) c = cfg_new_default();

	assert_true(may(c, "127.0.0.1", NULL, "a@b.c"));
	assert_true(may(c, "127.3.4.5", "", "a@b.c"));
	assert_true(may(c, "::1", NULL, "a@b.c"));
	assert_true(may(c, "[::1]", NULL, "a@b.c"));
	assert_true(may(c, "::ffff:127.0.0.1", NULL, "a@b.c"));
	assert_false(may(c, "192.0.2.1", NULL, "a@b.c"));
	assert_false(may(c, "192.0.2.1", "", "a@b.c"));
	assert_false(may(c, "2001:db8::1", NULL, "a@b.c"));
	assert_false(may(c, "unknown", NULL, "a@b.c"));
	assert_true(may(c, "192.0.2.1", "alice", "a@b.c"));
}

static void authenticated_false_refuses_auth_users(void **s)
{
	(void)s;
	g_autoptr(Cfg) c = cfg_new_default();

	c->access_authenticated = FALSE;
	assert_false(may(c, "192.0.2.1", "alice", "a@b.c"));
	assert_true(may(c, "127.0.0.1", "alice", "a@b.c"));
}

static void networks_list(void **s)
{
	(void)s;
	g_autoptr(Cfg) c = cfg_new_default();

	g_ptr_array_set_size(c->access_networks, 0);
	g_ptr_array_add(c->access_networks, g_inet_address_mask_new_from_string("10.1.0.0/16", NULL));
	assert_true(may(c, "10.1.200.3", NULL, ""));
	assert_false(may(c, "10.2.0.1", NULL, ""));
	assert_false(may(c, "127.0.0.1", NULL, ""));
}

static void senders_list_on_top(void **s)
{
	(void)s;
	g_autoptr(Cfg) c = cfg_new_default();

	g_strfreev(c->access_senders);
	c->access_senders = g_strsplit("nagios@mon.example.com @ops.example.com", " ", -1);
	assert_true(may(c, "127.0.0.1", NULL, "<Nagios@Mon.Example.com>"));
	assert_true(may(c, "127.0.0.1", NULL, "bob@ops.example.com"));
	assert_false(may(c, "127.0.0.1", NULL, "bob@sub.ops.example.com"));
	assert_false(may(c, "127.0.0.1", NULL, "eve@example.com"));
	assert_false(may(c, "127.0.0.1", NULL, "<>"));
	assert_false(may(c, "127.0.0.1", NULL, NULL));
	/* The delivery agent knows no client: only the senders rule applies. */
	assert_true(may(c, NULL, NULL, "bob@ops.example.com"));
	assert_false(may(c, NULL, NULL, "eve@example.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_allow_loopback_and_auth_only),
		cmocka_unit_test(authenticated_false_refuses_auth_users),
		cmocka_unit_test(networks_list),
		cmocka_unit_test(senders_list_on_top),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

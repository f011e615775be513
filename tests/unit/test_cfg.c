/* test_cfg.c: loading mail2sms.conf: defaults, every kind of refusal, ovh.conf precedence,
 * permissions of files holding secrets, and no secret in any error text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include "cfg.h"
#include "safeline.h"
#include "error.h"

typedef struct {
	char *dir;
	char *cwd;
} Fix;

/* One scratch directory for the whole run, entered once, as a program starts in its
 * directory: ./ovh.conf is resolved against the directory of the first load. */
static Fix fix;

static int group_setup(void **state)
{
	(void)state;
	fix.dir = g_dir_make_tmp("m2s-cfg-XXXXXX", NULL);
	fix.cwd = g_get_current_dir();
	/* ovh.conf is looked up in ./ and ~/: both point into the scratch directory. */
	g_assert(chdir(fix.dir) == 0);
	g_setenv("HOME", fix.dir, TRUE);
	return 0;
}

static int group_teardown(void **state)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", fix.dir);

	(void)state;
	g_assert(chdir(fix.cwd) == 0);
	g_assert(system(cmd) == 0);
	g_free(fix.dir);
	g_free(fix.cwd);
	return 0;
}

static int setup(void **state)
{
	g_unsetenv("OVH_ENDPOINT");
	g_unsetenv("OVH_APPLICATION_KEY");
	g_unsetenv("OVH_APPLICATION_SECRET");
	g_unsetenv("OVH_CONSUMER_KEY");
	*state = &fix;
	return 0;
}

/* Empties the scratch directory for the next test (a test may have left it). */
static int teardown(void **state)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'/* '%s'/.[!.]*", fix.dir, fix.dir);

	(void)state;
	g_assert(chdir(fix.dir) == 0);
	g_assert(system(cmd) == 0);
	return 0;
}

/* Writes NAME in the scratch directory with MODE and returns its path. */
static char *put(Fix *f, const char *name, const char *text, int mode)
{
	char *p = g_build_filename(f->dir, name, NULL);

	g_assert(g_file_set_contents(p, text, -1, NULL));
	g_assert(g_chmod(p, mode) == 0);
	return p;
}

/* Loads TEXT and expects a configuration error whose message contains WANT. */
static void refused(Fix *f, const char *text, const char *want)
{
	g_autofree char *p = put(f, "m.conf", text, 0600);
	g_autoptr(GError) e = NULL;
	Cfg *c = cfg_load(p, &e);

	assert_null(c);
	assert_non_null(e);
	assert_int_equal(e->code, M2S_ERR_CONFIG);
	if (strstr(e->message, want) == NULL)
		fail_msg("'%s' does not contain '%s'", e->message, want);
	assert_non_null(strstr(e->message, p));
}

static void defaults_of_an_empty_file(void **state)
{
	g_autofree char *p = put(*state, "m.conf", "", 0644);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = cfg_load(p, &e);

	assert_non_null(c);
	assert_string_equal(c->milter_socket, "inet:8891@127.0.0.1");
	assert_int_equal(c->milter_umask, 007);
	assert_int_equal(c->on_api_error, CFG_ACT_TEMPFAIL);
	assert_int_equal(c->ovh_timeout, 20);
	assert_string_equal(c->ovh_base_url, "https://eu.api.ovh.com/1.0");
	assert_true(c->sms_no_stop_clause);
	assert_string_equal(c->sms_priority, "high");
	assert_int_equal(c->sms_validity, 2880);
	assert_int_equal(c->sms_max_segments, 3);
	assert_int_equal(c->max_message_size, 10 * 1024 * 1024);
	assert_int_equal(c->addr_max_recipients, 50);
	assert_int_equal(c->access_networks->len, 2);
	assert_true(c->access_authenticated);
	assert_false(cfg_has_credentials(c, NULL));
	/* No [limits]: nothing is limited, nothing is quiet. */
	assert_int_equal(c->limits_per_receiver.n, 0);
	assert_int_equal(c->limits_per_sender.n, 0);
	assert_int_equal(c->limits_daily_credits, 0);
	assert_int_equal(c->limits_duplicate_window, 0);
	assert_int_equal(c->limits_over_limit, CFG_OVER_DIGEST);
	assert_int_equal(c->limits_quiet_hours.start, c->limits_quiet_hours.end);
	assert_null(c->limits_timezone);
	assert_non_null(c->limits_tz);
	assert_null(c->limits_quiet_hours_exempt[0]);
	assert_int_equal(g_hash_table_size(c->limits_exempt_numbers), 0);
	assert_false(cfg_limits_on(c));
	assert_int_equal(c->ovh_max_requests.n, 0);
	assert_int_equal(c->ovh_max_wait, 5);
	assert_null(c->metrics_listen);  /* no listener */
	/* The credits alarm is off; its mail would go to postmaster. */
	assert_int_equal(c->ovh_credits_alarm, 0);
	assert_string_equal(c->ovh_alarm_to[0], "postmaster");
	assert_null(c->ovh_alarm_to[1]);
}

static void values_and_inline_comments(void **state)
{
	g_autofree char *p = put(*state, "m.conf",
		"[milter]\nsocket = local:/run/m.sock   ; a comment\numask = 027\n"
		"on_api_error = accept\nlog_numbers = full\n"
		"[ovh]\nendpoint = https://127.0.0.1:9443/1.0/\nservice = sms-ab1-1\ntimeout = 5\n"
		"[sms]\ntext = body\nmax_segments = 6\ntransliterate = no\n"
		"[addresses]\ndomains = SMS.example.com, sms2.example.com\n"
		"allowed_prefixes = +33 +32\nsubject_addresses = Sms@Example.com\n"
		"[aliases]\nOnCall = +33611111111, +33622222222\n"
		"[access]\nnetworks = 10.0.0.0/8 192.168.1.1 ::1\nsenders = @example.com\n", 0644);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = cfg_load(p, &e);

	assert_non_null(c);
	assert_string_equal(c->milter_socket, "local:/run/m.sock");
	assert_int_equal(c->milter_umask, 027);
	assert_int_equal(c->on_api_error, CFG_ACT_ACCEPT);
	assert_true(c->log_numbers_full);
	assert_string_equal(c->ovh_base_url, "https://127.0.0.1:9443/1.0");
	assert_string_equal(c->ovh_service, "sms-ab1-1");
	assert_int_equal(c->sms_text, CFG_TEXT_BODY);
	assert_int_equal(c->sms_max_segments, 6);
	assert_false(c->sms_transliterate);
	assert_string_equal(c->addr_domains[0], "sms.example.com");
	assert_string_equal(c->addr_domains[1], "sms2.example.com");
	assert_null(c->addr_domains[2]);
	assert_string_equal(c->addr_allowed_prefixes[1], "+32");
	assert_string_equal(c->addr_subject_addresses[0], "sms@example.com");
	GPtrArray *oncall = g_hash_table_lookup(c->aliases, "oncall");
	assert_non_null(oncall);
	assert_int_equal(oncall->len, 2);
	assert_int_equal(c->access_networks->len, 3);
	assert_string_equal(c->access_senders[0], "@example.com");
}

/* An empty user means "stay who I was started as" (the systemd unit starts it as the user
 * already); every other empty value keeps its default. */
static void empty_user_means_no_switch(void **state)
{
	g_autofree char *p = put(*state, "m.conf", "[milter]\nuser =\nsocket =\n", 0644);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = cfg_load(p, &e);

	assert_non_null(c);
	assert_string_equal(c->milter_user, "");
	assert_string_equal(c->milter_socket, "inet:8891@127.0.0.1");
}

static void unknown_section_and_key(void **state)
{
	refused(*state, "[smtp]\nx = 1\n", "unknown section [smtp]");
	refused(*state, "[sms]\nmax_segment = 3\n", "unknown key 'max_segment' in [sms]");
}

static void bad_values_name_the_key(void **state)
{
	refused(*state, "[sms]\nmax_segments = 7\n", "[sms] max_segments");
	refused(*state, "[sms]\npriority = urgent\n", "[sms] priority");
	refused(*state, "[sms]\ntext = all\n", "[sms] text");
	refused(*state, "[sms]\ntransliterate = maybe\n", "[sms] transliterate");
	refused(*state, "[sms]\nsender = ABCDEFGHIJKL\n", "[sms] sender");
	refused(*state, "[milter]\numask = 999\n", "[milter] umask");
	refused(*state, "[milter]\non_config_error = accept\n", "[milter] on_config_error");
	refused(*state, "[ovh]\nendpoint = ovh-mars\n", "[ovh] endpoint");
	refused(*state, "[ovh]\ntimeout = 0\n", "[ovh] timeout");
	refused(*state, "[addresses]\nallowed_prefixes = 33\n", "[addresses] allowed_prefixes");
	refused(*state, "[addresses]\ndefault_country = FRA\n", "[addresses] default_country");
	refused(*state, "[addresses]\nsubject_addresses = sms\n", "[addresses] subject_addresses");
	refused(*state, "[access]\nnetworks = 10.0.0.0/33\n", "[access] networks");
	refused(*state, "[aliases]\noncall =\n", "[aliases] oncall");
}

/* [metrics] listen: an IPv4 address, or an IPv6 one in brackets, and a port; an empty value
 * is no listener. A name, a missing port or stray brackets name the key. */
static void metrics_listen(void **state)
{
	static const struct {
		const char *value, *host;
		guint port;
	} good[] = {
		{ "127.0.0.1:9464   ; loopback", "127.0.0.1", 9464 },
		{ "[::1]:9464", "::1", 9464 },
		{ "0.0.0.0:1", "0.0.0.0", 1 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autofree char *text = g_strdup_printf("[metrics]\nlisten = %s\n", good[i].value);
		g_autofree char *p = put(*state, "m.conf", text, 0644);
		g_autoptr(GError) e = NULL;
		g_autoptr(Cfg) c = cfg_load(p, &e);
		if (c == NULL)
			fail_msg("%s: %s", good[i].value, e->message);
		assert_string_equal(c->metrics_host, good[i].host);
		assert_int_equal(c->metrics_port, good[i].port);
		assert_non_null(c->metrics_listen);
	}
	g_autofree char *p = put(*state, "m.conf", "[metrics]\nlisten =\n", 0644);
	g_autoptr(Cfg) c = cfg_load(p, NULL);
	assert_non_null(c);
	assert_null(c->metrics_listen);
	refused(*state, "[metrics]\nlisten = localhost:9464\n", "[metrics] listen: 'localhost'");
	refused(*state, "[metrics]\nlisten = 127.0.0.1\n", "[metrics] listen: must be");
	refused(*state, "[metrics]\nlisten = 127.0.0.1:65536\n", "[metrics] listen: the port");
	refused(*state, "[metrics]\nlisten = 127.0.0.1:\n", "[metrics] listen: the port");
	refused(*state, "[metrics]\nlisten = ::1:9464\n", "[metrics] listen: an IPv6");
	refused(*state, "[metrics]\nlisten = [::1]9464\n", "[metrics] listen: must be");
	refused(*state, "[metrics]\nlisten = [127.0.0.1]:9464\n", "[metrics] listen: brackets");
	refused(*state, "[metrics]\nport = 9464\n", "unknown key 'port' in [metrics]");
}

/* [replies] and [reports]: the defaults, values read, and what needs what. */
static void twoway_values(void **state)
{
	g_autofree char *p0 = put(*state, "m.conf", "", 0644);
	g_autoptr(Cfg) d = cfg_load(p0, NULL);
	assert_non_null(d);
	assert_false(d->replies_enable);
	assert_int_equal(d->replies_poll, 60);
	assert_int_equal(d->replies_window, 48 * 3600);
	assert_string_equal(d->replies_unmatched_to, "postmaster");
	assert_int_equal(d->reports_notify, CFG_NOTIFY_FAILURE);
	assert_null(d->reports_listen);
	assert_int_equal(d->reports_poll, 300);
	assert_null(d->reports_sendmail);
	assert_string_equal(d->reports_token_file, "/var/lib/mail2sms/callback.token");
	assert_true(cfg_reports_polled(d));

	g_autofree char *p = put(*state, "m.conf",
		"[sms]\nsender_for_response = true\n"
		"[replies]\nenable = true\npoll = 30s\nwindow = 24h\nunmatched_to = ops@example.org\n"
		"[reports]\nnotify = always\nlisten = [::1]:8893\npoll = 1m\n"
		"sendmail = /usr/local/sbin/sendmail\ntoken_file = /srv/m2s/token\n", 0644);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = cfg_load(p, &e);
	if (c == NULL)
		fail_msg("%s", e->message);
	assert_true(c->replies_enable);
	assert_int_equal(c->replies_poll, 30);
	assert_int_equal(c->replies_window, 24 * 3600);
	assert_string_equal(c->replies_unmatched_to, "ops@example.org");
	assert_int_equal(c->reports_notify,
	                 CFG_NOTIFY_SUCCESS | CFG_NOTIFY_FAILURE | CFG_NOTIFY_DELAY);
	assert_string_equal(c->reports_host, "::1");
	assert_int_equal(c->reports_port, 8893);
	assert_null(c->metrics_listen);  /* the two listeners are apart */
	assert_false(cfg_reports_polled(c));
	assert_int_equal(c->reports_poll, 60);
	assert_string_equal(c->reports_sendmail, "/usr/local/sbin/sendmail");
	assert_string_equal(c->reports_token_file, "/srv/m2s/token");

	refused(*state, "[reports]\nnotify = sometimes\n", "[reports] notify: must be");
	refused(*state, "[reports]\nlisten = localhost:8893\n", "[reports] listen: 'localhost'");
	refused(*state, "[reports]\npoll = 5s\n", "[reports] poll: must be");
	refused(*state, "[reports]\nsendmail = sendmail\n", "[reports] sendmail: must be an "
	        "absolute path or smtp://HOST[:PORT]");
	refused(*state, "[reports]\nsendmail = smtp://127.0.0.1:25/x\n", "[reports] sendmail");
	refused(*state, "[reports]\nsendmail = smtps://127.0.0.1\n", "[reports] sendmail");
	g_autofree char *p2 = put(*state, "m.conf", "[reports]\nsendmail = smtp://[::1]:25\n", 0644);
	g_autoptr(Cfg) c2 = cfg_load(p2, NULL);
	assert_non_null(c2);
	assert_string_equal(c2->reports_sendmail, "smtp://[::1]:25");
	refused(*state, "[reports]\ntoken_file = token\n", "[reports] token_file: must be");
	refused(*state, "[replies]\npoll = 1s\n", "[replies] poll: must be");
	refused(*state, "[replies]\nunmatched_to = a b\n", "[replies] unmatched_to");
	refused(*state, "[sms]\nsender_for_response = true\n[replies]\nenable = true\n"
	        "[state]\nstore = none\n", "[replies] enable needs a state store");
	refused(*state, "[sms]\nsender_for_response = true\n[replies]\nenable = true\n"
	        "window = 3d\n[state]\nkeep = 2d\n", "shorter than [replies] window");
	refused(*state, "[replies]\nenable = true\n", "needs [sms] sender_for_response = true");
	refused(*state, "[reports]\nlisten = 127.0.0.1:9464\n[metrics]\nlisten = 0.0.0.0:9464\n",
	        "[reports] listen and [metrics] listen are one address");
	refused(*state, "[reports]\nlisten = 127.0.0.1:8893\n[state]\nstore = none\n",
	        "[reports] listen needs a state store");
	refused(*state, "[reports]\nurl = x\n", "unknown key 'url' in [reports]");
}

/* The [limits] section of the issue, written with its comments, and the OVH budget. */
static void limits_values(void **state)
{
	g_autofree char *p = put(*state, "m.conf",
		"[ovh]\nmax_requests = 60/1m\nmax_wait = 10s\n"
		"[aliases]\noncall = +33611111111, 0622222222\n"
		"[limits]\n"
		"per_receiver = 10/1h        ; at most 10 SMS to one number in any hour\n"
		"per_sender = 200/1h\n"
		"daily_credits = 500\n"
		"duplicate_window = 15m\n"
		"over_limit = tempfail\n"
		"quiet_hours = 22:00-07:00\n"
		"timezone = UTC\n"
		"quiet_hours_exempt = oncall\n", 0644);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = cfg_load(p, &e);

	if (c == NULL)
		fail_msg("%s", e->message);
	assert_int_equal(c->ovh_max_requests.n, 60);
	assert_int_equal(c->ovh_max_requests.seconds, 60);
	assert_int_equal(c->ovh_max_wait, 10);
	assert_int_equal(c->limits_per_receiver.n, 10);
	assert_int_equal(c->limits_per_receiver.seconds, 3600);
	assert_int_equal(c->limits_per_sender.n, 200);
	assert_int_equal(c->limits_daily_credits, 500);
	assert_int_equal(c->limits_duplicate_window, 900);
	assert_int_equal(c->limits_over_limit, CFG_OVER_TEMPFAIL);
	assert_int_equal(c->limits_quiet_hours.start, 22 * 60);
	assert_int_equal(c->limits_quiet_hours.end, 7 * 60);
	assert_string_equal(c->limits_timezone, "UTC");
	assert_int_equal(g_time_zone_get_offset(c->limits_tz, 0), 0);
	assert_true(cfg_limits_on(c));
	assert_int_equal(g_hash_table_size(c->limits_exempt_numbers), 2);
}

static void limits_exempt_numbers(void **state)
{
	g_autofree char *p = put(*state, "m.conf",
		"[aliases]\noncall = +33611111111, 0622222222\n"
		"[limits]\nquiet_hours = 22:00-07:00\nquiet_hours_exempt = OnCall, 0612345678\n", 0644);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = cfg_load(p, &e);

	if (c == NULL)
		fail_msg("%s", e->message);
	assert_int_equal(g_hash_table_size(c->limits_exempt_numbers), 3);
	assert_true(g_hash_table_contains(c->limits_exempt_numbers, "+33611111111"));
	assert_true(g_hash_table_contains(c->limits_exempt_numbers, "+33622222222"));
	assert_true(g_hash_table_contains(c->limits_exempt_numbers, "+33612345678"));
	assert_string_equal(c->limits_quiet_hours_exempt[0], "oncall");
	/* Quiet hours alone are a limit: they hold alerts in the store. */
	assert_true(cfg_limits_on(c));
}

/* Each refusal names the file, the section and the key, and says what is wrong. */
static void limits_refused(void **state)
{
	refused(*state, "[limits]\nper_receiver = 10/0m\n",
	        "[limits] per_receiver: the window must be from 1s to 31d: '10/0m'");
	refused(*state, "[limits]\nper_sender = 0/1h\n",
	        "[limits] per_sender: the count must be from 1 to 1000000: '0/1h'");
	refused(*state, "[limits]\nper_receiver = x/1h\n",
	        "[limits] per_receiver: not of the form N/DURATION");
	refused(*state, "[limits]\nper_receiver = 10/1y\n",
	        "[limits] per_receiver: not of the form N/DURATION");
	refused(*state, "[limits]\nquiet_hours = 25:00-07:00\n",
	        "[limits] quiet_hours: not of the form HH:MM-HH:MM");
	refused(*state, "[limits]\nquiet_hours = 22:00-22:00\n",
	        "[limits] quiet_hours: the start and the end are the same time: '22:00-22:00'");
	refused(*state, "[limits]\ntimezone = Europe/Pari\n",
	        "[limits] timezone: unknown time zone 'Europe/Pari'");
	refused(*state, "[limits]\nover_limit = drop\n",
	        "[limits] over_limit: must be digest, tempfail or reject, not 'drop'");
	refused(*state, "[limits]\nduplicate_window = 8d\n", "[limits] duplicate_window");
	refused(*state, "[limits]\ndaily_credits = -1\n", "[limits] daily_credits");
	refused(*state, "[limits]\nquiet_hours_exempt = nobody\n",
	        "[limits] quiet_hours_exempt: 'nobody' is neither a number nor an alias");
	refused(*state, "[aliases]\nbad = +33611111111, 12\n[limits]\nquiet_hours_exempt = bad\n",
	        "[limits] quiet_hours_exempt: alias bad:");
	refused(*state, "[limits]\nunknown = 1\n", "unknown key 'unknown' in [limits]");
	refused(*state, "[ovh]\nmax_requests = 60/0s\n", "[ovh] max_requests: the window");
	refused(*state, "[ovh]\nmax_wait = 21s\n",
	        "[ovh] max_wait: must be a duration from 0s to 20s");
}

/* Limits need the store (quiet hours hold alerts there too), as does the API budget; the
 * zone, over_limit and empty keys do not. */
static void limits_need_a_store(void **state)
{
	static const char *const counting[] = {
		"per_receiver = 10/1h", "per_sender = 200/1h", "daily_credits = 100",
		"duplicate_window = 15m", "quiet_hours = 22:00-07:00",
	};
	static const char *const harmless[] = {
		"timezone = UTC", "over_limit = reject",
		"per_receiver =", "daily_credits = 0", "duplicate_window = 0", "per_sender = none",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(counting); i++) {
		g_autofree char *text = g_strdup_printf("[state]\nstore = none\n[limits]\n%s\n",
		                                        counting[i]);
		refused(*state, text, "[limits] needs a state store ([state] store)");
	}
	refused(*state, "[state]\nstore = none\n[ovh]\nmax_requests = 60/1m\n",
	        "[ovh] max_requests needs a state store ([state] store)");
	/* The store must remember a window, a day, a night as long as they last. */
	refused(*state, "[state]\nkeep = 1h\n[limits]\nper_receiver = 10/2h\n",
	        "[state] keep = 3600s is shorter than a [limits] window needs (7200s)");
	refused(*state, "[state]\nkeep = 12h\n[limits]\ndaily_credits = 100\n",
	        "shorter than daily_credits needs (90000s)");
	refused(*state, "[state]\nkeep = 12h\n[limits]\nquiet_hours = 22:00-07:00\n",
	        "shorter than quiet_hours needs (90000s)");
	for (gsize i = 0; i < G_N_ELEMENTS(harmless); i++) {
		g_autofree char *text = g_strdup_printf("[state]\nstore = none\n[limits]\n%s\n",
		                                        harmless[i]);
		g_autofree char *p = put(*state, "m.conf", text, 0644);
		g_autoptr(GError) e = NULL;
		g_autoptr(Cfg) c = cfg_load(p, &e);
		if (c == NULL)
			fail_msg("'%s': %s", harmless[i], e->message);
	}
}

/* [ovh] credits_alarm and alarm_to: read as written (case kept), empty or 0 is off, a
 * recipient that could be more than a recipient in a To: header is refused, and the alarm
 * needs a store (it is claimed there once a day). */
static void credits_alarm_values(void **state)
{
	static const char *const bad_to[] = {
		"a<b@example.com>", "ops@", "@example.com", "ops@-example.com", "ops@exa..mple.com",
		"\"ops\"@example.com", "ops@example.com(comment)", "ops:;", "ops@exa_mple.com",
	};
	g_autofree char *p = put(*state, "m.conf", "[ovh]\ncredits_alarm = 100 ; credits\n"
	                         "alarm_to = Ops.Team@Example.com, postmaster root\n", 0644);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = cfg_load(p, &e);

	assert_non_null(c);
	assert_int_equal(c->ovh_credits_alarm, 100);
	assert_string_equal(c->ovh_alarm_to[0], "Ops.Team@Example.com");
	assert_string_equal(c->ovh_alarm_to[1], "postmaster");
	assert_string_equal(c->ovh_alarm_to[2], "root");
	assert_null(c->ovh_alarm_to[3]);
	for (const char *const *off = (const char *const[]){ "credits_alarm =", "credits_alarm = 0",
	                                                     NULL }; *off; off++) {
		g_autofree char *text = g_strdup_printf("[state]\nstore = none\n[ovh]\n%s\n"
		                                        "alarm_to =\n", *off);
		g_autofree char *q = put(*state, "off.conf", text, 0644);
		g_autoptr(GError) e2 = NULL;
		g_autoptr(Cfg) c2 = cfg_load(q, &e2);
		if (c2 == NULL)
			fail_msg("'%s': %s", *off, e2->message);
		assert_int_equal(c2->ovh_credits_alarm, 0);
		assert_string_equal(c2->ovh_alarm_to[0], "postmaster");
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad_to); i++) {
		g_autofree char *text = g_strdup_printf("[ovh]\nalarm_to = %s\n", bad_to[i]);
		refused(*state, text, "[ovh] alarm_to: ");
	}
	refused(*state, "[ovh]\ncredits_alarm = -1\n", "[ovh] credits_alarm: must be a number");
	refused(*state, "[ovh]\ncredits_alarm = many\n", "[ovh] credits_alarm: must be a number");
	refused(*state, "[state]\nstore = none\n[ovh]\ncredits_alarm = 100\n",
	        "[ovh] credits_alarm needs a state store ([state] store)");
	refused(*state, "[state]\nkeep = 12h\n[ovh]\ncredits_alarm = 100\n",
	        "[state] keep = 43200s is shorter than credits_alarm needs (90000s)");
}

/* An unknown endpoint: the error lists every name that would have been accepted. */
static void unknown_endpoint_lists_the_names(void **state)
{
	refused(*state, "[ovh]\nendpoint = ovh-mars\n",
	        "[ovh] endpoint: unknown 'ovh-mars' (ovh-eu, ovh-ca, ovh-us, kimsufi-eu, kimsufi-ca, "
	        "soyoustart-eu, soyoustart-ca, or https://host[:port]/1.0)");
}

/* Found by fuzz_config (seeds config/invalid-utf8-priority, config/control-in-endpoint):
 * a value quoted in an error went out as written, invalid UTF-8 or control characters
 * included, and the error is shown on a terminal and in the logs. */
static void quoted_values_made_printable(void **state)
{
	static const char *const texts[] = {
		"[sms]\npriority = \\n\xe3\r high\n",
		"[ovh]\nendpoint = ovh-\x1b[2J\x7f\xc2\x85x\n",
		"[sms]\ncolour\x01 = 1\n",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_autofree char *p = put(*state, "m.conf", texts[i], 0600);
		g_autoptr(GError) e = NULL;
		assert_null(cfg_load(p, &e));
		assert_int_equal(e->code, M2S_ERR_CONFIG);
		assert_true(g_utf8_validate(e->message, -1, NULL));
		for (const char *q = e->message; *q; q = g_utf8_next_char(q))
			assert_false(g_unichar_iscntrl(g_utf8_get_char(q)));
	}
	refused(*state, "[sms]\npriority = a\x01\xff" "b\n", "not 'a \xef\xbf\xbd" "b'");
	g_autofree char *longer = g_strdup_printf("[sms]\npriority = %0*d\n", 3000, 0);
	g_autofree char *p = put(*state, "m.conf", longer, 0600);
	g_autoptr(GError) e = NULL;
	assert_null(cfg_load(p, &e));
	assert_int_equal(strlen(e->message), SAFELINE_CONFIG);
}

/* A malformed line must not be quoted: it may hold a secret. */
static void syntax_error_quotes_nothing(void **state)
{
	g_autofree char *p = put(*state, "m.conf", "[ovh]\napplication_secret: s3cr3tVALUE\n", 0600);
	g_autoptr(GError) e = NULL;

	assert_null(cfg_load(p, &e));
	assert_non_null(e);
	assert_null(strstr(e->message, "s3cr3tVALUE"));
	assert_non_null(strstr(e->message, p));
}

static void secret_readable_by_others_refused(void **state)
{
	g_autofree char *p = put(*state, "m.conf", "[ovh]\napplication_secret = s3cr3tVALUE\n", 0644);
	g_autoptr(GError) e = NULL;

	assert_null(cfg_load(p, &e));
	assert_non_null(strstr(e->message, p));
	assert_non_null(strstr(e->message, "readable by others"));
	assert_null(strstr(e->message, "s3cr3tVALUE"));
	g_clear_error(&e);
	g_assert(g_chmod(p, 0640) == 0);
	g_autoptr(Cfg) c = cfg_load(p, &e);
	assert_non_null(c);
}

static void missing_file_named(void **state)
{
	g_autofree char *p = g_build_filename(((Fix *)*state)->dir, "absent.conf", NULL);
	g_autoptr(GError) e = NULL;

	assert_null(cfg_load(p, &e));
	assert_int_equal(e->code, M2S_ERR_CONFIG);
	assert_non_null(strstr(e->message, p));
}

/* mail2sms.conf > OVH_* > ./ovh.conf > ~/.ovh.conf > /etc/ovh.conf. */
static void ovh_conf_precedence(void **state)
{
	Fix *f = *state;
	g_autofree char *home = put(f, ".ovh.conf",
		"[default]\nendpoint = ovh-ca\n[ovh-ca]\napplication_key = homeAK\n"
		"application_secret = homeAS\nconsumer_key = homeCK\n", 0600);
	g_autofree char *local = put(f, "ovh.conf",
		"[ovh-ca]\napplication_secret = localAS\n", 0600);
	g_autofree char *p = put(f, "m.conf", "[ovh]\nconsumer_key = mainCK\n", 0600);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) c = NULL;

	g_setenv("OVH_APPLICATION_KEY", "envAK", TRUE);
	c = cfg_load(p, &e);
	g_unsetenv("OVH_APPLICATION_KEY");
	assert_non_null(c);
	assert_string_equal(c->ovh_base_url, "https://ca.api.ovh.com/1.0");
	assert_string_equal(c->ovh_application_key, "envAK");
	assert_string_equal(c->ovh_application_secret, "localAS");
	assert_string_equal(c->ovh_consumer_key, "mainCK");
	assert_true(cfg_has_credentials(c, NULL));
}

/* ./ovh.conf is the one of the directory the program started in, even after it moved (the
 * milter goes to / when it goes to the background, and a reload loads the files again). */
static void ovh_conf_of_the_start_directory_after_chdir(void **state)
{
	Fix *f = *state;
	g_autofree char *local = put(f, "ovh.conf",
		"[ovh-eu]\napplication_key = localAK\napplication_secret = localAS\n"
		"consumer_key = localCK\n", 0600);
	g_autofree char *p = put(f, "m.conf", "[ovh]\nendpoint = ovh-eu\n", 0600);
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) before = cfg_load(p, &e);
	g_autoptr(Cfg) after = NULL;

	assert_non_null(before);
	assert_string_equal(before->ovh_application_secret, "localAS");
	g_assert(chdir("/") == 0);
	after = cfg_load(p, &e);
	g_assert(chdir(f->dir) == 0);
	assert_non_null(after);
	if (after->ovh_application_secret == NULL)
		fail_msg("after chdir(\"/\"): %s was not read", local);
	assert_string_equal(after->ovh_consumer_key, "localCK");
}

static void ovh_conf_readable_by_others_refused(void **state)
{
	Fix *f = *state;
	g_autofree char *home = put(f, ".ovh.conf",
		"[ovh-eu]\napplication_secret = homeAS\n", 0644);
	g_autofree char *p = put(f, "m.conf", "", 0644);
	g_autoptr(GError) e = NULL;

	assert_null(cfg_load(p, &e));
	assert_non_null(strstr(e->message, home));
	assert_null(strstr(e->message, "homeAS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(defaults_of_an_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(values_and_inline_comments, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_user_means_no_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_section_and_key, setup, teardown),
		cmocka_unit_test_setup_teardown(quoted_values_made_printable, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_values_name_the_key, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_listen, setup, teardown),
		cmocka_unit_test_setup_teardown(twoway_values, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_values, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_exempt_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(limits_need_a_store, setup, teardown),
		cmocka_unit_test_setup_teardown(credits_alarm_values, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_endpoint_lists_the_names, setup, teardown),
		cmocka_unit_test_setup_teardown(syntax_error_quotes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file_named, setup, teardown),
		cmocka_unit_test_setup_teardown(secret_readable_by_others_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(ovh_conf_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(ovh_conf_of_the_start_directory_after_chdir, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(ovh_conf_readable_by_others_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

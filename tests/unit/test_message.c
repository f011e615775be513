/* test_message.c: from small in-memory mails to SMS jobs (message.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "error.h"
#include "message.h"

/* The configuration of tests/corpus/test.conf, built in memory. */
static Cfg *test_cfg(void)
{
	Cfg *cfg = cfg_new_default();
	g_strfreev(cfg->addr_domains);
	cfg->addr_domains = g_strsplit("sms.example.com", " ", -1);
	g_strfreev(cfg->addr_allowed_prefixes);
	cfg->addr_allowed_prefixes = g_strsplit("+33 +32", " ", -1);
	g_strfreev(cfg->addr_subject_addresses);
	cfg->addr_subject_addresses = g_strsplit("sms@example.com", " ", -1);
	GPtrArray *oncall = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(oncall, g_strdup("+33611111111"));
	g_ptr_array_add(oncall, g_strdup("+33622222222"));
	g_hash_table_replace(cfg->aliases, g_strdup("oncall"), oncall);
	return cfg;
}

static int setup(void **state)
{
	*state = test_cfg();
	return 0;
}

static int teardown(void **state)
{
	cfg_unref(*state);
	return 0;
}

/* A plain mail with HEADERS (CRLF or LF lines, no final blank line) and BODY. */
static GMimeMessage *mail(const Cfg *cfg, const char *headers, const char *body)
{
	g_autofree char *raw = g_strdup_printf("From: alice@example.com\n%s\n"
	                                       "Content-Type: text/plain; charset=utf-8\n\n%s\n",
	                                       headers, body);
	g_autoptr(GError) e = NULL;
	GMimeMessage *m = msg_parse_bytes(cfg, raw, strlen(raw), &e);
	assert_non_null(m);
	return m;
}

/* The receivers of every job, comma-joined, jobs separated by "|". */
static char *receivers_of(const MsgPlan *plan)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < plan->jobs->len; i++) {
		const MsgJob *j = g_ptr_array_index(plan->jobs, i);
		if (i)
			g_string_append_c(s, '|');
		for (guint k = 0; k < j->receivers->len; k++)
			g_string_append_printf(s, "%s%s", k ? "," : "",
			                       (char *)g_ptr_array_index(j->receivers, k));
	}
	return g_string_free(s, FALSE);
}

static const MsgRefusal *refusal_of(const MsgPlan *plan, const char *addr)
{
	for (guint i = 0; i < plan->refused->len; i++) {
		const MsgRefusal *r = g_ptr_array_index(plan->refused, i);
		if (strcmp(r->address, addr) == 0)
			return r;
	}
	return NULL;
}

static void test_headers_and_dedup(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg,
	                       "To: Bob <+33612345678@sms.example.com>, bob@example.com\n"
	                       "Cc: 0612345678@sms.example.com, oncall@sms.example.com, "
	                       "+33611111111@sms.example.com\nSubject: disk full",
	                       "/var at 99%");
	MsgPlan *plan = msg_plan(cfg, m, NULL);
	g_autofree char *r = receivers_of(plan);
	assert_string_equal(r, "+33612345678,+33611111111,+33622222222");
	assert_int_equal(plan->refused->len, 0);
	assert_int_equal(plan->not_sms->len, 1);
	assert_string_equal(g_ptr_array_index(plan->not_sms, 0), "bob@example.com");
	const MsgJob *j = g_ptr_array_index(plan->jobs, 0);
	/* Every SMS recipient is accounted for, duplicates included. */
	assert_int_equal(j->addresses->len, 4);
	assert_string_equal(j->sms->text, "disk full\n/var at 99%");
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_explicit_recipients(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg, "To: +33698765432@sms.example.com\nSubject: s", "b");
	const char *rcpts[] = { "12@sms.example.com", "+79161234567@sms.example.com",
		                "<+33612345678@sms.example.com>", "+33612345678@SMS.example.com",
		                "carol@example.net", NULL };
	MsgPlan *plan = msg_plan(cfg, m, rcpts);
	g_autofree char *r = receivers_of(plan);
	assert_string_equal(r, "+33612345678");
	assert_int_equal(plan->refused->len, 2);
	assert_int_equal(refusal_of(plan, "12@sms.example.com")->code, M2S_ERR_NOUSER);
	assert_int_equal(refusal_of(plan, "+79161234567@sms.example.com")->code, M2S_ERR_NOPERM);
	assert_true(g_str_has_prefix(refusal_of(plan, "12@sms.example.com")->reason,
	                             "12: not a phone number"));
	assert_int_equal(plan->not_sms->len, 1);
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_max_recipients(void **state)
{
	Cfg *cfg = *state;
	cfg->addr_max_recipients = 3;
	GMimeMessage *m = mail(cfg, "Subject: s", "b");
	const char *rcpts[] = { "+33600000001@sms.example.com", "oncall@sms.example.com",
		                "+33600000002@sms.example.com", /* a fourth number: refused */
		                "+33611111111@sms.example.com", /* already planned: passes */
		                "+33600000003@sms.example.com", /* after the limit: refused */
		                NULL };
	MsgPlan *plan = msg_plan(cfg, m, rcpts);
	g_autofree char *r = receivers_of(plan);
	assert_string_equal(r, "+33600000001,+33611111111,+33622222222");
	assert_int_equal(plan->refused->len, 2);
	assert_int_equal(refusal_of(plan, "+33600000002@sms.example.com")->code, M2S_ERR_TOO_MANY);
	assert_int_equal(refusal_of(plan, "+33600000003@sms.example.com")->code, M2S_ERR_TOO_MANY);
	msg_plan_free(plan);

	/* An alias bigger than the limit is refused whole, for good: no retry can pass. */
	cfg->addr_max_recipients = 1;
	const char *alias[] = { "oncall@sms.example.com", NULL };
	plan = msg_plan(cfg, m, alias);
	assert_int_equal(plan->jobs->len, 0);
	assert_int_equal(refusal_of(plan, "oncall@sms.example.com")->code, M2S_ERR_LIMIT);
	msg_plan_free(plan);
	g_object_unref(m);
}

/* The milter's way: recipients one by one before the mail, refusals answered by the caller;
 * the verdicts are those of the whole plan, and 0 means no limit there too. */
static void test_incremental(void **state)
{
	Cfg *cfg = *state;
	g_autoptr(GError) e = NULL;
	cfg->addr_max_recipients = 2;
	MsgPlan *plan = msg_plan_new(cfg, NULL, MSG_PLAN_ANSWERED);
	assert_int_equal(msg_plan_add(plan, NULL, "<+33611111111@sms.example.com>", &e), ADDR_NUMBERS);
	assert_int_equal(msg_plan_add(plan, NULL, "<0611111111@sms.example.com>", &e), ADDR_NUMBERS);
	assert_int_equal(msg_plan_add(plan, NULL, "<bob@example.org>", &e), ADDR_NOT_SMS);
	assert_int_equal(msg_plan_add(plan, NULL, "<sms@example.com>", &e), ADDR_FROM_SUBJECT);
	assert_true(msg_plan_has_sms(plan));
	assert_int_equal(msg_plan_add(plan, NULL, "<12@sms.example.com>", &e), ADDR_REFUSED);
	assert_int_equal(e->code, M2S_ERR_NOUSER);
	g_clear_error(&e);
	assert_int_equal(msg_plan_add(plan, NULL, "<+33633333333@sms.example.com>", &e), ADDR_NUMBERS);
	assert_int_equal(msg_plan_add(plan, NULL, "<oncall@sms.example.com>", &e), ADDR_REFUSED);
	assert_int_equal(e->code, M2S_ERR_TOO_MANY);
	assert_string_equal(e->message, "more than 2 SMS receivers");
	g_clear_error(&e);
	/* The same address again gets the same answer, and is not kept twice. */
	assert_int_equal(msg_plan_add(plan, NULL, "<12@SMS.example.com>", &e), ADDR_REFUSED);
	g_clear_error(&e);
	assert_int_equal(plan->refused->len, 0);  /* answered by the caller */
	assert_int_equal(plan->taken->len, 4);
	assert_int_equal(plan->not_sms->len, 1);
	/* The subject address is resolved with the mail: one more number is over the limit. */
	GMimeMessage *m = mail(cfg, "Subject: +33622222222", "b");
	msg_plan_finish(plan, m);
	assert_false(msg_plan_verdict(plan, &e));
	assert_int_equal(e->code, M2S_ERR_LIMIT);
	assert_string_equal(e->message, "<sms@example.com>: more than 2 SMS receivers");
	g_clear_error(&e);
	msg_plan_free(plan);

	/* 0: no limit, at RCPT as at the end. */
	cfg->addr_max_recipients = 0;
	plan = msg_plan_new(cfg, NULL, MSG_PLAN_ANSWERED);
	for (int i = 0; i < 60; i++) {
		g_autofree char *a = g_strdup_printf("+336100000%02d@sms.example.com", i);
		assert_int_equal(msg_plan_add(plan, NULL, a, NULL), ADDR_NUMBERS);
	}
	msg_plan_finish(plan, m);
	assert_true(msg_plan_verdict(plan, NULL));
	assert_int_equal(((MsgJob *)plan->jobs->pdata[0])->receivers->len, 60);
	msg_plan_free(plan);
	g_object_unref(m);
}

/* The delivery agent's way: every recipient must be an SMS one, [access] refuses them all. */
static void test_verdict(void **state)
{
	const Cfg *cfg = *state;
	g_autoptr(GError) e = NULL;
	GMimeMessage *m = mail(cfg, "Subject: s", "b");
	MsgPlan *plan = msg_plan_new(cfg, NULL, MSG_PLAN_SMS_ONLY);
	msg_plan_add(plan, m, "carol@example.net", NULL);
	msg_plan_finish(plan, m);
	assert_false(msg_plan_verdict(plan, &e));
	assert_int_equal(e->code, M2S_ERR_NOUSER);
	assert_string_equal(e->message, "carol@example.net: not an SMS address");
	g_clear_error(&e);
	msg_plan_free(plan);

	g_autoptr(GError) denied = g_error_new(M2S_ERROR, M2S_ERR_NOPERM, "sender not allowed to send SMS");
	plan = msg_plan_new(cfg, denied, MSG_PLAN_SMS_ONLY);
	msg_plan_add(plan, m, "+33611111111@sms.example.com", NULL);
	msg_plan_add(plan, m, "+33622222222@sms.example.com", NULL);
	msg_plan_finish(plan, m);
	assert_int_equal(plan->jobs->len, 0);
	assert_false(msg_plan_verdict(plan, &e));
	assert_int_equal(e->code, M2S_ERR_NOPERM);
	assert_string_equal(e->message, "sender not allowed to send SMS");
	g_clear_error(&e);
	msg_plan_free(plan);

	/* Nothing to send at all. */
	plan = msg_plan_new(cfg, NULL, 0);
	msg_plan_finish(plan, m);
	assert_false(msg_plan_verdict(plan, &e));
	assert_int_equal(e->code, M2S_ERR_DATA);
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_subject_mode(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg, "To: sms@example.com\nSubject: +33612345678, 06 98 76 54 32",
	                       "Le serveur redémarre à 22h.");
	MsgPlan *plan = msg_plan(cfg, m, NULL);
	g_autofree char *r = receivers_of(plan);
	assert_string_equal(r, "+33612345678,+33698765432");
	const MsgJob *j = g_ptr_array_index(plan->jobs, 0);
	assert_string_equal(j->sms->text, "Le serveur redémarre à 22h.");
	assert_int_equal(j->sms->encoding, GSM_ENC_GSM7);
	msg_plan_free(plan);
	g_object_unref(m);

	/* A Subject without numbers refuses the subject address. */
	m = mail(cfg, "To: sms@example.com\nSubject: hello", "b");
	plan = msg_plan(cfg, m, NULL);
	assert_int_equal(plan->jobs->len, 0);
	assert_int_equal(refusal_of(plan, "sms@example.com")->code, M2S_ERR_NOUSER);
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_two_jobs(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg,
	                       "To: sms@example.com, +33698765432@sms.example.com, "
	                       "sms+oncall@example.com\nSubject: 0612345678,+33698765432",
	                       "body text");
	MsgPlan *plan = msg_plan(cfg, m, NULL);
	/* +33698765432 came first through the Subject: it gets the body-only job. */
	assert_int_equal(plan->jobs->len, 2);
	g_autofree char *r = receivers_of(plan);
	assert_string_equal(r, "+33611111111,+33622222222|+33612345678,+33698765432");
	const MsgJob *a = g_ptr_array_index(plan->jobs, 0);
	const MsgJob *b = g_ptr_array_index(plan->jobs, 1);
	assert_string_equal(a->sms->text, "0612345678,+33698765432\nbody text");
	assert_string_equal(b->sms->text, "body text");
	assert_string_not_equal(a->tag, b->tag);
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_text_modes(void **state)
{
	Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg, "To: sms@example.com, +33698765432@sms.example.com\n"
	                            "Subject: 0612345678", "only the body");
	/* text = body: both groups share a text, so one job. */
	cfg->sms_text = CFG_TEXT_BODY;
	MsgPlan *plan = msg_plan(cfg, m, NULL);
	assert_int_equal(plan->jobs->len, 1);
	g_autofree char *r = receivers_of(plan);
	assert_string_equal(r, "+33698765432,+33612345678");
	assert_int_equal(((MsgJob *)g_ptr_array_index(plan->jobs, 0))->addresses->len, 2);
	msg_plan_free(plan);

	cfg->sms_text = CFG_TEXT_SUBJECT;
	const char *one[] = { "+33698765432@sms.example.com", NULL };
	plan = msg_plan(cfg, m, one);
	assert_string_equal(((MsgJob *)g_ptr_array_index(plan->jobs, 0))->sms->text, "0612345678");
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_empty_text(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg, "To: +33698765432@sms.example.com", "");
	MsgPlan *plan = msg_plan(cfg, m, NULL);
	assert_int_equal(plan->jobs->len, 0);
	const MsgRefusal *r = refusal_of(plan, "+33698765432@sms.example.com");
	assert_non_null(r);
	assert_int_equal(r->code, M2S_ERR_DATA);
	assert_string_equal(r->reason, "empty message: no subject or body to send");
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_tag(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg, "Message-ID: <t1@example.com>\nSubject: s", "b");
	const char *r1[] = { "+33612345678@sms.example.com", "+33698765432@sms.example.com", NULL };
	const char *r2[] = { "+33698765432@sms.example.com", "+33612345678@sms.example.com", NULL };
	const char *r3[] = { "+33612345678@sms.example.com", NULL };
	MsgPlan *p1 = msg_plan(cfg, m, r1), *p2 = msg_plan(cfg, m, r2), *p3 = msg_plan(cfg, m, r3);
	const char *t1 = ((MsgJob *)g_ptr_array_index(p1->jobs, 0))->tag;
	const char *t2 = ((MsgJob *)g_ptr_array_index(p2->jobs, 0))->tag;
	const char *t3 = ((MsgJob *)g_ptr_array_index(p3->jobs, 0))->tag;
	assert_true(strlen(t1) <= 20 && strlen(t1) > 0);
	/* The same receivers in another order: the same tag; others: another. */
	assert_string_equal(t1, t2);
	assert_string_not_equal(t1, t3);
	for (const char *p = t1; *p; p++)
		assert_true(g_ascii_isalnum(*p));

	/* Another Message-ID: another tag. */
	GMimeMessage *m2 = mail(cfg, "Message-ID: <t2@example.com>\nSubject: s", "b");
	MsgPlan *p4 = msg_plan(cfg, m2, r3);
	assert_string_not_equal(t3, ((MsgJob *)g_ptr_array_index(p4->jobs, 0))->tag);

	/* Without a Message-ID the text decides. */
	GMimeMessage *n1 = mail(cfg, "Subject: s", "one"), *n2 = mail(cfg, "Subject: s", "two");
	MsgPlan *q1 = msg_plan(cfg, n1, r3), *q2 = msg_plan(cfg, n2, r3), *q3 = msg_plan(cfg, n1, r3);
	const char *u1 = ((MsgJob *)g_ptr_array_index(q1->jobs, 0))->tag;
	assert_string_not_equal(u1, ((MsgJob *)g_ptr_array_index(q2->jobs, 0))->tag);
	assert_string_equal(u1, ((MsgJob *)g_ptr_array_index(q3->jobs, 0))->tag);

	/* ... unless the MTA's queue id stands for the missing Message-ID: two mails with the
	 * same text are then two jobs, and a Message-ID is never overridden. */
	msg_plan_identify(q1, n1, "4AAA1", NULL);
	msg_plan_identify(q3, n1, "4BBB2", NULL);
	assert_string_not_equal(((MsgJob *)g_ptr_array_index(q1->jobs, 0))->tag,
	                        ((MsgJob *)g_ptr_array_index(q3->jobs, 0))->tag);
	g_autofree char *before = g_strdup(t3);
	msg_plan_identify(p3, m, "4CCC3", NULL);
	assert_string_equal(before, ((MsgJob *)g_ptr_array_index(p3->jobs, 0))->tag);

	/* Without either, the Date (and From): the same alert sent again later is another job,
	 * the same mail sent again (a client's retry) keeps its tag. */
	GMimeMessage *d1 = mail(cfg, "Date: Mon, 02 Mar 2026 10:00:00 +0000\nSubject: s", "one");
	GMimeMessage *d2 = mail(cfg, "Date: Mon, 02 Mar 2026 11:00:00 +0000\nSubject: s", "one");
	MsgPlan *e1 = msg_plan(cfg, d1, r3), *e2 = msg_plan(cfg, d2, r3), *e3 = msg_plan(cfg, d1, r3);
	msg_plan_identify(e1, d1, NULL, "Q1");
	msg_plan_identify(e2, d2, NULL, "Q2");
	msg_plan_identify(e3, d1, NULL, "Q3");
	assert_string_not_equal(((MsgJob *)g_ptr_array_index(e1->jobs, 0))->tag,
	                        ((MsgJob *)g_ptr_array_index(e2->jobs, 0))->tag);
	assert_string_equal(((MsgJob *)g_ptr_array_index(e1->jobs, 0))->tag,
	                    ((MsgJob *)g_ptr_array_index(e3->jobs, 0))->tag);
	/* Neither Message-ID nor Date: the content names the job, whatever the attempt, and the
	 * job says so (dispatch.c forgets such a tag once its job went out, so that two alerts
	 * are two SMS). */
	MsgPlan *f1 = msg_plan(cfg, n1, r3), *f2 = msg_plan(cfg, n1, r3);
	msg_plan_identify(f1, n1, NULL, "Q4");
	msg_plan_identify(f2, n1, NULL, "Q5");
	assert_string_equal(((MsgJob *)g_ptr_array_index(f1->jobs, 0))->tag,
	                    ((MsgJob *)g_ptr_array_index(f2->jobs, 0))->tag);
	assert_true(((MsgJob *)g_ptr_array_index(f1->jobs, 0))->content_tag);
	assert_false(((MsgJob *)g_ptr_array_index(e1->jobs, 0))->content_tag);
	/* A Message-ID the MTA made up for this attempt's queue id (Postfix's cleanup, for a
	 * local submission without one) is no identity: picked up again after a 451 under a new
	 * queue id, the mail keeps its Date and its tag. One that does not hold the queue id is
	 * the client's, and stands. */
	static const char *const made[][2] = {
		{ "20261201223632.4F1A2A7@mx.example", "4F1A2A7" },
		{ "20261201223635.4F2B3B8@mx.example", "4F2B3B8" },
		{ "4Fz9Kq1xQZz9v@mx.example", "4Fz9Kq1xQZz9v" },  /* long queue ids */
		{ "202612012236.5B1Ns8ab012345@mx.example", "5B1Ns8ab012345" },  /* Sendmail */
	};
	g_autofree char *mta_tag = NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(made); i++) {
		g_autofree char *h = g_strdup_printf("Message-ID: <%s>\nDate: Tue, 01 Dec 2026 "
		                                     "22:36:32 +0000\nFrom: cron@example.org\n"
		                                     "Subject: s", made[i][0]);
		GMimeMessage *g = mail(cfg, h, "one");
		MsgPlan *pm = msg_plan(cfg, g, r3);
		msg_plan_identify(pm, g, NULL, made[i][1]);
		const char *t = ((MsgJob *)g_ptr_array_index(pm->jobs, 0))->tag;
		if (mta_tag == NULL)
			mta_tag = g_strdup(t);
		assert_string_equal(mta_tag, t);
		/* The same Message-ID seen under another queue id is the client's own. */
		MsgPlan *pc = msg_plan(cfg, g, r3);
		msg_plan_identify(pc, g, NULL, "9ZZZ9");
		assert_string_not_equal(mta_tag, ((MsgJob *)g_ptr_array_index(pc->jobs, 0))->tag);
		msg_plan_free(pm);
		msg_plan_free(pc);
		g_object_unref(g);
	}
	/* ... and submitted again a second later, it is another alert. */
	GMimeMessage *later = mail(cfg, "Message-ID: <20261201223633.4F3C4C9@mx.example>\n"
	                                "Date: Tue, 01 Dec 2026 22:36:33 +0000\n"
	                                "From: cron@example.org\nSubject: s", "one");
	MsgPlan *pl = msg_plan(cfg, later, r3);
	msg_plan_identify(pl, later, NULL, "4F3C4C9");
	assert_string_not_equal(mta_tag, ((MsgJob *)g_ptr_array_index(pl->jobs, 0))->tag);
	/* A Message-ID that merely ends in digits and a dot before the queue id's letters is
	 * not taken for the MTA's unless the whole local part has its shape. */
	GMimeMessage *own = mail(cfg, "Message-ID: <alert.4F3C4C9@mx.example>\n"
	                              "Date: Tue, 01 Dec 2026 22:36:33 +0000\nSubject: s", "one");
	MsgPlan *po = msg_plan(cfg, own, r3), *po2 = msg_plan(cfg, own, r3);
	msg_plan_identify(po, own, NULL, "4F3C4C9");
	assert_string_equal(((MsgJob *)g_ptr_array_index(po->jobs, 0))->tag,
	                    ((MsgJob *)g_ptr_array_index(po2->jobs, 0))->tag);
	msg_plan_free(po);
	msg_plan_free(po2);
	g_object_unref(own);
	msg_plan_free(pl);
	g_object_unref(later);
	msg_plan_free(f1);
	msg_plan_free(f2);
	msg_plan_free(e1);
	msg_plan_free(e2);
	msg_plan_free(e3);
	g_object_unref(d1);
	g_object_unref(d2);

	msg_plan_free(p1);
	msg_plan_free(p2);
	msg_plan_free(p3);
	msg_plan_free(p4);
	msg_plan_free(q1);
	msg_plan_free(q2);
	msg_plan_free(q3);
	g_object_unref(m);
	g_object_unref(m2);
	g_object_unref(n1);
	g_object_unref(n2);
}

static void test_json_shape(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg, "To: +33612345678@sms.example.com, 12@sms.example.com\n"
	                            "Subject: caf\xc3\xa9 \"quoted\"", "line/one\nline two");
	MsgPlan *plan = msg_plan(cfg, m, NULL);
	g_autofree char *json = msg_plan_to_json(plan);
	assert_null(strchr(json, '\n'));
	json_object *root = json_tokener_parse(json);
	assert_non_null(root);
	assert_int_equal(json_object_object_length(root), 2);
	json_object *jobs, *refused, *job, *v;
	assert_true(json_object_object_get_ex(root, "jobs", &jobs));
	assert_true(json_object_object_get_ex(root, "refused", &refused));
	assert_int_equal(json_object_array_length(jobs), 1);
	job = json_object_array_get_idx(jobs, 0);
	assert_int_equal(json_object_object_length(job), 7);
	assert_true(json_object_object_get_ex(job, "receivers", &v));
	assert_true(json_object_is_type(v, json_type_array));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)),
	                    "+33612345678");
	assert_true(json_object_object_get_ex(job, "message", &v));
	assert_string_equal(json_object_get_string(v), "caf\xc3\xa9 \"quoted\"\nline/one\nline two");
	assert_true(json_object_object_get_ex(job, "encoding", &v));
	assert_string_equal(json_object_get_string(v), "gsm7");
	assert_true(json_object_object_get_ex(job, "segments", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(job, "characters", &v));
	assert_int_equal(json_object_get_int(v), 31);
	assert_true(json_object_object_get_ex(job, "truncated", &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(job, "tag", &v));
	assert_true(strlen(json_object_get_string(v)) <= 20);
	assert_int_equal(json_object_array_length(refused), 1);
	json_object *r = json_object_array_get_idx(refused, 0);
	assert_int_equal(json_object_object_length(r), 2);
	assert_true(json_object_object_get_ex(r, "address", &v));
	assert_string_equal(json_object_get_string(v), "12@sms.example.com");
	assert_true(json_object_object_get_ex(r, "reason", &v));
	json_object_put(root);
	msg_plan_free(plan);

	/* An empty plan still has both arrays. */
	const char *none[] = { NULL };
	plan = msg_plan(cfg, m, none);
	g_autofree char *empty = msg_plan_to_json(plan);
	assert_string_equal(empty, "{\"jobs\":[],\"refused\":[]}");
	msg_plan_free(plan);
	g_object_unref(m);
}

/* A recipient given on a command line may be any bytes: the JSON stays valid UTF-8. */
static void test_hostile_recipient(void **state)
{
	const Cfg *cfg = *state;
	GMimeMessage *m = mail(cfg, "Subject: s", "b");
	const char *rcpts[] = { "\xff\xfe\r\n@sms.example.com", "x\r\ny\"@sms.example.com", NULL };
	MsgPlan *plan = msg_plan(cfg, m, rcpts);
	g_autofree char *json = msg_plan_to_json(plan);
	assert_true(g_utf8_validate(json, -1, NULL));
	assert_null(strpbrk(json, "\r\n"));
	assert_int_equal(plan->refused->len, 2);
	json_object *root = json_tokener_parse(json);
	assert_non_null(root);
	json_object_put(root);
	msg_plan_free(plan);
	g_object_unref(m);
}

static void test_parse_errors(void **state)
{
	const Cfg *cfg = *state;
	GError *e = NULL;
	assert_null(msg_parse_bytes(cfg, "", 0, &e));
	assert_int_equal(e->code, M2S_ERR_DATA);
	g_clear_error(&e);
	assert_null(msg_parse_bytes(cfg, NULL, 0, &e));
	assert_int_equal(e->code, M2S_ERR_DATA);
	g_clear_error(&e);
	/* Whatever GMime makes of garbage, planning it never fails. */
	static const char garbage[] = "\0\0\0\xff\xfe\n\n\n--\r\n";
	GMimeMessage *m = msg_parse_bytes(cfg, garbage, sizeof garbage, &e);
	if (m != NULL) {
		const char *r[] = { "+33612345678@sms.example.com", NULL };
		MsgPlan *plan = msg_plan(cfg, m, r);
		g_free(msg_plan_to_json(plan));
		msg_plan_free(plan);
		g_object_unref(m);
	} else {
		assert_int_equal(e->code, M2S_ERR_DATA);
		g_clear_error(&e);
	}
}

/* The body beyond max_message_size is not read. */
static void test_size_bound(void **state)
{
	Cfg *cfg = *state;
	cfg->max_message_size = 512;
	GString *raw = g_string_new("Subject: s\nTo: +33612345678@sms.example.com\n\nstart ");
	while (raw->len < 600)
		g_string_append(raw, "aaaaaaa\n");
	g_string_append(raw, "SECRET-TAIL\n");
	GError *e = NULL;
	GMimeMessage *m = msg_parse_bytes(cfg, raw->str, raw->len, &e);
	assert_non_null(m);
	cfg->sms_max_segments = 6;
	MsgPlan *plan = msg_plan(cfg, m, NULL);
	const MsgJob *j = g_ptr_array_index(plan->jobs, 0);
	assert_null(strstr(j->sms->text, "SECRET"));
	assert_non_null(strstr(j->sms->text, "start"));
	msg_plan_free(plan);
	g_object_unref(m);

	/* The same through a file descriptor: reading stops at the bound. */
	char path[] = "/tmp/test_message.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, raw->str, raw->len), (ssize_t)raw->len);
	lseek(fd, 0, SEEK_SET);
	m = msg_parse_fd(cfg, fd, &e);
	assert_non_null(m);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 512);
	close(fd);
	g_object_unref(m);
	g_string_free(raw, TRUE);
}

static long max_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Parses RAW (through a file, as a pipe would give it) and plans it for one number. */
static void parse_and_plan(const Cfg *cfg, const char *raw, gsize len)
{
	char path[] = "/tmp/test_message.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	for (gsize off = 0; off < len;) {
		ssize_t n = write(fd, raw + off, len - off);
		assert_true(n > 0);
		off += (gsize)n;
	}
	lseek(fd, 0, SEEK_SET);
	GError *e = NULL;
	GMimeMessage *m = msg_parse_fd(cfg, fd, &e);
	close(fd);
	if (m == NULL) {
		g_error_free(e);
		return;
	}
	const char *r[] = { "+33612345678@sms.example.com", NULL };
	MsgPlan *plan = msg_plan(cfg, m, r);
	g_autofree char *json = msg_plan_to_json(plan);
	assert_true(g_utf8_validate(json, -1, NULL));
	json_object *root = json_tokener_parse(json);
	assert_non_null(root);
	json_object_put(root);
	msg_plan_free(plan);
	g_object_unref(m);
}

/* Hostile sizes and shapes: never a crash, memory bounded by max_message_size. */
static void test_bounds(void **state)
{
	Cfg *cfg = *state;
	cfg->max_message_size = 2 * 1024 * 1024;
	const char *head = "Subject: big\nMIME-Version: 1.0\n";

	/* 200 KB on one line. */
	GString *g = g_string_new(head);
	g_string_append(g, "Content-Type: text/plain\n\n");
	for (int i = 0; i < 200 * 1024; i++)
		g_string_append_c(g, 'a' + i % 26);
	g_string_append_c(g, '\n');
	parse_and_plan(cfg, g->str, g->len);
	g_string_free(g, TRUE);

	/* 1000 MIME parts, the text in the last. */
	g = g_string_new(head);
	g_string_append(g, "Content-Type: multipart/mixed; boundary=\"b\"\n\n");
	for (int i = 0; i < 1000; i++)
		g_string_append_printf(g, "--b\nContent-Type: application/octet-stream\n\npart %d\n",
		                       i);
	g_string_append(g, "--b\nContent-Type: text/plain\n\nthe text\n--b--\n");
	parse_and_plan(cfg, g->str, g->len);
	g_string_free(g, TRUE);

	/* Deep nesting. */
	g = g_string_new(head);
	for (int i = 0; i < 2000; i++)
		g_string_append_printf(g, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n",
		                       i, i);
	g_string_append(g, "Content-Type: text/plain\n\ndeep\n");
	parse_and_plan(cfg, g->str, g->len);
	g_string_free(g, TRUE);

	/* NUL bytes in headers and body, invalid base64, a broken boundary. */
	static const char nul[] = "Subject: a\0b\nContent-Type: multipart/mixed; boundary=x\n\n"
	                          "--x\nContent-Transfer-Encoding: base64\n\n!!!*&^\0\0==QQ\n"
	                          "--x-\n\0text\0\n";
	parse_and_plan(cfg, nul, sizeof nul - 1);

	/* 50 MiB: only max_message_size of it is read, and memory shows it. */
	gsize big = 50u * 1024 * 1024;
	char *raw = g_malloc(big);
	gsize hl = strlen(head);
	memcpy(raw, head, hl);
	memcpy(raw + hl, "\n", 1);
	for (gsize i = hl + 1; i < big; i++)
		raw[i] = (i % 77 == 0) ? '\n' : 'x';
	long before = max_rss_kib();
	parse_and_plan(cfg, raw, big);
	long grown = max_rss_kib() - before;
	g_free(raw);
	/* A few copies of 2 MiB at most, nowhere near the 50 MiB of input. */
	if (grown > 40 * 1024)
		print_error("max RSS grew by %ld KiB\n", grown);
	assert_true(grown <= 40 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_headers_and_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_recipient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	};
	msg_init();
	int rc = cmocka_run_group_tests_name("message", tests, NULL, NULL);
	g_mime_shutdown();
	return rc;
}

/* test_milter_probe.c: the probe of the milter's own socket against a stand-in on loopback
 * (a thread playing libmilter's part): the notations libmilter reads, a wildcard address
 * probed on loopback, a right answer, and each way an answer can fail (silence, a closed
 * port, another command, a length out of bounds, a cut answer) within the timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "milter_probe.h"
#include "error.h"

typedef enum { ANSWER_OK, ANSWER_SILENT, ANSWER_OTHER, ANSWER_HUGE, ANSWER_CUT } Answer;

typedef struct {
	int lfd;
	int port;
	Answer answer;
	GByteArray *got;  /* what the probe sent */
} Peer;

/* A listening socket on 127.0.0.1 and a free port. */
static void peer_listen(Peer *p, Answer answer)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof in;

	p->answer = answer;
	p->got = g_byte_array_new();
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->lfd >= 0);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&in, sizeof in), 0);
	assert_int_equal(listen(p->lfd, 4), 0);
	assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&in, &len), 0);
	p->port = ntohs(in.sin_port);
}

static void put32(guint8 *b, guint32 v)
{
	v = htonl(v);
	memcpy(b, &v, 4);
}

/* One session as libmilter would hold it (or not, as ANSWER says); everything the probe
 * sent is kept in GOT. */
static gpointer peer_serve(gpointer arg)
{
	Peer *p = arg;
	guint8 buf[256], reply[64] = { 0 };
	gsize rlen = 0;
	ssize_t n;
	int fd = accept(p->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, 17);  /* length, 'O', version, actions, protocol */
	if (n > 0)
		g_byte_array_append(p->got, buf, n);
	switch (p->answer) {
	case ANSWER_OK:  /* version 6, actions, steps, and a macro list as ours asks */
		put32(reply, 1 + 12 + 9);
		reply[4] = 'O';
		put32(reply + 5, 6);
		put32(reply + 9, 0x29);
		put32(reply + 13, 0x402);
		put32(reply + 17, 2);
		memcpy(reply + 21, "{i}\0", 4);
		rlen = 26;
		break;
	case ANSWER_OTHER:  /* SMFIR_CONTINUE */
		put32(reply, 13);
		reply[4] = 'c';
		rlen = 17;
		break;
	case ANSWER_HUGE:
		put32(reply, 1 << 30);
		rlen = 4;
		break;
	case ANSWER_CUT:
		put32(reply, 13);
		reply[4] = 'O';
		rlen = 7;
		break;
	case ANSWER_SILENT:
		break;
	}
	if (rlen && write(fd, reply, rlen) != (ssize_t)rlen)
		fail_msg("cannot answer the probe");
	/* The goodbye, then end of file; a cut answer is followed by end of file at once. */
	while (p->answer != ANSWER_CUT && (n = read(fd, buf, sizeof buf)) > 0)
		g_byte_array_append(p->got, buf, n);
	close(fd);
	return NULL;
}

/* Probes PORT through SPEC (a %d for the port) against a peer answering ANSWER. */
static gboolean probe_peer(const char *spec_fmt, Answer answer, int timeout_ms, Peer *p,
                           GError **err)
{
	g_autoptr(MilterProbe) probe = NULL;
	g_autofree char *spec = NULL;
	GThread *t;
	gboolean ok;

	peer_listen(p, answer);
	spec = g_strdup_printf(spec_fmt, p->port);
	probe = milter_probe_new(spec, err);
	assert_non_null(probe);
	t = g_thread_new("peer", peer_serve, p);
	ok = milter_probe_run(probe, timeout_ms, err);
	g_thread_join(t);
	close(p->lfd);
	return ok;
}

static void notations(void **state)
{
	static const char *const good[] = {
		"inet:8891@127.0.0.1", "inet:8891", "inet:8891@[127.0.0.1]", "inet:8891@localhost",
		"INET:8891@127.0.0.1", "inet6:8891@::1", "inet6:8891@[::1]", "inet6:8891",
		"local:/run/mail2sms/milter.sock", "unix:/run/m.sock", "/run/m.sock",
	};
	static const char *const bad[] = {
		"inet:@127.0.0.1", "inet:", "tcp:8891@127.0.0.1", "local:",
	};
	g_autofree char *longpath = g_strnfill(200, 'x');
	g_autofree char *longspec = g_strconcat("local:/", longpath, NULL);

	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) e = NULL;
		g_autoptr(MilterProbe) p = milter_probe_new(good[i], &e);

		if (p == NULL)
			fail_msg("%s: %s", good[i], e->message);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) e = NULL;
		g_autoptr(MilterProbe) p = milter_probe_new(bad[i], &e);

		if (p != NULL)
			fail_msg("%s was accepted", bad[i]);
		assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_CONFIG));
		assert_non_null(strstr(e->message, bad[i]));
	}
	{
		g_autoptr(GError) e = NULL;
		g_autoptr(MilterProbe) p = milter_probe_new(longspec, &e);

		assert_null(p);
		assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_CONFIG));
	}
}

/* An answer: TRUE, and the probe sent an MTA's negotiation, then SMFIC_QUIT. */
static void answered(void **state)
{
	g_autoptr(GError) e = NULL;
	Peer p;
	static const guint8 want[] = { 0, 0, 0, 13, 'O', 0, 0, 0, 6, 0, 0, 0x01, 0xff,
	                               0, 0x1f, 0xff, 0xff, 0, 0, 0, 1, 'Q' };

	(void)state;
	assert_true(probe_peer("inet:%d@127.0.0.1", ANSWER_OK, 2000, &p, &e));
	assert_null(e);
	assert_int_equal(p.got->len, sizeof want);
	assert_memory_equal(p.got->data, want, sizeof want);
	g_byte_array_unref(p.got);
}

/* A listener bound to every address is probed on loopback. */
static void wildcard_is_loopback(void **state)
{
	g_autoptr(GError) e = NULL;
	Peer p;

	(void)state;
	assert_true(probe_peer("inet:%d", ANSWER_OK, 2000, &p, &e));
	g_byte_array_unref(p.got);
	g_clear_error(&e);
	assert_true(probe_peer("inet:%d@0.0.0.0", ANSWER_OK, 2000, &p, &e));
	g_byte_array_unref(p.got);
}

/* Silence: FALSE after the timeout, not before, and not much after. */
static void silent(void **state)
{
	g_autoptr(GError) e = NULL;
	Peer p;
	gint64 t0 = g_get_monotonic_time(), ms;

	(void)state;
	assert_false(probe_peer("inet:%d@127.0.0.1", ANSWER_SILENT, 300, &p, &e));
	ms = (g_get_monotonic_time() - t0) / 1000;
	assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_UNREACHABLE));
	assert_non_null(strstr(e->message, "timed out"));
	assert_true(ms >= 290 && ms < 2000);
	g_byte_array_unref(p.got);
}

/* Nothing listening: FALSE at once. */
static void closed_port(void **state)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(MilterProbe) probe = NULL;
	g_autofree char *spec = NULL;
	Peer p;

	(void)state;
	peer_listen(&p, ANSWER_OK);
	close(p.lfd);
	spec = g_strdup_printf("inet:%d@127.0.0.1", p.port);
	probe = milter_probe_new(spec, &e);
	assert_non_null(probe);
	assert_false(milter_probe_run(probe, 2000, &e));
	assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_UNREACHABLE));
	assert_non_null(strstr(e->message, "cannot connect"));
	g_byte_array_unref(p.got);
}

/* Answers that are not a negotiation's: each FALSE, with what was wrong. */
static void wrong_answers(void **state)
{
	static const struct { Answer a; const char *says; } cases[] = {
		{ ANSWER_OTHER, "command 'c'" },
		{ ANSWER_HUGE, "1073741824 bytes" },
		{ ANSWER_CUT, "cut" },
	};

	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) e = NULL;
		Peer p;

		assert_false(probe_peer("inet:%d@127.0.0.1", cases[i].a, 2000, &p, &e));
		assert_true(g_error_matches(e, M2S_ERROR, M2S_ERR_UNREACHABLE));
		if (strstr(e->message, cases[i].says) == NULL)
			fail_msg("\"%s\" does not say %s", e->message, cases[i].says);
		g_byte_array_unref(p.got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notations),
		cmocka_unit_test(answered),
		cmocka_unit_test(wildcard_is_loopback),
		cmocka_unit_test(silent),
		cmocka_unit_test(closed_port),
		cmocka_unit_test(wrong_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

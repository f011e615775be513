/* milter_session.c: the libmilter callbacks: one connection, its messages, their outcome.
 *
 * RCPT decides what can be decided there (access, invalid numbers, prefixes, limits) so
 * that the client learns it in the SMTP reply; DATA accepts at once a message with no SMS
 * recipient, so that Postfix sends neither its headers nor its body; end of message builds
 * the jobs, posts them and maps the outcome. Mail that Postfix hands over from the local
 * sendmail (non_smtpd_milters) is never refused at RCPT: it is decided at end of message.
 *
 * State lives only in smfi_setpriv (libmilter may run one session's callbacks on different
 * threads). Nothing read from the mail reaches an SMTP reply or a header unsanitised. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <syslog.h>
#include <libmilter/mfapi.h>
#include "milter.h"
#include "address.h"
#include "access.h"
#include "dispatch.h"
#include "error.h"
#include "flood.h"
#include "metrics.h"
#include "reports.h"
#include "milter_reply.h"
#include "safeline.h"

/* The copy of a message starts this large: most alerts fit, bigger ones grow it. */
#define MILTER_COPY_START 8192

typedef struct {
	Runtime *rt;
	char *sender;           /* the envelope sender, kept with the jobs sent */
	MsgPlan *plan;          /* fed at each RCPT, finished at end of message */
	GString *raw;           /* headers and body, at most max_message_size bytes */
	guint forged;           /* X-Mail2SMS headers the client wrote */
	int outcome;            /* MetricsMail of the latest answer, -1 before any; counted
	                         * once, when the message is dropped */
} Msg;

typedef struct {
	char *client_ip;        /* "unknown" when libmilter gave no address */
	gboolean local;         /* Postfix's emulated connection for non-SMTP mail */
	Msg *msg;
} Conn;

/* Frees a message's state: its runtime reference, plan and copy. */
static void msg_free(Msg *m)
{
	if (m == NULL)
		return;
	runtime_unref(m->rt);
	g_free(m->sender);
	msg_plan_free(m->plan);
	if (m->raw)
		g_string_free(m->raw, TRUE);
	g_free(m);
}

/* The connection's state (NULL once closed, or if on_connect never ran). */
static Conn *conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* Forgets the message in progress: a new MAIL FROM, an abort or the end of message. Its
 * outcome is counted here, once, whichever way its transaction ended. */
static void conn_end_message(Conn *c)
{
	if (c) {
		if (c->msg != NULL && c->msg->outcome >= 0)
			metrics_mail((MetricsMail)c->msg->outcome);
		msg_free(c->msg);
		c->msg = NULL;
	}
}

/* Adds the X-Mail2SMS header, after removing the client's own copies: a sender must not
 * forge "sent" for the filters downstream. VALUE is sanitised here. */
static void add_header(SMFICTX *ctx, Msg *m, const char *value)
{
	g_autofree char *v = safeline(value, SAFELINE_HEADER, FALSE);

	/* libmilter counts each name from 1; the last first, so that the indexes hold. */
	for (guint i = m->forged; i > 0; i--)
		smfi_chgheader(ctx, "X-Mail2SMS", (int)i, NULL);
	smfi_addheader(ctx, "X-Mail2SMS", v);
}

/* Annotates with HEADER and takes the SMS recipients out of the mail, so that the MTA
 * neither relays nor bounces them on the SMS domain; a mail left with no recipient is
 * discarded. keep_sms_recipients takes out only UNSENT (NULL: every SMS recipient): the
 * others stay for the transport of the SMS domain (discard(8), whose log line says they
 * were sent), which must never see a recipient whose SMS did not go. */
static sfsistat without_sms_recipients(SMFICTX *ctx, Msg *m, const char *header,
                                       const GPtrArray *unsent)
{
	const MsgPlan *plan = m->plan;
	const GPtrArray *out = plan->taken;

	if (runtime_cfg(m->rt)->keep_sms_recipients && unsent != NULL)
		out = unsent;
	if (plan->not_sms->len == 0 && out->len == plan->taken->len)
		return SMFIS_DISCARD;
	add_header(ctx, m, header);
	for (guint i = 0; i < out->len; i++)
		smfi_delrcpt(ctx, out->pdata[i]);
	return SMFIS_CONTINUE;
}

/* The SMS recipients of the mail none of whose numbers OVH took (INVALID, "+33..,+33..",
 * refused in jobs otherwise sent). An address that names no number itself (the numbers
 * are in the Subject) is one of them when OVH took no number at all (TOOK_NONE). */
static GPtrArray *unsent_recipients(const Cfg *cfg, const MsgPlan *plan, const char *invalid,
                                    gboolean took_none)
{
	g_auto(GStrv) bad = g_strsplit(invalid, ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < plan->taken->len; i++) {
		g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func(g_free);
		gboolean all_bad = TRUE;
		if (addr_classify(cfg, plan->taken->pdata[i], numbers, NULL) != ADDR_NUMBERS ||
		    numbers->len == 0)
			all_bad = took_none;
		for (guint j = 0; all_bad && j < numbers->len; j++)
			all_bad = g_strv_contains((const char *const *)bad, numbers->pdata[j]);
		if (all_bad)
			g_ptr_array_add(out, plan->taken->pdata[i]);
	}
	return out;
}

/* Sets the SMTP reply of ERR and returns the libmilter status that carries it; with
 * on_api_error = accept (OVH trouble, end of message only) the mail goes on without its
 * SMS recipients, annotated, and the log says so. */
static sfsistat refuse(SMFICTX *ctx, Msg *m, const GError *err)
{
	const Cfg *cfg = runtime_cfg(m->rt);
	MilterReply r;
	sfsistat st;

	milter_reply_for(cfg, err, &r);
	metrics_failure(err);
	m->outcome = r.accept      ? METRICS_MAIL_FAILED
	             : r.temporary ? METRICS_MAIL_TEMPFAIL
	                           : METRICS_MAIL_REFUSED;
	if (r.accept) {
		const char *qid = smfi_getsymval(ctx, "i");
		g_autofree char *why = addr_mask_text(err->message, cfg->log_numbers_full);
		g_autofree char *failed = milter_failed_header(err->message);
		g_autoptr(GString) h = g_string_new(failed);

		syslog(LOG_WARNING, "%s: accepted without SMS (on_api_error = accept): %s",
		       qid ? qid : "NOQUEUE", why);
		g_string_append(h, "; removed=");
		for (guint i = 0; i < m->plan->taken->len; i++)
			g_string_append_printf(h, "%s%s", i ? "," : "", (char *)m->plan->taken->pdata[i]);
		st = without_sms_recipients(ctx, m, h->str, NULL);
	} else {
		smfi_setreply(ctx, r.rcode, r.xcode, r.text);
		st = r.temporary ? SMFIS_TEMPFAIL : SMFIS_REJECT;
	}
	milter_reply_clear(&r);
	return st;
}

/* Asks for the actions the milter uses and the macros it reads, and skips HELO and unknown
 * commands; the MTA grants what it can. Connect, each header and the end of headers never
 * refuse anything: no reply to them (SMFIP_NR_*), so that the MTA does not wait a round
 * trip for each; libmilter answers "continue" itself to an MTA that cannot do without. */
static sfsistat on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3, unsigned long *pf0,
                             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_DELRCPT | SMFIF_SETSYMLIST) & f0;  /* the lists below */
	*pf1 = (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_SKIP | SMFIP_NR_CONN | SMFIP_NR_HDR |
	        SMFIP_NR_EOH) & f1;
	*pf2 = *pf3 = 0;
	smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_authen}");
	smfi_setsymlist(ctx, SMFIM_EOM, "i");
	return SMFIS_CONTINUE;
}

/* Postfix hands non-SMTP mail over as if from "localhost" [127.0.0.1] port 0, a port no
 * real TCP client has. */
static gboolean is_local_submission(const char *host, const struct sockaddr *sa)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

	return sa && sa->sa_family == AF_INET && in->sin_port == 0 &&
	       in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && host &&
	       strcmp(host, "localhost") == 0;
}

/* Notes the client address ([access]) and whether Postfix emulates a connection for a local
 * submission. */
static sfsistat on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	Conn *c = g_new0(Conn, 1);
	char buf[INET6_ADDRSTRLEN];

	if (sa && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf))
		c->client_ip = g_strdup(buf);
	else if (sa && sa->sa_family == AF_INET6 &&
	         inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf))
		c->client_ip = g_strdup(buf);
	else
		c->client_ip = g_strdup("unknown");  /* in no network (access.h) */
	c->local = is_local_submission(host, sa);
	smfi_setpriv(ctx, c);
	metrics_session(1);
	return SMFIS_NOREPLY;
}

/* A new message: its [access] verdict (the client, its SMTP AUTH login and the sender are
 * known now) and an empty plan that each RCPT feeds. Mail from the local sendmail is never
 * refused at RCPT: its refusals are kept for the end of message. */
static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	Conn *c = conn_of(ctx);
	g_autoptr(GError) denied = NULL;
	Msg *m;

	if (c == NULL)
		return SMFIS_ACCEPT;
	conn_end_message(c);
	m = g_new0(Msg, 1);
	m->outcome = -1;
	m->rt = runtime_current();
	if (m->rt == NULL) {
		g_free(m);
		return SMFIS_CONTINUE;
	}
	access_may_send(runtime_cfg(m->rt), c->client_ip, smfi_getsymval(ctx, "{auth_authen}"),
	                argv[0], &denied);
	m->sender = g_strdup(argv[0]);
	m->plan = msg_plan_new(runtime_cfg(m->rt), denied, c->local ? 0 : MSG_PLAN_ANSWERED);
	const char *login = smfi_getsymval(ctx, "{auth_authen}");
	if (login != NULL && *login != '\0')
		m->plan->login = g_strdup(login);
	c->msg = m;
	return SMFIS_CONTINUE;
}

/* What the limits know at RCPT (the sender over per_sender, the day's credits spent) is
 * answered there for an SMS recipient, with over_limit = tempfail (452 4.7.1) or reject,
 * so that the client keeps the mail: TRUE with *ST the answer. The planner never sees
 * that recipient, which the MTA drops. */
static gboolean over_limit_at_rcpt(SMFICTX *ctx, Msg *m, const char *rcpt, sfsistat *st)
{
	const Cfg *cfg = runtime_cfg(m->rt);
	g_autoptr(GPtrArray) numbers = NULL;
	g_autoptr(GError) e = NULL;
	MilterReply r;

	if (!cfg_limits_on(cfg) || cfg->limits_over_limit == CFG_OVER_DIGEST)
		return FALSE;
	numbers = g_ptr_array_new_with_free_func(g_free);
	AddrKind kind = addr_classify(cfg, rcpt, numbers, NULL);
	if ((kind != ADDR_NUMBERS && kind != ADDR_FROM_SUBJECT) ||
	    flood_rcpt(cfg, runtime_store(m->rt, NULL), m->plan->login ? m->plan->login : m->sender,
	               g_get_real_time() / G_USEC_PER_SEC, &e))
		return FALSE;
	milter_reply_for(cfg, e, &r);
	metrics_failure(e);
	m->outcome = r.temporary ? METRICS_MAIL_TEMPFAIL : METRICS_MAIL_REFUSED;
	smfi_setreply(ctx, r.temporary ? "452" : r.rcode, r.xcode, r.text);
	*st = r.temporary ? SMFIS_TEMPFAIL : SMFIS_REJECT;
	milter_reply_clear(&r);
	return TRUE;
}

/* Each recipient goes through the planner: what it refuses is answered here, so that the
 * client learns it at once and the MTA drops that recipient. */
static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	Conn *c = conn_of(ctx);
	Msg *m = c ? c->msg : NULL;
	g_autoptr(GError) e = NULL;
	sfsistat st;

	if (m == NULL)
		return SMFIS_CONTINUE;
	if (!c->local && over_limit_at_rcpt(ctx, m, argv[0], &st))
		return st;
	if (msg_plan_add(m->plan, NULL, argv[0], &e) == ADDR_REFUSED && !c->local)
		return refuse(ctx, m, e);
	/* RFC 3461's NOTIFY= decides the delivery reports of this recipient's SMS. */
	for (int i = 1; argv[i] != NULL; i++) {
		guint flags;
		if (g_ascii_strncasecmp(argv[i], "NOTIFY=", 7) == 0 &&
		    reports_parse_notify(argv[i] + 7, &flags))
			msg_plan_set_notify(m->plan, argv[0], flags);
	}
	return SMFIS_CONTINUE;
}

/* DATA: a message without an SMS recipient is accepted now, before its content is sent. */
static sfsistat on_data(SMFICTX *ctx)
{
	Conn *c = conn_of(ctx);
	Msg *m = c ? c->msg : NULL;

	if (m == NULL || !msg_plan_has_sms(m->plan)) {
		/* Unless its SMS recipients were all refused at RCPT: then that is its outcome. */
		if (m == NULL)
			metrics_mail(METRICS_MAIL_NOT_SMS);
		else if (m->outcome < 0)
			m->outcome = METRICS_MAIL_NOT_SMS;
		conn_end_message(c);
		return SMFIS_ACCEPT;  /* not for us: Postfix sends no header nor body */
	}
	return SMFIS_CONTINUE;
}

/* The message being copied for SMS, or NULL for one that is not. The copy starts at the
 * first header rather than at DATA: an MTA speaking an older milter protocol sends no
 * DATA step. */
static Msg *sms_message(SMFICTX *ctx)
{
	Conn *c = conn_of(ctx);
	Msg *m = c ? c->msg : NULL;

	if (m == NULL || !msg_plan_has_sms(m->plan))
		return NULL;
	if (m->raw == NULL)
		m->raw = g_string_sized_new(MILTER_COPY_START);
	return m;
}

/* Appends to the copy of the mail, silently stopping at max_message_size. */
static gboolean keep(Msg *m, const char *s, gsize len)
{
	gsize max = runtime_cfg(m->rt)->max_message_size;

	if (m->raw->len >= max)
		return FALSE;
	g_string_append_len(m->raw, s, MIN(len, max - m->raw->len));
	return m->raw->len < max;
}

/* Copies one header of an SMS message and counts the client's X-Mail2SMS headers. */
static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	Msg *m = sms_message(ctx);

	if (m) {
		if (g_ascii_strcasecmp(name, "X-Mail2SMS") == 0)
			m->forged++;
		keep(m, name, strlen(name));
		keep(m, ": ", 2);
		keep(m, value, strlen(value));
		keep(m, "\r\n", 2);
	}
	return SMFIS_NOREPLY;
}

/* The blank line between headers and body, in the copy. */
static sfsistat on_eoh(SMFICTX *ctx)
{
	Msg *m = sms_message(ctx);

	if (m)
		keep(m, "\r\n", 2);
	return SMFIS_NOREPLY;
}

/* Copies a body chunk; past max_message_size the rest of the body is skipped. */
static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	Msg *m = sms_message(ctx);

	if (m && !keep(m, (const char *)chunk, len))
		return SMFIS_SKIP;  /* the rest is not read: bounded memory */
	return SMFIS_CONTINUE;
}

/* Tells the MTA the milter is still at work while OVH answers (dispatch.c calls it). */
static void progress(void *ctx)
{
	smfi_progress(ctx);
}

/* Success: annotated with what went out (and what the limits held or found duplicate),
 * without the SMS recipients, or with those an SMS went to (keep_sms_recipients). */
static sfsistat sent(SMFICTX *ctx, Msg *m, const DispatchReport *r)
{
	gboolean some_invalid = r->invalid && r->invalid->len > 0;
	gboolean some_sent = r->ids && r->ids->len > 0;
	g_autoptr(GString) h = g_string_new(NULL);
	g_autoptr(GString) unsent = g_string_new(some_invalid ? r->invalid->str : "");

	if (some_sent || (r->held == NULL && r->duplicate == NULL)) {
		g_string_printf(h, "sent; ids=%s; receivers=%s;%s%s%s credits=%g",
		                r->ids ? r->ids->str : "", r->receivers ? r->receivers->str : "",
		                some_invalid ? " invalid=" : "", some_invalid ? r->invalid->str : "",
		                some_invalid ? ";" : "", r->credits);
		if (r->duplicate != NULL)
			g_string_append_printf(h, "; duplicate=%s; earlier=%s", r->duplicate->str,
			                       r->earlier_ids->str);
	} else if (r->duplicate != NULL) {
		g_string_printf(h, "duplicate; ids=%s", r->earlier_ids->str);
	}
	if (r->held != NULL) {
		g_autofree char *why = g_strdelimit(g_strdup(r->held_reason), "\"\\", '\'');
		g_string_append_printf(h, "%sheld; reason=\"%s\"", h->len ? "; " : "", why);
		g_string_append_printf(unsent, "%s%s", unsent->len ? "," : "", r->held->str);
	}
	if (r->no_store)
		g_string_append(h, "; store=down");
	m->outcome = dispatch_mail_result(r);
	/* A held alert's recipient did not get its SMS (yet): out of the mail, like a refused one. */
	g_autoptr(GPtrArray) out = unsent_recipients(runtime_cfg(m->rt), m->plan, unsent->str,
	                                             (!r->receivers || r->receivers->len == 0) &&
	                                                     r->duplicate == NULL);
	return without_sms_recipients(ctx, m, h->str, out);
}

/* End of message: the plan finished with the mail, its verdict, then the jobs posted. */
static sfsistat decide(SMFICTX *ctx, Conn *c)
{
	Msg *m = c->msg;
	const Cfg *cfg = runtime_cfg(m->rt);
	const char *qid = smfi_getsymval(ctx, "i");
	GMimeMessage *mime;
	g_autoptr(GError) e = NULL;
	DispatchReport report = { 0 };
	sfsistat st;

	mime = msg_parse_bytes(cfg, m->raw->str, m->raw->len, &e);
	if (mime == NULL)
		return refuse(ctx, m, e);
	msg_plan_finish(m->plan, mime);
	/* The queue id last: a client's retry comes with a new one. */
	msg_plan_identify(m->plan, mime, NULL, qid);
	g_object_unref(mime);
	if (!msg_plan_verdict(m->plan, &e)) {
		g_autofree char *masked = addr_mask_text(e->message, cfg->log_numbers_full);
		syslog(LOG_NOTICE, "%s: refused: %s", qid ? qid : "NOQUEUE", masked);
		return refuse(ctx, m, e);
	}
	if (dispatch_plan(m->rt, m->plan, qid, m->sender, 0, progress, ctx, &report, &e)) {
		st = sent(ctx, m, &report);
	} else {
		/* Postfix logs the reply: ids, not numbers. */
		if (report.ids != NULL && report.ids->len > 0)
			g_prefix_error(&e, "partly sent (ids %s), not all: ", report.ids->str);
		st = refuse(ctx, m, e);
	}
	dispatch_report_clear(&report);
	return st;
}

/* End of message: an SMS message is decided, then its state is dropped either way. */
static sfsistat on_eom(SMFICTX *ctx)
{
	Conn *c = conn_of(ctx);
	sfsistat st = SMFIS_CONTINUE;

	if (sms_message(ctx))
		st = decide(ctx, c);
	else if (c != NULL && c->msg != NULL && c->msg->outcome < 0)
		c->msg->outcome = METRICS_MAIL_NOT_SMS;  /* an MTA that skipped the DATA step */
	conn_end_message(c);
	return st;
}

/* The client gave up the message (RSET, or the MTA aborted it): nothing is sent. */
static sfsistat on_abort(SMFICTX *ctx)
{
	conn_end_message(conn_of(ctx));
	return SMFIS_CONTINUE;
}

/* The connection is gone: its state with it. */
static sfsistat on_close(SMFICTX *ctx)
{
	Conn *c = conn_of(ctx);

	if (c) {
		conn_end_message(c);
		g_free(c->client_ip);
		g_free(c);
		smfi_setpriv(ctx, NULL);
		metrics_session(-1);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "mail2sms",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_DELRCPT,
	.xxfi_connect = on_connect,
	.xxfi_envfrom = on_envfrom,
	.xxfi_envrcpt = on_envrcpt,
	.xxfi_header = on_header,
	.xxfi_eoh = on_eoh,
	.xxfi_body = on_body,
	.xxfi_eom = on_eom,
	.xxfi_abort = on_abort,
	.xxfi_close = on_close,
	.xxfi_data = on_data,
	.xxfi_negotiate = on_negotiate,
};

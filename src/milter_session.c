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
#include "milter_reply.h"

#define HEADER_MAX 900

typedef struct {
	Runtime *rt;
	char *sender;
	GPtrArray *sms_rcpts;   /* recipient addresses as given, <> included */
	GPtrArray *numbers;     /* distinct numbers accepted so far */
	guint other_rcpts;
	gboolean access_checked;
	GError *access_err;     /* why this message may not send SMS */
	GString *raw;           /* headers and body, at most max_message_size bytes */
} Msg;

typedef struct {
	char *client_ip;        /* NULL: unknown */
	gboolean local;         /* Postfix's emulated connection for non-SMTP mail */
	Msg *msg;
} Conn;

static void msg_free(Msg *m)
{
	if (m == NULL)
		return;
	runtime_unref(m->rt);
	g_free(m->sender);
	g_ptr_array_unref(m->sms_rcpts);
	g_ptr_array_unref(m->numbers);
	g_clear_error(&m->access_err);
	if (m->raw)
		g_string_free(m->raw, TRUE);
	g_free(m);
}

static Conn *conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static void conn_end_message(Conn *c)
{
	if (c) {
		msg_free(c->msg);
		c->msg = NULL;
	}
}

/* Adds the X-Mail2SMS header; VALUE is sanitised here. */
static void add_header(SMFICTX *ctx, const char *value)
{
	g_autofree char *v = milter_safe_text(value, HEADER_MAX, FALSE);
	smfi_addheader(ctx, "X-Mail2SMS", v);
}

/* Sets the SMTP reply of ERR and returns the libmilter status that carries it; with
 * on_api_error = accept (OVH trouble, end of message only) lets the mail through annotated. */
static sfsistat refuse(SMFICTX *ctx, const Cfg *cfg, const GError *err)
{
	MilterReply r;
	sfsistat st;

	milter_reply_for(cfg, err, &r);
	if (r.accept) {
		g_autofree char *h = milter_failed_header(err->message);
		add_header(ctx, h);
		st = SMFIS_CONTINUE;
	} else {
		smfi_setreply(ctx, r.rcode, r.xcode, r.text);
		st = r.temporary ? SMFIS_TEMPFAIL : SMFIS_REJECT;
	}
	milter_reply_clear(&r);
	return st;
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3, unsigned long *pf0,
                             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = (SMFIF_ADDHDRS | SMFIF_DELRCPT | SMFIF_SETSYMLIST) & f0;  /* the lists below */
	*pf1 = (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_SKIP) & f1;
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
	c->local = is_local_submission(host, sa);
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	Conn *c = conn_of(ctx);
	Msg *m;

	if (c == NULL)
		return SMFIS_ACCEPT;
	conn_end_message(c);
	m = g_new0(Msg, 1);
	m->rt = runtime_current();
	m->sender = g_strdup(argv[0]);
	m->sms_rcpts = g_ptr_array_new_with_free_func(g_free);
	m->numbers = g_ptr_array_new_with_free_func(g_free);
	c->msg = m;
	return SMFIS_CONTINUE;
}

/* The [access] verdict for this message, computed once, at its first SMS recipient. */
static const GError *access_error(SMFICTX *ctx, Conn *c)
{
	Msg *m = c->msg;

	if (!m->access_checked) {
		const char *auth = smfi_getsymval(ctx, "{auth_authen}");
		m->access_checked = TRUE;
		access_may_send(runtime_cfg(m->rt), c->client_ip ? c->client_ip : "unknown", auth,
		                m->sender, &m->access_err);
	}
	return m->access_err;
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	Conn *c = conn_of(ctx);
	Msg *m = c ? c->msg : NULL;
	g_autoptr(GPtrArray) nums = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) e = NULL;
	const Cfg *cfg;
	const GError *denied;
	AddrKind kind;
	guint added = 0;

	if (m == NULL || m->rt == NULL)
		return SMFIS_CONTINUE;
	cfg = runtime_cfg(m->rt);
	kind = addr_classify(cfg, argv[0], nums, &e);
	if (kind == ADDR_NOT_SMS) {
		m->other_rcpts++;
		return SMFIS_CONTINUE;
	}
	if (c->local) {
		g_ptr_array_add(m->sms_rcpts, g_strdup(argv[0]));
		return SMFIS_CONTINUE;
	}
	if ((denied = access_error(ctx, c)) != NULL)
		return refuse(ctx, cfg, denied);
	if (kind == ADDR_REFUSED)
		return refuse(ctx, cfg, e);
	for (guint i = 0; i < nums->len; i++) {
		if (g_ptr_array_find_with_equal_func(m->numbers, nums->pdata[i], g_str_equal, NULL))
			continue;
		g_ptr_array_add(m->numbers, g_strdup(nums->pdata[i]));
		added++;
	}
	if (m->numbers->len > cfg->addr_max_recipients) {
		g_ptr_array_remove_range(m->numbers, m->numbers->len - added, added);
		/* 452 lets the client send the rest in another mail; a recipient that alone has
		 * too many numbers would never pass. */
		g_set_error(&e, M2S_ERROR, nums->len > cfg->addr_max_recipients ? M2S_ERR_LIMIT
		                                                                 : M2S_ERR_TOO_MANY,
		            "more than %u SMS receivers", cfg->addr_max_recipients);
		return refuse(ctx, cfg, e);
	}
	g_ptr_array_add(m->sms_rcpts, g_strdup(argv[0]));
	return SMFIS_CONTINUE;
}

static sfsistat on_data(SMFICTX *ctx)
{
	Conn *c = conn_of(ctx);
	Msg *m = c ? c->msg : NULL;

	if (m == NULL || m->sms_rcpts->len == 0) {
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

	if (m == NULL || m->sms_rcpts->len == 0)
		return NULL;
	if (m->raw == NULL)
		m->raw = g_string_sized_new(8192);
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

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	Msg *m = sms_message(ctx);

	if (m) {
		keep(m, name, strlen(name));
		keep(m, ": ", 2);
		keep(m, value, strlen(value));
		keep(m, "\r\n", 2);
	}
	return SMFIS_CONTINUE;
}

static sfsistat on_eoh(SMFICTX *ctx)
{
	Msg *m = sms_message(ctx);

	if (m)
		keep(m, "\r\n", 2);
	return SMFIS_CONTINUE;
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	Msg *m = sms_message(ctx);

	if (m && !keep(m, (const char *)chunk, len))
		return SMFIS_SKIP;  /* the rest is not read: bounded memory */
	return SMFIS_CONTINUE;
}

static void progress(void *ctx)
{
	smfi_progress(ctx);
}

/* Success: annotate, then remove the SMS recipients (or discard a mail left with none). */
static sfsistat sent(SMFICTX *ctx, Msg *m, const DispatchReport *r)
{
	const Cfg *cfg = runtime_cfg(m->rt);
	gboolean some_invalid = r->invalid && r->invalid->len > 0;
	g_autofree char *h = g_strdup_printf("sent; ids=%s; receivers=%s;%s%s%s credits=%g",
	                                     r->ids ? r->ids->str : "",
	                                     r->receivers ? r->receivers->str : "",
	                                     some_invalid ? " invalid=" : "",
	                                     some_invalid ? r->invalid->str : "",
	                                     some_invalid ? ";" : "", r->credits);

	if (cfg->keep_sms_recipients) {
		add_header(ctx, h);
		return SMFIS_CONTINUE;
	}
	if (m->other_rcpts == 0)
		return SMFIS_DISCARD;
	add_header(ctx, h);
	for (guint i = 0; i < m->sms_rcpts->len; i++)
		smfi_delrcpt(ctx, m->sms_rcpts->pdata[i]);
	return SMFIS_CONTINUE;
}

/* The refusals of a plan (or of the access rules) as one reply: nothing is sent. */
static const GError *plan_refusal(const MsgPlan *plan, GError **tmp)
{
	MsgRefusal *r;

	if (plan->refused->len == 0)
		return NULL;
	r = plan->refused->pdata[0];
	/* At end of message a retry would meet the same limit. */
	g_set_error(tmp, M2S_ERROR, r->code == M2S_ERR_TOO_MANY ? M2S_ERR_LIMIT : r->code,
	            "%s: %s%s", r->address, r->reason,
	            plan->refused->len > 1 ? " (and others)" : "");
	return *tmp;
}

static sfsistat decide(SMFICTX *ctx, Conn *c)
{
	Msg *m = c->msg;
	const Cfg *cfg = runtime_cfg(m->rt);
	const char *qid = smfi_getsymval(ctx, "i");
	GMimeMessage *mime;
	g_autoptr(MsgPlan) plan = NULL;
	g_autoptr(GError) e = NULL;
	const GError *why;
	DispatchReport report = { 0 };
	sfsistat st;

	if (c->local && (why = access_error(ctx, c)) != NULL)
		return refuse(ctx, cfg, why);
	g_ptr_array_add(m->sms_rcpts, NULL);
	mime = msg_parse_bytes(cfg, m->raw->str, m->raw->len, &e);
	if (mime) {
		plan = msg_plan(cfg, mime, (const char *const *)m->sms_rcpts->pdata);
		/* The queue id last: a client's retry comes with a new one. */
		msg_plan_identify(plan, mime, NULL, qid);
		g_object_unref(mime);
	}
	g_ptr_array_remove_index(m->sms_rcpts, m->sms_rcpts->len - 1);
	if (plan == NULL)
		return refuse(ctx, cfg, e);
	if ((why = plan_refusal(plan, &e)) != NULL) {
		g_autofree char *masked = addr_mask_text(why->message, cfg->log_numbers_full);
		syslog(LOG_NOTICE, "%s: refused: %s", qid ? qid : "NOQUEUE", masked);
		return refuse(ctx, cfg, why);
	}
	if (plan->jobs->len == 0) {
		g_set_error(&e, M2S_ERROR, M2S_ERR_DATA, "the mail has no text to send");
		return refuse(ctx, cfg, e);
	}
	if (dispatch_plan(m->rt, plan, qid, FALSE, progress, ctx, &report, &e)) {
		st = sent(ctx, m, &report);
	} else {
		/* Postfix logs the reply: ids, not numbers. */
		if (report.ids != NULL && report.ids->len > 0)
			g_prefix_error(&e, "partly sent (ids %s), not all: ", report.ids->str);
		st = refuse(ctx, cfg, e);
	}
	dispatch_report_clear(&report);
	return st;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	Conn *c = conn_of(ctx);
	sfsistat st = SMFIS_CONTINUE;

	if (sms_message(ctx))
		st = decide(ctx, c);
	conn_end_message(c);
	return st;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	conn_end_message(conn_of(ctx));
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	Conn *c = conn_of(ctx);

	if (c) {
		conn_end_message(c);
		g_free(c->client_ip);
		g_free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "mail2sms",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_DELRCPT,
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

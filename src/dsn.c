/* dsn.c: the delivery status notification (RFC 3464) that tells a mail's sender what
 * became of the SMS it was sent as, and the table that turns OVH's delivery codes (ptt and
 * deliveryReceipt) into the action, status and reason such a report gives.
 *
 * The table lives here rather than in a module of its own: it has no other reader, and its
 * statuses (RFC 3463) and reasons only mean something inside a report.
 *
 * Promises: the report is multipart/report; report-type=delivery-status with a text/plain
 * part in English, a message/delivery-status part and a text/rfc822-headers part; GMime
 * writes the headers (RFC 2047 for a non-ASCII Subject) and the structure. Every string the
 * caller passes is taken as hostile: no CR, LF or other control character in it reaches a
 * header or a delivery-status field as such, so none can add a header, a field or a
 * recipient block; addresses keep only atom characters (mailhdr.c); the delivery-status
 * part is ASCII; every piece is bounded (mailhdr.h, DSN_*_MAX) and the original header block
 * is cut to whole header lines, so that it cannot end the part or the report early.
 *
 * Must not: read or write anything but memory (the caller hands the text to sendmail), log,
 * or keep state. GMime is initialised by the caller (msg_init). */
#include <string.h>

#include "dsn.h"
#include "mailhdr.h"
#include "safeline.h"

/* How a ptt code stands: PENDING needs no report; TEMPORARY is a delay that a failed or
 * delivered receipt ends; UNKNOWN_END is an end without a final state; FINAL decides. */
typedef enum { PTT_PENDING, PTT_TEMPORARY, PTT_UNKNOWN_END, PTT_FINAL } DsnPttKind;

typedef struct {
	int ptt;
	DsnPttKind kind;
	DsnAction action;
	const char *status;
	const char *text;
} DsnPtt;

/* OVH's ptt codes (its list is "non-exhaustive"; codes not here fall to the receipt). */
static const DsnPtt dsn_ptts[] = {
	/* The handset did not answer: like a host that does not answer (X.4.1). */
	{ 1, PTT_TEMPORARY, DSN_DELAYED, "4.4.1", "retrying: the phone is unreachable" },
	/* The operator's network is the route: a network or routing state (X.4.0). */
	{ 2, PTT_TEMPORARY, DSN_DELAYED, "4.4.0", "retrying: the operator is unreachable" },
	/* Accepted by the operator: the state every SMS passes through, nothing to report. */
	{ 3, PTT_PENDING, DSN_DELAYED, NULL, NULL },
	{ 4, PTT_FINAL, DSN_DELIVERED, "2.0.0", "delivered" },
	/* Final, without a reason: the generic permanent failure. */
	{ 5, PTT_FINAL, DSN_FAILED, "5.0.0", "undelivered" },
	/* Handed over but no final state will come: RFC 3464's "relayed" (a system that
	 * does not report delivery), with a success class status as the hand-over worked. */
	{ 6, PTT_UNKNOWN_END, DSN_RELAYED, "2.0.0", "final state unknown" },
	/* The validity period ran out while retrying: "delivery time expired" (X.4.7), a
	 * persistent transient status with action failed, as MTAs report expired mail. */
	{ 8, PTT_FINAL, DSN_FAILED, "4.4.7", "expired before it could be delivered" },
	/* The message cannot be delivered in its form: a media error (X.6.0). */
	{ 20, PTT_FINAL, DSN_FAILED, "5.6.0", "undeliverable as is" },
	/* A prepaid line without credit refuses SMS (abroad): the mailbox's quota (X.2.2). */
	{ 21, PTT_FINAL, DSN_FAILED, "5.2.2", "subscriber out of credit" },
	/* The number does not exist or may not receive: bad destination mailbox (X.1.1). */
	{ 23, PTT_FINAL, DSN_FAILED, "5.1.1", "invalid or barred number" },
	/* Phone off or out of coverage: the handset does not answer (X.4.1). */
	{ 24, PTT_TEMPORARY, DSN_DELAYED, "4.4.1", "subscriber absent" },
	{ 25, PTT_TEMPORARY, DSN_DELAYED, "4.4.0", "network failure" },
	/* The receiving system itself is in trouble: mail system status (X.3.0). */
	{ 26, PTT_TEMPORARY, DSN_DELAYED, "4.3.0", "phone error" },
	/* The handset cannot take this kind of message: "system not capable of selected
	 * features" (X.3.3). */
	{ 27, PTT_FINAL, DSN_FAILED, "5.3.3", "handset incompatible" },
	/* 28, 29 and 33 are refusals by policy (the operator's filter, its content rules, the
	 * subscriber's lock): "delivery not authorized, message refused" (X.7.1). */
	{ 28, PTT_FINAL, DSN_FAILED, "5.7.1", "suspected spam" },
	{ 29, PTT_FINAL, DSN_FAILED, "5.7.1", "content not permitted" },
	{ 33, PTT_FINAL, DSN_FAILED, "5.7.1", "parental lock" },
};

/* The receipts that end the story: 1 delivered, 2 failed, 16 error (not billed). */
static gboolean dlr_is_final(int dlr)
{
	return dlr == 1 || dlr == 2 || dlr == 16;
}

/* A final ptt says more than the receipt; the receipt ends what the ptt left open. */
gboolean dsn_from_ptt(int ptt, int dlr, DsnAction *action, const char **status,
                      const char **text)
{
	const DsnPtt *row = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(dsn_ptts); i++)
		if (dsn_ptts[i].ptt == ptt)
			row = &dsn_ptts[i];
	if (row != NULL && (row->kind == PTT_FINAL || !dlr_is_final(dlr))) {
		if (row->kind == PTT_PENDING)
			return FALSE;
		*action = row->action;
		*status = row->status;
		*text = row->text;
		return TRUE;
	}
	if (dlr == 1) {
		*action = DSN_DELIVERED;
		*status = "2.0.0";
		*text = "delivered";
		return TRUE;
	}
	if (!dlr_is_final(dlr))
		return FALSE;
	*action = DSN_FAILED;
	/* Given up after a temporary state: its status and reason, with action failed, as an
	 * MTA reports mail that expired in its queue. */
	if (row != NULL && row->kind == PTT_TEMPORARY) {
		*status = row->status;
		*text = row->text;
	} else {
		*status = "5.0.0";
		*text = "undelivered";
	}
	return TRUE;
}

char *dsn_diagnostic(int ptt, const char *text)
{
	if (ptt < 0)
		return g_strdup(text != NULL ? text : "");
	if (text == NULL || *text == '\0')
		return g_strdup_printf("ptt=%d", ptt);
	return g_strdup_printf("ptt=%d %s", ptt, text);
}

static const char *action_name(DsnAction a)
{
	switch (a) {
	case DSN_FAILED:    return "failed";
	case DSN_DELAYED:   return "delayed";
	case DSN_DELIVERED: return "delivered";
	case DSN_RELAYED:   return "relayed";
	}
	return "failed";
}

/* Moves *P past a run of 1 to 3 digits; FALSE when there is none or a longer one. */
static gboolean skip_digits(const char **p)
{
	int n = 0;

	while (g_ascii_isdigit(**p)) {
		(*p)++;
		n++;
	}
	return n >= 1 && n <= 3;
}

/* STATUS when it is an RFC 3463 code (class 2, 4 or 5, then 1 to 3 digits twice), else the
 * X.0.0 of ACTION's class: the field must parse whatever the caller passed. */
static const char *checked_status(const char *status, DsnAction action)
{
	const char *p = status;
	gboolean ok = p != NULL && (p[0] == '2' || p[0] == '4' || p[0] == '5') && p[1] == '.';

	if (ok) {
		p += 2;
		ok = skip_digits(&p) && *p++ == '.' && skip_digits(&p) && *p == '\0';
	}
	if (ok)
		return status;
	switch (action) {
	case DSN_DELAYED:   return "4.0.0";
	case DSN_DELIVERED:
	case DSN_RELAYED:   return "2.0.0";
	case DSN_FAILED:
	default:            return "5.0.0";
	}
}

/* S as one line of at most MAX bytes of printable ASCII (anything else a space or '?'):
 * a delivery-status field's text. */
static char *ascii_line(const char *s, gsize max)
{
	char *line = safeline(s, max, FALSE);

	for (char *p = line; *p; p++)
		if ((guchar)*p >= 0x80)
			*p = '?';
	return line;
}

/* The reason a recipient's text gives for DIAGNOSTIC: "ptt=23 invalid..." reads "invalid...
 * (ptt 23)", anything else as it is; NULL when there is none. */
static char *reason_text(const char *diagnostic)
{
	g_autofree char *line = safeline(diagnostic, DSN_DIAGNOSTIC_MAX, FALSE);
	char *d = g_strstrip(line);
	const char *p = d + 4;

	if (*d == '\0')
		return NULL;
	if (!g_str_has_prefix(d, "ptt=") || !g_ascii_isdigit(*p))
		return g_strdup(d);
	while (g_ascii_isdigit(*p))
		p++;
	if (*p != '\0' && *p != ' ')
		return g_strdup(d);
	g_autofree char *code = g_strndup(d + 4, p - (d + 4));
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return g_strdup_printf("ptt %s", code);
	return g_strdup_printf("%s (ptt %s)", p, code);
}

/* One recipient's sentence in the text part: the reason when there is one, else the
 * status. */
static void human_line(GString *out, const DsnRecipient *r, const char *addr)
{
	g_autofree char *who = mailhdr_number(addr);
	g_autofree char *why = reason_text(r->diagnostic);
	g_autofree char *reason = why != NULL ? g_strconcat(": ", why, NULL)
	                          : g_strdup_printf(" (status %s)",
	                                            checked_status(r->status, r->action));

	switch (r->action) {
	case DSN_DELIVERED:
		g_string_append_printf(out, "The SMS to %s was delivered", who);
		if (r->last_attempt != 0) {
			g_autofree char *when = mailhdr_date(r->last_attempt);
			g_string_append_printf(out, " (%s)", when);
		}
		g_string_append(out, ".\n");
		break;
	case DSN_DELAYED:
		g_string_append_printf(out, "The SMS to %s is delayed%s. Delivery is still being "
		                       "attempted.\n", who, reason);
		break;
	case DSN_RELAYED:
		g_string_append_printf(out, "The SMS to %s was handed to the mobile operator, which "
		                       "will not say whether it arrived%s.\n", who,
		                       why != NULL ? reason : "");
		break;
	case DSN_FAILED:
	default:
		g_string_append_printf(out, "The SMS to %s could not be delivered%s.\n", who, reason);
		break;
	}
}

/* One recipient's fields in the delivery-status part, after an empty line. */
static void status_block(GString *out, const DsnRecipient *r, const char *addr)
{
	g_string_append_c(out, '\n');
	if (r->original_recipient != NULL) {
		g_autofree char *orig = mailhdr_address_ascii(r->original_recipient);
		if (orig != NULL)
			g_string_append_printf(out, "Original-Recipient: rfc822; %s\n", orig);
	}
	g_string_append_printf(out, "Final-Recipient: rfc822; %s\n", addr);
	g_string_append_printf(out, "Action: %s\n", action_name(r->action));
	g_string_append_printf(out, "Status: %s\n", checked_status(r->status, r->action));
	if (r->diagnostic != NULL) {
		g_autofree char *diag = ascii_line(r->diagnostic, DSN_DIAGNOSTIC_MAX);
		g_string_append_printf(out, "Diagnostic-Code: x-ovh; %s\n", g_strstrip(diag));
	}
	if (r->last_attempt != 0) {
		g_autofree char *when = mailhdr_date(r->last_attempt);
		g_string_append_printf(out, "Last-Attempt-Date: %s\n", when);
	}
}

/* TRUE when LINE starts a header field: a name of printable ASCII but ':' (not starting
 * with "--", which a part boundary does), then ':'. */
static gboolean starts_field(const char *line)
{
	const char *p = line;

	if (g_str_has_prefix(line, "--"))
		return FALSE;
	while (*p > ' ' && *p < 0x7f && *p != ':')
		p++;
	return p > line && *p == ':';
}

/* The original header block HEADERS made safe for a text/rfc822-headers part: at most
 * DSN_HEADERS_MAX bytes of whole lines, up to its first empty line, valid UTF-8, controls
 * made spaces, and only header fields and their continuation lines kept (a stray line is
 * dropped with what continues it). "" when nothing is left. */
static char *header_block(const char *headers)
{
	gsize len = strnlen(headers, DSN_HEADERS_MAX + 1);
	GString *out = g_string_new(NULL);
	gboolean keeping = FALSE;

	if (len > DSN_HEADERS_MAX) {
		const char *nl = g_strrstr_len(headers, DSN_HEADERS_MAX, "\n");
		len = nl != NULL ? (gsize)(nl - headers) : DSN_HEADERS_MAX;
	}
	g_autofree char *valid = g_utf8_make_valid(headers, len);
	g_auto(GStrv) lines = g_strsplit(valid, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		g_autofree char *line = safeline(*l, strlen(*l), FALSE);
		g_strchomp(line);
		if (**l == '\0' || (**l == '\r' && (*l)[1] == '\0'))
			break;
		if (*line == '\0')
			continue;
		/* A continuation line (safeline made its tab a space) goes with its field. */
		if (*line != ' ')
			keeping = starts_field(line);
		if (keeping)
			g_string_append_printf(out, "%s\n", line);
	}
	return g_string_free(out, FALSE);
}

/* The header block of the third part when the caller has none: Message-ID and Subject
 * (encoded by GMime) as far as they are known. */
static char *built_headers(const char *msgid, const char *subject)
{
	GMimeHeaderList *list = g_mime_header_list_new(NULL);

	if (msgid != NULL) {
		g_autofree char *ref = g_strdup_printf("<%s>", msgid);
		g_mime_header_list_set(list, "Message-ID", ref, NULL);
	}
	if (subject != NULL)
		g_mime_header_list_set(list, "Subject", subject, "utf-8");
	char *text = g_mime_header_list_to_string(list, NULL);
	g_object_unref(list);
	return text;
}

/* The Subject of the report: its word for the worst outcome, then the original's. */
static char *report_subject(const Dsn *d, guint n)
{
	gboolean failed = FALSE, delayed = FALSE, relayed = FALSE;
	g_autofree char *orig = mailhdr_subject(d->subject);

	for (guint i = 0; i < n; i++) {
		/* An action out of the enum is reported as failed everywhere. */
		failed |= d->rcpts[i].action != DSN_DELAYED && d->rcpts[i].action != DSN_DELIVERED &&
		          d->rcpts[i].action != DSN_RELAYED;
		delayed |= d->rcpts[i].action == DSN_DELAYED;
		relayed |= d->rcpts[i].action == DSN_RELAYED;
	}
	const char *word = failed ? "Undelivered SMS" : delayed ? "Delayed SMS"
	                   : relayed ? "Sent SMS" : "Delivered SMS";
	if (*orig == '\0')
		return g_strdup(word);
	return g_strdup_printf("%s: %s", word, orig);
}

/* The text/plain part: what happened to each SMS, in sentences. */
static char *human_text(const Dsn *d, const char *host, char **addrs, guint n)
{
	GString *out = g_string_new(NULL);
	g_autofree char *subject = mailhdr_subject(d->subject);

	g_string_append_printf(out, "This is the mail2sms gateway at %s.\n\n", host);
	if (*subject != '\0')
		g_string_append_printf(out, "Your message \"%s\" was sent as SMS.\n\n", subject);
	else
		g_string_append(out, "Your message was sent as SMS.\n\n");
	for (guint i = 0; i < n; i++)
		human_line(out, &d->rcpts[i], addrs[i]);
	if (d->n_rcpts > n)
		g_string_append_printf(out, "%u more recipients are not listed.\n", d->n_rcpts - n);
	g_string_append(out, "\nThe delivery status for programs and the headers of your "
	                "message follow.\n");
	return g_string_free(out, FALSE);
}

/* The message/delivery-status part's content: per-message fields, then each recipient. */
static char *status_text(const Dsn *d, const char *host, char **addrs, guint n)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "Reporting-MTA: dns; %s\n", host);
	if (d->arrival != 0) {
		g_autofree char *when = mailhdr_date(d->arrival);
		g_string_append_printf(out, "Arrival-Date: %s\n", when);
	}
	for (guint i = 0; i < n; i++)
		status_block(out, &d->rcpts[i], addrs[i]);
	return g_string_free(out, FALSE);
}

/* Every string is cleaned before GMime sees it, and every part is built by GMime, so that
 * no input can shape the report's structure. */
char *dsn_build(const Dsn *d)
{
	g_autofree char *to = mailhdr_address(d->to);
	guint n = MIN(d->n_rcpts, DSN_MAX_RCPTS);

	if (to == NULL || d->rcpts == NULL || n == 0)
		return NULL;
	g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n; i++) {
		char *addr = mailhdr_address_ascii(d->rcpts[i].final_recipient);
		if (addr == NULL)
			return NULL;
		g_ptr_array_add(addrs, addr);
	}
	g_autofree char *host = mailhdr_host(d->reporting_mta);
	g_autofree char *from = mailhdr_address(d->from);
	if (from == NULL)
		from = g_strconcat("MAILER-DAEMON@", host, NULL);
	g_autofree char *msgid = mailhdr_msgid(d->message_id);
	g_autofree char *subject = report_subject(d, n);
	g_autofree char *human = human_text(d, host, (char **)addrs->pdata, n);
	g_autofree char *status = status_text(d, host, (char **)addrs->pdata, n);
	g_autofree char *given = d->original_headers != NULL ? header_block(d->original_headers)
	                                                     : NULL;
	g_autofree char *orig_subject = d->subject != NULL ? mailhdr_subject(d->subject) : NULL;
	g_autofree char *headers = given != NULL && *given != '\0'
	                           ? g_steal_pointer(&given) : built_headers(msgid, orig_subject);

	GMimeMessage *msg = g_mime_message_new(FALSE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, "Mail Delivery System", from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	mailhdr_set_ids(msg, d->now, host, msgid);
	/* RFC 3834: an automatic answer to a message, never to be answered automatically. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-replied", NULL);

	GMimeMultipart *report = g_mime_multipart_new_with_subtype("report");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(report), "report-type",
	                                         "delivery-status");
	GMimeTextPart *human_part = mailhdr_text_part("plain", human, TRUE);
	g_mime_multipart_add(report, GMIME_OBJECT(human_part));
	g_object_unref(human_part);

	/* ASCII in lines far below 998 bytes: 7bit, as RFC 3464 wants, with no header saying
	 * so; GMime keeps it a leaf part. */
	GMimePart *status_part = g_mime_part_new_with_type("message", "delivery-status");
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(status, strlen(status));
	GMimeDataWrapper *content =
		g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(status_part, content);
	g_object_unref(content);
	g_object_unref(stream);
	g_mime_multipart_add(report, GMIME_OBJECT(status_part));
	g_object_unref(status_part);

	GMimeTextPart *headers_part = mailhdr_text_part("rfc822-headers", headers, FALSE);
	g_mime_multipart_add(report, GMIME_OBJECT(headers_part));
	g_object_unref(headers_part);

	g_mime_message_set_mime_part(msg, GMIME_OBJECT(report));
	g_object_unref(report);
	char *text = mailhdr_to_string(msg);
	g_object_unref(msg);
	return text;
}

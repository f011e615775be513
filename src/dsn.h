/* dsn.h: delivery status notifications (RFC 3464) for SMS, and what OVH's delivery codes
 * mean for one. */
#ifndef M2S_DSN_H
#define M2S_DSN_H

#include <glib.h>

/* RFC 3464's actions. DSN_RELAYED: handed to the operator, who will never say whether the
 * SMS arrived (sent, as RFC 3461 says, only to a sender who asked for success notices). */
typedef enum { DSN_FAILED, DSN_DELAYED, DSN_DELIVERED, DSN_RELAYED } DsnAction;

typedef struct {
	const char *final_recipient;    /* "+33612345678@sms.example.com" (Final-Recipient: rfc822; ...) */
	const char *original_recipient; /* NULL: none; else Original-Recipient: rfc822; ... */
	DsnAction action;
	const char *status;             /* "5.1.1", "2.0.0", "4.4.7"; NULL or malformed: X.0.0 of
	                                 * the action's class */
	const char *diagnostic;         /* text after "x-ovh; ", e.g. dsn_diagnostic()'s
	                                 * "ptt=23 invalid or barred number"; NULL: no
	                                 * Diagnostic-Code */
	gint64 last_attempt;            /* Last-Attempt-Date, seconds since epoch; 0: none */
} DsnRecipient;

typedef struct {
	const char *reporting_mta;     /* host name: "Reporting-MTA: dns; HOST" (NULL: localhost) */
	const char *from;              /* the report's From:, a bare address such as
	                                * "MAILER-DAEMON@host", shown as "Mail Delivery System
	                                * <...>"; NULL: MAILER-DAEMON@reporting_mta */
	const char *to;                /* the report's recipient (the original envelope sender) */
	const char *message_id;        /* the original mail's Message-ID (with or without <>), NULL: unknown */
	const char *subject;           /* the original Subject (decoded), NULL: unknown */
	const char *original_headers;  /* the original header block as text (third part,
	                                * text/rfc822-headers); NULL: built from message_id and
	                                * subject alone */
	gint64 arrival;                /* Arrival-Date, 0: none */
	gint64 now;                    /* Date: of the report */
	const DsnRecipient *rcpts;     /* at least one */
	guint n_rcpts;
} Dsn;

/* Recipients reported in one DSN; further ones are counted in the text part only. */
#define DSN_MAX_RCPTS 1000
/* Bytes of a Diagnostic-Code's text and of the original header block kept. */
#define DSN_DIAGNOSTIC_MAX 400
#define DSN_HEADERS_MAX (64 * 1024)

/* A receiver OVH refused when the job was posted (invalidReceivers): the status and
 * diagnostic to report it with, action DSN_FAILED. */
#define DSN_REFUSED_STATUS "5.1.1"
#define DSN_REFUSED_TEXT   "invalid receiver (refused by OVH)"

/* The report as text (header lines, empty line, body; LF line ends) for
 * `sendmail -i -f SENDER -- RCPT`, newly allocated. Subject: "Undelivered SMS: <subject>"
 * when a recipient failed, else "Delayed SMS: ..." when one is delayed, else "Sent SMS:
 * ..." when one is relayed, else "Delivered SMS: ..." (the word alone without a Subject).
 * NULL when D->to is NULL or no address is left of it (a report is never sent to the null
 * sender), when there is no recipient, or when one has no final_recipient. */
char *dsn_build(const Dsn *d);

/* What OVH's delivery code PTT (-1: unknown) and deliveryReceipt DLR (-1: unknown) mean for
 * a report: TRUE when the state is final or reportable, with *ACTION, *STATUS (static, RFC
 * 3463) and *TEXT (static, e.g. "invalid or barred number"); FALSE for states that need no
 * report (pending, accepted by the operator: ptt 3, dlr 0, 4 or 8). A final ptt decides; a
 * receipt that is final (1, 2, 16) decides over a ptt that is not (1, 2, 3, 6, 24, 25, 26)
 * or is unknown. */
gboolean dsn_from_ptt(int ptt, int dlr, DsnAction *action, const char **status,
                      const char **text);

/* The Diagnostic-Code text for PTT (-1: none) and TEXT: "ptt=23 invalid or barred number",
 * which the report's text part shows as "invalid or barred number (ptt 23)". Newly
 * allocated. */
char *dsn_diagnostic(int ptt, const char *text);

#endif

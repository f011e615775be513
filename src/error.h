/* error.h: the one error domain of mail2sms.
 *
 * Every failure is a GError in M2S_ERROR whose code says what kind of failure it is; the
 * front ends map the code once (SMTP reply, sysexits code) and never look at the text. */
#ifndef M2S_ERROR_H
#define M2S_ERROR_H

#include <glib.h>

#define M2S_ERROR (m2s_error_quark())
GQuark m2s_error_quark(void);

typedef enum {
	M2S_ERR_UNREACHABLE = 1, /* cannot connect, or timed out before sending: 451 4.4.1,
	                          * EX_TEMPFAIL */
	M2S_ERR_NO_REPLY,        /* sent, but no reply: the request may have been executed;
	                          * mapped as UNREACHABLE */
	M2S_ERR_SERVER,          /* OVH 5xx, or a reply that is not one: 451 4.3.0, EX_TEMPFAIL;
	                          * a job may have been executed */
	M2S_ERR_THROTTLED,       /* OVH refused it for now (429, clock still skewed): 451 4.3.0,
	                          * EX_TEMPFAIL; certainly not executed */
	M2S_ERR_CONFIG,          /* bad config, credentials, not granted, unknown service:
	                          * 451 4.3.5 (554 5.3.5), EX_CONFIG */
	M2S_ERR_REQUEST,         /* OVH refused the request itself (400): 554 5.3.0, EX_DATAERR */
	M2S_ERR_NOUSER,          /* invalid number, every receiver refused: 550 5.1.1, EX_NOUSER */
	M2S_ERR_NOPERM,          /* prefix or sender not allowed: 550 5.7.1, EX_NOPERM */
	M2S_ERR_TOO_MANY,        /* more than max_recipients: 452 4.5.3, EX_TEMPFAIL */
	M2S_ERR_LIMIT,           /* the same where trying again cannot help (one alias or one
	                          * Subject with too many numbers, a whole mail at end of
	                          * message): 550 5.5.3, EX_NOPERM */
	M2S_ERR_DATA,            /* unreadable or empty mail: 554 5.6.0, EX_DATAERR */
	M2S_ERR_USAGE,           /* bad command line: EX_USAGE */
	M2S_ERR_IO,              /* local I/O: EX_IOERR */
	M2S_ERR_BUSY,            /* not now, and nothing was posted: the job is being sent by
	                          * another session, an earlier attempt may still be queued at
	                          * OVH, or the state store is down with on_store_error =
	                          * tempfail: 451 4.3.0, EX_TEMPFAIL */
	M2S_ERR_FLOOD,           /* over a [limits] limit with over_limit = tempfail: 452 4.7.1
	                          * at RCPT, 451 4.7.1 at end of message, EX_TEMPFAIL */
} M2sErrorCode;

/* The sysexits code for an error (EX_SOFTWARE for one outside M2S_ERROR). */
int m2s_error_sysexit(const GError *err);
/* The kind of an error as one stable word for scripts ("unreachable", "config", ...; the
 * code's name in lower case without M2S_ERR_; "other" outside M2S_ERROR). */
const char *m2s_error_name(const GError *err);

#endif

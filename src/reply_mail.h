/* reply_mail.h: an SMS answered to mail2sms, as the mail that brings it to the person who
 * wrote the original message. */
#ifndef M2S_REPLY_MAIL_H
#define M2S_REPLY_MAIL_H

#include <glib.h>

typedef struct {
	const char *from;        /* "+33612345678@sms.example.com": answering the mail pages the number */
	const char *to;          /* the job's envelope sender, or the unmatched_to address */
	const char *subject;     /* the original Subject (decoded); NULL: unmatched reply ->
	                          * "SMS from +33612345678" */
	const char *in_reply_to; /* the original Message-ID (with or without <>), NULL: none */
	const char *text;        /* the reply's text, UTF-8 (invalid UTF-8 is made valid) */
	gint64 id;               /* OVH's incoming id: X-Mail2SMS-Reply: id=N */
	gint64 received;         /* Date: of the mail: when OVH received the SMS; 0: none */
	const char *hostname;    /* for the Message-ID (NULL: localhost) */
} ReplyMail;

/* Bytes of the reply's text kept (an SMS reply is at most a few kilobytes). */
#define REPLY_MAIL_TEXT_MAX (10 * 1024)

/* The mail as text (header lines, empty line, body; LF line ends) for
 * `sendmail -i -f SENDER -- RCPT`, newly allocated: Subject "Re: <subject>" (leading
 * "Re:" prefixes folded into one), a text/plain; charset=utf-8 body ending in a newline.
 * NULL when no address is left of R->from or R->to. */
char *reply_mail_build(const ReplyMail *r);

#endif

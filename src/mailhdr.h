/* mailhdr.h: the pieces shared by the mails mail2sms writes itself from outside strings
 * (dsn.c, reply_mail.c): header values made safe, and GMime messages made text. */
#ifndef M2S_MAILHDR_H
#define M2S_MAILHDR_H

#include <glib.h>
#include <gmime/gmime.h>

/* Bounds, in bytes. */
#define MAILHDR_ADDRESS_MAX 320  /* an address: 64-byte local part, 255-byte domain, '@' */
#define MAILHDR_MSGID_MAX   250  /* a Message-ID without <>: one folded header line */
#define MAILHDR_HOST_MAX    253  /* a DNS name */
#define MAILHDR_SUBJECT_MAX 200  /* an original Subject quoted in a new one */

/* ADDR (with or without <>) as one bare address that cannot change a header's structure:
 * control characters gone, whitespace and the characters that delimit addresses or quote
 * ("<>,;:()\"\\") made '_', at most MAILHDR_ADDRESS_MAX bytes; NULL when nothing is left. */
char *mailhdr_address(const char *addr);

/* mailhdr_address() with every byte above 127 made '?': for the fields of a
 * message/delivery-status part, whose "rfc822" addresses are ASCII. */
char *mailhdr_address_ascii(const char *addr);

/* A Message-ID (with or without <>) without its <>, ASCII atom characters only (anything
 * else made '_'), at most MAILHDR_MSGID_MAX bytes; NULL when nothing is left. */
char *mailhdr_msgid(const char *id);

/* HOST as a DNS name (letters, digits, '.', '-'; anything else made '-'), "localhost" when
 * NULL or empty. */
char *mailhdr_host(const char *host);

/* What a reader knows the sender of ADDR by: its local part when that is a phone number
 * (+ and digits), else the whole address. */
char *mailhdr_number(const char *addr);

/* SUBJECT (NULL: "") as one line of valid UTF-8 of at most MAILHDR_SUBJECT_MAX bytes, cut
 * on a character boundary, spaces folded and trimmed. */
char *mailhdr_subject(const char *subject);

/* WHEN (seconds since the epoch) as an RFC 5322 date in UTC. */
char *mailhdr_date(gint64 when);

/* Sets MSG's Date: to WHEN (0: none), a new Message-ID at HOST (already clean), and
 * In-Reply-To and References to <PARENT> when PARENT (already clean) is not NULL. */
void mailhdr_set_ids(GMimeMessage *msg, gint64 when, const char *host, const char *parent);

/* A text part of SUBTYPE holding TEXT (valid UTF-8) with charset=utf-8 (when UTF8_LABEL, or
 * when TEXT is not ASCII) and the transfer encoding GMime finds best for 7-bit transport. */
GMimeTextPart *mailhdr_text_part(const char *subtype, const char *text, gboolean utf8_label);

/* MSG as text, LF line ends. */
char *mailhdr_to_string(GMimeMessage *msg);

#endif

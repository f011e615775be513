/* sendmail.h: one mail handed to the local MTA through its sendmail(1) command (Postfix,
 * Sendmail, Exim and OpenSMTPD all provide one): notices, replies and delivery reports. */
#ifndef M2S_SENDMAIL_H
#define M2S_SENDMAIL_H

#include <glib.h>

/* Seconds the command may take before it is killed and the mail counts as not sent. */
#define SENDMAIL_TIMEOUT 60

/* The command: the first executable "sendmail" in an absolute directory of PATH, else
 * /usr/sbin/sendmail, else /usr/lib/sendmail (Postfix's pipe(8) gives a delivery agent no
 * PATH). NULL when there is none. Newly allocated. */
char *sendmail_program(void);

/* Hands MESSAGE (header lines, an empty line, the body; LF line ends) to `PROGRAM -oi -t`
 * (PROGRAM NULL: sendmail_program(); [reports] sendmail names one),
 * which takes the recipients from its To: header. FALSE with an M2S_ERR_IO naming the
 * command when there is none, it cannot be started, it exits non-zero (with the first line
 * of what it said on stderr) or it takes longer than SENDMAIL_TIMEOUT. */
gboolean sendmail_send(const char *program, const char *message, GError **err);

/* Hands MESSAGE to `PROGRAM -i -f FROM -- RCPT` (PROGRAM NULL: sendmail_program()): the
 * envelope given apart from the header, for a mail whose recipient and sender come from
 * a job (a reply, a delivery report). FROM "<>" is the null sender: a report is never
 * bounced back. FALSE with an M2S_ERR_IO as sendmail_send; TRUE once the MTA took it. */
gboolean sendmail_deliver(const char *program, const char *message, const char *from,
                          const char *rcpt, GError **err);

#endif

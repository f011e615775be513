/* sendmail.h: one mail handed to the local MTA through its sendmail(1) command (Postfix,
 * Sendmail, Exim and OpenSMTPD all provide one) or over SMTP: notices, replies and
 * delivery reports. */
#ifndef M2S_SENDMAIL_H
#define M2S_SENDMAIL_H

#include <glib.h>

/* Seconds the command may take before it is killed and the mail counts as not sent. */
#define SENDMAIL_TIMEOUT 60

/* The command: the first executable "sendmail" in an absolute directory of PATH, else
 * /usr/sbin/sendmail, else /usr/lib/sendmail (Postfix's pipe(8) gives a delivery agent no
 * PATH). NULL when there is none. Newly allocated. */
char *sendmail_program(void);

/* Hands MESSAGE (header lines, an empty line, the body; LF line ends) to the local MTA
 * with the envelope FROM ("<>": the null sender, for what must never bounce back) and
 * RCPTS (NULL-terminated, at least one). PROGRAM ([reports] sendmail) is either a
 * sendmail(1) command, run as `PROGRAM -i -f FROM -- RCPT...` (NULL: sendmail_program()),
 * or smtp://HOST[:PORT], where the mail is submitted over SMTP (libcurl): what a process
 * runs under a unit that forbids set-group-id programs (postdrop) or a read-only queue.
 * FALSE with an M2S_ERR_IO naming the command or the server when there is none, it fails
 * (with the first line it said) or it takes longer than SENDMAIL_TIMEOUT; TRUE once the
 * MTA took the mail. */
gboolean sendmail_deliver(const char *program, const char *message, const char *from,
                          const char *const *rcpts, GError **err);

#endif

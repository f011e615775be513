/* access.h: who may send SMS ([access]). */
#ifndef M2S_ACCESS_H
#define M2S_ACCESS_H

#include "cfg.h"

/* May this client send SMS? CLIENT_IP: the SMTP client's address as the MTA gives it; one
 * that is not an address (the milter's "unknown") is in no network, so only SMTP AUTH can
 * let it send. NULL means there is no SMTP client to judge: the delivery agent, whose mail
 * the MTA accepted from a client it judged; then only the senders rule applies.
 * AUTH_USER NULL or "": not authenticated; SENDER: envelope sender. FALSE with an
 * M2S_ERR_NOPERM saying why. */
gboolean access_may_send(const Cfg *cfg, const char *client_ip, const char *auth_user,
                         const char *sender, GError **err);

#endif

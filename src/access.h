/* access.h: who may send SMS ([access]). */
#ifndef M2S_ACCESS_H
#define M2S_ACCESS_H

#include "cfg.h"

/* May this client send SMS? CLIENT_IP NULL: unknown (only the senders rule applies, as in
 * the delivery agent); AUTH_USER NULL or "": not authenticated; SENDER: envelope sender.
 * FALSE with an M2S_ERR_NOPERM saying why. */
gboolean access_may_send(const Cfg *cfg, const char *client_ip, const char *auth_user,
                         const char *sender, GError **err);

#endif

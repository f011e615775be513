/* milter_probe.h: asks the milter's own socket whether libmilter serves it (milter_probe.c),
 * for the systemd readiness and watchdog messages of milter_notify.c. */
#ifndef M2S_MILTER_PROBE_H
#define M2S_MILTER_PROBE_H

#include <glib.h>

typedef struct MilterProbe MilterProbe;

/* The probe of a socket given in libmilter's notation ("inet:8891@127.0.0.1",
 * "inet6:8891@[::1]", "local:/run/mail2sms/milter.sock", "unix:/path", "/path"); a host is
 * resolved here, once, and a wildcard address (none, 0.0.0.0, ::) becomes loopback. NULL
 * with an M2S_ERR_CONFIG error for a notation it cannot read or a host it cannot resolve. */
MilterProbe *milter_probe_new(const char *spec, GError **err);

/* Connects, sends an option negotiation (SMFIC_OPTNEG, protocol version 6) and reads
 * libmilter's SMFIR_OPTNEG answer, then says goodbye (SMFIC_QUIT) and closes; all of it
 * within TIMEOUT_MS. FALSE with an M2S_ERR_UNREACHABLE error saying which step failed. */
gboolean milter_probe_run(const MilterProbe *p, int timeout_ms, GError **err);

void milter_probe_free(MilterProbe *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MilterProbe, milter_probe_free)

#endif

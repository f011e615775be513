/* credits.h: the credits left on the SMS service, asked to OVH at most every CREDITS_PERIOD
 * seconds whichever of the processes sharing the state store asks, and the low-credits
 * alarm ([ovh] credits_alarm, alarm_to): one log warning and one mail a local day. */
#ifndef M2S_CREDITS_H
#define M2S_CREDITS_H

#include "runtime.h"

/* Seconds between two checks, across every process sharing the store. */
#define CREDITS_PERIOD 300

/* The figure of the last check this process knows of (its own, or one another process
 * recorded in the store) and when it was made: FALSE when none yet. */
gboolean credits_last(double *credits, gint64 *at);

/* CREDITS were read from OVH at NOW for SERVICE: kept (this process's memory, and the
 * store with the time of the check, so that other processes neither ask again within
 * CREDITS_PERIOD nor miss the figure); below [ovh] credits_alarm, the day's alarm goes, by
 * the one process that claims the local day ([limits] timezone) in the store first: a
 * warning in the log and a mail to alarm_to through sendmail. A mail that could not be
 * sent gives the day back, for the next check. *ALARMED (may be NULL) is TRUE when this
 * call sent it. Nothing is returned: trouble is logged. */
void credits_seen(Runtime *rt, const char *service, double credits, gint64 now,
                  gboolean *alarmed);

/* Asks OVH and calls credits_seen when the last check of any process is CREDITS_PERIOD old
 * or more at NOW: the store's record of it decides, and a claim in the store lets one of
 * many processes due at once ask. Without the store (down) a DAEMON (the milter) decides
 * by its own memory, and a short process does not ask (a crowd of them would). 1: asked,
 * 0: not due (or left to another process), -1 with *ERR: the store or OVH failed (the next
 * check is CREDITS_PERIOD later all the same). */
int credits_check(Runtime *rt, gint64 now, gboolean daemon, GError **err);

/* What ST holds of the checks, for `mail2sms status`: the last figure recorded and when
 * (*AT 0: none), and whether the alarm of NOW's local day went out. */
gboolean credits_recorded(const Cfg *cfg, Store *st, gint64 now, double *credits, gint64 *at,
                          gboolean *alarmed_today, GError **err);

#endif

/* reports.h: delivery reports: a sent SMS's state (OVH's callback or a poll) mailed to the
 * job's envelope sender as an RFC 3464 report, at most once per SMS and action, as the
 * recipient's SMTP NOTIFY= (or [reports] notify) asks. */
#ifndef M2S_REPORTS_H
#define M2S_REPORTS_H

#include "message.h"
#include "ovh_reply.h"
#include "runtime.h"

/* What reports_state made of a state. */
typedef enum {
	REPORT_ERROR = -1,  /* *err: the store or the MTA failed; the state may come again */
	REPORT_MAILED,      /* a report went to the job's sender */
	REPORT_NOTHING,     /* no report: not asked for, mailed already, or no final state */
	REPORT_UNKNOWN,     /* no job the store keeps has this SMS id */
} ReportOutcome;

/* The SMTP NOTIFY= VALUE ("NEVER", "SUCCESS,FAILURE,DELAY", any case) as CfgNotify flags:
 * FALSE when it is not one (RFC 3461: NEVER alone, or a list of the three). */
gboolean reports_parse_notify(const char *value, guint *flags);

/* The SMS ID is in state PTT / DLR (OVH's codes, -1 unknown) at NOW. */
ReportOutcome reports_state(Runtime *rt, gint64 id, int ptt, int dlr, gint64 now,
                            GError **err);

/* One poll of OVH for the SMS that need a report: one list of the failed ones created
 * within the validity period, one GET for each that is ours, asked for and not reported
 * yet; and, when a delivery report may be asked for, one list of the delivered ones (no
 * GET). The reports mailed, -1 with *err when OVH or the store failed first. */
int reports_poll(Runtime *rt, gint64 now, GError **err);

/* JOB of PLAN went out as R: what reports need later is written to the store (the
 * recipients' NOTIFY= when any gave one), and the receivers OVH refused (R's invalid) get
 * a failure report at once. SENDER is the envelope sender. Trouble is logged. */
void reports_job_sent(Runtime *rt, const MsgPlan *plan, const char *sender, const MsgJob *job,
                      const OvhJobResult *r);

/* An envelope sender as a front end keeps it ("<a@b>" from libmilter, "a@b" from the
 * delivery agent) as the bare address a mail is sent to; NULL for the null sender. */
char *reports_envelope_address(const char *sender);

/* The name mail2sms writes its mail under (Reporting-MTA, MAILER-DAEMON@, Message-IDs): the
 * first [addresses] domain, the gateway's, else the host name. */
const char *reports_domain(const Cfg *cfg);

/* The address an SMS to NUMBER is written as in mail: NUMBER@ the first [addresses] domain
 * (the host name without one), so that mail to it pages the number again. */
char *reports_number_address(const Cfg *cfg, const char *number);

#endif

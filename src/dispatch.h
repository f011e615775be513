/* dispatch.h: posts the jobs of a plan and logs one line per job. */
#ifndef M2S_DISPATCH_H
#define M2S_DISPATCH_H

#include "message.h"
#include "runtime.h"

typedef struct {
	GString *ids;          /* "1,2,3" over every job sent */
	GString *receivers;    /* "+33...,+33..." valid receivers */
	GString *invalid;      /* receivers OVH refused in jobs otherwise sent */
	double credits;
} DispatchReport;

/* Called before each job, so that a front end can tell its MTA it is still alive. */
typedef void (*DispatchProgress)(void *arg);

/* The fate of one JOB: sent by an earlier attempt (*EARLIER; known here or, when in doubt or
 * with ASK, found at OVH under its tag) or posted now (SENDER, when not NULL, replaces the
 * configured one). NULL with *err when it did not go out, or when OVH had to be asked and
 * could not be: posting then could send it twice. */
OvhJobResult *dispatch_job(Runtime *rt, const MsgJob *job, const char *sender, gboolean ask,
                           gboolean *earlier, GError **err);

/* Posts every job of PLAN. A transient failure stops there; a permanent one does not hold
 * back the other jobs. FALSE with the (first) failure in *err; the jobs sent are in REPORT
 * either way. Each job goes through dispatch_job; CHECK_TAG is its ASK (the delivery agent,
 * whose earlier attempts ran in other processes). QUEUE_ID prefixes the log lines. */
gboolean dispatch_plan(Runtime *rt, const MsgPlan *plan, const char *queue_id,
                       gboolean check_tag, DispatchProgress progress, void *arg,
                       DispatchReport *report, GError **err);
void dispatch_report_clear(DispatchReport *report);

#endif

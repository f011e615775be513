/* flood.h: flood control, what [limits] lets a job do now, decided in the state store so that
 * every process and every mail server on one store keep one count. */
#ifndef M2S_FLOOD_H
#define M2S_FLOOD_H

#include "cfg.h"
#include "message.h"
#include "ovh_reply.h"
#include "store.h"

/* What the limits see of the mail a job comes from. */
typedef struct {
	const char *sender;  /* per_sender's key: the SMTP AUTH login, else the envelope sender */
	const char *summary; /* how a digest lists the alert: its Subject, else its text */
	gboolean urgent;     /* marked urgent by its headers: quiet hours do not hold it */
} FloodMail;

/* A job's receivers as the limits sort them (the strings are the job's). */
typedef struct {
	GPtrArray *now;       /* char*: to post now */
	GPtrArray *held;      /* char*: over a limit, held for a digest */
	GPtrArray *duplicate; /* char*: sent the same text within duplicate_window */
	GString *earlier_ids; /* the ids the duplicates got then */
	guint differed;       /* minutes OVH holds the SMS back (quiet hours); 0: none */
	char *reason;         /* why some are held: "10/1h to +3361234xxxx" */
	GArray *counted;      /* FloodCount: what this job counted, given back if it did not go */
	gboolean dry;         /* flood_preview: nothing counted nor held */
} FloodJob;

/* Sorts JOB's receivers (OUT, cleared with flood_job_clear). Over a limit with over_limit
 * = tempfail the job fails M2S_ERR_FLOOD, with reject M2S_ERR_NOPERM, both saying which
 * limit and when it frees; a duplicate of a text still being sent fails M2S_ERR_BUSY.
 * Then nothing stays counted. A store failure is an M2S_ERR_IO. NOW is in seconds. */
gboolean flood_decide(const Cfg *cfg, Store *st, const MsgJob *job, const FloodMail *mail,
                      gint64 now, FloodJob *out, GError **err);
/* What flood_decide would do now, with nothing counted nor held (`mail2sms parse`). */
gboolean flood_preview(const Cfg *cfg, Store *st, const MsgJob *job, const FloodMail *mail,
                       gint64 now, FloodJob *out, GError **err);
/* The job went out as R: its duplicates' window remembers the ids, the day's credits grow. */
void flood_sent(const Cfg *cfg, Store *st, const FloodJob *fj, const OvhJobResult *r,
                gint64 now);
/* CREDITS went out at NOW outside any job the limits sorted (a digest): the day's credits
 * grow. flood_sent does it for a job. */
void flood_spend(const Cfg *cfg, Store *st, double credits, gint64 now);
/* JOB was found at OVH as R (an earlier attempt in doubt went out): the duplicates it
 * holds learn its ids, so that the same text is answered as a duplicate, not as busy. */
void flood_found(const Cfg *cfg, Store *st, const MsgJob *job, const OvhJobResult *r,
                 gint64 now);
/* The job certainly did not go out: what it counted counts no more. */
void flood_give_back(Store *st, const FloodJob *fj);
void flood_job_clear(FloodJob *fj);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(FloodJob, flood_job_clear)

/* At RCPT, what is known before the message: the sender over per_sender, or the day's
 * credits spent. FALSE with M2S_ERR_FLOOD (452 4.7.1 there) or M2S_ERR_NOPERM when
 * over_limit is tempfail or reject; with digest, or no store, TRUE. Counts nothing. */
gboolean flood_rcpt(const Cfg *cfg, Store *st, const char *sender, gint64 now, GError **err);

/* The day's credits (daily_credits) are spent: FALSE too when there is no cap, or with
 * *err when the store cannot say. */
gboolean flood_spent(const Cfg *cfg, Store *st, gint64 now, GError **err);
/* What the per_receiver and per_sender windows' keys start with (then the number, or the
 * sender lowercased without its angle brackets), for listing them (mail2sms limits). */
#define FLOOD_RECEIVER_PREFIX "receiver:"
#define FLOOD_SENDER_PREFIX "sender:"
/* The key of a receiver's per_receiver window, which a digest to it counts in as well. */
char *flood_receiver_key(const char *number);
/* The quiet hours hold back RECEIVER's SMS at NOW (none, or it is exempt): TRUE with *ENDS_AT. */
gboolean flood_quiet(const Cfg *cfg, const char *receiver, gint64 now, gint64 *ends_at);

#endif

/* message.h: a mail and its recipients to the SMS jobs they should produce.
 *
 * This is the core that the milter, the delivery agent and the CLI share. It makes no
 * network call: dispatch.c posts the jobs. */
#ifndef M2S_MESSAGE_H
#define M2S_MESSAGE_H

#include <glib.h>
#include <gmime/gmime.h>
#include "address.h"
#include "cfg.h"
#include "gsm.h"

typedef struct {
	GPtrArray *receivers;   /* char* E.164, distinct */
	GPtrArray *addresses;   /* char* recipient addresses that gave these receivers */
	GsmMessage *sms;        /* the text as it will be sent */
	char *tag;              /* <= 20 characters */
	/* The mail has no identity a retry keeps (neither its own Message-ID nor a Date): the
	 * tag names its content (From, receivers, text), which a retry after a lost reply
	 * shares, and is remembered only while an attempt is in doubt, so that the same alert
	 * sent again later is a new SMS (dispatch.c). */
	gboolean content_tag;
	guint differed;         /* minutes OVH holds it back (quiet hours, dispatch.c); 0: none */
} MsgJob;

/* A job of SMS (taken) under TAG with no receiver yet, outside any plan (a digest): append
 * to its receivers (and addresses) g_strdup'ed strings. */
MsgJob *msg_job_new(const char *tag, GsmMessage *sms);
void msg_job_free(MsgJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsgJob, msg_job_free)

typedef struct {
	char *address;
	char *reason;
	int code;               /* M2sErrorCode: NOUSER, NOPERM, TOO_MANY, LIMIT, DATA */
} MsgRefusal;

typedef struct MsgPlanWork MsgPlanWork;

typedef struct {
	GPtrArray *jobs;        /* MsgJob*, made by msg_plan_finish */
	GPtrArray *refused;     /* MsgRefusal* */
	GPtrArray *not_sms;     /* char* recipients that are not SMS addresses */
	GPtrArray *taken;       /* char* SMS recipients taken, as given (the milter removes them) */
	char *message_id;       /* the mail's, once finished; NULL when it has none */
	char *subject;          /* the decoded Subject, once finished ("" when none) */
	gboolean urgent;        /* its headers mark it urgent (X-Priority 1-2, ...), once finished */
	char *login;            /* the SMTP AUTH login it came with (the milter sets it), or NULL */
	GHashTable *notify;     /* lower-case recipient -> GUINT_TO_POINTER(CfgNotify flags + 1):
	                         * what its RCPT's NOTIFY= asked (msg_plan_set_notify); NULL when
	                         * none gave one */
	MsgPlanWork *work;      /* the planner's state between two recipients */
} MsgPlan;

typedef enum {
	/* The caller answers a recipient refused by msg_plan_add itself (the milter at RCPT):
	 * the MTA drops it, so the plan does not keep it. */
	MSG_PLAN_ANSWERED = 1 << 0,
	/* Every recipient must be an SMS address (the delivery agent): another is refused. */
	MSG_PLAN_SMS_ONLY = 1 << 1,
} MsgPlanFlags;

/* Initialises GMime and libxml2's parser for the process; every main calls it first,
 * before any thread starts and before a mail is parsed. */
void msg_init(void);

/* Parses a mail read from FD (stdin of the CLI and of the delivery agent, left open); at most
 * cfg->max_message_size bytes are read. NULL with M2S_ERR_DATA when it cannot be read as a
 * mail at all. */
GMimeMessage *msg_parse_fd(const Cfg *cfg, int fd, GError **err);
GMimeMessage *msg_parse_bytes(const Cfg *cfg, const char *bytes, gsize len, GError **err);

/* An empty plan for one mail. DENIED (may be NULL): why this mail may not send SMS at all
 * ([access]); every SMS recipient is then refused with it. */
MsgPlan *msg_plan_new(const Cfg *cfg, const GError *denied, MsgPlanFlags flags);
/* Adds one recipient (MSG: the mail, or NULL when it has not come yet) and returns what it
 * is: ADDR_REFUSED with *err saying why (M2S_ERR_NOUSER, NOPERM, TOO_MANY, LIMIT). */
AddrKind msg_plan_add(MsgPlan *plan, GMimeMessage *msg, const char *address, GError **err);
/* ADDRESS was given with NOTIFY= FLAGS (CfgNotify; 0 for NEVER). */
void msg_plan_set_notify(MsgPlan *plan, const char *address, guint flags);
/* TRUE when the plan holds an SMS recipient, taken or refused: the mail is for us. */
gboolean msg_plan_has_sms(const MsgPlan *plan);
/* With the mail read: the numbers of subject addresses added before it, then the jobs. */
void msg_plan_finish(MsgPlan *plan, GMimeMessage *msg);
/* What the plan means for the whole mail: TRUE when its jobs may be posted, else FALSE
 * with the error every front end maps (the access refusal, the first refusal, or an empty
 * mail; a limit met here is M2S_ERR_LIMIT, since a retry would meet it again). */
gboolean msg_plan_verdict(const MsgPlan *plan, GError **err);
/* The whole plan at once for MSG sent to RECIPIENTS (NULL: its To and Cc). Never NULL. */
MsgPlan *msg_plan(const Cfg *cfg, GMimeMessage *msg, const char *const *recipients);
void msg_plan_free(MsgPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsgPlan, msg_plan_free)

/* A mail without a Message-ID (devices, scripts) would give the same tag as every earlier
 * mail with the same text to the same numbers, and be taken for a retry of it. Something
 * else then stands for the Message-ID: STABLE_ID when the front end has one that its MTA
 * keeps across retries (Postfix's queue id for the delivery agent), else the Date and From
 * headers (a client's retry sends them unchanged), else FALLBACK_ID, unique to this
 * attempt (the milter's queue id). A Message-ID the MTA made up for FALLBACK_ID (it holds
 * that queue id) counts as none: the next attempt gets another. */
void msg_plan_identify(MsgPlan *plan, GMimeMessage *msg, const char *stable_id,
                       const char *fallback_id);

/* The idempotency tag (<= 20 characters) of TEXT sent to RECEIVERS (char*) for the mail
 * MESSAGE_ID (NULL: none, the text stands for it). */
char *msg_tag(const char *message_id, GPtrArray *receivers, const char *text);

/* The plan as the JSON of `mail2sms parse` (DESIGN.md), newly allocated. */
char *msg_plan_to_json(const MsgPlan *plan);

#endif

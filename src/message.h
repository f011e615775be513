/* message.h: a mail and its recipients to the SMS jobs they should produce.
 *
 * This is the core that the milter, the delivery agent and the CLI share. It makes no
 * network call: posting the jobs is ovh.c's business. */
#ifndef M2S_MESSAGE_H
#define M2S_MESSAGE_H

#include <glib.h>
#include <gmime/gmime.h>
#include "cfg.h"
#include "gsm.h"

typedef struct {
	GPtrArray *receivers;   /* char* E.164, distinct */
	GPtrArray *addresses;   /* char* recipient addresses that gave these receivers */
	GsmMessage *sms;        /* the text as it will be sent */
	char *tag;              /* <= 20 characters */
} MsgJob;

typedef struct {
	char *address;
	char *reason;
	int code;               /* M2sErrorCode: NOUSER, NOPERM, TOO_MANY */
} MsgRefusal;

typedef struct {
	GPtrArray *jobs;        /* MsgJob* */
	GPtrArray *refused;     /* MsgRefusal* */
	GPtrArray *not_sms;     /* char* recipients that are not SMS addresses */
} MsgPlan;

/* Parses a mail read from STREAM (at most cfg->max_message_size bytes are read); NULL with
 * M2S_ERR_DATA when it cannot be read as a mail at all. */
GMimeMessage *msg_parse_stream(const Cfg *cfg, GMimeStream *stream, GError **err);
/* The same for a file descriptor (stdin of the CLI and of the delivery agent), left open. */
GMimeMessage *msg_parse_fd(const Cfg *cfg, int fd, GError **err);
GMimeMessage *msg_parse_bytes(const Cfg *cfg, const char *bytes, gsize len, GError **err);

/* Plans the jobs for MSG sent to RECIPIENTS (NULL: its To and Cc). Never NULL. */
MsgPlan *msg_plan(const Cfg *cfg, GMimeMessage *msg, const char *const *recipients);
void msg_plan_free(MsgPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsgPlan, msg_plan_free)

/* A mail without a Message-ID (devices, scripts) would give the same tag as every earlier
 * mail with the same text to the same numbers, and be taken for a retry of it. Something
 * else then stands for the Message-ID: STABLE_ID when the front end has one that its MTA
 * keeps across retries (Postfix's queue id for the delivery agent), else the Date and From
 * headers (a client's retry sends them unchanged), else FALLBACK_ID, unique to this
 * attempt (the milter's queue id). */
void msg_plan_identify(MsgPlan *plan, GMimeMessage *msg, const char *stable_id,
                       const char *fallback_id);

/* The idempotency tag (<= 20 characters) of TEXT sent to RECEIVERS (char*) for the mail
 * MESSAGE_ID (NULL: none, the text stands for it). */
char *msg_tag(const char *message_id, GPtrArray *receivers, const char *text);

/* The plan as the JSON of `mail2sms parse` (DESIGN.md), newly allocated. */
char *msg_plan_to_json(const MsgPlan *plan);

#endif

/* milter_reply.h: an outcome as an SMTP reply. */
#ifndef M2S_MILTER_REPLY_H
#define M2S_MILTER_REPLY_H

#include "cfg.h"

typedef struct {
	char rcode[4];     /* "550" */
	char xcode[8];     /* "5.1.1" */
	char *text;        /* one line, <= 980 bytes, '%' doubled: ready for smfi_setreply */
	gboolean temporary;
	gboolean accept;   /* on_api_error = accept: let the mail through, annotated */
} MilterReply;

/* The reply for ERR (an M2S_ERROR), following on_api_error and on_config_error. */
void milter_reply_for(const Cfg *cfg, const GError *err, MilterReply *out);
void milter_reply_clear(MilterReply *r);

/* The X-Mail2SMS value for a mail let through without its SMS: failed; reason="...", the
 * reason's quotes and backslashes replaced so that it cannot end the value early. */
char *milter_failed_header(const char *reason);


#endif

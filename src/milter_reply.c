/* milter_reply.c: maps an M2S_ERROR to the SMTP reply of DESIGN.md.
 *
 * The one place that knows the codes; the text after them says what happened, with OVH's
 * message when there is one. The text is one printable line: nothing an outsider put in a
 * Subject or an address, nor anything OVH answers, can add a line to the SMTP dialogue. */
#include <string.h>
#include "milter_reply.h"
#include "error.h"
#include "safeline.h"

static void set(MilterReply *r, const char *rcode, const char *xcode)
{
	g_strlcpy(r->rcode, rcode, sizeof r->rcode);
	g_strlcpy(r->xcode, xcode, sizeof r->xcode);
	r->temporary = rcode[0] == '4';
}

/* OVH trouble follows on_api_error: a 4xx by default, a 5xx, or accept. */
static void api_trouble(const Cfg *cfg, MilterReply *r, const char *temp, const char *perm)
{
	switch (cfg->on_api_error) {
	case CFG_ACT_REJECT:
		set(r, "554", perm);
		break;
	case CFG_ACT_ACCEPT:
		r->accept = TRUE;
		set(r, "451", temp);  /* kept for the log and the header */
		break;
	case CFG_ACT_TEMPFAIL:
		set(r, "451", temp);
		break;
	}
}

void milter_reply_for(const Cfg *cfg, const GError *err, MilterReply *r)
{
	memset(r, 0, sizeof *r);
	switch (err->domain == M2S_ERROR ? (M2sErrorCode)err->code : M2S_ERR_IO) {
	case M2S_ERR_NOUSER:
		set(r, "550", "5.1.1");
		break;
	case M2S_ERR_NOPERM:
		set(r, "550", "5.7.1");
		break;
	case M2S_ERR_TOO_MANY:
		set(r, "452", "4.5.3");
		break;
	case M2S_ERR_LIMIT:
		set(r, "550", "5.5.3");
		break;
	case M2S_ERR_UNREACHABLE:
	case M2S_ERR_NO_REPLY:
		api_trouble(cfg, r, "4.4.1", "5.4.1");
		break;
	case M2S_ERR_SERVER:
	case M2S_ERR_THROTTLED:
		api_trouble(cfg, r, "4.3.0", "5.3.0");
		break;
	case M2S_ERR_CONFIG:
		if (cfg->on_config_error == CFG_ACT_REJECT)
			set(r, "554", "5.3.5");
		else
			set(r, "451", "4.3.5");
		break;
	case M2S_ERR_REQUEST:
		set(r, "554", "5.3.0");  /* OVH refused the request itself (error.h) */
		break;
	case M2S_ERR_DATA:
		set(r, "554", "5.6.0");
		break;
	case M2S_ERR_FLOOD:  /* at RCPT the caller makes it 452 */
		set(r, "451", "4.7.1");
		break;
	case M2S_ERR_BUSY:  /* the set-up is fine and OVH was not asked: a plain retry later */
	case M2S_ERR_USAGE:
	case M2S_ERR_IO:
		set(r, "451", "4.3.0");
		break;
	}
	g_autofree char *msg = g_strconcat("SMS not sent: ", err->message, NULL);
	g_autofree char *valid = g_utf8_make_valid(msg, -1);
	/* SMTP replies are ASCII (RFC 5321): OVH's French messages lose their accents. */
	g_autofree char *ascii = g_str_to_ascii(valid, "C");
	r->text = safeline(ascii, SAFELINE_REPLY, TRUE);
}

char *milter_failed_header(const char *reason)
{
	g_autofree char *r = g_strdelimit(g_strdup(reason ? reason : ""), "\"\\", '\'');

	return g_strdup_printf("failed; reason=\"%s\"", r);
}

void milter_reply_clear(MilterReply *r)
{
	g_free(r->text);
	memset(r, 0, sizeof *r);
}

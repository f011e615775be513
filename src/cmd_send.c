/* cmd_send.c: `mail2sms send --to N[,N] [--sender S] TEXT`: one SMS from the command line.
 *
 * The numbers go through the same rules as mail (default_country, allowed_prefixes) and the
 * text through the same GSM preparation, so that what an administrator tries by hand is
 * what mail would do. It must not send to a number, or a text, that mail would refuse. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include "address.h"
#include "charset.h"
#include "cmd.h"
#include "error.h"
#include "gsm.h"
#include "message.h"
#include "dispatch.h"
#include "metrics_store.h"
#include "ovh.h"

/* One "label: a,b,c" line of the result. */
static void print_strings(const char *label, GPtrArray *list)
{
	printf("%s:", label);
	for (guint i = 0; i < list->len; i++)
		printf("%s%s", i ? "," : " ", (char *)list->pdata[i]);
	printf("\n");
}

/* The operands: the TEXT. */
#define SEND_OPERANDS 1

int cmd_send(const char *config, int argc, char **argv)
{
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(Runtime) rt = NULL;
	DispatchHow how;
	g_autoptr(GPtrArray) receivers = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GsmMessage) sms = NULL;
	g_autoptr(OvhJobResult) r = NULL;
	g_autofree char *tag = NULL;
	g_auto(GStrv) to = NULL;
	g_autofree char *sender = NULL;
	const GOptionEntry entries[] = {
		{ "to", 't', 0, G_OPTION_ARG_STRING_ARRAY, &to, "receivers, comma separated", "N[,N]" },
		{ "sender", 's', 0, G_OPTION_ARG_STRING, &sender, "sender (else [sms] sender)", "S" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!cmd_options(&argc, &argv, "TEXT", "Send one SMS.", entries, SEND_OPERANDS))
		return EX_USAGE;
	if (to == NULL || argc != SEND_OPERANDS + 1 || !*argv[1])
		return cmd_usage("--to and a TEXT are needed");
	if ((cfg = cfg_load(config, &err)) == NULL)
		return cmd_fail(err);
	for (char **t = to; *t; t++) {
		g_auto(GStrv) parts = g_strsplit(*t, ",", -1);
		for (char **p = parts; *p; p++) {
			char *n;
			if (!*g_strstrip(*p))
				continue;
			if ((n = addr_number_normalise(cfg, *p, &err)) == NULL)
				return cmd_fail(err);
			if (!g_ptr_array_find_with_equal_func(receivers, n, g_str_equal, NULL))
				g_ptr_array_add(receivers, n);
			else
				g_free(n);
		}
	}
	if (receivers->len == 0 || receivers->len > cfg->addr_max_recipients)
		return cmd_usage("from 1 to %u receivers", cfg->addr_max_recipients);
	g_autofree char *text = text_to_utf8(argv[1], strlen(argv[1]), NULL);
	sms = gsm_prepare(text, cfg->sms_max_segments, cfg->sms_transliterate);
	/* Each send is a new intent: its tag only has to recognise this send's own retry. */
	g_autofree char *nonce = g_strdup_printf("send:%" G_GINT64_FORMAT ":%ld", g_get_real_time(),
	                                         (long)getpid());
	tag = msg_tag(nonce, receivers, sms->text);
	MsgJob job = { .receivers = receivers, .sms = sms, .tag = tag };
	if ((rt = runtime_new(cfg, &err)) == NULL)
		return cmd_fail(err);
	r = dispatch_job(rt, &job, NULL, sender, FALSE, &how, &err);
	cmd_finish(rt, FALSE);
	/* Its job in the milter's figures, like the delivery agent's. */
	metrics_store_save_process(cfg, rt);
	if (r == NULL)
		return cmd_fail(err);
	g_autofree char *ids = ovh_ids_text(r->ids);
	printf("ids: %s\n", ids);
	print_strings("valid", r->valid);
	print_strings("invalid", r->invalid);
	printf("credits: %g\nsegments: %u\nencoding: %s%s\n", r->credits, sms->segments,
	       sms->encoding == GSM_ENC_GSM7 ? "gsm7" : "ucs2", sms->truncated ? " (truncated)" : "");
	return EX_OK;
}

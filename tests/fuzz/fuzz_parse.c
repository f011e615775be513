/* fuzz_parse.c: libFuzzer target over the parse path of every front end.
 *
 * Any bytes as a mail: parse (msg_parse_bytes), plan for fixed recipients and for the To and
 * Cc headers (msg_plan), render (msg_plan_to_json), free everything. A crash, a sanitizer
 * report or a leak is a finding. The output is checked for the promises others rely on:
 * valid UTF-8 JSON on one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gmime/gmime.h>
#include "cfg.h"
#include "message.h"

/* The configuration of tests/corpus/test.conf; built once, never changed. */
static Cfg *fuzz_cfg;

static void fuzz_alias(const char *name, const char *numbers)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = g_strsplit(numbers, ",", -1);
	for (char **p = parts; *p != NULL; p++)
		g_ptr_array_add(list, g_strdup(*p));
	g_hash_table_replace(fuzz_cfg->aliases, g_strdup(name), list);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	msg_init();
	fuzz_cfg = cfg_new_default();
	g_strfreev(fuzz_cfg->addr_domains);
	fuzz_cfg->addr_domains = g_strsplit("sms.example.com", " ", -1);
	g_strfreev(fuzz_cfg->addr_allowed_prefixes);
	fuzz_cfg->addr_allowed_prefixes = g_strsplit("+33 +32", " ", -1);
	g_strfreev(fuzz_cfg->addr_subject_addresses);
	fuzz_cfg->addr_subject_addresses = g_strsplit("sms@example.com", " ", -1);
	fuzz_cfg->max_message_size = 1024 * 1024;
	fuzz_alias("oncall", "+33611111111,+33622222222");
	return 0;
}

/* Plans MSG for RECIPIENTS and checks the JSON. */
static void fuzz_plan(GMimeMessage *msg, const char *const *recipients)
{
	MsgPlan *plan = msg_plan(fuzz_cfg, msg, recipients);
	char *json = msg_plan_to_json(plan);
	if (!g_utf8_validate(json, -1, NULL) || strchr(json, '\n') != NULL)
		abort();
	g_free(json);
	msg_plan_free(plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const recipients[] = {
		"+33612345678@sms.example.com", "0612345678@sms.example.com", "oncall@sms.example.com",
		"sms@example.com", "sms+0698765432@example.com", "12@sms.example.com",
		"+79161234567@sms.example.com", "someone@example.org", NULL,
	};
	GError *err = NULL;
	GMimeMessage *msg = msg_parse_bytes(fuzz_cfg, (const char *)data, size, &err);
	if (msg == NULL) {
		g_clear_error(&err);
		return 0;
	}
	fuzz_plan(msg, recipients);
	fuzz_plan(msg, NULL);
	g_object_unref(msg);
	return 0;
}

/* urgent.c: the headers by which mail clients and monitoring mark a mail urgent.
 *
 * X-Priority (1 highest .. 5 lowest; Outlook, Thunderbird, Zabbix and most scripts write
 * "1 (Highest)" or "2 (High)"), Importance (RFC 2156: low, normal, high) and Priority
 * (RFC 2156: non-urgent, normal, urgent). Promises: only those three names and those
 * values count, so "Priority: non-urgent" and "X-Priority: 3" are not urgent.
 * Must not: look at the Subject or the body (words like URGENT there are the sender's
 * prose, not a flag), nor decide what urgency changes (quiet hours: the caller). */
#include <string.h>
#include "urgent.h"

/* VALUE without its surrounding blanks (folding included), lower-cased. */
static char *plain(const char *value)
{
	return g_strstrip(g_ascii_strdown(value, -1));
}

gboolean urgent_header(const char *name, const char *value)
{
	g_autofree char *v = NULL;

	if (name == NULL || value == NULL)
		return FALSE;
	v = plain(value);
	if (g_ascii_strcasecmp(name, "X-Priority") == 0)
		/* The level is the leading number; what follows it is a comment. */
		return (v[0] == '1' || v[0] == '2') && !g_ascii_isdigit(v[1]);
	if (g_ascii_strcasecmp(name, "Importance") == 0)
		return strcmp(v, "high") == 0;
	if (g_ascii_strcasecmp(name, "Priority") == 0)
		return strcmp(v, "urgent") == 0;
	return FALSE;
}

gboolean urgent_mail(GMimeMessage *msg)
{
	GMimeHeaderList *list;
	int count;

	if (msg == NULL)
		return FALSE;
	list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	count = g_mime_header_list_get_count(list);
	/* Every occurrence: a mail may carry both X-Priority and Importance, or a header twice. */
	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		if (urgent_header(g_mime_header_get_name(h), g_mime_header_get_value(h)))
			return TRUE;
	}
	return FALSE;
}

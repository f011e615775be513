/* duration.c: reads and writes durations ("10m", "7d") for the configuration and its errors.
 *
 * Promises: what duration_text writes, duration_parse reads back to the same number.
 * Must not: accept a sign, blanks, a fraction, more than one unit, or a value that would
 * wrap; it knows no bounds of any key (cfg.c and limits_rules.c check those). */
#include "duration.h"

/* Largest first: duration_text writes the first that divides. */
static const struct {
	char unit;
	guint seconds;
} units[] = {
	{ 'd', 24 * 3600 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};

gboolean duration_parse(const char *text, guint *seconds)
{
	char *end;
	guint64 n, mult = 1;

	if (text == NULL || !g_ascii_isdigit(*text))
		return FALSE;
	n = g_ascii_strtoull(text, &end, 10);
	if (*end != '\0') {
		gsize i;
		for (i = 0; i < G_N_ELEMENTS(units) && units[i].unit != *end; i++)
			;
		if (i == G_N_ELEMENTS(units) || end[1] != '\0')
			return FALSE;
		mult = units[i].seconds;
	}
	/* strtoull saturates at G_MAXUINT64 on overflow, which this test refuses too. */
	if (n > G_MAXUINT / mult)
		return FALSE;
	*seconds = (guint)(n * mult);
	return TRUE;
}

char *duration_text(guint seconds)
{
	for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
		if (seconds != 0 && seconds % units[i].seconds == 0)
			return g_strdup_printf("%u%c", seconds / units[i].seconds, units[i].unit);
	return g_strdup("0s");
}

/* fuzz_common.h: checks shared by the libFuzzer targets of tests/fuzz/.
 *
 * A violated promise aborts with the text that broke it on stderr, so that libFuzzer keeps
 * the input as a finding. Nothing here may allocate in proportion to anything but the text
 * it checks. */
#ifndef M2S_FUZZ_COMMON_H
#define M2S_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "error.h"

/* Aborts, naming the promise WHY and the text that broke it. */
_Noreturn static inline void fuzz_fail(const char *why, const char *text)
{
	fprintf(stderr, "fuzz invariant violated: %s: [%s]\n", why, text ? text : "(null)");
	abort();
}

/* TRUE for a character that would split or garble a line: C0 and C1 controls (CR, LF and
 * NEL among them), DEL, and the Unicode line and paragraph separators. */
static inline gboolean fuzz_breaks_line(gunichar c)
{
	return g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029;
}

/* S is valid UTF-8, holds no control character or line separator and has at most MAX
 * bytes: what may be put into an SMTP reply, a header or a log line. */
static inline void fuzz_check_line(const char *s, gsize max, const char *what)
{
	if (s == NULL)
		fuzz_fail(what, "NULL text");
	if (!g_utf8_validate(s, -1, NULL))
		fuzz_fail("text is not valid UTF-8", s);
	if (strlen(s) > max)
		fuzz_fail("text longer than its bound", s);
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (fuzz_breaks_line(g_utf8_get_char(p)))
			fuzz_fail("text holds a control character or line separator", s);
}

/* ERR is an M2S_ERROR whose text passes fuzz_check_line. */
static inline void fuzz_check_error(const GError *err, gsize max)
{
	if (err == NULL)
		fuzz_fail("no error where one is due", NULL);
	if (err->domain != M2S_ERROR)
		fuzz_fail("error outside M2S_ERROR", err->message);
	fuzz_check_line(err->message, max, "error text");
}

/* The fuzzer's bytes as a NUL-terminated string (cut at the first NUL byte). */
static inline char *fuzz_string(const guint8 *data, gsize size)
{
	return g_strndup((const char *)data, size);
}

#endif

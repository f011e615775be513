/* error.c: the M2S_ERROR domain and its mapping to sysexits.
 *
 * The mapping to exit codes lives here because the CLI and the delivery agent share it; the
 * SMTP mapping belongs to the milter. Nothing here looks at an error's text. */
#include <sysexits.h>
#include "error.h"

G_DEFINE_QUARK(m2s-error-quark, m2s_error)

int m2s_error_sysexit(const GError *err)
{
	if (err == NULL)
		return EX_OK;
	if (err->domain != M2S_ERROR)
		return EX_SOFTWARE;
	switch ((M2sErrorCode)err->code) {
	case M2S_ERR_UNREACHABLE:
	case M2S_ERR_NO_REPLY:
	case M2S_ERR_SERVER:
	case M2S_ERR_THROTTLED:
	case M2S_ERR_BUSY:
	case M2S_ERR_FLOOD:
	case M2S_ERR_TOO_MANY:
		return EX_TEMPFAIL;
	case M2S_ERR_CONFIG:
		return EX_CONFIG;
	case M2S_ERR_REQUEST:
	case M2S_ERR_DATA:
		return EX_DATAERR;
	case M2S_ERR_NOUSER:
		return EX_NOUSER;
	case M2S_ERR_NOPERM:
	case M2S_ERR_LIMIT:
		return EX_NOPERM;
	case M2S_ERR_USAGE:
		return EX_USAGE;
	case M2S_ERR_IO:
		return EX_IOERR;
	}
	return EX_SOFTWARE;
}

const char *m2s_error_name(const GError *err)
{
	static const char *const names[] = {
		[M2S_ERR_UNREACHABLE] = "unreachable", [M2S_ERR_NO_REPLY] = "no_reply",
		[M2S_ERR_SERVER] = "server",           [M2S_ERR_THROTTLED] = "throttled",
		[M2S_ERR_CONFIG] = "config",           [M2S_ERR_REQUEST] = "request",
		[M2S_ERR_NOUSER] = "nouser",           [M2S_ERR_NOPERM] = "noperm",
		[M2S_ERR_TOO_MANY] = "too_many",       [M2S_ERR_LIMIT] = "limit",
		[M2S_ERR_DATA] = "data",               [M2S_ERR_USAGE] = "usage",
		[M2S_ERR_IO] = "io",                   [M2S_ERR_BUSY] = "busy",
		[M2S_ERR_FLOOD] = "flood",
	};

	if (err == NULL || err->domain != M2S_ERROR || err->code <= 0 ||
	    err->code >= (int)G_N_ELEMENTS(names) || names[err->code] == NULL)
		return "other";
	return names[err->code];
}

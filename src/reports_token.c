/* reports_token.c: the callback URL's secret token (reports_token.h).
 *
 * OVH calls one URL for the whole account and signs nothing: whoever knows the URL can
 * report states. The token in its path is what keeps a stranger from making mail2sms
 * mail reports: 256 random bits from OpenSSL, kept in a file only root and the milter's
 * user read, compared in constant time, read afresh for each call (a new `reports setup`
 * takes effect at once). A new token replaces the one in use only once OVH has it: a
 * setup that fails leaves the callback that works alone. It must never be logged nor
 * printed. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <glib/gstdio.h>
#include "reports_token.h"
#include "error.h"

char *reports_token_new(const Cfg *cfg, GError **err)
{
	guchar raw[REPORTS_TOKEN_LEN / 2];
	GString *hex = g_string_sized_new(REPORTS_TOKEN_LEN + 1);
	const char *path = cfg->reports_token_file;

	if (RAND_bytes(raw, sizeof raw) != 1) {
		g_string_free(hex, TRUE);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "no random bytes for the token");
		return NULL;
	}
	for (gsize i = 0; i < sizeof raw; i++)
		g_string_append_printf(hex, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof raw);
	g_string_append_c(hex, '\n');
	g_autofree char *tmp = g_strconcat(path, ".new", NULL);
	int fd = g_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	gboolean ok = fd >= 0 && write(fd, hex->str, hex->len) == (ssize_t)hex->len;
	int saved = errno;
	if (fd >= 0 && ok && geteuid() == 0 && cfg->milter_user != NULL && *cfg->milter_user) {
		/* The milter reads it after dropping root. */
		struct passwd *pw = getpwnam(cfg->milter_user);
		if (pw != NULL && fchown(fd, 0, pw->pw_gid) != 0)
			ok = FALSE, saved = errno;
	}
	if (fd >= 0 && close(fd) != 0 && ok)
		ok = FALSE, saved = errno;
	if (!ok) {
		g_unlink(tmp);
		OPENSSL_cleanse(hex->str, hex->len);
		g_string_free(hex, TRUE);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s", path, g_strerror(saved));
		return NULL;
	}
	g_string_truncate(hex, REPORTS_TOKEN_LEN);
	return g_string_free(hex, FALSE);
}

gboolean reports_token_commit(const Cfg *cfg, gboolean keep, GError **err)
{
	g_autofree char *tmp = g_strconcat(cfg->reports_token_file, ".new", NULL);

	if (!keep) {
		g_unlink(tmp);
		return TRUE;
	}
	if (g_rename(tmp, cfg->reports_token_file) != 0) {
		int saved = errno;
		g_unlink(tmp);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s", cfg->reports_token_file,
		            g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

gboolean reports_token_check(const Cfg *cfg, const char *given)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	gboolean ok;

	if (given == NULL || strlen(given) != REPORTS_TOKEN_LEN ||
	    !g_file_get_contents(cfg->reports_token_file, &text, &len, NULL) ||
	    len < REPORTS_TOKEN_LEN)
		return FALSE;
	ok = CRYPTO_memcmp(text, given, REPORTS_TOKEN_LEN) == 0 &&
	     (len == REPORTS_TOKEN_LEN || text[REPORTS_TOKEN_LEN] == '\n');
	OPENSSL_cleanse(text, len);
	return ok;
}

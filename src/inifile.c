/* inifile.c: reads INI files (mail2sms.conf, ovh.conf) into a GKeyFile, and checks that a
 * file holding a secret is not readable by "other".
 *
 * Promises: errors are M2S_ERR_CONFIG values naming the file. Must not quote a line of the
 * file in an error (it may hold a secret), know what the keys mean, or keep state. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "inifile.h"
#include "error.h"

gboolean ini_check_secret_mode(const char *path, GError **err)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG,
		            "%s: holds an OVH secret but is readable by others (chmod o-r %s)", path,
		            path);
		return FALSE;
	}
	return TRUE;
}

/* Reads PATH into KF. GKeyFile knows only '#' comments; INI files, and our examples, also
 * use ';', so those lines are turned into '#' ones first. */
gboolean ini_read(GKeyFile *kf, const char *path, GError **err)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) e = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s: cannot read (%s)", path,
		            g_strerror(e->code == G_FILE_ERROR_NOENT ? ENOENT
		                       : e->code == G_FILE_ERROR_ACCES ? EACCES : EIO));
		return FALSE;
	}
	for (char *p = text; p && *p;) {
		p += strspn(p, " \t");
		if (*p == ';')
			*p = '#';
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	/* GKeyFile's parse errors quote the offending line, which may hold a secret. */
	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, NULL)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG,
		            "%s: not a valid configuration file (a line is neither [section], "
		            "key = value nor a comment)", path);
		return FALSE;
	}
	return TRUE;
}

/* inifile.h: reading INI files into a GKeyFile, and refusing secrets that "other" may read. */
#ifndef M2S_INIFILE_H
#define M2S_INIFILE_H

#include <glib.h>

/* Reads an INI file into KF, accepting ';' comments; errors name the file, never a line. */
gboolean ini_read(GKeyFile *kf, const char *path, GError **err);
/* Refuses (M2S_ERR_CONFIG naming it) a file holding a secret that "other" may read. */
gboolean ini_check_secret_mode(const char *path, GError **err);

#endif

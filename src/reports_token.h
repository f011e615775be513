/* reports_token.h: the secret in the path of the delivery callback URL ([reports]
 * token_file), written by `mail2sms reports setup` and checked by the milter's listener. */
#ifndef M2S_REPORTS_TOKEN_H
#define M2S_REPORTS_TOKEN_H

#include "cfg.h"

/* Characters of a token: 32 random bytes in hex. */
#define REPORTS_TOKEN_LEN 64

/* A new random token, newly allocated, written to CFG's token_file with ".new" after it
 * (mode 0640, owned by the group of [milter] user when run as root), where it waits for
 * reports_token_commit: the token in use stays until OVH knows the new one. NULL with
 * *err. */
char *reports_token_new(const Cfg *cfg, GError **err);
/* The token reports_token_new wrote becomes the one in use (KEEP), or is thrown away. */
gboolean reports_token_commit(const Cfg *cfg, gboolean keep, GError **err);
/* TRUE when GIVEN is the token in CFG's token_file, compared in constant time; FALSE when
 * it is not, or the file cannot be read (no token was ever set up). */
gboolean reports_token_check(const Cfg *cfg, const char *given);

#endif

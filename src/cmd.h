/* cmd.h: the subcommands of bin/mail2sms, one file each (cmd_*.c).
 *
 * Each takes the loaded configuration and its own argv (argv[0] is the command name),
 * parses its options with GOptionContext (so --help works), prints its result on stdout and
 * one error line on stderr, and returns a <sysexits.h> code. */
#ifndef M2S_CMD_H
#define M2S_CMD_H

#include "cfg.h"

int cmd_send(Cfg *cfg, int argc, char **argv);
int cmd_parse(Cfg *cfg, int argc, char **argv);
int cmd_deliver(Cfg *cfg, int argc, char **argv);
int cmd_services(Cfg *cfg, int argc, char **argv);
int cmd_credits(Cfg *cfg, int argc, char **argv);
int cmd_senders(Cfg *cfg, int argc, char **argv);
int cmd_token(Cfg *cfg, int argc, char **argv);
int cmd_check_config(Cfg *cfg, int argc, char **argv);

/* The delivery agent's exit code for ERR: a configuration problem defers unless
 * on_config_error = reject (CFG may be NULL: the configuration could not be loaded). */
int cmd_deliver_exit(const Cfg *cfg, const GError *err);

/* Prints "mail2sms: MESSAGE" on stderr and returns the error's sysexits code. */
int cmd_fail(const GError *err);

/* Parses a subcommand's options (exits on --help); FALSE with a usage error printed. At
 * most MAX_ARGS operands may remain in *argv after argv[0]. */
gboolean cmd_options(int *argc, char ***argv, const char *params, const char *summary,
                     const GOptionEntry *entries, int max_args);

#endif

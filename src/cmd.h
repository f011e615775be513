/* cmd.h: the subcommands of bin/mail2sms, one file each (cmd_*.c).
 *
 * Each takes the path of the configuration file and its own argv (argv[0] is the command
 * name). It parses its options first, with GOptionContext, so that --help and usage errors
 * never depend on the configuration; then it loads the configuration (cfg_load), prints
 * its result on stdout and at most one error line on stderr (cmd_fail), and returns a
 * <sysexits.h> code. */
#ifndef M2S_CMD_H
#define M2S_CMD_H

#include "cfg.h"
#include "runtime.h"

int cmd_send(const char *config, int argc, char **argv);
int cmd_parse(const char *config, int argc, char **argv);
int cmd_deliver(const char *config, int argc, char **argv);
int cmd_services(const char *config, int argc, char **argv);
int cmd_credits(const char *config, int argc, char **argv);
int cmd_senders(const char *config, int argc, char **argv);
int cmd_token(const char *config, int argc, char **argv);
int cmd_check_config(const char *config, int argc, char **argv);
int cmd_flush(const char *config, int argc, char **argv);
int cmd_limits(const char *config, int argc, char **argv);
int cmd_status(const char *config, int argc, char **argv);
int cmd_poll(const char *config, int argc, char **argv);
int cmd_reports(const char *config, int argc, char **argv);

/* What a short process that sent or tried leaves behind before it exits (cmd_status.c):
 * its last job sent and last error written to the store for `mail2sms status`, and, with
 * CHECK_CREDITS and [ovh] credits_alarm set, the credits checked if no process did for
 * CREDITS_PERIOD (the delivery agent and flush; not a send by hand). RT may be NULL
 * (nothing then). Trouble is logged, never returned: the command's outcome is decided
 * already. */
void cmd_finish(Runtime *rt, gboolean check_credits);

/* The delivery agent's exit code for ERR: a configuration problem defers unless
 * on_config_error = reject (CFG may be NULL: the configuration could not be loaded). */
int cmd_deliver_exit(const Cfg *cfg, const GError *err);

/* The CLI's one error line on stderr, "mail2sms COMMAND: MESSAGE" ("mail2sms: MESSAGE"
 * before a command is chosen), ending with "(see --help)" for an M2S_ERR_USAGE error;
 * returns the error's sysexits code. */
int cmd_fail(const GError *err);

/* cmd_fail of an M2S_ERR_USAGE error: returns EX_USAGE. */
int cmd_usage(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Parses a subcommand's options and names the program after it (exits 0 on --help); FALSE
 * with a usage error printed. At most MAX_ARGS operands may remain in *argv after argv[0]. */
gboolean cmd_options(int *argc, char ***argv, const char *params, const char *summary,
                     const GOptionEntry *entries, int max_args);

#endif

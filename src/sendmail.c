/* sendmail.c: one mail mail2sms writes itself (the low-credits alarm, an SMS reply, a
 * delivery report) handed to the local MTA through `sendmail -oi -t`, or `sendmail -i -f
 * FROM -- RCPT` when the envelope comes from a job.
 *
 * The command runs without a shell, with fixed arguments: with -t the recipients come from
 * the message's To: header, which the caller writes from checked configuration, never from
 * a mail; otherwise the recipient follows "--", so that no address is read as an option. Its stdout is discarded and its stderr read back (bounded) for the error, so that
 * nothing it prints reaches a delivery agent's stderr (pipe(8) puts that in a DSN). It must
 * not wait forever (SENDMAIL_TIMEOUT), nor let a sendmail that exits early kill the
 * process with SIGPIPE, nor log: the caller says what the mail was for. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sendmail.h"
#include "error.h"
#include "safeline.h"

/* Bytes of the command's stderr kept for the error. */
#define SENDMAIL_STDERR_MAX 300

char *sendmail_program(void)
{
	const char *path = g_getenv("PATH");
	g_auto(GStrv) dirs = g_strsplit(path != NULL ? path : "", ":", -1);

	for (char **d = dirs; *d != NULL; d++) {
		/* A relative entry would depend on the directory the process happens to be in. */
		if (!g_path_is_absolute(*d))
			continue;
		g_autofree char *p = g_build_filename(*d, "sendmail", NULL);
		if (g_file_test(p, G_FILE_TEST_IS_REGULAR) && access(p, X_OK) == 0)
			return g_steal_pointer(&p);
	}
	for (const char *const *p = (const char *const[]){ "/usr/sbin/sendmail",
	                                                  "/usr/lib/sendmail", NULL };
	     *p != NULL; p++)
		if (access(*p, X_OK) == 0)
			return g_strdup(*p);
	return NULL;
}

/* Writes all of TEXT to FD with SIGPIPE held back in this thread (a command that exited
 * without reading gives EPIPE instead of the signal); FALSE with errno set. */
static gboolean write_all(int fd, const char *text)
{
	sigset_t pipe_set, old, pending;
	gsize len = strlen(text), done = 0;
	int saved = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	gboolean was_pending = sigismember(&pending, SIGPIPE);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			break;
		}
		done += (gsize)n;
	}
	/* The SIGPIPE this write raised is taken off, so that it never reaches the process. */
	if (!was_pending && saved == EPIPE) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return done == len;
}

/* Reads FD to its end, keeping at most SENDMAIL_STDERR_MAX bytes in OUT, until DEADLINE
 * (monotonic microseconds): FALSE when the deadline came first. */
static gboolean read_until_eof(int fd, GString *out, gint64 deadline)
{
	char buf[1024];

	for (;;) {
		gint64 left = deadline - g_get_monotonic_time();
		if (left <= 0)
			return FALSE;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)MIN(left / 1000 + 1, 1000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return TRUE;
		if (r == 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return TRUE;
		if (out->len < SENDMAIL_STDERR_MAX)
			g_string_append_len(out, buf, MIN((gsize)n, SENDMAIL_STDERR_MAX - out->len));
	}
}

/* Waits for PID until DEADLINE, then kills it; its wait status in *STATUS, FALSE when it
 * had to be killed or its status was lost. */
static gboolean wait_child(GPid pid, gint64 deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return TRUE;
		if (r < 0 && errno != EINTR)
			return FALSE;
		if (g_get_monotonic_time() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return FALSE;
		}
		g_usleep(20 * 1000);
	}
}

/* Runs ARGV (ARGV[0] the command, SHOWN how errors name it) with MESSAGE on its stdin. */
static gboolean sendmail_run(char **argv, const char *shown, const char *message, GError **err)
{
	const char *prog = argv[0];
	g_autoptr(GError) e = NULL;
	g_autoptr(GString) said = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + (gint64)SENDMAIL_TIMEOUT * G_USEC_PER_SEC;
	GPid pid;
	int in, errfd, status = 0;

	if (!g_spawn_async_with_pipes(NULL, argv, NULL,
	                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
	                              NULL, NULL, &pid, &in, NULL, &errfd, &e)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s", prog, e->message);
		return FALSE;
	}
	gboolean written = write_all(in, message);
	int werr = errno;
	close(in);
	gboolean read_all = read_until_eof(errfd, said, deadline);
	close(errfd);
	gboolean waited = read_all && wait_child(pid, deadline, &status);
	if (!read_all)
		wait_child(pid, g_get_monotonic_time(), &status);
	g_spawn_close_pid(pid);
	/* What it said, first line only: enough to name the trouble, never a mail's worth. */
	char *nl = strchr(said->str, '\n');
	if (nl != NULL)
		*nl = '\0';
	g_autofree char *line = safeline(said->str, SENDMAIL_STDERR_MAX, FALSE);
	if (!waited) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s", shown,
		            read_all ? "its exit status was lost"
		                     : "no exit within " G_STRINGIFY(SENDMAIL_TIMEOUT) " s, killed");
		return FALSE;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s %d%s%s", shown,
		            WIFEXITED(status) ? "exit status" : "killed by signal",
		            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		            *line ? ": " : "", line);
		return FALSE;
	}
	if (!written) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: writing the mail: %s", shown,
		            g_strerror(werr));
		return FALSE;
	}
	return TRUE;
}

gboolean sendmail_send(const char *program, const char *message, GError **err)
{
	g_autofree char *prog = program != NULL ? g_strdup(program) : sendmail_program();

	if (prog == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO,
		            "no sendmail command (in PATH, /usr/sbin or /usr/lib)");
		return FALSE;
	}
	g_autofree char *shown = g_strconcat(prog, " -oi -t", NULL);
	char *argv[] = { prog, "-oi", "-t", NULL };
	return sendmail_run(argv, shown, message, err);
}

gboolean sendmail_deliver(const char *program, const char *message, const char *from,
                          const char *rcpt, GError **err)
{
	g_autofree char *prog = program != NULL ? g_strdup(program) : sendmail_program();

	if (prog == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO,
		            "no sendmail command (in PATH, /usr/sbin or /usr/lib)");
		return FALSE;
	}
	/* The recipient is a job's sender: named in an error, it is an address, not a secret. */
	g_autofree char *shown = g_strconcat(prog, " -i -f ", from, NULL);
	char *argv[] = { prog, "-i", "-f", (char *)from, "--", (char *)rcpt, NULL };
	return sendmail_run(argv, shown, message, err);
}

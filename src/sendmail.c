/* sendmail.c: one mail mail2sms writes itself (the low-credits alarm, an SMS reply, a
 * delivery report) handed to the local MTA through `sendmail -i -f FROM -- RCPT...`, or
 * over SMTP to smtp://HOST[:PORT] where no set-group-id program may run (the milter's
 * systemd unit).
 *
 * The command runs without a shell, with fixed arguments; the recipients follow "--", so
 * that no address is read as an option. Its stdout is discarded and its stderr read back
 * (bounded) for the error, so that nothing it prints reaches a delivery agent's stderr
 * (pipe(8) puts that in a DSN). It must not wait forever (SENDMAIL_TIMEOUT), nor let a
 * sendmail that exits early kill the process with SIGPIPE, nor log: the caller says what
 * the mail was for. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
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

/* TRUE when PROGRAM names an SMTP server rather than a command. */
static gboolean sendmail_is_smtp(const char *program)
{
	return program != NULL && g_str_has_prefix(program, "smtp://");
}

/* Gives libcurl the next bytes of the mail. */
static size_t smtp_read(char *buf, size_t size, size_t n, void *arg)
{
	GString *left = arg;
	size_t len = MIN(size * n, left->len);

	memcpy(buf, left->str, len);
	g_string_erase(left, 0, len);
	return len;
}

/* The mail over SMTP to URL (smtp://HOST[:PORT]), with libcurl's SMTP client. */
static gboolean smtp_deliver(const char *url, const char *message, const char *from,
                             const char *const *rcpts, GError **err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *to = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	/* SMTP wants CRLF line ends; libcurl adds the dots and the final one. */
	g_autoptr(GString) body = g_string_sized_new(strlen(message) + 256);
	g_autofree char *helo = g_strconcat(url, "/", g_get_host_name(), NULL);

	for (const char *p = message; *p; p++) {
		if (*p == '\n' && (p == message || p[-1] != '\r'))
			g_string_append_c(body, '\r');
		g_string_append_c(body, *p);
	}
	if (h == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: no SMTP client", url);
		return FALSE;
	}
	for (const char *const *r = rcpts; *r != NULL; r++)
		to = curl_slist_append(to, *r);
	curl_easy_setopt(h, CURLOPT_URL, helo);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(h, CURLOPT_READDATA, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)SENDMAIL_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(to);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		g_autofree char *why = safeline(*errbuf ? errbuf : curl_easy_strerror(rc),
		                                SENDMAIL_STDERR_MAX, FALSE);
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "%s: %s (SMTP %ld)", url, why, code);
		return FALSE;
	}
	return TRUE;
}

gboolean sendmail_deliver(const char *program, const char *message, const char *from,
                          const char *const *rcpts, GError **err)
{
	if (sendmail_is_smtp(program))
		return smtp_deliver(program, message, from, rcpts, err);

	g_autofree char *prog = program != NULL ? g_strdup(program) : sendmail_program();
	if (prog == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO,
		            "no sendmail command (in PATH, /usr/sbin or /usr/lib)");
		return FALSE;
	}
	g_autofree char *shown = g_strconcat(prog, " -i -f ", from, NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, "-i");
	g_ptr_array_add(argv, "-f");
	g_ptr_array_add(argv, (char *)from);
	/* No recipient can be read as an option. */
	g_ptr_array_add(argv, "--");
	for (const char *const *r = rcpts; *r != NULL; r++)
		g_ptr_array_add(argv, (char *)*r);
	g_ptr_array_add(argv, NULL);
	return sendmail_run((char **)argv->pdata, shown, message, err);
}

/* milter_main.c: mail2sms-milter: start-up, privileges, reload, and libmilter's main loop.
 *
 * Start-up order matters: the configuration is checked first (an error names the key and
 * exits EX_CONFIG), then the socket is opened (so a socket error shows before anything
 * else), then privileges are dropped, then libmilter runs. SIGHUP and SIGUSR1 reload: a new
 * configuration replaces the old one for new messages; a bad file is logged and the old
 * one kept. SIGTERM and SIGINT stop, through libmilter, which closes the sessions first.
 * SIGHUP must never stop the milter: libmilter's own signal thread would, and a stopped
 * milter makes Postfix defer every mail (milter_default_action = tempfail); see sigwait()
 * below. A thread sends the digests of alerts [limits] held, as they fall due; another
 * writes the last job sent and the last error to the store for `mail2sms status`, at most
 * once a second, so that no session waits for it; a third checks the credits left when
 * [ovh] credits_alarm or [metrics] listen is set (credits.c), never on the mail path; a
 * fourth polls OVH for SMS replies and delivery reports (replies.c, reports.c). Under
 * systemd (Type=notify), milter_notify.c tells it when the milter serves mail, reloads and
 * stops, and answers its watchdog. The [metrics] and [reports] listeners (httpd.c) are
 * bound with the milter's socket and served once the milter runs; a listener that cannot
 * be bound is logged, not fatal: mail goes first. At a clean stop the milter's counts go
 * to the state store, so that its figures survive a restart. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>
#include "milter.h"
#include "activity.h"
#include "credits.h"
#include "error.h"
#include "flush.h"
#include "message.h"
#include "metrics.h"
#include "httpd.h"
#include "metrics_http.h"
#include "metrics_store.h"
#include "milter_notify.h"
#include "replies.h"
#include "reports.h"
#include "reports_http.h"
#include "store.h"

/* Seconds between two passes over the held alerts: a digest goes at most this long after
 * its number's window frees. */
#define DIGEST_PERIOD 15
/* A store that fails each pass is logged at most this often (seconds). */
#define DIGEST_LOG_EVERY 60
/* Seconds between two looks at whether a credits check is due (CREDITS_PERIOD since the
 * last one of any process): a look costs no request, and at most a store read. */
#define CREDITS_LOOK 30
/* Seconds between two looks at whether a poll of replies or reports is due. */
#define POLL_LOOK 5

typedef struct {
	char *config;
	char *socket;
	char *user;
	char *pidfile;
	gboolean foreground;
	gboolean check_only;
	gboolean version;
} Options;

static int die(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* One line on stderr and in the log, then the exit code. */
static int die(int code, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "mail2sms-milter: %s\n", msg);
	syslog(LOG_ERR, "%s", msg);
	return code;
}

/* The configuration with the command line's values on top. */
static Cfg *load_config(const Options *o, GError **err)
{
	Cfg *cfg = cfg_load(o->config, err);

	if (cfg == NULL)
		return NULL;
	if (o->socket) {
		g_free(cfg->milter_socket);
		cfg->milter_socket = g_strdup(o->socket);
	}
	if (o->user) {
		g_free(cfg->milter_user);
		cfg->milter_user = g_strdup(o->user);
	}
	if (o->pidfile) {
		g_free(cfg->milter_pidfile);
		cfg->milter_pidfile = g_strdup(o->pidfile);
	}
	return cfg;
}

/* The path of a unix socket spec ("unix:/p", "local:/p", "/p"), or NULL for inet. */
static const char *unix_path(const char *spec)
{
	static const char *const prefixes[] = { "unix:", "local:" };

	for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_str_has_prefix(spec, prefixes[i]))
			return spec + strlen(prefixes[i]);
	return spec[0] == '/' ? spec : NULL;
}

/* A stale unix socket is removed; one that answers belongs to a running instance. */
static gboolean clear_stale_socket(const char *path, GError **err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return TRUE;
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s exists and is not a socket", path);
		return FALSE;
	}
	g_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	rc = fd >= 0 ? connect(fd, (struct sockaddr *)&sun, sizeof sun) : -1;
	if (fd >= 0)
		close(fd);
	if (rc == 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG,
		            "%s: another instance is answering on this socket", path);
		return FALSE;
	}
	unlink(path);
	return TRUE;
}

/* Switches to USER (and its groups), giving it the unix socket first. */
static gboolean drop_privileges(const char *user, const char *sock, GError **err)
{
	struct passwd *pw;

	if (geteuid() != 0 || user == NULL || *user == '\0')
		return TRUE;
	if ((pw = getpwnam(user)) == NULL) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "[milter] user: no user '%s'", user);
		return FALSE;
	}
	if (sock && chown(sock, pw->pw_uid, pw->pw_gid) != 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "chown %s: %s", sock, g_strerror(errno));
		return FALSE;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "cannot become %s: %s", user,
		            g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* Writes the pid to PATH (none when PATH is empty), once the process will not fork again. */
static gboolean write_pidfile(const char *path, GError **err)
{
	g_autofree char *pid = g_strdup_printf("%ld\n", (long)getpid());

	if (path == NULL || *path == '\0')
		return TRUE;
	if (!g_file_set_contents(path, pid, -1, NULL)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_IO, "cannot write pidfile %s", path);
		return FALSE;
	}
	return TRUE;
}

/* This process's counts added to the current store at a clean stop ([metrics] listen set):
 * the next milter reads them back, and its figures go on from there. */
static void save_metrics(void)
{
	g_autoptr(Runtime) rt = runtime_current();
	g_autoptr(GError) e = NULL;
	Store *st;

	if (rt == NULL || runtime_cfg(rt)->metrics_listen == NULL ||
	    (st = runtime_store(rt, &e)) == NULL || metrics_store_save(st, &e))
		return;
	syslog(LOG_WARNING, "metrics: the counts of this run are not saved: %s", e->message);
}

/* The signals that reload the configuration. */
static void reload_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGHUP);
}

/* libmilter's signal thread waits for SIGHUP, SIGTERM and SIGINT with sigwait() and stops
 * the milter on each; two threads waiting for SIGHUP would share it by chance. This
 * definition takes the place of the C library's sigwait() for the whole program, libmilter
 * included (ELF symbol interposition, as with any function a program defines itself): it
 * never takes SIGHUP, which is left to reload_loop (sigwaitinfo(), not this function).
 * SIGTERM and SIGINT stay libmilter's; systemd hears of them here (STOPPING=1), when the
 * stop begins, not seconds later once libmilter has closed its sessions. */
int sigwait(const sigset_t *set, int *sig)
{
	sigset_t mine = *set;
	int s;

	sigdelset(&mine, SIGHUP);
	while ((s = sigwaitinfo(&mine, NULL)) < 0)
		if (errno != EINTR)
			return errno;
	if (s == SIGTERM || s == SIGINT)
		milter_notify_stopping();
	*sig = s;
	return 0;
}

/* Waits for SIGHUP or SIGUSR1 and swaps in a freshly loaded configuration. */
static gpointer reload_loop(gpointer arg)
{
	const Options *o = arg;
	sigset_t set;
	int sig;

	reload_signals(&set);
	for (;;) {
		g_autoptr(GError) e = NULL;
		g_autoptr(Cfg) cfg = NULL;
		g_autoptr(Runtime) rt = NULL;

		if ((sig = sigwaitinfo(&set, NULL)) < 0)
			continue;
		milter_notify_reloading(sig == SIGHUP ? "SIGHUP" : "SIGUSR1");
		if ((cfg = load_config(o, &e)) == NULL || (rt = runtime_new(cfg, &e)) == NULL) {
			syslog(LOG_ERR, "reload refused, keeping the running configuration: %s",
			       e->message);
			milter_notify_reload_refused(e->message);
			metrics_reload(FALSE);
			continue;
		}
		g_autoptr(Runtime) before = runtime_current();
		if (before != NULL) {
			httpd_reloaded("[metrics] listen", runtime_cfg(before)->metrics_listen,
			               cfg->metrics_listen);
			httpd_reloaded("[reports] listen", runtime_cfg(before)->reports_listen,
			               cfg->reports_listen);
		}
		runtime_install(rt);
		metrics_reload(TRUE);
		syslog(LOG_INFO, "configuration reloaded from %s (%s)", o->config,
		       sig == SIGHUP ? "SIGHUP" : "SIGUSR1");
		milter_notify_reloaded();
	}
	return NULL;
}

/* Sends the digests that are due, every DIGEST_PERIOD seconds, with the current runtime.
 * A store that fails is logged at most every DIGEST_LOG_EVERY seconds. */
static gpointer digest_loop(gpointer unused)
{
	gint64 logged = 0;

	(void)unused;
	for (;;) {
		g_usleep(DIGEST_PERIOD * G_USEC_PER_SEC);
		g_autoptr(Runtime) rt = runtime_current();
		g_autoptr(GError) e = NULL;
		gint64 now = g_get_real_time() / G_USEC_PER_SEC;

		if (rt == NULL || !cfg_limits_on(runtime_cfg(rt)))
			continue;
		if (flush_digests(rt, now, &e) < 0 && now - logged >= DIGEST_LOG_EVERY) {
			logged = now;
			syslog(LOG_ERR, "digests: %s", e ? e->message : "the store cannot be read");
		}
	}
	return NULL;
}

/* Writes what the sessions noted (the last job sent, the last error) to the store of the
 * current runtime, once a second when there is something new; a failing store is logged
 * at most every DIGEST_LOG_EVERY seconds, and the notes wait for it. */
static gpointer activity_loop(gpointer unused)
{
	gint64 logged = 0;

	(void)unused;
	for (;;) {
		g_usleep(G_USEC_PER_SEC);
		g_autoptr(Runtime) rt = runtime_current();
		g_autoptr(GError) e = NULL;
		gint64 now = g_get_real_time() / G_USEC_PER_SEC;

		if (rt != NULL && !activity_flush(runtime_store(rt, NULL), &e) &&
		    now - logged >= DIGEST_LOG_EVERY) {
			logged = now;
			syslog(LOG_ERR, "status: %s", e->message);
		}
	}
	return NULL;
}

/* Checks the credits left when due, with the current runtime, while credits_alarm is set
 * or the metrics show mail2sms_credits_left: the first look at start-up, then every
 * CREDITS_LOOK seconds. */
static gpointer credits_loop(gpointer unused)
{
	(void)unused;
	for (;;) {
		g_autoptr(Runtime) rt = runtime_current();
		g_autoptr(GError) e = NULL;

		if (rt != NULL && (runtime_cfg(rt)->ovh_credits_alarm != 0 ||
		                   runtime_cfg(rt)->metrics_listen != NULL) &&
		    credits_check(rt, g_get_real_time() / G_USEC_PER_SEC, TRUE, &e) < 0)
			syslog(LOG_WARNING, "credits: not checked: %s", e->message);
		g_clear_pointer(&rt, runtime_unref);
		g_usleep(CREDITS_LOOK * G_USEC_PER_SEC);
	}
	return NULL;
}

/* Polls OVH for replies ([replies] enable) and delivery reports ([reports] listen empty),
 * each every its own poll seconds from start-up, with the current runtime. */
static gpointer poll_loop(gpointer unused)
{
	gint64 start = g_get_real_time() / G_USEC_PER_SEC, replies_at = 0, reports_at = 0;

	(void)unused;
	for (;;) {
		g_usleep(POLL_LOOK * G_USEC_PER_SEC);
		g_autoptr(Runtime) rt = runtime_current();
		g_autoptr(GError) e = NULL;
		gint64 now = g_get_real_time() / G_USEC_PER_SEC;

		if (rt == NULL)
			continue;
		const Cfg *cfg = runtime_cfg(rt);
		if (cfg->replies_enable && now >= MAX(replies_at, start + cfg->replies_poll)) {
			replies_at = now + cfg->replies_poll;
			if (store_take_turn(runtime_store(rt, NULL), "replies", now, cfg->replies_poll) &&
			    replies_poll(rt, now, &e) < 0)
				syslog(LOG_WARNING, "replies: not polled: %s", e->message);
			g_clear_error(&e);
		}
		if (cfg_reports_polled(cfg) && now >= MAX(reports_at, start + cfg->reports_poll)) {
			reports_at = now + cfg->reports_poll;
			if (store_take_turn(runtime_store(rt, NULL), "reports", now, cfg->reports_poll) &&
			    reports_poll(rt, now, &e) < 0)
				syslog(LOG_WARNING, "reports: not polled: %s", e->message);
		}
	}
	return NULL;
}

/* The listener CFG's LISTEN/HOST/PORT name, bound now (-1: none); trouble is logged. */
static int bind_listener(const char *key, const char *listen, const char *host, guint port)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *what = g_strdup_printf("%s = %s", key, listen ? listen : "");
	int fd = listen != NULL ? httpd_bind(what, host, port, &e) : -1;

	if (fd < 0 && e != NULL)
		syslog(LOG_ERR, "%s: serving mail without it", e->message);
	return fd;
}

/* Serves FD (-1: nothing) with HANDLER; trouble is logged. */
static Httpd *serve_listener(int fd, const char *key, HttpdHandler handler)
{
	g_autoptr(GError) e = NULL;
	Httpd *h = fd >= 0 ? httpd_start(fd, key, handler, &e) : NULL;

	if (fd >= 0 && h == NULL)
		syslog(LOG_ERR, "%s: serving mail without it", e->message);
	return h;
}

/* The command line into O; FALSE with a usage error printed. */
static gboolean parse_options(int argc, char **argv, Options *o)
{
	const GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config,
		  "configuration file (default " CFG_DEFAULT_PATH ")", "FILE" },
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &o->foreground, "stay in the foreground",
		  NULL },
		{ "socket", 'p', 0, G_OPTION_ARG_STRING, &o->socket,
		  "socket: inet:PORT@HOST or local:/path (overrides [milter] socket)", "SOCKET" },
		{ "user", 'u', 0, G_OPTION_ARG_STRING, &o->user, "user to run as after start-up",
		  "USER" },
		{ "pidfile", 'P', 0, G_OPTION_ARG_FILENAME, &o->pidfile, "write the pid to FILE",
		  "FILE" },
		{ "check", 'n', 0, G_OPTION_ARG_NONE, &o->check_only,
		  "check the configuration and exit", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "print the versions and exit",
		  NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	g_autoptr(GError) e = NULL;

	g_option_context_set_summary(ctx, "Sends mail addressed to phone numbers as SMS through "
	                                  "the OVHcloud API (a Postfix and Sendmail milter).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &e) || argc > 1) {
		die(EX_USAGE, "%s (see --help)", e ? e->message : "unexpected argument");
		return FALSE;
	}
	/* Absolute, since the daemon leaves its working directory before a reload reads it. */
	g_autofree char *path = o->config;
	o->config = g_canonicalize_filename(path ? path : CFG_DEFAULT_PATH, NULL);
	return TRUE;
}

int main(int argc, char **argv)
{
	/* Static: reload_loop reads it until the process exits, after main's frame is gone. */
	static Options o;
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) cfg = NULL;
	g_autoptr(Runtime) rt = NULL;
	const char *sock_path;
	sigset_t set;
	unsigned int major, minor, patch;
	int rc, metrics_fd, reports_fd;
	Httpd *metrics = NULL, *reports = NULL;

	msg_init();  /* before libmilter's threads parse anything */
	if (!parse_options(argc, argv, &o))
		return EX_USAGE;
	if (o.version) {
		smfi_version(&major, &minor, &patch);
		printf("mail2sms-milter %s, libmilter %u.%u.%u\n", M2S_VERSION, major, minor, patch);
		return EX_OK;
	}
	openlog("mail2sms-milter", LOG_PID | (o.foreground ? LOG_PERROR : 0), LOG_MAIL);
	if ((cfg = load_config(&o, &e)) == NULL || (rt = runtime_new(cfg, &e)) == NULL)
		return die(m2s_error_sysexit(e), "%s", e->message);
	if (o.check_only) {
		printf("%s: configuration OK\n", o.config);
		return EX_OK;
	}
	sock_path = unix_path(cfg->milter_socket);
	if (sock_path && !clear_stale_socket(sock_path, &e))
		return die(EX_UNAVAILABLE, "%s", e->message);
	if (smfi_setconn(cfg->milter_socket) != MI_SUCCESS || smfi_register(milter_desc) != MI_SUCCESS)
		return die(EX_SOFTWARE, "cannot register with libmilter");
	umask(cfg->milter_umask);
	if (smfi_opensocket(FALSE) != MI_SUCCESS)
		return die(EX_UNAVAILABLE, "cannot open the socket %s", cfg->milter_socket);
	metrics_fd = bind_listener("[metrics] listen", cfg->metrics_listen, cfg->metrics_host,
	                           cfg->metrics_port);
	reports_fd = bind_listener("[reports] listen", cfg->reports_listen, cfg->reports_host,
	                           cfg->reports_port);
	if (!drop_privileges(cfg->milter_user, sock_path, &e))
		return die(EX_NOPERM, "%s", e->message);
	if (!o.foreground && daemon(0, 0) != 0)
		return die(EX_OSERR, "cannot go to the background: %s", g_strerror(errno));
	if (!write_pidfile(cfg->milter_pidfile, &e))
		return die(EX_CANTCREAT, "%s", e->message);
	runtime_install(rt);
	/* Blocked before any thread starts: SIGHUP and SIGUSR1 are for reload_loop alone, and
	 * the signals libmilter handles (it blocks them only when smfi_main starts) must not
	 * reach a thread that would die of them. */
	reload_signals(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	g_thread_unref(g_thread_new("reload", reload_loop, &o));
	g_thread_unref(g_thread_new("digests", digest_loop, NULL));
	g_thread_unref(g_thread_new("activity", activity_loop, NULL));
	g_thread_unref(g_thread_new("credits", credits_loop, NULL));
	g_thread_unref(g_thread_new("poll", poll_loop, NULL));
	metrics = serve_listener(metrics_fd, "[metrics] listen", metrics_http_answer);
	reports = serve_listener(reports_fd, "[reports] listen", reports_http_answer);
	/* READY=1 waits for libmilter's first answer on the socket, which smfi_main gives. */
	milter_notify_start(cfg->milter_socket);
	syslog(LOG_INFO, "started on %s%s%s%s%s", cfg->milter_socket,
	       metrics ? ", metrics on " : "", metrics ? cfg->metrics_listen : "",
	       reports ? ", delivery callbacks on " : "", reports ? cfg->reports_listen : "");
	rc = smfi_main();
	milter_notify_stopping();
	httpd_stop(metrics);
	httpd_stop(reports);
	save_metrics();
	syslog(LOG_INFO, "stopped");
	/* The last second's notes, which the activity thread has not written yet. */
	g_autoptr(Runtime) last = runtime_current();
	if (last != NULL)
		activity_flush(runtime_store(last, NULL), NULL);
	runtime_install(NULL);
	if (cfg->milter_pidfile && *cfg->milter_pidfile)
		unlink(cfg->milter_pidfile);
	return rc == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}

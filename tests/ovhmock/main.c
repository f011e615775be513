/*
 * main.c: ovhmock's entry point. Reads the command line (keys, consumers, services, invalid
 * prefixes, ports, certificate, log, pidfile), fills in the defaults, binds both loopback
 * ports itself so that a port in use is reported by name, starts the HTTPS and control
 * servers and waits for SIGTERM or SIGINT to stop them cleanly.
 * It must not print anything on stdout, and nothing on stderr but errors.
 */
#include "mock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: ovhmock --port N --control-port N --cert FILE --key FILE [--log FILE]\n"
	"               [--app AK:AS]... [--consumer CK:AK[:RULES]]... [--expired-consumer CK:AK]...\n"
	"               [--service NAME[:CREDITS]]... [--invalid-prefix P]... [--pidfile FILE]\n"
	"Defaults: --app ak:as --consumer ck:<first app> --service sms-xx11111-1:1000\n"
	"          --invalid-prefix +3369999. RULES: \"METHOD PATH;...\", '*' a wildcard.\n";

static void consumer_free(gpointer p)
{
	struct mock_consumer *c = p;

	g_free(c->key);
	g_free(c->app);
	if (c->rules)
		g_ptr_array_unref(c->rules);
	g_free(c);
}

static void service_free(gpointer p)
{
	struct mock_service *s = p;

	g_free(s->name);
	g_free(s->callback);
	g_free(s->stop_callback);
	g_free(s->description);
	g_free(s);
}

static void json_free(gpointer p)
{
	json_object_put(p);
}

static int parse_port(const char *opt, const char *text)
{
	char *end = NULL;
	long n = strtol(text, &end, 10);

	if (!*text || *end || n < 1 || n > 65535) {
		fprintf(stderr, "ovhmock: %s %s: expected a port number 1-65535\n", opt, text);
		exit(2);
	}
	return (int)n;
}

/* A listening TCP socket on 127.0.0.1:port, or -1 with a message. */
static int listen_on(int port, const char *what)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1024) < 0) {
		fprintf(stderr, "ovhmock: %s port 127.0.0.1:%d: %s\n", what, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void die(GError *err)
{
	fprintf(stderr, "ovhmock: %s\n", err->message);
	g_error_free(err);
	exit(2);
}

int main(int argc, char **argv)
{
	enum { O_PORT = 1, O_CPORT, O_CERT, O_KEY, O_LOG, O_APP, O_CONSUMER, O_EXPIRED,
	       O_SERVICE, O_PREFIX, O_PIDFILE, O_HELP };
	static const struct option opts[] = {
		{ "port", required_argument, NULL, O_PORT },
		{ "control-port", required_argument, NULL, O_CPORT },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "log", required_argument, NULL, O_LOG },
		{ "app", required_argument, NULL, O_APP },
		{ "consumer", required_argument, NULL, O_CONSUMER },
		{ "expired-consumer", required_argument, NULL, O_EXPIRED },
		{ "service", required_argument, NULL, O_SERVICE },
		{ "invalid-prefix", required_argument, NULL, O_PREFIX },
		{ "pidfile", required_argument, NULL, O_PIDFILE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	g_autoptr(GPtrArray) apps = g_ptr_array_new();
	g_autoptr(GPtrArray) consumers = g_ptr_array_new();
	g_autoptr(GPtrArray) expired = g_ptr_array_new();
	g_autoptr(GPtrArray) services = g_ptr_array_new();
	const char *cert = NULL, *key = NULL, *logpath = NULL, *pidfile = NULL;
	int port = 0, cport = 0, opt, fd, cfd, sig;
	struct MHD_Daemon *https, *control;
	GError *err = NULL;
	struct mock m = { 0 };
	sigset_t set;

	pthread_mutex_init(&m.lock, NULL);
	m.apps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	m.consumers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, consumer_free);
	m.services = g_ptr_array_new_with_free_func(service_free);
	m.invalid_prefixes = g_ptr_array_new_with_free_func(g_free);
	m.jobs = g_ptr_array_new_with_free_func(json_free);
	m.states = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	m.incoming = g_ptr_array_new_with_free_func(incoming_free);
	m.next_incoming = MOCK_FIRST_INCOMING;
	m.rand = g_rand_new_with_seed(0);

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_PORT: port = parse_port("--port", optarg); break;
		case O_CPORT: cport = parse_port("--control-port", optarg); break;
		case O_CERT: cert = optarg; break;
		case O_KEY: key = optarg; break;
		case O_LOG: logpath = optarg; break;
		case O_APP: g_ptr_array_add(apps, optarg); break;
		case O_CONSUMER: g_ptr_array_add(consumers, optarg); break;
		case O_EXPIRED: g_ptr_array_add(expired, optarg); break;
		case O_SERVICE: g_ptr_array_add(services, optarg); break;
		case O_PREFIX: g_ptr_array_add(m.invalid_prefixes, g_strdup(optarg)); break;
		case O_PIDFILE: pidfile = optarg; break;
		case O_HELP: fputs(usage, stderr); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc || !port || !cport || !cert || !key) {
		fprintf(stderr, "ovhmock: %s\n%s",
			optind < argc ? "unexpected argument"
				      : "--port, --control-port, --cert and --key are required",
			usage);
		return 2;
	}
	if (port == cport) {
		fprintf(stderr, "ovhmock: --port and --control-port must differ\n");
		return 2;
	}
	m.port = port;

	if (apps->len == 0)
		g_ptr_array_add(apps, "ak:as");
	for (guint i = 0; i < apps->len; i++)
		if (!auth_add_app(&m, apps->pdata[i], &err))
			die(err);
	if (consumers->len == 0) {
		g_autofree char *first = g_strndup(apps->pdata[0], strcspn(apps->pdata[0], ":"));
		g_autofree char *spec = g_strconcat("ck:", first, NULL);

		if (!auth_add_consumer(&m, spec, FALSE, &err))
			die(err);
	}
	for (guint i = 0; i < consumers->len; i++)
		if (!auth_add_consumer(&m, consumers->pdata[i], FALSE, &err))
			die(err);
	for (guint i = 0; i < expired->len; i++)
		if (!auth_add_consumer(&m, expired->pdata[i], TRUE, &err))
			die(err);
	if (services->len == 0)
		g_ptr_array_add(services, "sms-xx11111-1");
	for (guint i = 0; i < services->len; i++)
		if (!sms_add_service(&m, services->pdata[i], &err))
			die(err);
	if (m.invalid_prefixes->len == 0)
		g_ptr_array_add(m.invalid_prefixes, g_strdup("+3369999"));

	/* Threads started from here on inherit the blocked signals; sigwait() takes them. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((fd = listen_on(port, "HTTPS")) < 0 || (cfd = listen_on(cport, "control")) < 0)
		return 1;
	if (logpath && !(m.log = log_open(logpath, &err)))
		die(err);
	if (!(https = server_start(&m, fd, cert, key, &err)))
		die(err);
	if (!(control = control_start(&m, cfd, &err)))
		die(err);
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
			fprintf(stderr, "ovhmock: --pidfile %s: %s\n", pidfile, strerror(errno));
			return 1;
		}
	}

	do
		sigwait(&set, &sig);
	while (sig == SIGHUP);

	MHD_stop_daemon(control);
	MHD_stop_daemon(https);
	close(cfd);
	close(fd);
	if (pidfile)
		unlink(pidfile);
	log_close(m.log);
	g_ptr_array_unref(m.jobs);
	g_hash_table_unref(m.states);
	g_ptr_array_unref(m.incoming);
	g_rand_free(m.rand);
	g_ptr_array_unref(m.services);
	g_ptr_array_unref(m.invalid_prefixes);
	g_hash_table_unref(m.consumers);
	g_hash_table_unref(m.apps);
	return 0;
}

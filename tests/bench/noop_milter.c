/* noop_milter.c: a milter that accepts everything, the baseline of tools/bench.
 *
 * It sees the envelope of every message (connect, MAIL, RCPT, end of message) and answers
 * "continue" to each; libmilter tells the MTA to skip what it has no callback for (HELO,
 * headers, body), so the MTA pays the milter round trips and nothing else. With -l FILE
 * it also writes one line per connection with what the MTA reported (host name, address
 * family, address, port, a few macros): tools and tests use it to see how Postfix presents
 * a connection. It must not alter, delay or refuse any mail.
 *
 * With -a it answers "accept" at connect instead: the MTA then says nothing more to it for
 * the rest of the connection, the least a milter can cost.
 *
 * Build: cc -O2 -o noop_milter noop_milter.c -lmilter -lpthread
 * Usage: noop_milter [-a] -p inet:PORT@127.0.0.1 [-l FILE] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libmilter/mfapi.h>

static FILE *conn_log;
static int accept_at_connect;
static pthread_mutex_t conn_log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);
	return v ? v : "-";
}

/* One line per connection: host, family, address and port as libmilter decoded them. */
static sfsistat on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	char addr[INET6_ADDRSTRLEN] = "-";
	const char *family = "none";
	unsigned port = 0;

	if (conn_log == NULL)
		return accept_at_connect ? SMFIS_ACCEPT : SMFIS_CONTINUE;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		family = "inet";
		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
		port = ntohs(in->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		family = "inet6";
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof addr);
		port = ntohs(in6->sin6_port);
	} else if (sa && sa->sa_family == AF_UNIX) {
		family = "unix";
	}
	pthread_mutex_lock(&conn_log_lock);
	fprintf(conn_log, "connect host=%s family=%s addr=%s port=%u daemon_name=%s client_addr=%s\n",
	        host ? host : "(null)", family, addr, port, macro(ctx, "{daemon_name}"),
	        macro(ctx, "{client_addr}"));
	fflush(conn_log);
	pthread_mutex_unlock(&conn_log_lock);
	return accept_at_connect ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc noop_desc = {
	.xxfi_name = "noop",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_connect = on_connect,
	.xxfi_envfrom = on_envfrom,
	.xxfi_envrcpt = on_envrcpt,
	.xxfi_eom = on_eom,
};

int main(int argc, char **argv)
{
	const char *sock = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "ap:l:")) != -1) {
		switch (opt) {
		case 'a':
			accept_at_connect = 1;
			break;
		case 'p':
			sock = optarg;
			break;
		case 'l':
			if ((conn_log = fopen(optarg, "a")) == NULL) {
				perror(optarg);
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: noop_milter [-a] -p SOCKET [-l FILE]\n");
			return 2;
		}
	}
	if (sock == NULL) {
		fprintf(stderr, "usage: noop_milter [-a] -p SOCKET [-l FILE]\n");
		return 2;
	}
	if (smfi_setconn((char *)sock) != MI_SUCCESS || smfi_register(noop_desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "noop_milter: cannot listen on %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}

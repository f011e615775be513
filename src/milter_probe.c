/* milter_probe.c: asks the milter's own listening socket whether libmilter serves it.
 *
 * One probe is what an MTA does first: connect, send an option negotiation (SMFIC_OPTNEG),
 * read libmilter's answer (SMFIR_OPTNEG), then quit. It succeeds only when libmilter's
 * accept loop took the connection and one of its worker threads ran the negotiation, so it
 * tells a milter that serves mail from a process that is merely alive (systemd's watchdog
 * must hear from the former only). It promises an answer within the timeout given, whatever
 * the other end does, and reads at most PROBE_MAX_REPLY bytes.
 * It must not go further than the negotiation (no connection information, no message: the
 * callbacks that act on mail never run for a probe), must not resolve a host name more than
 * once (a DNS server that hangs must not look like a hung milter), and must not log: the
 * caller decides what a failure means. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <libmilter/mfdef.h>
#include "milter_probe.h"
#include "error.h"

/* The longest SMFIR_OPTNEG answer read: 12 bytes of options and the macro lists the milter
 * asks for, a few hundred bytes in practice. */
#define PROBE_MAX_REPLY 65536

struct MilterProbe {
	char *spec;
	GArray *addrs;  /* struct sockaddr_storage, with their lengths in addr_lens */
	GArray *addr_lens;  /* socklen_t */
};

void milter_probe_free(MilterProbe *p)
{
	if (p == NULL)
		return;
	g_free(p->spec);
	g_array_unref(p->addrs);
	g_array_unref(p->addr_lens);
	g_free(p);
}

/* Appends one address to P's list. */
static void add_addr(MilterProbe *p, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage ss = { 0 };

	memcpy(&ss, sa, MIN((gsize)len, sizeof ss));
	g_array_append_val(p->addrs, ss);
	g_array_append_val(p->addr_lens, len);
}

/* The unix socket at PATH. */
static gboolean add_unix(MilterProbe *p, const char *path, GError **err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (*path == '\0' || strlen(path) >= sizeof sun.sun_path) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s: not a unix socket path a probe can use",
		            p->spec);
		return FALSE;
	}
	g_strlcpy(sun.sun_path, path, sizeof sun.sun_path);
	add_addr(p, (struct sockaddr *)&sun, sizeof sun);
	return TRUE;
}

/* Loopback in place of a wildcard address, which a listener binds but a client should not
 * connect to. */
static void unwildcard(struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		if (in->sin_addr.s_addr == htonl(INADDR_ANY))
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
	}
}

/* "PORT@HOST" or "PORT" of FAMILY, resolved: HOST may be a name, an address, or an
 * address in brackets, as libmilter reads them. */
static gboolean add_inet(MilterProbe *p, int family, const char *rest, GError **err)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	g_autofree char *port = g_strdup(rest);
	char *host = strchr(port, '@');
	gsize hlen;
	int rc;

	if (host) {
		*host++ = '\0';
		hlen = strlen(host);
		if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
			host[hlen - 1] = '\0';
			host++;
		}
		if (*host == '\0')
			host = NULL;
	}
	if (*port == '\0') {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s: no port", p->spec);
		return FALSE;
	}
	if (host == NULL)
		hints.ai_flags |= AI_PASSIVE;  /* the wildcard address, made loopback below */
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s: %s", p->spec, gai_strerror(rc));
		return FALSE;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		unwildcard(ai->ai_addr);
		add_addr(p, ai->ai_addr, ai->ai_addrlen);
	}
	freeaddrinfo(res);
	if (p->addrs->len == 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s: no address", p->spec);
		return FALSE;
	}
	return TRUE;
}

MilterProbe *milter_probe_new(const char *spec, GError **err)
{
	g_autoptr(MilterProbe) p = g_new0(MilterProbe, 1);
	const char *colon = strchr(spec, ':');
	g_autofree char *proto = colon ? g_strndup(spec, colon - spec) : NULL;
	const char *rest = colon ? colon + 1 : spec;
	gboolean ok;

	p->spec = g_strdup(spec);
	p->addrs = g_array_new(FALSE, TRUE, sizeof(struct sockaddr_storage));
	p->addr_lens = g_array_new(FALSE, TRUE, sizeof(socklen_t));
	if (proto == NULL || g_ascii_strcasecmp(proto, "unix") == 0 ||
	    g_ascii_strcasecmp(proto, "local") == 0)
		ok = add_unix(p, rest, err);
	else if (g_ascii_strcasecmp(proto, "inet") == 0)
		ok = add_inet(p, AF_INET, rest, err);
	else if (g_ascii_strcasecmp(proto, "inet6") == 0)
		ok = add_inet(p, AF_INET6, rest, err);
	else {
		g_set_error(err, M2S_ERROR, M2S_ERR_CONFIG, "%s: unknown socket type %s", spec, proto);
		ok = FALSE;
	}
	return ok ? g_steal_pointer(&p) : NULL;
}

/* Milliseconds left before DEADLINE (monotonic microseconds), 0 when it passed. */
static int left_ms(gint64 deadline)
{
	gint64 left = deadline - g_get_monotonic_time();

	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

/* Waits until FD is ready for EVENTS or DEADLINE passes. */
static gboolean wait_fd(int fd, short events, gint64 deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ms, rc;

	while ((ms = left_ms(deadline)) > 0) {
		rc = poll(&pfd, 1, ms);
		if (rc > 0)
			return TRUE;
		if (rc < 0 && errno != EINTR)
			return FALSE;
	}
	errno = ETIMEDOUT;
	return FALSE;
}

/* A non-blocking connection to one of P's addresses, or -1 with the last error in errno. */
static int connect_one(const MilterProbe *p, gint64 deadline)
{
	int fd = -1, e = ECONNREFUSED;
	socklen_t elen = sizeof e;

	for (guint i = 0; i < p->addrs->len; i++) {
		const struct sockaddr_storage *ss =
			&g_array_index(p->addrs, struct sockaddr_storage, i);
		socklen_t len = g_array_index(p->addr_lens, socklen_t, i);

		fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, (const struct sockaddr *)ss, len) == 0)
			return fd;
		e = errno;
		if (e == EINPROGRESS) {
			if (wait_fd(fd, POLLOUT, deadline) &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0)
				return fd;
			if (e == EINPROGRESS)
				e = errno;
		}
		close(fd);
	}
	errno = e;
	return -1;
}

/* Writes all of BUF to FD before DEADLINE. */
static gboolean write_all(int fd, const guint8 *buf, gsize len, gint64 deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return FALSE;
		} else if (n < 0 && errno == EAGAIN && !wait_fd(fd, POLLOUT, deadline)) {
			return FALSE;
		}
	}
	return TRUE;
}

/* Reads exactly LEN bytes into BUF before DEADLINE; end of file is an error (EPIPE). */
static gboolean read_all(int fd, guint8 *buf, gsize len, gint64 deadline)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n > 0) {
			buf += n;
			len -= n;
		} else if (n == 0) {
			errno = EPIPE;
			return FALSE;
		} else if (errno != EAGAIN && errno != EINTR) {
			return FALSE;
		} else if (errno == EAGAIN && !wait_fd(fd, POLLIN, deadline)) {
			return FALSE;
		}
	}
	return TRUE;
}

/* Appends a 32-bit integer in network order, as the milter protocol writes them. */
static void put32(GByteArray *b, guint32 v)
{
	guint32 n = htonl(v);

	g_byte_array_append(b, (const guint8 *)&n, sizeof n);
}

/* Reads a 32-bit integer in network order. */
static guint32 get32(const guint8 *p)
{
	guint32 n;

	memcpy(&n, p, sizeof n);
	return ntohl(n);
}

/* The negotiation on a connected FD: SMFIC_OPTNEG out, SMFIR_OPTNEG checked, SMFIC_QUIT. */
static gboolean negotiate(int fd, gint64 deadline, GError **err)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autofree guint8 *reply = NULL;
	guint8 head[MILTER_LEN_BYTES];
	guint32 len;

	/* What an MTA offers: protocol version 6, every action, every protocol step. */
	put32(out, 1 + MILTER_OPTLEN);
	g_byte_array_append(out, (const guint8 *)"O", 1);
	put32(out, 6);
	put32(out, SMFI_CURR_ACTS);
	put32(out, SMFI_CURR_PROT);
	if (!write_all(fd, out->data, out->len, deadline)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_UNREACHABLE, "sending the negotiation: %s",
		            g_strerror(errno));
		return FALSE;
	}
	if (!read_all(fd, head, sizeof head, deadline)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_UNREACHABLE, "no answer to the negotiation: %s",
		            errno == ETIMEDOUT ? "timed out" : g_strerror(errno));
		return FALSE;
	}
	len = get32(head);
	if (len < 1 + MILTER_OPTLEN || len > PROBE_MAX_REPLY) {
		g_set_error(err, M2S_ERROR, M2S_ERR_UNREACHABLE,
		            "an answer of %u bytes is no option negotiation", len);
		return FALSE;
	}
	reply = g_malloc(len);
	if (!read_all(fd, reply, len, deadline)) {
		g_set_error(err, M2S_ERROR, M2S_ERR_UNREACHABLE, "the negotiation's answer is cut: %s",
		            errno == ETIMEDOUT ? "timed out" : g_strerror(errno));
		return FALSE;
	}
	if (reply[0] != SMFIC_OPTNEG || get32(reply + 1) < 2) {
		g_set_error(err, M2S_ERROR, M2S_ERR_UNREACHABLE,
		            "the answer is command '%c', version %u, not an option negotiation",
		            g_ascii_isprint(reply[0]) ? reply[0] : '?', get32(reply + 1));
		return FALSE;
	}
	/* Goodbye, so that libmilter ends the session as it does an MTA's; a goodbye that does
	 * not go through changes nothing: libmilter then sees the connection close. */
	g_byte_array_set_size(out, 0);
	put32(out, 1);
	g_byte_array_append(out, (const guint8 *)"Q", 1);
	write_all(fd, out->data, out->len, deadline);
	return TRUE;
}

gboolean milter_probe_run(const MilterProbe *p, int timeout_ms, GError **err)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	gboolean ok;
	int fd;

	if ((fd = connect_one(p, deadline)) < 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_UNREACHABLE, "cannot connect: %s",
		            errno == ETIMEDOUT ? "timed out" : g_strerror(errno));
		return FALSE;
	}
	ok = negotiate(fd, deadline, err);
	close(fd);
	return ok;
}

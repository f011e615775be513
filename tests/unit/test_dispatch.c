/* test_dispatch.c: the sending logic (dispatch.c, send.c, runtime.c) against the stand-in
 * OVH API: sent, already sent, found by asking, in doubt, refused, transient failures, and
 * a digest of held alerts (flush.c) posted like any job.
 *
 * The group setup starts bin/ovhmock on free loopback ports with a throw-away CA made by the
 * openssl CLI (as tests/lib/mock.sh does); each test resets it, sets faults through its
 * plain-HTTP control port and asserts on what it recorded: its jobs, its request count and
 * its request log. The tag memory (tags.c) lives as long as the process, so every test
 * uses tags of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "message.h"
#include <curl/curl.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include "dispatch.h"
#include "error.h"
#include "flood.h"
#include "flush.h"
#include "send.h"
#include "tags.h"

extern char **environ;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

/* Throw-away credentials known only to this test's stand-in. */
#define AK "dispatch-ak"
#define AS "dispatch-as"
#define CK "dispatch-ck"
#define CK_NO_LOOKUP "dispatch-ck-post"  /* may post jobs, may not ask OVH by tag */
#define SERVICE "sms-dt12345-1"
#define MAIL_DOMAIN "sms.example.com"

static struct {
	char *dir;         /* certificates, request log, the stand-in's stderr */
	char *ca;
	char *log;
	char *url;         /* https://127.0.0.1:PORT/1.0 */
	char *ctl;         /* http://127.0.0.1:PORT, the control port */
	pid_t pid;
	Runtime *rt;       /* the configuration every test sends with */
	gsize log_mark;    /* bytes of the request log written before the current test */
} mock;

/* ---- the control port ---- */

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	g_string_append_len(arg, data, (gssize)(size * n));
	return size * n;
}

/* METHOD PATH on the control port with BODY (NULL: none). The reply's body, or NULL with
 * *STATUS 0 when the stand-in did not answer. */
static char *ctl_try(const char *method, const char *path, const char *body, long *status)
{
	g_autofree char *url = g_strconcat(mock.ctl, path, NULL);
	GString *out = g_string_new(NULL);
	struct curl_slist *hl = NULL;
	CURL *h = curl_easy_init();
	CURLcode rc;

	*status = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (strcmp(method, "POST") == 0) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
	}
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* The same where anything but a 200 fails the test. */
static char *ctl(const char *method, const char *path, const char *body)
{
	long status;
	char *reply = ctl_try(method, path, body, &status);

	if (status != 200)
		print_error("control %s %s: HTTP %ld %s\n", method, path, status,
		            reply ? reply : "(no reply)");
	assert_int_equal(status, 200);
	return reply;
}

static void fault(const char *json)
{
	g_free(ctl("POST", "/fault", json));
}

/* The HTTPS requests the stand-in has served since the test began. */
static gint64 requests(void)
{
	g_autofree char *text = ctl("GET", "/stats", NULL);
	json_object *o = json_tokener_parse(text), *v;
	gint64 n = -1;

	if (o && json_object_object_get_ex(o, "requests", &v))
		n = json_object_get_int64(v);
	json_object_put(o);
	assert_true(n >= 0);
	return n;
}

/* The jobs the stand-in executed since the test began (a JSON array, to put). */
static json_object *jobs(void)
{
	g_autofree char *text = ctl("GET", "/jobs", NULL);
	json_object *a = json_tokener_parse(text);

	assert_non_null(a);
	assert_true(json_object_is_type(a, json_type_array));
	return a;
}

/* Field NAME of recorded job I as text; an array's items comma-joined. */
static char *job_field(json_object *jobs, size_t i, const char *name)
{
	json_object *job = json_object_array_get_idx(jobs, i), *v = NULL;
	GString *s = g_string_new(NULL);

	assert_non_null(job);
	assert_true(json_object_object_get_ex(job, name, &v));
	if (json_object_is_type(v, json_type_array)) {
		for (size_t k = 0; k < json_object_array_length(v); k++)
			g_string_append_printf(s, "%s%s", k ? "," : "",
			                       json_object_get_string(json_object_array_get_idx(v, k)));
	} else if (v != NULL) {
		g_string_append(s, json_object_get_string(v));
	}
	return g_string_free(s, FALSE);
}

/* Asserts the count of recorded jobs, and returns them for more checks. */
static json_object *jobs_expect(size_t n)
{
	json_object *a = jobs();

	if (json_object_array_length(a) != n)
		print_error("recorded jobs: %s\n", json_object_to_json_string(a));
	assert_int_equal(json_object_array_length(a), n);
	return a;
}

/* How many METHOD requests about TAG the request log holds since the test began: GET, the
 * look-ups of /outgoing?tag=TAG; POST, the jobs posted under TAG, executed or not. */
static int calls(const char *method, const char *tag)
{
	g_autofree char *text = NULL;
	g_autofree char *query = g_strconcat("tag=", tag, NULL);
	gsize len = 0;
	int n = 0;

	assert_true(g_file_get_contents(mock.log, &text, &len, NULL));
	assert_true(len >= mock.log_mark);
	g_auto(GStrv) lines = g_strsplit(text + mock.log_mark, "\n", -1);
	for (char **l = lines; *l; l++) {
		json_object *o = **l ? json_tokener_parse(*l) : NULL, *v, *b, *t;
		const char *m, *path;

		if (o == NULL)
			continue;
		m = json_object_object_get_ex(o, "method", &v) ? json_object_get_string(v) : "";
		path = json_object_object_get_ex(o, "path", &v) ? json_object_get_string(v) : "";
		if (strcmp(m, method) != 0) {
			json_object_put(o);
			continue;
		}
		/* The look-up's query starts with the tag; the retry window follows it. */
		if (strcmp(m, "GET") == 0 && g_str_has_suffix(path, "/outgoing") &&
		    json_object_object_get_ex(o, "query", &v) && json_object_get_string(v) &&
		    g_str_has_prefix(json_object_get_string(v), query) &&
		    strchr("&", json_object_get_string(v)[strlen(query)]) != NULL)
			n++;
		if (strcmp(m, "POST") == 0 && g_str_has_suffix(path, "/jobs") &&
		    json_object_object_get_ex(o, "body", &b) && b &&
		    json_object_object_get_ex(b, "tag", &t) &&
		    g_strcmp0(json_object_get_string(t), tag) == 0)
			n++;
		json_object_put(o);
	}
	return n;
}

/* ---- starting and stopping the stand-in ---- */

/* A TCP port on 127.0.0.1 that nobody listens on right now. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Runs the openssl CLI with ARGV in the temporary directory; FALSE with its output shown. */
static gboolean openssl(const char *const *argv)
{
	g_autofree char *out = NULL, *errout = NULL;
	g_autoptr(GError) e = NULL;
	int status = 0;

	if (!g_spawn_sync(mock.dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
	                  &errout, &status, &e)) {
		print_error("cannot run openssl: %s\n", e->message);
		return FALSE;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_error("openssl %s failed:\n%s%s\n", argv[1], out, errout);
		return FALSE;
	}
	return TRUE;
}

/* A CA and a server certificate for 127.0.0.1 and localhost signed by it. */
static gboolean make_certs(void)
{
	static const char ca_cnf[] =
		"[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = ca\n"
		"[dn]\nCN = ovhmock test CA\n"
		"[ca]\nbasicConstraints = critical, CA:TRUE\n"
		"keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n";
	static const char server_ext[] =
		"basicConstraints = CA:FALSE\n"
		"keyUsage = critical, digitalSignature, keyEncipherment\n"
		"extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1, DNS:localhost\n"
		"authorityKeyIdentifier = keyid\n";
	static const char *const ca[] = {
		"openssl", "req", "-x509", "-config", "ca.cnf", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
		"-days", "2", NULL
	};
	static const char *const csr[] = {
		"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out",
		"server.csr", "-subj", "/CN=127.0.0.1", NULL
	};
	static const char *const sign[] = {
		"openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
		"-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext", NULL
	};
	g_autofree char *cnf = g_build_filename(mock.dir, "ca.cnf", NULL);
	g_autofree char *ext = g_build_filename(mock.dir, "server.ext", NULL);

	return g_file_set_contents(cnf, ca_cnf, -1, NULL) &&
	       g_file_set_contents(ext, server_ext, -1, NULL) && openssl(ca) && openssl(csr) &&
	       openssl(sign);
}

/* The stand-in's program: $BIN/ovhmock ($BIN absolute or under $TOP), else $TOP/bin/ovhmock,
 * where `make testprogs` puts it even when this test was built elsewhere (the ASan build).
 * Without $TOP, the parent of this program's directory. */
static char *mock_program(void)
{
	const char *bin = g_getenv("BIN");
	g_autofree char *top = g_strdup(g_getenv("TOP"));
	g_autofree char *first = NULL;

	if (top == NULL) {
		g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
		g_autofree char *dir = self ? g_path_get_dirname(self) : g_strdup("bin");
		top = g_path_get_dirname(dir);
	}
	if (bin && *bin)
		first = g_path_is_absolute(bin) ? g_build_filename(bin, "ovhmock", NULL)
		                                : g_build_filename(top, bin, "ovhmock", NULL);
	if (first && g_file_test(first, G_FILE_TEST_IS_EXECUTABLE))
		return g_steal_pointer(&first);
	return g_build_filename(top, "bin", "ovhmock", NULL);
}

/* Starts PROG on two free ports; waits until its control port answers. FALSE when it exited,
 * with *IN_USE when a port was taken between the probe and its bind. */
static gboolean mock_spawn(const char *prog, gboolean *in_use)
{
	int port = free_port(), cport = free_port();
	g_autofree char *p = g_strdup_printf("%d", port), *cp = g_strdup_printf("%d", cport);
	g_autofree char *cert = g_build_filename(mock.dir, "server.pem", NULL);
	g_autofree char *key = g_build_filename(mock.dir, "server.key", NULL);
	g_autofree char *errpath = g_build_filename(mock.dir, "stderr", NULL);
	g_autofree char *errtext = NULL;
	const char *argv[] = {
		prog, "--port", p, "--control-port", cp, "--cert", cert, "--key", key,
		"--log", mock.log, "--app", AK ":" AS, "--consumer", CK ":" AK,
		"--consumer", CK_NO_LOOKUP ":" AK ":POST /sms/*/jobs;GET /sms/*/senders",
		"--service", SERVICE, "--invalid-prefix", "+3369999", NULL
	};
	posix_spawn_file_actions_t fa;
	int rc, status;

	*in_use = FALSE;
	if (port < 0 || cport < 0 || port == cport) {
		*in_use = TRUE;
		return FALSE;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawn(&mock.pid, prog, &fa, NULL, (char **)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		print_error("cannot start %s: %s\n", prog, g_strerror(rc));
		mock.pid = 0;
		return FALSE;
	}
	g_free(mock.url);
	g_free(mock.ctl);
	mock.url = g_strdup_printf("https://127.0.0.1:%d/1.0", port);
	mock.ctl = g_strdup_printf("http://127.0.0.1:%d", cport);
	for (int i = 0; i < 400; i++) {
		long st;
		g_autofree char *reply = ctl_try("GET", "/stats", NULL, &st);

		if (st == 200)
			return TRUE;
		if (waitpid(mock.pid, &status, WNOHANG) == mock.pid) {
			mock.pid = 0;
			g_file_get_contents(errpath, &errtext, NULL, NULL);
			*in_use = errtext && strstr(errtext, "in use");
			if (!*in_use)
				print_error("%s exited: %s\n", prog, errtext ? errtext : "");
			return FALSE;
		}
		g_usleep(25000);
	}
	print_error("%s did not answer on %s within 10 s\n", prog, mock.ctl);
	return FALSE;
}

/* Stops the stand-in (SIGTERM, then SIGKILL after 5 s) and removes the directory. */
static void mock_stop(void)
{
	if (mock.pid > 0) {
		int status;

		kill(mock.pid, SIGTERM);
		for (int i = 0; i < 100 && waitpid(mock.pid, &status, WNOHANG) == 0; i++)
			g_usleep(50000);
		if (waitpid(mock.pid, &status, WNOHANG) == 0) {
			kill(mock.pid, SIGKILL);
			waitpid(mock.pid, &status, 0);
		}
		mock.pid = 0;
	}
	if (mock.dir) {
		GDir *d = g_dir_open(mock.dir, 0, NULL);
		const char *name;

		while (d && (name = g_dir_read_name(d)) != NULL) {
			g_autofree char *path = g_build_filename(mock.dir, name, NULL);
			g_unlink(path);
		}
		if (d)
			g_dir_close(d);
		g_rmdir(mock.dir);
	}
	g_clear_pointer(&mock.dir, g_free);
	g_clear_pointer(&mock.ca, g_free);
	g_clear_pointer(&mock.log, g_free);
	g_clear_pointer(&mock.url, g_free);
	g_clear_pointer(&mock.ctl, g_free);
}

/* ---- configurations and jobs ---- */

/* A configuration that sends through the stand-in as CONSUMER. */
static Cfg *test_cfg(const char *consumer)
{
	Cfg *cfg = cfg_new_default();
	/* The process memory alone: the store's claims have their own tests. */
	g_free(cfg->state_store);
	cfg->state_store = g_strdup("none");

	cfg->ovh_endpoint = g_strdup(mock.url);
	cfg->ovh_base_url = g_strdup(mock.url);
	cfg->ovh_ca_file = g_strdup(mock.ca);
	cfg->ovh_application_key = g_strdup(AK);
	cfg->ovh_application_secret = g_strdup(AS);
	cfg->ovh_consumer_key = g_strdup(consumer);
	cfg->ovh_service = g_strdup(SERVICE);
	cfg->ovh_timeout = 10;
	g_strfreev(cfg->addr_domains);
	cfg->addr_domains = g_strsplit(MAIL_DOMAIN, " ", -1);
	g_strfreev(cfg->addr_allowed_prefixes);
	cfg->addr_allowed_prefixes = g_strsplit("+33", " ", -1);
	g_strfreev(cfg->addr_subject_addresses);
	cfg->addr_subject_addresses = g_strsplit("sms@example.com", " ", -1);
	return cfg;
}

/* A runtime over test_cfg(CONSUMER). */
static Runtime *test_runtime(const char *consumer)
{
	g_autoptr(Cfg) cfg = test_cfg(consumer);
	g_autoptr(GError) e = NULL;
	Runtime *rt = runtime_new(cfg, &e);

	if (rt == NULL)
		print_error("runtime_new: %s\n", e->message);
	return rt;
}

/* A job of TEXT to the receivers that follow (NULL-terminated) under TAG. */
static MsgJob *make_job(const char *tag, const char *text, ...)
{
	MsgJob *j = msg_job_new(tag, gsm_prepare(text, 3, TRUE));
	va_list ap;

	va_start(ap, text);
	for (const char *r; (r = va_arg(ap, const char *)) != NULL;) {
		g_ptr_array_add(j->receivers, g_strdup(r));
		g_ptr_array_add(j->addresses, g_strconcat(r, "@" MAIL_DOMAIN, NULL));
	}
	va_end(ap);
	return j;
}

/* The plan of a mail with HEADERS and BODY sent to its To and Cc. */
static MsgPlan *plan_of(const char *headers, const char *body)
{
	const Cfg *cfg = runtime_cfg(mock.rt);
	g_autofree char *raw = g_strdup_printf("From: alice@example.com\n%s\n"
	                                       "Content-Type: text/plain; charset=utf-8\n\n%s\n",
	                                       headers, body);
	g_autoptr(GError) e = NULL;
	GMimeMessage *m = msg_parse_bytes(cfg, raw, strlen(raw), &e);
	MsgPlan *plan;

	assert_non_null(m);
	plan = msg_plan(cfg, m, NULL);
	g_object_unref(m);
	assert_true(msg_plan_verdict(plan, NULL));
	return plan;
}

static const MsgJob *job_of(const MsgPlan *plan, guint i)
{
	assert_true(i < plan->jobs->len);
	return plan->jobs->pdata[i];
}

/* The state of TAG in the tag memory; *IDS_TEXT (freed first) its ids as "1,2", NULL
 * unless sent. */
static TagState tag_state(const char *tag, char **ids_text)
{
	g_autoptr(GArray) ids = NULL;
	TagState st = tags_state(tag, &ids);

	g_free(*ids_text);
	*ids_text = ids ? ovh_ids_text(ids) : NULL;
	return st;
}

/* Fails the test with ERR's message when R is NULL. */
static void assert_result(const OvhJobResult *r, const GError *err)
{
	if (r == NULL)
		print_error("no result: %s\n", err ? err->message : "(no error)");
	assert_non_null(r);
}

static void assert_error(const GError *err, M2sErrorCode code)
{
	assert_non_null(err);
	if (err->domain != M2S_ERROR || err->code != (int)code)
		print_error("error %d: %s\n", err->code, err->message);
	assert_true(err->domain == M2S_ERROR);
	assert_int_equal(err->code, code);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	g_autofree char *prog = mock_program();
	g_autoptr(GError) e = NULL;
	gboolean in_use = TRUE;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!g_file_test(prog, G_FILE_TEST_IS_EXECUTABLE)) {
		print_error("%s is not built (make testprogs): the stand-in OVH API is needed\n",
		            prog);
		return -1;
	}
	mock.dir = g_dir_make_tmp("dispatch.XXXXXX", &e);
	if (mock.dir == NULL) {
		print_error("temporary directory: %s\n", e->message);
		return -1;
	}
	mock.ca = g_build_filename(mock.dir, "ca.pem", NULL);
	mock.log = g_build_filename(mock.dir, "log.jsonl", NULL);
	if (!make_certs()) {
		mock_stop();
		return -1;
	}
	for (int i = 0; i < 5 && in_use; i++)
		if (mock_spawn(prog, &in_use))
			break;
	if (mock.pid <= 0) {
		print_error("the stand-in OVH API (%s) did not start\n", prog);
		mock_stop();
		return -1;
	}
	mock.rt = test_runtime(CK);
	if (mock.rt == NULL) {
		mock_stop();
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	g_clear_pointer(&mock.rt, runtime_unref);
	mock_stop();
	curl_global_cleanup();
	return 0;
}

/* Before each test: no fault, no job, no request counted, a kept-alive connection with the
 * clock read (a fault that refuses new connections then spares the first request), and the
 * request log read from here on. */
static int fresh(void **state)
{
	g_autoptr(GError) e = NULL;
	GStatBuf st;
	double credits;

	(void)state;
	g_free(ctl("POST", "/reset", NULL));
	if (!ovh_credits(runtime_ovh(mock.rt), &credits, &e)) {
		print_error("the stand-in does not answer: %s\n", e->message);
		return -1;
	}
	g_free(ctl("POST", "/reset", NULL));
	if (g_stat(mock.log, &st) != 0) {
		print_error("%s: %s\n", mock.log, g_strerror(errno));
		return -1;
	}
	mock.log_mark = (gsize)st.st_size;
	return 0;
}

/* ---- dispatch_job ---- */

/* A new tag is posted once, without a look-up; the same job again is not posted. */
static void test_sent_then_already_sent(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-sent", "disk full", "+33612345678", "+33698765432",
	                                 NULL);
	g_autoptr(OvhJobResult) r = NULL, again = NULL, asked = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *ids = NULL, *mem = NULL, *rec = NULL, *rcv = NULL, *tag = NULL;
	g_autofree char *text = NULL, *sender = NULL, *again_ids = NULL, *asked_ids = NULL;
	g_autoptr(json_object) a = NULL;
	DispatchHow how = 0;

	(void)state;
	assert_int_equal(tag_state("dt-sent", &mem), TAG_NEW);
	r = dispatch_job(mock.rt, job, NULL, "ALERTS", FALSE, &how, &e);
	assert_result(r, e);
	assert_false(how & DISPATCH_EARLIER);
	assert_int_equal(r->ids->len, 2);
	assert_int_equal(r->valid->len, 2);
	assert_int_equal(r->invalid->len, 0);
	ids = ovh_ids_text(r->ids);
	assert_int_equal(requests(), 1);
	assert_int_equal(calls("GET", "dt-sent"), 0);
	a = jobs_expect(1);
	rec = job_field(a, 0, "ids");
	rcv = job_field(a, 0, "receivers");
	tag = job_field(a, 0, "tag");
	text = job_field(a, 0, "message");
	sender = job_field(a, 0, "sender");
	assert_string_equal(rec, ids);
	assert_string_equal(rcv, "+33612345678,+33698765432");
	assert_string_equal(tag, "dt-sent");
	assert_string_equal(text, "disk full");
	assert_string_equal(sender, "ALERTS");
	assert_int_equal(tag_state("dt-sent", &mem), TAG_SENT);
	assert_string_equal(mem, ids);

	/* Again, as a retried mail would: the memory answers, OVH is not even asked. */
	again = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(again, e);
	assert_true(how & DISPATCH_EARLIER);
	again_ids = ovh_ids_text(again->ids);
	assert_string_equal(again_ids, ids);
	assert_int_equal(again->valid->len, 2);
	/* With ASK too: a tag known sent needs no look-up. */
	asked = dispatch_job(mock.rt, job, NULL, NULL, TRUE, &how, &e);
	assert_result(asked, e);
	assert_true(how & DISPATCH_EARLIER);
	asked_ids = ovh_ids_text(asked->ids);
	assert_string_equal(asked_ids, ids);
	assert_int_equal(requests(), 1);
	json_object_put(g_steal_pointer(&a));
	a = jobs_expect(1);
}

/* ASK (the delivery agent): a job posted by another process is found under its tag and not
 * posted again; a tag OVH does not know is posted after the look-up. */
static void test_ask_finds_earlier_attempt(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-other-process", "backup failed", "+33612345670",
	                                 NULL);
	g_autoptr(MsgJob) fresh_job = make_job("dt-ask-new", "backup failed", "+33612345671",
	                                       NULL);
	g_autoptr(OvhJobResult) first = NULL, r = NULL, posted = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *first_ids = NULL, *ids = NULL, *mem = NULL, *rcv = NULL;
	g_autoptr(json_object) a = NULL;
	DispatchHow how = 0;
	gint64 before;

	(void)state;
	/* send_job posts without touching the tag memory: as if another process had sent it. */
	first = send_job(runtime_ovh(mock.rt), runtime_cfg(mock.rt), job, NULL, &e);
	assert_result(first, e);
	first_ids = ovh_ids_text(first->ids);
	assert_int_equal(tag_state("dt-other-process", &mem), TAG_NEW);
	before = requests();

	r = dispatch_job(mock.rt, job, NULL, NULL, TRUE, &how, &e);
	assert_result(r, e);
	assert_true(how & DISPATCH_EARLIER);
	ids = ovh_ids_text(r->ids);
	assert_string_equal(ids, first_ids);
	assert_int_equal(r->valid->len, 1);
	assert_string_equal(r->valid->pdata[0], "+33612345670");
	assert_int_equal(requests() - before, 1);
	assert_int_equal(calls("GET", "dt-other-process"), 1);
	assert_int_equal(calls("POST", "dt-other-process"), 1);
	a = jobs_expect(1);
	assert_int_equal(tag_state("dt-other-process", &mem), TAG_SENT);
	assert_string_equal(mem, first_ids);

	/* Unknown at OVH: asked, then posted. */
	before = requests();
	posted = dispatch_job(mock.rt, fresh_job, NULL, NULL, TRUE, &how, &e);
	assert_result(posted, e);
	assert_false(how & DISPATCH_EARLIER);
	assert_int_equal(requests() - before, 2);
	assert_int_equal(calls("GET", "dt-ask-new"), 1);
	assert_int_equal(calls("POST", "dt-ask-new"), 1);
	json_object_put(g_steal_pointer(&a));
	a = jobs_expect(2);
	rcv = job_field(a, 1, "receivers");
	assert_string_equal(rcv, "+33612345671");
	assert_int_equal(tag_state("dt-ask-new", &mem), TAG_SENT);
}

/* The post's reply is lost: the look-up that follows finds the job, which counts as sent. */
static void test_reply_lost_found(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-lost-found", "raid degraded", "+33612345672", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *ids = NULL, *rec = NULL, *dropped = NULL, *mem = NULL;
	g_autoptr(json_object) a = NULL;
	DispatchHow how = 0;

	(void)state;
	fault("{\"drop_after_execute\":1}");
	r = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_false(how & DISPATCH_EARLIER);
	ids = ovh_ids_text(r->ids);
	a = jobs_expect(1);
	rec = job_field(a, 0, "ids");
	dropped = job_field(a, 0, "dropped");
	assert_string_equal(dropped, "true");
	assert_string_equal(ids, rec);
	assert_int_equal(calls("POST", "dt-lost-found"), 1);
	assert_int_equal(calls("GET", "dt-lost-found"), 1);
	assert_int_equal(requests(), 2);
	assert_int_equal(tag_state("dt-lost-found", &mem), TAG_SENT);
	assert_string_equal(mem, ids);
}

/* The post's reply is lost and OVH cannot be asked: in doubt. The next attempt asks first and,
 * finding the job, posts nothing. */
static void test_reply_lost_in_doubt(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-lost-doubt", "ups on battery", "+33612345673", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *ids = NULL, *rec = NULL, *mem = NULL;
	g_autoptr(json_object) a = NULL;
	DispatchHow how = 0;

	(void)state;
	/* The post goes over the connection kept alive; the look-up needs a new one. */
	fault("{\"drop_after_execute\":1,\"refuse\":true}");
	r = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_null(r);
	assert_false(how & DISPATCH_EARLIER);
	/* Executed: whatever failed after the request went out, it is not "unreachable". */
	a = jobs_expect(1);
	assert_int_equal(calls("POST", "dt-lost-doubt"), 1);
	assert_int_equal(calls("GET", "dt-lost-doubt"), 0);
	assert_error(e, M2S_ERR_NO_REPLY);
	assert_non_null(strstr(e->message, "connection lost after the request was sent"));
	assert_int_equal(tag_state("dt-lost-doubt", &mem), TAG_IN_DOUBT);
	assert_null(mem);
	g_clear_error(&e);

	fault("{\"refuse\":false}");
	r = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_true(how & DISPATCH_EARLIER);
	ids = ovh_ids_text(r->ids);
	rec = job_field(a, 0, "ids");
	assert_string_equal(ids, rec);
	assert_int_equal(calls("GET", "dt-lost-doubt"), 1);
	assert_int_equal(calls("POST", "dt-lost-doubt"), 1);
	json_object_put(g_steal_pointer(&a));
	a = jobs_expect(1);
	assert_int_equal(tag_state("dt-lost-doubt", &mem), TAG_SENT);
	assert_string_equal(mem, ids);
}

/* A 5xx on the post: OVH is asked at once. Not listed there, the job was not executed (a 5xx
 * is a reply, unlike a lost one): not in doubt, the retry posts without asking. */
static void test_server_error_not_found(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-503", "disk full", "+33612345674", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *mem = NULL;
	g_autoptr(json_object) a = NULL;
	DispatchHow how = 0;

	(void)state;
	fault("{\"status\":503,\"count\":1}");
	r = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_null(r);
	assert_false(how & DISPATCH_EARLIER);
	assert_error(e, M2S_ERR_SERVER);
	assert_non_null(strstr(e->message, "HTTP 503"));
	assert_int_equal(calls("POST", "dt-503"), 1);
	assert_int_equal(calls("GET", "dt-503"), 1);
	assert_int_equal(requests(), 2);
	a = jobs_expect(0);
	assert_int_equal(tag_state("dt-503", &mem), TAG_NEW);
	g_clear_error(&e);

	r = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_false(how & DISPATCH_EARLIER);
	assert_int_equal(calls("GET", "dt-503"), 1);
	assert_int_equal(calls("POST", "dt-503"), 2);
	json_object_put(g_steal_pointer(&a));
	a = jobs_expect(1);
	assert_int_equal(tag_state("dt-503", &mem), TAG_SENT);
}

/* A 5xx on the post and on the look-up: in doubt. The retry asks, finds nothing, posts. */
static void test_server_error_unanswered(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-503-twice", "disk full", "+33612345675", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *mem = NULL, *ids = NULL;
	g_autoptr(json_object) a = NULL;
	DispatchHow how = 0;

	(void)state;
	fault("{\"status\":503,\"count\":2}");
	r = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_null(r);
	assert_error(e, M2S_ERR_SERVER);
	assert_int_equal(calls("POST", "dt-503-twice"), 1);
	assert_int_equal(calls("GET", "dt-503-twice"), 1);
	assert_int_equal(tag_state("dt-503-twice", &mem), TAG_IN_DOUBT);
	a = jobs_expect(0);
	g_clear_error(&e);

	r = dispatch_job(mock.rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_false(how & DISPATCH_EARLIER);
	ids = ovh_ids_text(r->ids);
	assert_int_equal(calls("GET", "dt-503-twice"), 2);
	assert_int_equal(calls("POST", "dt-503-twice"), 2);
	json_object_put(g_steal_pointer(&a));
	a = jobs_expect(1);
	assert_int_equal(tag_state("dt-503-twice", &mem), TAG_SENT);
	assert_string_equal(mem, ids);
}

/* ASK and the look-up fails: nothing is posted, OVH's error code is kept and the message says
 * why; without the right to ask, the message says which right is missing. */
static void test_ask_lookup_fails(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-ask-503", "disk full", "+33612345676", NULL);
	g_autoptr(MsgJob) denied = make_job("dt-ask-denied", "disk full", "+33612345677", NULL);
	g_autoptr(Runtime) rt = NULL;
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *mem = NULL;
	g_autoptr(json_object) a = NULL;
	DispatchHow how = 0;

	(void)state;
	fault("{\"status\":503,\"count\":1}");
	r = dispatch_job(mock.rt, job, NULL, NULL, TRUE, &how, &e);
	assert_null(r);
	assert_false(how & DISPATCH_EARLIER);
	assert_error(e, M2S_ERR_SERVER);
	assert_true(g_str_has_prefix(e->message, "cannot tell whether an earlier attempt was sent: "));
	assert_non_null(strstr(e->message, "HTTP 503"));
	assert_int_equal(calls("GET", "dt-ask-503"), 1);
	assert_int_equal(calls("POST", "dt-ask-503"), 0);
	assert_int_equal(requests(), 1);
	assert_int_equal(tag_state("dt-ask-503", &mem), TAG_NEW);
	g_clear_error(&e);

	rt = test_runtime(CK_NO_LOOKUP);
	assert_non_null(rt);
	r = dispatch_job(rt, denied, NULL, NULL, TRUE, &how, &e);
	assert_null(r);
	assert_error(e, M2S_ERR_CONFIG);
	assert_true(g_str_has_prefix(e->message, "the consumer key must allow GET /sms/*/outgoing"));
	assert_non_null(strstr(e->message, "NOT_GRANTED_CALL"));
	assert_int_equal(calls("GET", "dt-ask-denied"), 1);
	assert_int_equal(calls("POST", "dt-ask-denied"), 0);
	a = jobs_expect(0);
	assert_int_equal(tag_state("dt-ask-denied", &mem), TAG_NEW);
}

/* ---- send_job ---- */

/* OVH refusing every receiver is a refusal naming them; refusing some leaves a result that
 * names the others. send_job neither asks OVH nor touches the tag memory. */
static void test_send_job_invalid_receivers(void **state)
{
	g_autoptr(MsgJob) none = make_job("dt-all-invalid", "hello", "+33699990001",
	                                  "+33699990002", NULL);
	g_autoptr(MsgJob) some = make_job("dt-some-invalid", "hello", "+33612340001",
	                                  "+33699990003", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *mem = NULL, *ids = NULL, *rec = NULL, *valid = NULL, *invalid = NULL;
	g_autoptr(json_object) a = NULL;

	(void)state;
	r = send_job(runtime_ovh(mock.rt), runtime_cfg(mock.rt), none, NULL, &e);
	assert_null(r);
	assert_error(e, M2S_ERR_NOUSER);
	assert_string_equal(e->message, "OVH refused every receiver (+33699990001, +33699990002)");
	assert_int_equal(tag_state("dt-all-invalid", &mem), TAG_NEW);
	g_clear_error(&e);

	r = send_job(runtime_ovh(mock.rt), runtime_cfg(mock.rt), some, NULL, &e);
	assert_result(r, e);
	assert_int_equal(r->ids->len, 1);
	assert_int_equal(r->valid->len, 1);
	assert_string_equal(r->valid->pdata[0], "+33612340001");
	assert_int_equal(r->invalid->len, 1);
	assert_string_equal(r->invalid->pdata[0], "+33699990003");
	assert_true(r->credits > 0);
	ids = ovh_ids_text(r->ids);
	assert_int_equal(tag_state("dt-some-invalid", &mem), TAG_NEW);
	assert_int_equal(requests(), 2);
	assert_int_equal(calls("GET", "dt-all-invalid") + calls("GET", "dt-some-invalid"), 0);
	a = jobs_expect(2);
	valid = job_field(a, 0, "valid");
	assert_string_equal(valid, "");
	rec = job_field(a, 1, "ids");
	assert_string_equal(rec, ids);
	invalid = job_field(a, 1, "invalid");
	assert_string_equal(invalid, "+33699990003");
}

/* ---- dispatch_plan ---- */

/* Counts the calls of dispatch_plan's progress callback; at call FAULT_AT, sets FAULT. */
typedef struct {
	int calls;
	int fault_at;
	const char *fault;
} Progress;

static void on_progress(void *arg)
{
	Progress *p = arg;

	if (++p->calls == p->fault_at)
		fault(p->fault);
}

/* One job refused by OVH (every receiver invalid) does not hold back the other: that one is
 * sent, the plan fails with the refusal, the report holds what went. */
static void test_plan_one_job_refused(void **state)
{
	/* A plain address (Subject and body) and the subject address (body only): two jobs. */
	g_autoptr(MsgPlan) plan = plan_of("Message-ID: <refused@dispatch.test>\n"
	                                  "To: +33699990001@" MAIL_DOMAIN ", sms@example.com\n"
	                                  "Subject: +33612345678",
	                                  "the disk is full");
	DispatchReport report = { 0 };
	Progress progress = { 0 };
	g_autoptr(GError) e = NULL;
	g_autofree char *mem = NULL, *rcv0 = NULL, *rcv1 = NULL, *ids1 = NULL, *valid0 = NULL;
	g_autoptr(json_object) a = NULL;
	const MsgJob *refused, *fine;

	(void)state;
	assert_int_equal(plan->jobs->len, 2);
	refused = job_of(plan, 0);
	fine = job_of(plan, 1);
	assert_string_equal(refused->receivers->pdata[0], "+33699990001");
	assert_string_equal(fine->receivers->pdata[0], "+33612345678");

	assert_false(dispatch_plan(mock.rt, plan, "QDT1", NULL, FALSE, on_progress, &progress,
	                           &report, &e));
	assert_error(e, M2S_ERR_NOUSER);
	assert_non_null(strstr(e->message, "+33699990001"));
	assert_int_equal(progress.calls, 2);
	a = jobs_expect(2);
	rcv0 = job_field(a, 0, "receivers");
	valid0 = job_field(a, 0, "valid");
	rcv1 = job_field(a, 1, "receivers");
	ids1 = job_field(a, 1, "ids");
	assert_string_equal(rcv0, "+33699990001");
	assert_string_equal(valid0, "");
	assert_string_equal(rcv1, "+33612345678");
	assert_non_null(report.ids);
	assert_string_equal(report.ids->str, ids1);
	assert_string_equal(report.receivers->str, "+33612345678");
	assert_string_equal(report.invalid->str, "");
	assert_int_equal(requests(), 2);
	assert_int_equal(calls("GET", refused->tag) + calls("GET", fine->tag), 0);
	assert_int_equal(tag_state(refused->tag, &mem), TAG_NEW);
	assert_int_equal(tag_state(fine->tag, &mem), TAG_SENT);
	assert_string_equal(mem, ids1);
	dispatch_report_clear(&report);
}

/* A transient failure stops the plan at that job: the later one is not posted, the earlier
 * one is reported; the retry sends only what is left. */
static void test_plan_transient_stops(void **state)
{
	g_autoptr(MsgPlan) plan = plan_of("Message-ID: <transient@dispatch.test>\n"
	                                  "To: +33611110001@" MAIL_DOMAIN ", sms@example.com\n"
	                                  "Subject: +33611110002",
	                                  "load average 42");
	DispatchReport report = { 0 };
	Progress first = { .fault_at = 1, .fault = "{\"status\":429,\"count\":1}" };
	Progress second = { .fault_at = 2, .fault = "{\"status\":429,\"count\":1}" };
	Progress none = { 0 };
	g_autoptr(GError) e = NULL;
	g_autofree char *mem = NULL, *ids0 = NULL, *ids1 = NULL, *rcv0 = NULL, *rcv1 = NULL;
	g_autofree char *both = NULL;
	g_autoptr(json_object) a = NULL;
	const MsgJob *j0, *j1;
	gint64 before;

	(void)state;
	assert_int_equal(plan->jobs->len, 2);
	j0 = job_of(plan, 0);
	j1 = job_of(plan, 1);

	/* Throttled at the first job: the second is not even tried. */
	assert_false(dispatch_plan(mock.rt, plan, "QDT2", NULL, FALSE, on_progress, &first, &report,
	                           &e));
	assert_error(e, M2S_ERR_THROTTLED);
	assert_int_equal(first.calls, 1);
	assert_int_equal(requests(), 1);
	assert_int_equal(calls("POST", j0->tag), 1);
	assert_int_equal(calls("POST", j1->tag), 0);
	assert_int_equal(calls("GET", j0->tag), 0);  /* a 429 is certainly not executed */
	a = jobs_expect(0);
	assert_null(report.ids);
	assert_int_equal(tag_state(j0->tag, &mem), TAG_NEW);
	assert_int_equal(tag_state(j1->tag, &mem), TAG_NEW);
	g_clear_error(&e);

	/* Throttled at the second job: the first went and is reported. */
	assert_false(dispatch_plan(mock.rt, plan, "QDT2", NULL, FALSE, on_progress, &second, &report,
	                           &e));
	assert_error(e, M2S_ERR_THROTTLED);
	assert_int_equal(second.calls, 2);
	json_object_put(g_steal_pointer(&a));
	a = jobs_expect(1);
	ids0 = job_field(a, 0, "ids");
	rcv0 = job_field(a, 0, "receivers");
	assert_string_equal(rcv0, j0->receivers->pdata[0]);
	assert_non_null(report.ids);
	assert_string_equal(report.ids->str, ids0);
	assert_int_equal(tag_state(j0->tag, &mem), TAG_SENT);
	assert_int_equal(tag_state(j1->tag, &mem), TAG_NEW);
	dispatch_report_clear(&report);
	g_clear_error(&e);

	/* The retry: the first job is known sent (no request), the second goes. */
	before = requests();
	assert_true(dispatch_plan(mock.rt, plan, "QDT2", NULL, FALSE, on_progress, &none, &report, &e));
	assert_null(e);
	assert_int_equal(none.calls, 2);
	assert_int_equal(requests() - before, 1);
	assert_int_equal(calls("POST", j0->tag), 2);  /* the throttled one and the one that went */
	json_object_put(g_steal_pointer(&a));
	a = jobs_expect(2);
	ids1 = job_field(a, 1, "ids");
	rcv1 = job_field(a, 1, "receivers");
	assert_string_equal(rcv1, j1->receivers->pdata[0]);
	both = g_strconcat(ids0, ",", ids1, NULL);
	assert_string_equal(report.ids->str, both);
	assert_int_equal(tag_state(j1->tag, &mem), TAG_SENT);
	dispatch_report_clear(&report);
}

/* ---- runtime ---- */

static void test_runtime_needs_endpoint(void **state)
{
	g_autoptr(Cfg) cfg = cfg_new_default();
	g_free(cfg->state_store);
	cfg->state_store = g_strdup("none");
	g_autoptr(GError) e = NULL;

	(void)state;
	assert_null(runtime_new(cfg, &e));
	assert_error(e, M2S_ERR_CONFIG);
	assert_int_equal(cfg->refcount, 1);
}

/* A runtime held by work in progress outlives the install of its replacement, still sends,
 * and is freed with its last reference. */
static void test_runtime_install(void **state)
{
	g_autoptr(MsgJob) job = make_job("dt-old-runtime", "reload", "+33612345679", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	Cfg *cfg_a = test_cfg(CK), *cfg_b = test_cfg(CK);
	Runtime *a, *b, *held, *cur;
	g_autoptr(json_object) jl = NULL;
	DispatchHow how = 0;

	(void)state;
	assert_null(runtime_current());
	a = runtime_new(cfg_a, &e);
	assert_null(e);
	assert_non_null(a);
	b = runtime_new(cfg_b, &e);
	assert_null(e);
	assert_non_null(b);

	runtime_install(a);
	runtime_unref(a);  /* the install's reference is the only one left */
	held = runtime_current();
	assert_ptr_equal(held, a);
	assert_ptr_equal(runtime_cfg(held), cfg_a);

	runtime_install(b);
	runtime_unref(b);
	cur = runtime_current();
	assert_ptr_equal(cur, b);
	assert_ptr_equal(runtime_cfg(cur), cfg_b);
	/* The old one is whole: its configuration still referenced by it and its client. */
	assert_true(cfg_a->refcount > 1);
	r = dispatch_job(held, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_false(how & DISPATCH_EARLIER);
	jl = jobs_expect(1);
	runtime_unref(held);
	assert_int_equal(cfg_a->refcount, 1);

	runtime_install(NULL);
	assert_null(runtime_current());
	assert_true(cfg_b->refcount > 1);  /* CUR still holds it */
	runtime_unref(cur);
	assert_int_equal(cfg_b->refcount, 1);
	cfg_unref(cfg_a);
	cfg_unref(cfg_b);
}

/* ---- with a state store ---- */

/* A runtime over test_cfg(CK) with the store SPEC ("sqlite:" + a file of the test directory
 * when it starts with '@'), ON_ERROR and SETTLE seconds. */
static Runtime *store_runtime(const char *spec, CfgStoreError on_error, guint settle)
{
	g_autoptr(Cfg) cfg = test_cfg(CK);
	g_autoptr(GError) e = NULL;
	Runtime *rt;

	g_free(cfg->state_store);
	cfg->state_store = spec[0] == '@' ? g_strconcat("sqlite:", mock.dir, "/", spec + 1, NULL)
	                                  : g_strdup(spec);
	cfg->on_store_error = on_error;
	cfg->state_settle_time = settle;
	rt = runtime_new(cfg, &e);
	if (rt == NULL)
		print_error("runtime_new: %s\n", e->message);
	assert_non_null(rt);
	return rt;
}

/* Claimed and recorded: the same job again, or from another process opening the same
 * store after a restart, is answered with the recorded ids and costs no request. */
static void test_store_sent_survives_restart(void **state)
{
	g_autoptr(MsgJob) job = make_job("ds-sent", "router down", "+33612345601", NULL);
	g_autoptr(OvhJobResult) r = NULL, again = NULL;
	g_autoptr(GError) e = NULL;
	g_autofree char *ids = NULL, *ids2 = NULL;
	DispatchHow how = 0;
	Runtime *rt = store_runtime("@sent.db", CFG_STORE_DEGRADE, 600);

	(void)state;
	r = dispatch_job(rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_int_equal(how, 0);
	assert_int_equal(calls("POST", "ds-sent"), 1);
	assert_int_equal(calls("GET", "ds-sent"), 0);
	runtime_unref(rt);
	gint64 before = requests();
	rt = store_runtime("@sent.db", CFG_STORE_DEGRADE, 600);
	again = dispatch_job(rt, job, NULL, NULL, TRUE, &how, &e);
	assert_result(again, e);
	assert_true(how & DISPATCH_EARLIER);
	ids = ovh_ids_text(r->ids);
	ids2 = ovh_ids_text(again->ids);
	assert_string_equal(ids, ids2);
	assert_int_equal(requests(), before);
	json_object_put(jobs_expect(1));
	runtime_unref(rt);
}

/* A tag someone else claimed a moment ago: nothing posted, "being sent" (451 4.3.0). */
static void test_store_busy(void **state)
{
	g_autoptr(MsgJob) job = make_job("ds-busy", "fan failure", "+33612345602", NULL);
	g_autoptr(GError) e = NULL;
	DispatchHow how = 0;
	Runtime *rt = store_runtime("@busy.db", CFG_STORE_DEGRADE, 600);
	Store *st = runtime_store(rt, NULL);

	(void)state;
	assert_non_null(st);
	assert_int_equal(store_claim(st, "ds-busy", g_get_real_time() / G_USEC_PER_SEC, 120, NULL,
	                             &e), CLAIM_WON);
	assert_null(dispatch_job(rt, job, NULL, NULL, FALSE, &how, &e));
	assert_error(e, M2S_ERR_BUSY);
	assert_non_null(strstr(e->message, "being sent"));
	assert_int_equal(calls("POST", "ds-busy"), 0);
	runtime_unref(rt);
}

/* A 5xx on the post that OVH does not list: in doubt. Within settle_time the retry asks and
 * waits (nothing posted); past it, the retry posts. */
static void test_store_doubt_settles(void **state)
{
	g_autoptr(MsgJob) job = make_job("ds-doubt", "ups on battery", "+33612345603", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	DispatchHow how = 0;
	Runtime *rt = store_runtime("@doubt.db", CFG_STORE_DEGRADE, 600);

	(void)state;
	fault("{\"status\":503,\"count\":1}");
	assert_null(dispatch_job(rt, job, NULL, NULL, FALSE, &how, &e));
	assert_error(e, M2S_ERR_SERVER);
	g_clear_error(&e);
	assert_null(dispatch_job(rt, job, NULL, NULL, FALSE, &how, &e));
	assert_error(e, M2S_ERR_BUSY);
	assert_non_null(strstr(e->message, "may still be queued at OVH"));
	g_clear_error(&e);
	assert_int_equal(calls("GET", "ds-doubt"), 2);
	runtime_unref(rt);
	/* The same store, settle_time 0: the doubtful attempt is old enough, the job goes. */
	rt = store_runtime("@doubt.db", CFG_STORE_DEGRADE, 0);
	r = dispatch_job(rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_false(how & DISPATCH_EARLIER);
	assert_int_equal(calls("GET", "ds-doubt"), 3);
	json_object_put(jobs_expect(1));
	runtime_unref(rt);
}

/* The store down: degrade posts as without it and says so; tempfail posts nothing. */
static void test_store_down(void **state)
{
	g_autoptr(MsgJob) job = make_job("ds-down", "disk full", "+33612345604", NULL);
	g_autoptr(OvhJobResult) r = NULL;
	g_autoptr(GError) e = NULL;
	DispatchHow how = 0;
	Runtime *rt = store_runtime("sqlite:/nonexistent-m2s-dir/state.db", CFG_STORE_TEMPFAIL, 600);

	(void)state;
	assert_null(dispatch_job(rt, job, NULL, NULL, FALSE, &how, &e));
	assert_error(e, M2S_ERR_BUSY);
	assert_non_null(strstr(e->message, "does not exist"));
	g_clear_error(&e);
	assert_int_equal(calls("POST", "ds-down"), 0);
	runtime_unref(rt);
	rt = store_runtime("sqlite:/nonexistent-m2s-dir/state.db", CFG_STORE_DEGRADE, 600);
	r = dispatch_job(rt, job, NULL, NULL, FALSE, &how, &e);
	assert_result(r, e);
	assert_true(how & DISPATCH_NO_STORE);
	assert_int_equal(calls("POST", "ds-down"), 1);
	runtime_unref(rt);
}

/* ---- with [limits] ---- */

/* A runtime over test_cfg(CK) with a SQLite store FILE of the test directory, PER_RECEIVER
 * SMS an hour to one number and DAILY_CREDITS a day (UTC). */
static Runtime *limits_runtime(const char *file, guint per_receiver, guint daily_credits)
{
	g_autoptr(Cfg) cfg = test_cfg(CK);
	g_autoptr(GError) e = NULL;
	Runtime *rt;

	g_free(cfg->state_store);
	cfg->state_store = g_strconcat("sqlite:", mock.dir, "/", file, NULL);
	cfg->limits_per_receiver.n = per_receiver;
	cfg->limits_per_receiver.seconds = 3600;
	cfg->limits_daily_credits = daily_credits;
	g_time_zone_unref(cfg->limits_tz);
	cfg->limits_tz = g_time_zone_new_utc();
	rt = runtime_new(cfg, &e);
	if (rt == NULL)
		print_error("runtime_new: %s\n", e->message);
	assert_non_null(rt);
	return rt;
}

/* A digest is an SMS like any other: once sent, its credits count in the day's
 * daily_credits. Its alert is held by flood control at instants of its own, anchored at the
 * clock the digest's claim reads. */
static void test_digest_counts_credits(void **state)
{
	g_autoptr(MsgJob) job = make_job("dl-credits", "PROBLEM disk", "+33612347001", NULL);
	FloodMail m = { .sender = "nagios@example.com", .summary = "PROBLEM disk" };
	g_auto(FloodJob) first = { 0 };
	g_auto(FloodJob) second = { 0 };
	g_autoptr(GError) e = NULL;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	/* One SMS an hour, one credit a day. */
	Runtime *rt = limits_runtime("limits-credits.db", 1, 1);
	const Cfg *cfg = runtime_cfg(rt);
	Store *st = runtime_store(rt, NULL);

	(void)state;
	assert_non_null(st);
	/* The hour's SMS, not posted here: it spent nothing. */
	assert_true(flood_decide(cfg, st, job, &m, now - 3600, &first, &e));
	assert_int_equal(first.now->len, 1);
	assert_true(flood_decide(cfg, st, job, &m, now - 3599, &second, &e));
	assert_int_equal(second.held->len, 1);
	assert_false(flood_spent(cfg, st, now, NULL));
	assert_int_equal(flush_digests(rt, now, &e), 1);
	json_object_put(jobs_expect(1));
	assert_true(flood_spent(cfg, st, now, NULL));
	runtime_unref(rt);
}

/* A retry of a mail whose first attempt was in doubt (a 503) and not executed is that same
 * alert, not a duplicate of itself: it is posted once settle_time allows, and the same text
 * in another mail afterwards is the duplicate, with the retry's id. */
static void test_doubt_retry_not_own_duplicate(void **state)
{
	g_autoptr(Cfg) cfg = test_cfg(CK);
	g_autoptr(GError) e = NULL;
	DispatchReport report = { 0 };
	MsgPlan *first = plan_of("To: +33612347002@sms.example.com\nSubject: PROBLEM web1\n"
	                         "Message-ID: <doubt-dup-1@example.com>", "down");
	MsgPlan *other = plan_of("To: +33612347002@sms.example.com\nSubject: PROBLEM web1\n"
	                         "Message-ID: <doubt-dup-2@example.com>", "down");
	Runtime *rt;

	(void)state;
	g_free(cfg->state_store);
	cfg->state_store = g_strconcat("sqlite:", mock.dir, "/limits-doubt.db", NULL);
	cfg->limits_duplicate_window = 900;
	cfg->state_settle_time = 0;
	rt = runtime_new(cfg, &e);
	assert_non_null(rt);
	fault("{\"status\":503,\"count\":1}");
	assert_false(dispatch_plan(rt, first, NULL, "nagios@example.com", 0, NULL, NULL, &report,
	                           &e));
	assert_error(e, M2S_ERR_SERVER);
	g_clear_error(&e);
	dispatch_report_clear(&report);
	if (!dispatch_plan(rt, first, NULL, "nagios@example.com", 0, NULL, NULL, &report, &e))
		fail_msg("the retry: %s", e->message);
	assert_non_null(report.ids);
	g_autofree char *ids = g_strdup(report.ids->str);
	dispatch_report_clear(&report);
	json_object_put(jobs_expect(1));
	assert_true(dispatch_plan(rt, other, NULL, "nagios@example.com", 0, NULL, NULL, &report,
	                          &e));
	assert_non_null(report.duplicate);
	assert_string_equal(report.earlier_ids->str, ids);
	dispatch_report_clear(&report);
	json_object_put(jobs_expect(1));
	msg_plan_free(first);
	msg_plan_free(other);
	runtime_unref(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sent_then_already_sent, fresh),
		cmocka_unit_test_setup(test_ask_finds_earlier_attempt, fresh),
		cmocka_unit_test_setup(test_reply_lost_found, fresh),
		cmocka_unit_test_setup(test_reply_lost_in_doubt, fresh),
		cmocka_unit_test_setup(test_server_error_not_found, fresh),
		cmocka_unit_test_setup(test_server_error_unanswered, fresh),
		cmocka_unit_test_setup(test_ask_lookup_fails, fresh),
		cmocka_unit_test_setup(test_send_job_invalid_receivers, fresh),
		cmocka_unit_test_setup(test_plan_one_job_refused, fresh),
		cmocka_unit_test_setup(test_plan_transient_stops, fresh),
		cmocka_unit_test(test_runtime_needs_endpoint),
		cmocka_unit_test_setup(test_runtime_install, fresh),
		cmocka_unit_test_setup(test_store_sent_survives_restart, fresh),
		cmocka_unit_test_setup(test_store_busy, fresh),
		cmocka_unit_test_setup(test_store_doubt_settles, fresh),
		cmocka_unit_test_setup(test_store_down, fresh),
		cmocka_unit_test_setup(test_digest_counts_credits, fresh),
		cmocka_unit_test_setup(test_doubt_retry_not_own_duplicate, fresh),
	};
	int rc;

	msg_init();
	rc = cmocka_run_group_tests_name("dispatch", tests, group_setup, group_teardown);
	g_mime_shutdown();
	return rc;
}

/*
 * control.c: the faults and the plain-HTTP control port that sets them. Tests POST /fault
 * (latency, error status for a number of requests, after a number of requests, clock
 * offset, time lie, drop after execute, a status after execute, jobs listed late, refused
 * connections, rate faults), POST /reset (faults, counters, jobs, credits, delivery states,
 * callBack URLs, incoming SMS), POST /age (every job, SMS received and delivery time
 * recorded so far made older by {"seconds":N}: a retry days later), and read GET /stats,
 * /jobs and /fault. Two-way SMS: POST /state (a sent SMS's delivery state, and the
 * callBack it fires: states.c), POST /incoming (an SMS received: incoming.c), GET /incoming
 * (those not deleted yet) and GET /account (each service's credits and callBack).
 *
 * The fault fields, each optional in a /fault body (null, 0 or false clears one):
 *   latency_ms N            every HTTPS request waits N ms before it is served
 *   status S, count C       the next C requests (-1 or none: all) are answered S, unexecuted
 *   after N                 N requests (of the /sms routes) are answered normally before
 *                           status applies
 *   clock_offset, time_lie  the server clock, and what GET /auth/time says of it
 *   drop_after_execute N    the next N jobs are executed and their connection closed unanswered
 *   status_after_execute S  every job is executed, then answered S (a gateway timing out)
 *   list_delay_s N          GET /outgoing lists a job only N s after its creation (queued)
 *   refuse true             connections are refused
 *
 * Rate faults act on job posts (POST /sms/{svc}/jobs) only, never on look-ups:
 * {"post_503_rate":0.2,"post_drop_rate":0.1,"seed":N} answers about 20% of posts with 503
 * before anything is executed, and executes about 10% then closes the connection without a
 * reply (what a lost reply looks like to the client). One draw per post from a generator
 * seeded with "seed" (0 unless given; giving it starts the sequence again), so the same
 * order of posts meets the same faults. /stats counts them: "rate_503", "rate_dropped".
 *
 * The HTTPS side asks here, through the fault_* functions, what to do to each request.
 * Faults act on the HTTPS port only: this port must never be slowed or refused, and it
 * must not read request state other than through the lock.
 */
#include "mock.h"

#include <microhttpd.h>
#include <string.h>
#include <time.h>

int fault_latency(struct mock *m)
{
	int ms;

	pthread_mutex_lock(&m->lock);
	ms = m->faults.latency_ms;
	pthread_mutex_unlock(&m->lock);
	return ms;
}

/* The status to answer instead of the real reply, or 0; counts the request against "count". */
int fault_take_status(struct mock *m, int *retry_after)
{
	int status;

	pthread_mutex_lock(&m->lock);
	status = m->faults.status;
	if (status && m->faults.after > 0) {
		m->faults.after--;
		status = 0;
	} else if (status && m->faults.count > 0 && --m->faults.count == 0)
		m->faults.status = 0;
	pthread_mutex_unlock(&m->lock);
	*retry_after = status == 429 || status == 503 ? 1 : 0;
	return status;
}

/* Caller holds m->lock: whether this executed job's reply must be dropped. */
gboolean fault_take_drop(struct mock *m)
{
	if (m->faults.drop_after_execute <= 0)
		return FALSE;
	m->faults.drop_after_execute--;
	return TRUE;
}

/* Caller holds m->lock: the status an executed job is answered with, or 0. */
int fault_after_execute(struct mock *m)
{
	return m->faults.status_after_execute;
}

/* Caller holds m->lock: seconds a job stays out of GET /outgoing after its creation. */
gint64 fault_list_delay(struct mock *m)
{
	return m->faults.list_delay_s;
}

/* What the rate faults make of this job post: one draw, under the lock. */
enum post_fate fault_post_fate(struct mock *m)
{
	enum post_fate fate = POST_NORMAL;
	double u;

	pthread_mutex_lock(&m->lock);
	if (m->faults.post_503_rate > 0 || m->faults.post_drop_rate > 0) {
		u = g_rand_double(m->rand);
		if (u < m->faults.post_503_rate)
			fate = POST_503, m->rate_503++;
		else if (u < m->faults.post_503_rate + m->faults.post_drop_rate)
			fate = POST_DROP, m->rate_dropped++;
	}
	pthread_mutex_unlock(&m->lock);
	return fate;
}

gboolean fault_refuse(struct mock *m)
{
	gboolean refuse;

	pthread_mutex_lock(&m->lock);
	refuse = m->faults.refuse;
	pthread_mutex_unlock(&m->lock);
	return refuse;
}

/* The server clock used for timestamp checks. */
gint64 mock_now(struct mock *m)
{
	gint64 off;

	pthread_mutex_lock(&m->lock);
	off = m->faults.clock_offset;
	pthread_mutex_unlock(&m->lock);
	return (gint64)time(NULL) + off;
}

/* What GET /auth/time says: the server clock plus the time lie. */
gint64 mock_time_reported(struct mock *m)
{
	gint64 off;

	pthread_mutex_lock(&m->lock);
	off = m->faults.clock_offset + m->faults.time_lie;
	pthread_mutex_unlock(&m->lock);
	return (gint64)time(NULL) + off;
}

/* Caller holds m->lock. */
static json_object *faults_json(struct mock *m)
{
	struct mock_faults *f = &m->faults;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "latency_ms", json_object_new_int(f->latency_ms));
	json_object_object_add(o, "status", json_object_new_int(f->status));
	json_object_object_add(o, "count", json_object_new_int(f->status ? f->count : 0));
	json_object_object_add(o, "clock_offset", json_object_new_int64(f->clock_offset));
	json_object_object_add(o, "time_lie", json_object_new_int64(f->time_lie));
	json_object_object_add(o, "drop_after_execute", json_object_new_int(f->drop_after_execute));
	json_object_object_add(o, "after", json_object_new_int(f->status ? f->after : 0));
	json_object_object_add(o, "status_after_execute", json_object_new_int(f->status_after_execute));
	json_object_object_add(o, "list_delay_s", json_object_new_int(f->list_delay_s));
	json_object_object_add(o, "refuse", json_object_new_boolean(f->refuse));
	json_object_object_add(o, "post_503_rate", json_object_new_double(f->post_503_rate));
	json_object_object_add(o, "post_drop_rate", json_object_new_double(f->post_drop_rate));
	json_object_object_add(o, "seed", json_object_new_int64(f->seed));
	return o;
}

/* Reads an integer field; null means 0. FALSE when the type or range is wrong. */
static gboolean int_field(json_object *v, gint64 lo, gint64 hi, gint64 *out)
{
	if (!v) {
		*out = 0;
		return TRUE;
	}
	if (!json_object_is_type(v, json_type_int))
		return FALSE;
	*out = json_object_get_int64(v);
	return *out >= lo && *out <= hi;
}

/* Reads a rate between 0 and 1 (an integer or a decimal number); null means 0. */
static gboolean rate_field(json_object *v, double *out)
{
	if (!v) {
		*out = 0;
		return TRUE;
	}
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return FALSE;
	*out = json_object_get_double(v);
	return *out >= 0 && *out <= 1;
}

/* Applies a /fault body: only the fields present change; null, 0 or false clears one. */
static char *faults_apply(struct mock *m, json_object *body)
{
	struct mock_faults f;
	gboolean count_given = FALSE, seed_given = FALSE;

	if (!body || !json_object_is_type(body, json_type_object))
		return g_strdup("body must be a JSON object");
	pthread_mutex_lock(&m->lock);
	f = m->faults;
	pthread_mutex_unlock(&m->lock);
	json_object_object_foreach(body, key, val) {
		gint64 n;

		if (!strcmp(key, "refuse")) {
			if (val && !json_object_is_type(val, json_type_boolean))
				return g_strdup("refuse: expected true or false");
			f.refuse = val && json_object_get_boolean(val);
			continue;
		}
		if (!strcmp(key, "latency_ms") && int_field(val, 0, 600000, &n))
			f.latency_ms = (int)n;
		else if (!strcmp(key, "status") && int_field(val, 0, 599, &n) &&
			 (n == 0 || n >= 400))
			f.status = (int)n;
		else if (!strcmp(key, "count") && int_field(val, -1, G_MAXINT, &n))
			f.count = (int)n, count_given = TRUE;
		else if (!strcmp(key, "clock_offset") && int_field(val, -G_MAXINT, G_MAXINT, &n))
			f.clock_offset = n;
		else if (!strcmp(key, "time_lie") && int_field(val, -G_MAXINT, G_MAXINT, &n))
			f.time_lie = n;
		else if (!strcmp(key, "drop_after_execute") && int_field(val, 0, G_MAXINT, &n))
			f.drop_after_execute = (int)n;
		else if (!strcmp(key, "after") && int_field(val, 0, G_MAXINT, &n))
			f.after = (int)n;
		else if (!strcmp(key, "status_after_execute") && int_field(val, 0, 599, &n) &&
			 (n == 0 || n >= 400))
			f.status_after_execute = (int)n;
		else if (!strcmp(key, "list_delay_s") && int_field(val, 0, 86400, &n))
			f.list_delay_s = (int)n;
		else if (!strcmp(key, "post_503_rate") && rate_field(val, &f.post_503_rate))
			;
		else if (!strcmp(key, "post_drop_rate") && rate_field(val, &f.post_drop_rate))
			;
		else if (!strcmp(key, "seed") && int_field(val, 0, G_MAXUINT32, &n))
			f.seed = n, seed_given = TRUE;
		else
			return g_strdup_printf("%s: unknown fault or bad value", key);
	}
	if (json_object_object_get_ex(body, "status", NULL) && !count_given)
		f.count = -1;
	if (f.count == 0)
		f.status = 0;
	if (f.post_503_rate + f.post_drop_rate > 1)
		return g_strdup("post_503_rate + post_drop_rate: more than 1");
	pthread_mutex_lock(&m->lock);
	m->faults = f;
	if (seed_given)
		g_rand_set_seed(m->rand, (guint32)f.seed);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static enum MHD_Result reply_text(struct MHD_Connection *con, unsigned status, const char *text)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(con, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Sends o and frees it. */
static enum MHD_Result reply(struct MHD_Connection *con, unsigned status, json_object *o)
{
	enum MHD_Result ret = reply_text(con, status, json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return ret;
}

static json_object *error_json(const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* Serves one control request once its body is complete. */
static enum MHD_Result control_serve(struct mock *m, struct MHD_Connection *con,
				     const char *method, const char *url, GString *body)
{
	json_object *o;
	gboolean get = !strcmp(method, "GET"), post = !strcmp(method, "POST");

	if (post && !strcmp(url, "/fault")) {
		json_object *in = json_tokener_parse(body->str);
		g_autofree char *err = faults_apply(m, in);

		if (in)
			json_object_put(in);
		if (err)
			return reply(con, 400, error_json(err));
		get = TRUE;
	} else if (post && !strcmp(url, "/age")) {
		json_object *in = json_tokener_parse(body->str), *v;
		gint64 by;

		if (!in || !json_object_object_get_ex(in, "seconds", &v) ||
		    !json_object_is_type(v, json_type_int) || (by = json_object_get_int64(v)) < 0) {
			if (in)
				json_object_put(in);
			return reply(con, 400, error_json("age: {\"seconds\":N} with N >= 0"));
		}
		json_object_put(in);
		pthread_mutex_lock(&m->lock);
		for (guint i = 0; i < m->jobs->len; i++) {
			json_object *job = m->jobs->pdata[i], *c;
			if (json_object_object_get_ex(job, "created", &c))
				json_object_set_int64(c, json_object_get_int64(c) - by);
		}
		incoming_age(m, by);
		states_age(m, by);
		pthread_mutex_unlock(&m->lock);
		return reply(con, 200, json_object_new_object());
	} else if (post && !strcmp(url, "/reset")) {
		pthread_mutex_lock(&m->lock);
		memset(&m->faults, 0, sizeof m->faults);
		g_rand_set_seed(m->rand, 0);
		m->handshakes = m->requests = m->rate_503 = m->rate_dropped = 0;
		sms_reset(m);
		account_reset(m);
		states_reset(m);
		incoming_reset(m);
		pthread_mutex_unlock(&m->lock);
		return reply(con, 200, json_object_new_object());
	} else if (post && (!strcmp(url, "/state") || !strcmp(url, "/incoming"))) {
		json_object *in = json_tokener_parse(body->str);
		int status = 500;

		/* /state may wait on a callBack listener: never with the lock held (states.c). */
		o = !strcmp(url, "/state") ? state_control(m, in, &status)
					   : incoming_add(m, in, &status);
		if (in)
			json_object_put(in);
		return reply(con, (unsigned)status, o);
	}
	if (get && !strcmp(url, "/fault")) {
		pthread_mutex_lock(&m->lock);
		o = faults_json(m);
		pthread_mutex_unlock(&m->lock);
		return reply(con, 200, o);
	}
	if (get && !strcmp(url, "/stats")) {
		o = json_object_new_object();
		pthread_mutex_lock(&m->lock);
		json_object_object_add(o, "handshakes", json_object_new_int64((gint64)m->handshakes));
		json_object_object_add(o, "connections_open", json_object_new_int64(m->conns_open));
		json_object_object_add(o, "requests", json_object_new_int64((gint64)m->requests));
		json_object_object_add(o, "jobs", json_object_new_int64(m->jobs->len));
		json_object_object_add(o, "rate_503", json_object_new_int64((gint64)m->rate_503));
		json_object_object_add(o, "rate_dropped",
				       json_object_new_int64((gint64)m->rate_dropped));
		json_object_object_add(o, "states", json_object_new_int64(g_hash_table_size(m->states)));
		json_object_object_add(o, "incoming", json_object_new_int64(m->incoming->len));
		pthread_mutex_unlock(&m->lock);
		return reply(con, 200, o);
	}
	if (get && (!strcmp(url, "/incoming") || !strcmp(url, "/account"))) {
		pthread_mutex_lock(&m->lock);
		o = !strcmp(url, "/incoming") ? incoming_dump(m) : account_dump(m);
		pthread_mutex_unlock(&m->lock);
		return reply(con, 200, o);
	}
	if (get && !strcmp(url, "/jobs")) {
		g_autofree char *text = NULL;

		/* The recorded jobs are serialised under the lock: json-c caches text in them. */
		pthread_mutex_lock(&m->lock);
		o = json_object_new_array();
		for (guint i = 0; i < m->jobs->len; i++)
			json_object_array_add(o, json_object_get(m->jobs->pdata[i]));
		text = g_strdup(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		pthread_mutex_unlock(&m->lock);
		return reply_text(con, 200, text);
	}
	return reply(con, 404, error_json("unknown control route"));
}

static enum MHD_Result on_control(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **req_cls)
{
	GString *body = *req_cls;

	(void)version;
	if (!body) {
		*req_cls = g_string_new(NULL);
		return MHD_YES;
	}
	if (*data_size) {
		if (body->len + *data_size <= MOCK_MAX_BODY)
			g_string_append_len(body, data, (gssize)*data_size);
		*data_size = 0;
		return MHD_YES;
	}
	return control_serve(cls, con, method, url, body);
}

static void on_control_done(void *cls, struct MHD_Connection *con, void **req_cls,
			    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)con;
	(void)toe;
	if (*req_cls)
		g_string_free(*req_cls, TRUE);
	*req_cls = NULL;
}

struct MHD_Daemon *control_start(struct mock *m, int fd, GError **err)
{
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO_INTERNAL_THREAD,
			     0, NULL, NULL, on_control, m,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_NOTIFY_COMPLETED, on_control_done, m,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
			     MHD_OPTION_END);
	if (!d)
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "cannot start the control server");
	return d;
}

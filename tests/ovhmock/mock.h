/*
 * ovhmock: the stand-in OVH API that the test suites, the demo and the benchmark talk to.
 *
 * This header holds the shared state (one struct mock, guarded by its lock) and the small
 * interfaces between the modules:
 *   main.c     command line, sockets, signals, pidfile
 *   server.c   HTTPS daemon: TLS, connection counting, request assembly, replies
 *   routes.c   which handler serves which method and path, and at which auth level
 *   auth.c     application and consumer keys, signature, clock and rights checks
 *   sms.c      the /sms routes: services, job validation and recording, outgoing
 *   account.c  GET and PUT /sms/{svc}: credits left, callBack URL, description
 *   states.c   delivery states of sent SMS (ptt, deliveryReceipt) and the control POST /state
 *   callback.c the HTTP GET to an account's callBack URL when a state changes (libcurl)
 *   ptts.c     OVH's ptt codes: descriptions, receipts, GET /sms/ptts
 *   incoming.c SMS received (replies): control POST/GET /incoming, the /incoming routes
 *   parts.c    SMS part counting (GSM-7 / UCS-2)
 *   control.c  faults and the plain-HTTP control port
 *   log.c      the JSON-lines request log
 * Only server.c and control.c know libmicrohttpd; only callback.c knows libcurl.
 */
#ifndef OVHMOCK_MOCK_H
#define OVHMOCK_MOCK_H

#include <glib.h>
#include <json-c/json.h>
#include <pthread.h>

#define MOCK_MAX_BODY (1024 * 1024)	/* larger request bodies get 413 */
#define MOCK_CLOCK_WINDOW 10		/* seconds of accepted timestamp skew */
#define MOCK_MAX_PARTS 6
#define MOCK_FIRST_INCOMING 5000001	/* id of the first SMS received */

struct mock_rule {
	char *method;
	char *path;			/* '*' matches any run of characters */
};

struct mock_consumer {
	char *key;
	char *app;
	gboolean expired;
	GPtrArray *rules;		/* struct mock_rule *; NULL grants every call */
	int id;
};

struct mock_service {
	char *name;
	gint64 credits;
	gint64 credits_initial;
	char *callback;			/* callBack URL set by PUT /sms/{svc}; "" when unset */
	char *stop_callback;		/* stopCallBack, kept and shown only */
	char *description;
};

/* One SMS sent (one valid receiver of a recorded job); the strings belong to the job. */
struct sms_ref {
	gint64 id;
	const char *service, *receiver, *tag, *message;
	const char *sender;		/* NULL when the job named none */
	gint64 created;
	int parts;
};

/* An SMS's delivery state: OVH's ptt code and deliveryReceipt. */
struct sms_state {
	gint64 id;
	int ptt;
	int receipt;
	gint64 delivered_at;		/* 0: not delivered */
};

/* An SMS received by a service (a reply to a short code or a virtual number). */
struct mock_incoming {
	gint64 id;
	char *service, *sender, *message, *tag;
	gint64 credits;
	gint64 created;
};

struct mock_faults {
	int latency_ms;
	int status;			/* 0: none */
	int count;			/* requests left for status; -1: until cleared */
	int after;			/* requests answered normally before status applies */
	int status_after_execute;	/* a job is executed, then this status answered; 0: none */
	int list_delay_s;		/* GET /outgoing hides jobs younger than this */
	gint64 clock_offset;
	gint64 time_lie;
	int drop_after_execute;
	gboolean refuse;
	double post_503_rate;		/* share of job posts answered 503, not executed */
	double post_drop_rate;		/* share executed, then the connection closed unanswered */
	gint64 seed;			/* of the draws for the two rates */
};

/* What the rate faults make of one job post. */
enum post_fate { POST_NORMAL, POST_503, POST_DROP };

struct mock_log;

struct mock {
	pthread_mutex_t lock;		/* guards every mutable field below */
	GHashTable *apps;		/* application key -> secret (fixed after start) */
	GHashTable *consumers;		/* consumer key -> struct mock_consumer * (never removed) */
	GPtrArray *services;		/* struct mock_service * */
	GPtrArray *invalid_prefixes;	/* char * */
	GPtrArray *jobs;		/* json_object *, touched only under lock */
	gint64 next_id;
	GHashTable *states;		/* SMS id (gint64 *) -> struct sms_state *, set by POST /state */
	GPtrArray *incoming;		/* struct mock_incoming *, oldest first */
	gint64 next_incoming;
	int next_credential;
	struct mock_faults faults;
	GRand *rand;			/* draws for the rate faults, seeded from faults.seed */
	guint64 rate_503, rate_dropped;	/* posts the rate faults answered 503 or dropped */
	guint64 handshakes, requests, conn_seq, query_seq;
	gint64 conns_open;
	int port;
	struct mock_log *log;
};

/* One HTTPS request, from its first line to its reply. */
struct mock_req {
	struct mock *m;
	void *con;			/* struct MHD_Connection *, for server.c only */
	guint64 conn;			/* connection number, 1-based */
	gboolean started, too_large;
	gint64 received_ms;		/* wall clock (ms) when the whole request was in */
	char *method;
	char *uri;			/* path and query exactly as received */
	char *path;			/* raw path, no query */
	char *query;			/* raw query string or NULL */
	GString *body;			/* raw body bytes */
	json_object *json;		/* body parsed, or NULL (empty or not JSON) */
	gboolean json_bad;		/* a body was sent and is not one JSON value */
	const char *app, *consumer;	/* X-Ovh-Application / X-Ovh-Consumer, or NULL */
	struct mock_consumer *cred;	/* set once the signature checked out */
	/* reply */
	int status;
	json_object *reply;
	char *error;			/* errorCode of the reply, or NULL */
	char *message;			/* message of an error reply, or NULL */
	json_object *job;		/* the recorded job, for the log */
	gboolean drop;			/* close the connection instead of replying */
	gboolean rate_drop;		/* the rate faults chose: executed, then dropped */
	int retry_after;
};

typedef void mock_handler(struct mock_req *r, char **args);

/* server.c */
struct MHD_Daemon;
struct MHD_Daemon *server_start(struct mock *m, int fd, const char *cert, const char *key,
				GError **err);
const char *mock_header(struct mock_req *r, const char *name);
const char *mock_arg(struct mock_req *r, const char *name);
void mock_reply(struct mock_req *r, int status, json_object *body);
void mock_reply_code(struct mock_req *r, int status, const char *code, const char *message);
void mock_reply_class(struct mock_req *r, int status, const char *cls, const char *message);
void mock_reply_bad(struct mock_req *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void mock_reply_status(struct mock_req *r, int status);

/* routes.c */
void routes_dispatch(struct mock_req *r);

/* auth.c */
gboolean auth_add_app(struct mock *m, const char *spec, GError **err);
gboolean auth_add_consumer(struct mock *m, const char *spec, gboolean expired, GError **err);
gboolean auth_app(struct mock_req *r);
gboolean auth_signed(struct mock_req *r, gboolean need_grant);
mock_handler auth_time, auth_credential, auth_current;

/* sms.c */
typedef gboolean sms_visit(const struct sms_ref *s, void *data);	/* FALSE stops */
gboolean sms_add_service(struct mock *m, const char *spec, GError **err);
void sms_reset(struct mock *m);
struct mock_service *sms_service(struct mock *m, const char *name);
gboolean sms_service_known(struct mock_req *r, const char *name);
void sms_foreach(struct mock *m, sms_visit *fn, void *data);
gboolean sms_find(struct mock *m, gint64 id, struct sms_ref *out);
gboolean sms_time_arg(struct mock_req *r, const char *name, gint64 *out);
gboolean sms_int_arg(struct mock_req *r, const char *name, gint64 *out);
json_object *sms_iso_time(gint64 t);
mock_handler sms_list, sms_senders, sms_job, sms_outgoing, sms_outgoing_one;

/* account.c */
void account_reset(struct mock *m);
json_object *account_dump(struct mock *m);
mock_handler account_get, account_put;

/* states.c */
void state_of(struct mock *m, const struct sms_ref *s, struct sms_state *out);
json_object *state_control(struct mock *m, json_object *body, int *status);
void states_reset(struct mock *m);
void states_age(struct mock *m, gint64 by);

/* callback.c */
int callback_send(const char *url, const struct sms_state *st, const char *description,
		  const char *receiver, const char *tag);

/* ptts.c */
const char *ptt_description(int ptt);
int ptt_receipt(int ptt);
mock_handler sms_ptts;

/* incoming.c */
void incoming_free(gpointer p);
json_object *incoming_add(struct mock *m, json_object *body, int *status);
json_object *incoming_dump(struct mock *m);
void incoming_reset(struct mock *m);
void incoming_age(struct mock *m, gint64 by);
mock_handler incoming_list, incoming_one, incoming_delete;

/* parts.c */
struct sms_parts {
	gboolean gsm7;
	int units;			/* septets (GSM-7) or UTF-16 code units (UCS-2) */
	int chars;
	int parts;
};
void parts_count(const char *utf8, struct sms_parts *out);

/* control.c */
struct MHD_Daemon *control_start(struct mock *m, int fd, GError **err);
int fault_latency(struct mock *m);
int fault_take_status(struct mock *m, int *retry_after);
gboolean fault_take_drop(struct mock *m);
int fault_after_execute(struct mock *m);
gint64 fault_list_delay(struct mock *m);
enum post_fate fault_post_fate(struct mock *m);
gboolean fault_refuse(struct mock *m);
gint64 mock_now(struct mock *m);
gint64 mock_time_reported(struct mock *m);

/* log.c */
struct mock_log *log_open(const char *path, GError **err);
void log_request(struct mock_log *log, struct mock_req *r, const char *query_id);
void log_close(struct mock_log *log);

#endif

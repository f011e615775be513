/* ovhload.c: posts many jobs through one OvhClient from several threads, as the milter does,
 * so that the client's connection reuse and thread safety are measured against the
 * stand-in OVH API.   Usage: ovhload CONFIG JOBS THREADS [PAUSE_MS]
 * PAUSE_MS: each thread waits that long before each job but the first (idle connections).
 * Prints "sent N failed M" and the first error; exits 0 only when every job was sent. */
#include <stdio.h>
#include <stdlib.h>
#include "cfg.h"
#include "ovh.h"
#include "ovh_http.h"

typedef struct {
	OvhClient *client;
	gint next;       /* jobs handed out */
	gint total;
	gint pause_ms;
	gint sent;
	gint failed;
	GMutex lock;
	char *first_error;
} Load;

static gpointer worker(gpointer arg)
{
	Load *l = arg;
	const char *receivers[] = { "+33612345678", NULL };
	int n;

	while ((n = g_atomic_int_add(&l->next, 1)) < l->total) {
		if (n > 0 && l->pause_ms > 0)
			g_usleep((gulong)l->pause_ms * 1000);
		g_autofree char *msg = g_strdup_printf("load test %d", n);
		OvhJob job = { .message = msg, .receivers = receivers, .no_stop_clause = TRUE,
		               .priority = "high", .validity = 2880 };
		g_autoptr(GError) e = NULL;
		OvhJobResult *r = ovh_post_job(l->client, &job, &e);

		if (r && r->ids->len == 1) {
			g_atomic_int_inc(&l->sent);
		} else {
			g_atomic_int_inc(&l->failed);
			g_mutex_lock(&l->lock);
			if (l->first_error == NULL)
				l->first_error = g_strdup(e ? e->message : "no id returned");
			g_mutex_unlock(&l->lock);
		}
		ovh_job_result_free(r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(Cfg) cfg = NULL;
	Load l = { 0 };
	GPtrArray *threads = g_ptr_array_new();
	int nthreads;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: ovhload CONFIG JOBS THREADS [PAUSE_MS]\n");
		return 2;
	}
	if ((cfg = cfg_load(argv[1], &e)) == NULL || (l.client = ovh_client_new(cfg, &e)) == NULL) {
		fprintf(stderr, "ovhload: %s\n", e->message);
		return 1;
	}
	l.total = atoi(argv[2]);
	nthreads = atoi(argv[3]);
	l.pause_ms = argc == 5 ? atoi(argv[4]) : 0;
	g_mutex_init(&l.lock);
	for (int i = 0; i < nthreads; i++)
		g_ptr_array_add(threads, g_thread_new("load", worker, &l));
	for (guint i = 0; i < threads->len; i++)
		g_thread_join(threads->pdata[i]);
	g_ptr_array_free(threads, TRUE);
	printf("sent %d failed %d%s%s\n", l.sent, l.failed, l.first_error ? " first error: " : "",
	       l.first_error ? l.first_error : "");
	ovh_client_free(l.client);
	g_free(l.first_error);
	return l.failed == 0 && l.sent == l.total ? 0 : 1;
}

/*
 * log.c: the JSON-lines request log that tests assert on. One object per HTTPS request,
 * written whole and flushed before the reply leaves, so a test that has its reply can read
 * its line:
 *   {"n","conn","method","path","query","status","error","message","app","consumer",
 *    "queryId","body"[,"job","dropped"],"at_ms"}
 * with at_ms the wall-clock time (Unix ms) the whole request had arrived, before any
 * latency fault: what a rate of requests is measured on.
 * Lines from concurrent requests never interleave. It must not log secrets or signatures
 * and must not change the request it describes.
 */
#include "mock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct mock_log {
	pthread_mutex_t lock;
	FILE *f;
	guint64 seq;
};

struct mock_log *log_open(const char *path, GError **err)
{
	struct mock_log *log;
	FILE *f = fopen(path, "a");

	if (!f) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "--log %s: %s", path,
			    g_strerror(errno));
		return NULL;
	}
	log = g_new0(struct mock_log, 1);
	pthread_mutex_init(&log->lock, NULL);
	log->f = f;
	return log;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void log_request(struct mock_log *log, struct mock_req *r, const char *query_id)
{
	json_object *o;
	const char *text;

	if (!log)
		return;
	o = json_object_new_object();
	pthread_mutex_lock(&log->lock);
	json_object_object_add(o, "n", json_object_new_int64((gint64)++log->seq));
	json_object_object_add(o, "conn", json_object_new_int64((gint64)r->conn));
	json_object_object_add(o, "method", str_or_null(r->method));
	json_object_object_add(o, "path", str_or_null(r->path));
	json_object_object_add(o, "query", str_or_null(r->query));
	json_object_object_add(o, "status", json_object_new_int(r->status));
	json_object_object_add(o, "error", str_or_null(r->error));
	json_object_object_add(o, "message", str_or_null(r->message));
	json_object_object_add(o, "app", str_or_null(r->app));
	json_object_object_add(o, "consumer", str_or_null(r->consumer));
	json_object_object_add(o, "queryId", str_or_null(query_id));
	json_object_object_add(o, "body", r->json ? json_object_get(r->json) : NULL);
	if (r->job)
		json_object_object_add(o, "job", json_object_get(r->job));
	if (r->drop)
		json_object_object_add(o, "dropped", json_object_new_boolean(TRUE));
	json_object_object_add(o, "at_ms", json_object_new_int64(r->received_ms));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	fputs(text, log->f);
	fputc('\n', log->f);
	fflush(log->f);
	pthread_mutex_unlock(&log->lock);
	json_object_put(o);
}

void log_close(struct mock_log *log)
{
	if (!log)
		return;
	fclose(log->f);
	pthread_mutex_destroy(&log->lock);
	g_free(log);
}

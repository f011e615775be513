/*
 * auth.c: OVH's authentication as the stand-in sees it. Holds the application and consumer
 * keys given on the command line or created through POST /auth/credential, checks a signed
 * call the way OVH does (keys, clock window, "$1$" SHA-1 signature over the full URL and the
 * raw body, rights), and serves /auth/time, /auth/credential and /auth/currentCredential.
 * Each refusal carries OVH's own errorCode and message. It must not alter a key once
 * created, nor remove one: requests in flight hold pointers to them.
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>

#define MOCK_ERROR g_quark_from_static_string("ovhmock")

/* "AK:AS" */
gboolean auth_add_app(struct mock *m, const char *spec, GError **err)
{
	const char *colon = strchr(spec, ':');

	if (!colon || colon == spec || !colon[1]) {
		g_set_error(err, MOCK_ERROR, 1, "--app %s: expected KEY:SECRET", spec);
		return FALSE;
	}
	g_hash_table_replace(m->apps, g_strndup(spec, (gsize)(colon - spec)), g_strdup(colon + 1));
	return TRUE;
}

static void rule_free(gpointer p)
{
	struct mock_rule *rule = p;

	g_free(rule->method);
	g_free(rule->path);
	g_free(rule);
}

static gboolean method_ok(const char *method)
{
	return !g_strcmp0(method, "GET") || !g_strcmp0(method, "POST") ||
	       !g_strcmp0(method, "PUT") || !g_strcmp0(method, "DELETE");
}

static struct mock_rule *rule_new(const char *method, const char *path)
{
	struct mock_rule *rule = g_new0(struct mock_rule, 1);

	rule->method = g_strdup(method);
	rule->path = g_strdup(path);
	return rule;
}

/* ";"-separated "METHOD PATH" items, such as "GET /sms" (a "*" in a path is a wildcard). */
static GPtrArray *rules_parse(const char *text, GError **err)
{
	g_auto(GStrv) items = g_strsplit(text, ";", -1);
	GPtrArray *rules = g_ptr_array_new_with_free_func(rule_free);

	for (int i = 0; items[i]; i++) {
		g_auto(GStrv) mp = g_strsplit(g_strstrip(items[i]), " ", 2);

		if (!*items[i])
			continue;
		if (!mp[0] || !mp[1] || !method_ok(mp[0]) || mp[1][0] != '/') {
			g_set_error(err, MOCK_ERROR, 1, "bad rule \"%s\": expected METHOD /PATH",
				    items[i]);
			g_ptr_array_unref(rules);
			return NULL;
		}
		g_ptr_array_add(rules, rule_new(mp[0], mp[1]));
	}
	return rules;
}

static void consumer_insert(struct mock *m, struct mock_consumer *c)
{
	c->id = ++m->next_credential;
	g_hash_table_replace(m->consumers, c->key, c);
}

/* "CK:AK[:RULES]" */
gboolean auth_add_consumer(struct mock *m, const char *spec, gboolean expired, GError **err)
{
	g_auto(GStrv) f = g_strsplit(spec, ":", 3);
	struct mock_consumer *c;
	GPtrArray *rules = NULL;

	if (!f[0] || !f[1] || !*f[0] || !*f[1] || (expired && f[2])) {
		g_set_error(err, MOCK_ERROR, 1, "%s %s: expected CONSUMER_KEY:APPLICATION_KEY%s",
			    expired ? "--expired-consumer" : "--consumer", spec,
			    expired ? "" : "[:RULES]");
		return FALSE;
	}
	if (!g_hash_table_contains(m->apps, f[1])) {
		g_set_error(err, MOCK_ERROR, 1, "consumer %s: unknown application key %s", f[0], f[1]);
		return FALSE;
	}
	if (f[2] && !(rules = rules_parse(f[2], err)))
		return FALSE;
	c = g_new0(struct mock_consumer, 1);
	c->key = g_strdup(f[0]);
	c->app = g_strdup(f[1]);
	c->expired = expired;
	c->rules = rules;
	consumer_insert(m, c);
	return TRUE;
}

/* '*' matches any run of characters, '/' included, as in OVH's access rules. */
static gboolean glob_match(const char *pat, const char *s)
{
	if (*pat == '\0')
		return *s == '\0';
	if (*pat == '*') {
		for (;; s++) {
			if (glob_match(pat + 1, s))
				return TRUE;
			if (!*s)
				return FALSE;
		}
	}
	return *pat == *s && glob_match(pat + 1, s + 1);
}

static gboolean granted(const struct mock_consumer *c, const char *method, const char *path)
{
	if (!c->rules)
		return TRUE;
	for (guint i = 0; i < c->rules->len; i++) {
		const struct mock_rule *rule = c->rules->pdata[i];

		if (strcmp(rule->method, method) == 0 && glob_match(rule->path, path))
			return TRUE;
	}
	return FALSE;
}

static void need_login(struct mock_req *r)
{
	mock_reply_code(r, 401, "NOT_AUTHENTICATED", "You must login first");
}

/* Calls that need only a known application key. */
gboolean auth_app(struct mock_req *r)
{
	gboolean known;

	if (!r->app || !*r->app) {
		need_login(r);
		return FALSE;
	}
	pthread_mutex_lock(&r->m->lock);
	known = g_hash_table_contains(r->m->apps, r->app);
	pthread_mutex_unlock(&r->m->lock);
	if (!known)
		mock_reply_code(r, 403, "INVALID_KEY", "Invalid application key");
	return known;
}

static gboolean all_digits(const char *s)
{
	if (!*s)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isdigit(*s))
			return FALSE;
	return TRUE;
}

/* A fully signed call: keys, clock window, signature, then (if asked) the rights. */
gboolean auth_signed(struct mock_req *r, gboolean need_grant)
{
	struct mock *m = r->m;
	const char *ts = mock_header(r, "X-Ovh-Timestamp");
	const char *sig = mock_header(r, "X-Ovh-Signature");
	const char *host = mock_header(r, "Host");
	g_autofree char *secret = NULL;
	g_autofree char *expect = NULL;
	struct mock_consumer *c;
	GChecksum *sum;
	gint64 skew;

	if (!auth_app(r))
		return FALSE;
	if (!r->consumer || !*r->consumer || !ts || !sig) {
		need_login(r);
		return FALSE;
	}
	pthread_mutex_lock(&m->lock);
	secret = g_strdup(g_hash_table_lookup(m->apps, r->app));
	c = g_hash_table_lookup(m->consumers, r->consumer);
	pthread_mutex_unlock(&m->lock);
	if (!c || strcmp(c->app, r->app) != 0) {
		mock_reply_code(r, 403, "NOT_CREDENTIAL", "This credential does not exist");
		return FALSE;
	}
	if (c->expired) {
		mock_reply_code(r, 403, "INVALID_CREDENTIAL", "This credential is not valid");
		return FALSE;
	}
	skew = all_digits(ts) && strlen(ts) < 15 ? g_ascii_strtoll(ts, NULL, 10) - mock_now(m)
						 : G_MAXINT;
	if (skew > MOCK_CLOCK_WINDOW || skew < -MOCK_CLOCK_WINDOW) {
		mock_reply_code(r, 400, "QUERY_TIME_OUT", "Query out of time");
		return FALSE;
	}
	sum = g_checksum_new(G_CHECKSUM_SHA1);
#define ADD(s) g_checksum_update(sum, (const guchar *)(s), (gssize)strlen(s))
	ADD(secret); ADD("+"); ADD(r->consumer); ADD("+"); ADD(r->method); ADD("+");
	ADD("https://"); ADD(host ? host : ""); ADD(r->uri); ADD("+");
	g_checksum_update(sum, (const guchar *)r->body->str, (gssize)r->body->len);
	ADD("+"); ADD(ts);
#undef ADD
	expect = g_strconcat("$1$", g_checksum_get_string(sum), NULL);
	g_checksum_free(sum);
	if (strcmp(expect, sig) != 0) {
		mock_reply_code(r, 400, "INVALID_SIGNATURE", "Invalid signature");
		return FALSE;
	}
	r->cred = c;
	if (need_grant && !granted(c, r->method, r->path + 4)) {
		mock_reply_code(r, 403, "NOT_GRANTED_CALL", "This call has not been granted");
		return FALSE;
	}
	return TRUE;
}

/* GET /auth/time: a bare integer, the server clock plus the clock faults. */
void auth_time(struct mock_req *r, char **args)
{
	(void)args;
	mock_reply(r, 200, json_object_new_int64(mock_time_reported(r->m)));
}

static char *random_alnum(int n)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char *s = g_malloc((gsize)n + 1);

	for (int i = 0; i < n; i++)
		s[i] = set[g_random_int_range(0, (gint32)sizeof set - 1)];
	s[n] = '\0';
	return s;
}

/* Checks a credential request's body; on success returns the rules it asks for. */
static GPtrArray *credential_rules(struct mock_req *r)
{
	json_object *rules_js = NULL;
	GPtrArray *rules;

	if (!r->json || !json_object_is_type(r->json, json_type_object)) {
		mock_reply_bad(r, "Invalid JSON received");
		return NULL;
	}
	json_object_object_foreach(r->json, key, val) {
		if (strcmp(key, "accessRules") == 0) {
			rules_js = val;
		} else if (strcmp(key, "redirection") == 0) {
			if (val && !json_object_is_type(val, json_type_string)) {
				mock_reply_bad(r, "Invalid type for parameter redirection");
				return NULL;
			}
		} else if (strcmp(key, "allowedIPs") == 0) {
			if (val && !json_object_is_type(val, json_type_array)) {
				mock_reply_bad(r, "Invalid type for parameter allowedIPs");
				return NULL;
			}
		} else {
			mock_reply_bad(r, "Invalid parameter %s", key);
			return NULL;
		}
	}
	if (!rules_js || !json_object_is_type(rules_js, json_type_array) ||
	    json_object_array_length(rules_js) == 0) {
		mock_reply_bad(r, "Missing parameter accessRules");
		return NULL;
	}
	rules = g_ptr_array_new_with_free_func(rule_free);
	for (size_t i = 0; i < json_object_array_length(rules_js); i++) {
		json_object *o = json_object_array_get_idx(rules_js, i), *meth = NULL, *path = NULL;

		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, "method", &meth) ||
		    !json_object_object_get_ex(o, "path", &path) ||
		    !json_object_is_type(meth, json_type_string) ||
		    !json_object_is_type(path, json_type_string) ||
		    !method_ok(json_object_get_string(meth)) ||
		    json_object_get_string(path)[0] != '/') {
			mock_reply_bad(r, "Invalid parameter accessRules");
			g_ptr_array_unref(rules);
			return NULL;
		}
		g_ptr_array_add(rules, rule_new(json_object_get_string(meth),
						json_object_get_string(path)));
	}
	return rules;
}

/* POST /auth/credential: a new consumer key, usable at once with exactly the rules asked. */
void auth_credential(struct mock_req *r, char **args)
{
	GPtrArray *rules = credential_rules(r);
	struct mock_consumer *c;
	json_object *o;
	g_autofree char *token = NULL;
	g_autofree char *url = NULL;

	(void)args;
	if (!rules)
		return;
	c = g_new0(struct mock_consumer, 1);
	c->key = random_alnum(32);
	c->app = g_strdup(r->app);
	c->rules = rules;
	token = random_alnum(32);
	pthread_mutex_lock(&r->m->lock);
	consumer_insert(r->m, c);
	url = g_strdup_printf("https://127.0.0.1:%d/auth/?credentialToken=%s", r->m->port, token);
	pthread_mutex_unlock(&r->m->lock);
	o = json_object_new_object();
	json_object_object_add(o, "consumerKey", json_object_new_string(c->key));
	json_object_object_add(o, "state", json_object_new_string("pendingValidation"));
	json_object_object_add(o, "validationUrl", json_object_new_string(url));
	mock_reply(r, 200, o);
}

/* GET /auth/currentCredential */
void auth_current(struct mock_req *r, char **args)
{
	static const char *const all[] = { "GET", "POST", "PUT", "DELETE" };
	struct mock_consumer *c = r->cred;
	json_object *o = json_object_new_object(), *rules = json_object_new_array();

	(void)args;
	if (c->rules) {
		for (guint i = 0; i < c->rules->len; i++) {
			const struct mock_rule *rule = c->rules->pdata[i];
			json_object *ro = json_object_new_object();

			json_object_object_add(ro, "method", json_object_new_string(rule->method));
			json_object_object_add(ro, "path", json_object_new_string(rule->path));
			json_object_array_add(rules, ro);
		}
	} else {
		for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
			json_object *ro = json_object_new_object();

			json_object_object_add(ro, "method", json_object_new_string(all[i]));
			json_object_object_add(ro, "path", json_object_new_string("/*"));
			json_object_array_add(rules, ro);
		}
	}
	json_object_object_add(o, "status", json_object_new_string("validated"));
	json_object_object_add(o, "expiration", NULL);
	json_object_object_add(o, "rules", rules);
	json_object_object_add(o, "applicationId", json_object_new_int(1));
	json_object_object_add(o, "credentialId", json_object_new_int(c->id));
	json_object_object_add(o, "creation", json_object_new_string("2024-01-01T00:00:00+01:00"));
	json_object_object_add(o, "lastUse", NULL);
	json_object_object_add(o, "ovhSupport", json_object_new_boolean(FALSE));
	json_object_object_add(o, "allowedIPs", NULL);
	mock_reply(r, 200, o);
}

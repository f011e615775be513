/* message.c: a mail and its recipients to the SMS jobs they should produce.
 *
 * Reads at most max_message_size bytes of a mail (what lies beyond is neither read nor kept),
 * and plans its jobs recipient by recipient, the one verdict that every front end uses: the
 * milter feeds each RCPT as it comes and answers what is refused there, parse and deliver
 * feed them all at once. It classifies every recipient (address.c), reads the text (text.c)
 * and prepares it (gsm.c), and groups the receivers: one job per distinct text, each number
 * once across all recipients. Promises: every recipient ends in exactly one of taken (and,
 * once finished, a job's addresses), refused (unless the front end answered it) or not_sms.
 * Must not: make a network call, log, or know about SMTP; msg_plan_verdict says what a plan
 * means, the front ends only map that error.
 *
 * Choices an operator can rely on:
 * - an address given twice (To and Cc, any case) is considered once;
 * - a number given by several recipients (To and Cc, an alias and a plain number) is sent
 *   once, in the job of the first recipient that gave it;
 * - max_recipients counts distinct numbers; a recipient whose new numbers would go beyond it
 *   is refused whole with M2S_ERR_TOO_MANY (M2S_ERR_LIMIT when it alone has too many), and
 *   so is every later recipient that brings a new number (first come, first served, like an
 *   MTA's recipient limit: the 452 lets the client send the rest later); recipients whose
 *   numbers are all already planned still pass;
 * - numbers read from the Subject of a subject address get the body alone as text; the
 *   others get the configured text (subject+body by default): so a mail may give two jobs;
 *   a subject address met before the mail (the milter's RCPT) is resolved at its end;
 * - a job whose text would be empty is not planned: its recipients are refused with
 *   M2S_ERR_DATA "empty message". */
#include <string.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include "address.h"
#include "error.h"
#include "message.h"
#include "urgent.h"
#include "safeline.h"
#include "text.h"

/* Length of the idempotency tag (DESIGN.md: at most 20). */
#define MSG_TAG_LEN 20
/* Read buffer for a mail arriving on a stream. */
#define MSG_READ_CHUNK 65536
/* Header recipients considered (To and Cc together) and group nesting followed. */
#define MSG_MAX_HEADER_ADDRESSES 10000
#define MSG_MAX_GROUP_DEPTH 4

/* GMime wants g_mime_init() once per process before parsing, and libxml2 its parser
 * initialised before threads use it (the milter's workers convert HTML): the mains call
 * this first, never a worker thread. */
void msg_init(void)
{
	static gsize done = 0;
	if (g_once_init_enter(&done)) {
		g_mime_init();
		xmlInitParser();
		g_once_init_leave(&done, 1);
	}
}

/* Parses the mail held by STREAM (already bounded by the caller). */
static GMimeMessage *msg_parse_bounded(GMimeStream *stream, GError **err)
{
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg == NULL)
		g_set_error(err, M2S_ERROR, M2S_ERR_DATA, "the input cannot be read as a mail");
	return msg;
}

GMimeMessage *msg_parse_bytes(const Cfg *cfg, const char *bytes, gsize len, GError **err)
{
	if (len > cfg->max_message_size)
		len = cfg->max_message_size;
	if (bytes == NULL || len == 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_DATA, "empty mail");
		return NULL;
	}
	/* The memory stream copies at most max_message_size bytes; the parser then refers to
	 * it instead of copying part contents again. */
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(bytes, len);
	GMimeMessage *msg = msg_parse_bounded(stream, err);
	g_object_unref(stream);
	return msg;
}

/* Reads STREAM up to max_message_size and parses what was read. */
static GMimeMessage *msg_parse_stream(const Cfg *cfg, GMimeStream *stream, GError **err)
{
	/* Read up to the bound and no further: a pipe gives no length to check in advance,
	 * and what lies beyond must cost neither memory nor time. */
	g_autoptr(GByteArray) buf = g_byte_array_new();
	gsize max = cfg->max_message_size;
	guint8 chunk[MSG_READ_CHUNK];
	while (buf->len < max) {
		gsize want = MIN(sizeof chunk, max - buf->len);
		ssize_t n = g_mime_stream_read(stream, (char *)chunk, want);
		if (n < 0) {
			g_set_error(err, M2S_ERROR, M2S_ERR_IO, "cannot read the mail");
			return NULL;
		}
		if (n == 0)
			break;
		g_byte_array_append(buf, chunk, (guint)n);
	}
	if (buf->len == 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_DATA, "empty mail");
		return NULL;
	}
	/* The stream takes the array: no second copy. */
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(g_steal_pointer(&buf));
	GMimeMessage *msg = msg_parse_bounded(mem, err);
	g_object_unref(mem);
	return msg;
}

GMimeMessage *msg_parse_fd(const Cfg *cfg, int fd, GError **err)
{
	/* A pipe stream reads pipes, files and terminals alike, and leaves FD open. */
	GMimeStream *in = g_mime_stream_pipe_new(fd);
	GMimeMessage *msg;

	g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(in), FALSE);
	msg = msg_parse_stream(cfg, in, err);
	g_object_unref(in);
	return msg;
}

MsgJob *msg_job_new(const char *tag, GsmMessage *sms)
{
	MsgJob *job = g_new0(MsgJob, 1);

	job->receivers = g_ptr_array_new_with_free_func(g_free);
	job->addresses = g_ptr_array_new_with_free_func(g_free);
	job->sms = sms;
	job->tag = g_strdup(tag);
	return job;
}

void msg_job_free(MsgJob *job)
{
	if (job == NULL)
		return;
	g_ptr_array_unref(job->receivers);
	g_ptr_array_unref(job->addresses);
	gsm_message_free(job->sms);
	g_free(job->tag);
	g_free(job);
}

static void msg_refusal_free(MsgRefusal *r)
{
	if (r == NULL)
		return;
	g_free(r->address);
	g_free(r->reason);
	g_free(r);
}

/* The two kinds of receivers a mail can have, which differ by their text. */
enum { MSG_GROUP_TEXT, MSG_GROUP_SUBJECT, MSG_GROUPS };

typedef struct {
	GPtrArray *receivers;   /* char* E.164, in order of first appearance */
	GPtrArray *addresses;   /* char* recipients whose numbers went here */
} MsgGroup;

/* What a recipient already added was found to be, for the same address given again. */
typedef struct {
	AddrKind kind;
	GError *err;            /* ADDR_REFUSED: why */
} MsgSeen;

/* The planner's state between two recipients. */
struct MsgPlanWork {
	Cfg *cfg;
	MsgPlanFlags flags;
	GError *denied;          /* [access]: every SMS recipient is refused with it */
	MsgGroup groups[MSG_GROUPS];
	GHashTable *planned;     /* number -> its group + 1 */
	GHashTable *seen;        /* lower-case address -> MsgSeen* */
	GPtrArray *pending;      /* char* subject addresses waiting for the Subject */
	char *subject;           /* the decoded Subject, once read */
	gboolean limit_hit;      /* max_recipients reached: no new number after that */
};

static void msg_seen_free(MsgSeen *s)
{
	g_clear_error(&s->err);
	g_free(s);
}

static void msg_work_free(MsgPlanWork *w)
{
	if (w == NULL)
		return;
	cfg_unref(w->cfg);
	g_clear_error(&w->denied);
	for (int g = 0; g < MSG_GROUPS; g++) {
		g_ptr_array_unref(w->groups[g].receivers);
		g_ptr_array_unref(w->groups[g].addresses);
	}
	g_hash_table_unref(w->planned);
	g_hash_table_unref(w->seen);
	g_ptr_array_unref(w->pending);
	g_free(w->subject);
	g_free(w);
}

void msg_plan_free(MsgPlan *plan)
{
	if (plan == NULL)
		return;
	g_ptr_array_unref(plan->jobs);
	g_ptr_array_unref(plan->refused);
	g_ptr_array_unref(plan->not_sms);
	g_ptr_array_unref(plan->taken);
	g_free(plan->message_id);
	g_free(plan->subject);
	g_free(plan->login);
	if (plan->notify != NULL)
		g_hash_table_unref(plan->notify);
	msg_work_free(plan->work);
	g_free(plan);
}

void msg_plan_set_notify(MsgPlan *plan, const char *address, guint flags)
{
	if (plan->notify == NULL)
		plan->notify = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_replace(plan->notify, g_ascii_strdown(address, -1), GUINT_TO_POINTER(flags + 1));
}

static void msg_refuse(MsgPlan *plan, const char *address, int code, const char *reason)
{
	MsgRefusal *r = g_new0(MsgRefusal, 1);
	r->address = safeline(address, SAFELINE_FIELD, FALSE);
	r->reason = safeline(reason, SAFELINE_FIELD, FALSE);
	r->code = code;
	g_ptr_array_add(plan->refused, r);
}

/* Appends the mailboxes of LIST (groups flattened) to OUT. */
static void msg_collect_addresses(InternetAddressList *list, GPtrArray *out, int depth)
{
	if (list == NULL || depth > MSG_MAX_GROUP_DEPTH)
		return;
	int n = internet_address_list_length(list);
	for (int i = 0; i < n && out->len < MSG_MAX_HEADER_ADDRESSES; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
			if (a != NULL && *a != '\0')
				g_ptr_array_add(out, g_strdup(a));
		} else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			msg_collect_addresses(
			        internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out,
			        depth + 1);
		}
	}
}

static void msg_add_once(GPtrArray *arr, const char *s)
{
	for (guint i = 0; i < arr->len; i++)
		if (strcmp(g_ptr_array_index(arr, i), s) == 0)
			return;
	g_ptr_array_add(arr, g_strdup(s));
}

/* TRUE when MSG answers a mail (In-Reply-To, and a Subject "Re: ..."): the subject names
 * the conversation, the news is in the body (quotes cut), so the SMS carries the body
 * alone, as answering a reply mailed from an SMS would expect. */
static gboolean msg_is_answer(GMimeMessage *msg, const char *subject)
{
	return msg != NULL && g_ascii_strncasecmp(subject, "re:", 3) == 0 &&
	       g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To") != NULL;
}

/* Joins subject and body the way [sms] text asks, skipping an empty part. */
static char *msg_compose(CfgTextMode mode, const char *subject, const char *body)
{
	switch (mode) {
	case CFG_TEXT_SUBJECT:
		return g_strdup(subject);
	case CFG_TEXT_BODY:
		return g_strdup(body);
	case CFG_TEXT_SUBJECT_BODY:
		break;
	}
	if (*subject == '\0')
		return g_strdup(body);
	if (*body == '\0')
		return g_strdup(subject);
	return g_strconcat(subject, "\n", body, NULL);
}

static gint msg_strcmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The idempotency tag: "m2s" and 17 hex digits of SHA-256 over the Message-ID (or, without
 * one, the text), the sorted receivers and the text. A mail retried by an MTA gives the
 * same tag; another mail, receiver set or text gives another. */
char *msg_tag(const char *message_id, GPtrArray *receivers, const char *text)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	/* A copy of the pointers only: the strings stay the caller's. */
	g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new(receivers->len);
	for (guint i = 0; i < receivers->len; i++)
		g_ptr_array_add(sorted, g_ptr_array_index(receivers, i));
	g_ptr_array_sort(sorted, msg_strcmp);
	const char *id = message_id != NULL && *message_id != '\0' ? message_id : text;
	/* NUL separators keep ("ab","c") and ("a","bc") apart. */
	g_checksum_update(sum, (const guchar *)"id", 3);
	g_checksum_update(sum, (const guchar *)id, strlen(id) + 1);
	for (guint i = 0; i < sorted->len; i++) {
		const char *r = g_ptr_array_index(sorted, i);
		g_checksum_update(sum, (const guchar *)r, strlen(r) + 1);
	}
	g_checksum_update(sum, (const guchar *)"text", 5);
	g_checksum_update(sum, (const guchar *)text, strlen(text));
	return g_strdup_printf("m2s%.*s", MSG_TAG_LEN - 3, g_checksum_get_string(sum));
}

/* TRUE when MID is the Message-ID an MTA made up for the mail it queued as QID: Postfix's
 * cleanup writes "YYYYMMDDhhmmss.QID@host" (or "QID@host" with long queue ids), Sendmail
 * "YYYYMMDDhhmm.QID@host". It names one attempt, not the mail: a local submission the
 * milter deferred is picked up again under a new queue id, and gets a new one. */
static gboolean msg_id_made_by_mta(const char *mid, const char *qid)
{
	const char *at = strrchr(mid, '@');
	gsize qlen = qid != NULL ? strlen(qid) : 0;

	if (at == NULL || qlen == 0 || (gsize)(at - mid) < qlen ||
	    strncmp(at - qlen, qid, qlen) != 0)
		return FALSE;
	if (at - qlen == mid)
		return TRUE;
	if (at[-(gssize)qlen - 1] != '.')
		return FALSE;
	for (const char *p = mid; p < at - qlen - 1; p++)
		if (!g_ascii_isdigit(*p))
			return FALSE;
	return TRUE;
}

void msg_plan_identify(MsgPlan *plan, GMimeMessage *msg, const char *stable_id,
                       const char *fallback_id)
{
	const char *mid = msg != NULL ? g_mime_message_get_message_id(msg) : NULL;
	g_autofree char *id = NULL;

	if (mid != NULL && *mid != '\0' && !msg_id_made_by_mta(mid, fallback_id))
		return;
	if (stable_id != NULL && *stable_id != '\0') {
		id = g_strconcat("queue:", stable_id, NULL);
	} else if (msg != NULL) {
		/* The Date and the From a client sends again unchanged: a retry keeps its tag,
		 * the same alert a second later gets another. A local submission without a Date
		 * gets the time it was submitted from Postfix, the same at every pickup. */
		const char *date = g_mime_object_get_header(GMIME_OBJECT(msg), "Date");
		const char *from = g_mime_object_get_header(GMIME_OBJECT(msg), "From");
		if (date != NULL)
			id = g_strconcat("date:", date, "\nfrom:", from ? from : "", NULL);
	}
	/* Nothing that a retry keeps: the content names the job, and dispatch.c remembers it
	 * only while an attempt is in doubt, so that a second alert is never taken for the
	 * first once that one went out. */
	gboolean content = FALSE;
	if (id == NULL && fallback_id != NULL && *fallback_id != '\0') {
		const char *from = msg != NULL ? g_mime_object_get_header(GMIME_OBJECT(msg), "From")
		                               : NULL;
		id = g_strconcat("content:", from ? from : "", NULL);
		content = TRUE;
	}
	if (id == NULL)
		return;
	for (guint i = 0; i < plan->jobs->len; i++) {
		MsgJob *job = g_ptr_array_index(plan->jobs, i);
		g_free(job->tag);
		job->tag = msg_tag(id, job->receivers, job->sms->text);
		job->content_tag = content;
	}
}

/* Adds the job for GROUP with TEXT, or refuses its recipients when the text is empty. */
static void msg_add_job(const Cfg *cfg, MsgPlan *plan, GMimeMessage *msg, MsgGroup *group,
                        const char *text)
{
	if (group->receivers->len == 0)
		return;
	g_autofree char *stripped = g_strstrip(g_strdup(text));
	if (*stripped == '\0') {
		for (guint i = 0; i < group->addresses->len; i++)
			msg_refuse(plan, g_ptr_array_index(group->addresses, i), M2S_ERR_DATA,
			           "empty message: no subject or body to send");
		return;
	}
	MsgJob *job = g_new0(MsgJob, 1);
	job->receivers = g_ptr_array_ref(group->receivers);
	job->addresses = g_ptr_array_ref(group->addresses);
	job->sms = gsm_prepare(text, cfg->sms_max_segments, cfg->sms_transliterate);
	job->tag = msg_tag(msg != NULL ? g_mime_message_get_message_id(msg) : NULL, job->receivers,
	                   job->sms != NULL ? job->sms->text : text);
	g_ptr_array_add(plan->jobs, job);
}

/* Moves SRC's receivers and addresses into DST (two groups that share one text). */
static void msg_group_merge(MsgGroup *dst, MsgGroup *src)
{
	for (guint i = 0; i < src->receivers->len; i++)
		msg_add_once(dst->receivers, g_ptr_array_index(src->receivers, i));
	for (guint i = 0; i < src->addresses->len; i++)
		msg_add_once(dst->addresses, g_ptr_array_index(src->addresses, i));
	g_ptr_array_set_size(src->receivers, 0);
	g_ptr_array_set_size(src->addresses, 0);
}

MsgPlan *msg_plan_new(const Cfg *cfg, const GError *denied, MsgPlanFlags flags)
{
	MsgPlan *plan = g_new0(MsgPlan, 1);
	MsgPlanWork *w = g_new0(MsgPlanWork, 1);

	plan->jobs = g_ptr_array_new_with_free_func((GDestroyNotify)msg_job_free);
	plan->refused = g_ptr_array_new_with_free_func((GDestroyNotify)msg_refusal_free);
	plan->not_sms = g_ptr_array_new_with_free_func(g_free);
	plan->taken = g_ptr_array_new_with_free_func(g_free);
	plan->work = w;
	w->cfg = cfg_ref((Cfg *)cfg);
	w->flags = flags;
	w->denied = denied != NULL ? g_error_copy(denied) : NULL;
	for (int g = 0; g < MSG_GROUPS; g++) {
		w->groups[g].receivers = g_ptr_array_new_with_free_func(g_free);
		w->groups[g].addresses = g_ptr_array_new_with_free_func(g_free);
	}
	w->planned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	w->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                (GDestroyNotify)msg_seen_free);
	w->pending = g_ptr_array_new_with_free_func(g_free);
	return plan;
}

/* The decoded Subject, read once (subject addresses and the text both need it). */
static const char *msg_subject(MsgPlanWork *w, GMimeMessage *msg)
{
	if (w->subject == NULL)
		w->subject = msg != NULL ? text_subject(msg) : g_strdup("");
	return w->subject;
}

/* Takes ADDR's NUMBERS into GROUP, each number once per mail, unless they would go beyond
 * max_recipients (0: no limit): then ADDR is refused whole and, first come first served
 * like an MTA's recipient limit, so is every later recipient that brings a new number. */
static gboolean msg_take_numbers(MsgPlanWork *w, const char *addr, GPtrArray *numbers,
                                 int group, GError **err)
{
	guint limit = w->cfg->addr_max_recipients;
	/* Count what this recipient adds before taking any of it. */
	g_autoptr(GHashTable) fresh = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint j = 0; j < numbers->len; j++)
		if (!g_hash_table_contains(w->planned, numbers->pdata[j]))
			g_hash_table_add(fresh, numbers->pdata[j]);
	guint adds = g_hash_table_size(fresh);

	if (adds > 0 && limit > 0 && (w->limit_hit || g_hash_table_size(w->planned) + adds > limit)) {
		/* 452 lets the client send the rest in another mail; a recipient that alone has
		 * too many numbers would never pass. */
		w->limit_hit = TRUE;
		g_set_error(err, M2S_ERROR, adds > limit ? M2S_ERR_LIMIT : M2S_ERR_TOO_MANY,
		            "more than %u SMS receivers", limit);
		return FALSE;
	}
	for (guint j = 0; j < numbers->len; j++) {
		const char *n = numbers->pdata[j];
		gpointer where = g_hash_table_lookup(w->planned, n);
		int g = where != NULL ? GPOINTER_TO_INT(where) - 1 : group;
		if (where == NULL) {
			g_hash_table_insert(w->planned, g_strdup(n), GINT_TO_POINTER(group + 1));
			g_ptr_array_add(w->groups[g].receivers, g_strdup(n));
		}
		msg_add_once(w->groups[g].addresses, addr);
	}
	return TRUE;
}

/* The verdict on one new address: the kind it is, with *err when refused. */
static AddrKind msg_judge(MsgPlan *plan, GMimeMessage *msg, const char *addr, GError **err)
{
	MsgPlanWork *w = plan->work;
	g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func(g_free);
	AddrKind kind = addr_classify(w->cfg, addr, numbers, err);
	int group = MSG_GROUP_TEXT;

	if (kind == ADDR_NOT_SMS) {
		if (!(w->flags & MSG_PLAN_SMS_ONLY))
			return kind;
		g_set_error(err, M2S_ERROR, M2S_ERR_NOUSER, "not an SMS address");
		return ADDR_REFUSED;
	}
	if (w->denied != NULL) {
		g_clear_error(err);
		g_propagate_error(err, g_error_copy(w->denied));
		return ADDR_REFUSED;
	}
	if (kind == ADDR_REFUSED)
		return kind;
	if (kind == ADDR_FROM_SUBJECT) {
		/* The milter meets the address before the mail: the Subject is read at the end. */
		if (msg == NULL) {
			g_ptr_array_add(w->pending, g_strdup(addr));
			return kind;
		}
		if (!addr_numbers_from_subject(w->cfg, msg_subject(w, msg), numbers, err))
			return ADDR_REFUSED;
		group = MSG_GROUP_SUBJECT;
	}
	return msg_take_numbers(w, addr, numbers, group, err) ? kind : ADDR_REFUSED;
}

AddrKind msg_plan_add(MsgPlan *plan, GMimeMessage *msg, const char *address, GError **err)
{
	MsgPlanWork *w = plan->work;
	char *key = g_ascii_strdown(address, -1);
	MsgSeen *seen = g_hash_table_lookup(w->seen, key);
	g_autoptr(GError) e = NULL;

	/* An address given twice (To and Cc, any case) is considered once. */
	if (seen != NULL) {
		g_free(key);
		if (seen->err != NULL)
			g_propagate_error(err, g_error_copy(seen->err));
		return seen->kind;
	}
	seen = g_new0(MsgSeen, 1);
	seen->kind = msg_judge(plan, msg, address, &e);
	g_hash_table_insert(w->seen, key, seen);
	switch (seen->kind) {
	case ADDR_NOT_SMS:
		g_ptr_array_add(plan->not_sms, safeline(address, SAFELINE_FIELD, FALSE));
		break;
	case ADDR_REFUSED:
		seen->err = g_error_copy(e);
		if (!(w->flags & MSG_PLAN_ANSWERED))
			msg_refuse(plan, address, e->code, e->message);
		g_propagate_error(err, g_steal_pointer(&e));
		break;
	case ADDR_NUMBERS:
	case ADDR_FROM_SUBJECT:
		g_ptr_array_add(plan->taken, g_strdup(address));
		break;
	}
	return seen->kind;
}

gboolean msg_plan_has_sms(const MsgPlan *plan)
{
	return plan->taken->len > 0 || plan->refused->len > 0;
}

void msg_plan_finish(MsgPlan *plan, GMimeMessage *msg)
{
	MsgPlanWork *w = plan->work;
	MsgGroup *groups = w->groups;

	for (guint i = 0; i < w->pending->len; i++) {
		const char *addr = w->pending->pdata[i];
		g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GError) e = NULL;

		if (!addr_numbers_from_subject(w->cfg, msg_subject(w, msg), numbers, &e) ||
		    !msg_take_numbers(w, addr, numbers, MSG_GROUP_SUBJECT, &e))
			msg_refuse(plan, addr, e->code, e->message);
	}
	g_ptr_array_set_size(w->pending, 0);
	if (msg != NULL && g_mime_message_get_message_id(msg) != NULL)
		plan->message_id = g_strdup(g_mime_message_get_message_id(msg));
	plan->subject = g_strdup(msg_subject(w, msg));
	plan->urgent = urgent_mail(msg);
	if (groups[MSG_GROUP_TEXT].receivers->len == 0 && groups[MSG_GROUP_SUBJECT].receivers->len == 0)
		return;
	const char *subject = msg_subject(w, msg);
	g_autofree char *body = msg != NULL ? text_body(msg) : g_strdup("");
	g_autofree char *text = msg_compose(msg_is_answer(msg, subject) && *body ? CFG_TEXT_BODY
	                                                                : w->cfg->sms_text,
	                                    subject, body);
	/* Same text for both groups (text = body): one job. */
	if (strcmp(text, body) == 0)
		msg_group_merge(&groups[MSG_GROUP_TEXT], &groups[MSG_GROUP_SUBJECT]);
	msg_add_job(w->cfg, plan, msg, &groups[MSG_GROUP_TEXT], text);
	msg_add_job(w->cfg, plan, msg, &groups[MSG_GROUP_SUBJECT], body);
}

MsgPlan *msg_plan(const Cfg *cfg, GMimeMessage *msg, const char *const *recipients)
{
	MsgPlan *plan = msg_plan_new(cfg, NULL, 0);

	if (recipients != NULL) {
		for (const char *const *r = recipients; *r != NULL; r++)
			msg_plan_add(plan, msg, *r, NULL);
	} else if (msg != NULL) {
		g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
		msg_collect_addresses(g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO), all, 0);
		msg_collect_addresses(g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC), all, 0);
		for (guint i = 0; i < all->len; i++)
			msg_plan_add(plan, msg, all->pdata[i], NULL);
	}
	msg_plan_finish(plan, msg);
	return plan;
}

gboolean msg_plan_verdict(const MsgPlan *plan, GError **err)
{
	const MsgRefusal *r;

	if (plan->refused->len > 0 && plan->work->denied != NULL) {
		g_propagate_error(err, g_error_copy(plan->work->denied));
		return FALSE;
	}
	if (plan->refused->len > 0) {
		r = plan->refused->pdata[0];
		/* Past the recipients, a retry would meet the same limit. */
		g_set_error(err, M2S_ERROR, r->code == M2S_ERR_TOO_MANY ? M2S_ERR_LIMIT : r->code,
		            "%s: %s%s", r->address, r->reason,
		            plan->refused->len > 1 ? " (and others)" : "");
		return FALSE;
	}
	if (plan->jobs->len == 0) {
		g_set_error(err, M2S_ERROR, M2S_ERR_DATA, "the mail has no text to send");
		return FALSE;
	}
	return TRUE;
}

/* A JSON array of strings. */
static json_object *msg_json_strings(GPtrArray *arr)
{
	json_object *a = json_object_new_array();
	for (guint i = 0; i < arr->len; i++)
		json_object_array_add(a, json_object_new_string(g_ptr_array_index(arr, i)));
	return a;
}

char *msg_plan_to_json(const MsgPlan *plan)
{
	json_object *root = json_object_new_object();
	json_object *jobs = json_object_new_array();
	json_object *refused = json_object_new_array();

	for (guint i = 0; i < plan->jobs->len; i++) {
		const MsgJob *job = g_ptr_array_index(plan->jobs, i);
		json_object *j = json_object_new_object();
		const GsmMessage *sms = job->sms;
		json_object_object_add(j, "receivers", msg_json_strings(job->receivers));
		json_object_object_add(j, "message", json_object_new_string(sms ? sms->text : ""));
		json_object_object_add(j, "encoding",
		                       json_object_new_string(sms && sms->encoding == GSM_ENC_UCS2
		                                                      ? "ucs2" : "gsm7"));
		json_object_object_add(j, "segments", json_object_new_int(sms ? (int)sms->segments : 0));
		json_object_object_add(j, "characters",
		                       json_object_new_int(sms ? (int)sms->characters : 0));
		json_object_object_add(j, "truncated", json_object_new_boolean(sms && sms->truncated));
		json_object_object_add(j, "tag", json_object_new_string(job->tag));
		json_object_array_add(jobs, j);
	}
	for (guint i = 0; i < plan->refused->len; i++) {
		const MsgRefusal *r = g_ptr_array_index(plan->refused, i);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "address", json_object_new_string(r->address));
		json_object_object_add(o, "reason", json_object_new_string(r->reason));
		json_object_array_add(refused, o);
	}
	json_object_object_add(root, "jobs", jobs);
	json_object_object_add(root, "refused", refused);
	char *out = g_strdup(json_object_to_json_string_ext(
	        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

/* cfg.h: the loaded configuration (mail2sms.conf, completed by ovh.conf and OVH_*).
 *
 * A Cfg is immutable once loaded and reference-counted: a reload builds a new one and swaps
 * it in; work in progress keeps the one it started with. */
#ifndef M2S_CFG_H
#define M2S_CFG_H

#include <glib.h>
#include <gio/gio.h>
#include "limits_rules.h"
#include "quiet.h"

#define CFG_DEFAULT_PATH "/etc/mail2sms/mail2sms.conf"

typedef enum { CFG_ACT_TEMPFAIL, CFG_ACT_REJECT, CFG_ACT_ACCEPT } CfgAction;
typedef enum { CFG_TEXT_SUBJECT_BODY, CFG_TEXT_SUBJECT, CFG_TEXT_BODY } CfgTextMode;
typedef enum { CFG_STORE_DEGRADE, CFG_STORE_TEMPFAIL } CfgStoreError;
/* What happens to an SMS over a [limits] rate: held for a digest (the mail is accepted),
 * deferred (4xx, EX_TEMPFAIL) or refused (5xx, EX_NOPERM). */
typedef enum { CFG_OVER_DIGEST, CFG_OVER_TEMPFAIL, CFG_OVER_REJECT } CfgOverLimit;
/* Which delivery reports a recipient gets, as the flags of SMTP's NOTIFY= (RFC 3461):
 * none is NEVER. [reports] notify: failure = FAILURE, always = SUCCESS|FAILURE|DELAY. */
typedef enum {
	CFG_NOTIFY_SUCCESS = 1 << 0,
	CFG_NOTIFY_FAILURE = 1 << 1,
	CFG_NOTIFY_DELAY = 1 << 2,
} CfgNotify;

#define CFG_DEFAULT_STORE "sqlite:/var/lib/mail2sms/state.db"

typedef struct Cfg {
	gint refcount;
	char *path;

	/* [milter] */
	char *milter_socket;
	char *milter_user;
	guint milter_umask;
	char *milter_pidfile;
	CfgAction on_api_error;
	CfgAction on_config_error;
	gboolean keep_sms_recipients;
	gboolean log_numbers_full;    /* log_numbers = full | masked */

	/* [ovh] (completed from ovh.conf files and OVH_* variables) */
	char *ovh_endpoint;           /* as written: ovh-eu, or a base URL */
	char *ovh_base_url;           /* resolved: https://eu.api.ovh.com/1.0, no trailing / */
	char *ovh_application_key;
	char *ovh_application_secret;
	char *ovh_consumer_key;
	char *ovh_service;            /* NULL: the account's only service */
	char *ovh_ca_file;
	guint ovh_timeout;            /* seconds for one request */
	LimitRate ovh_max_requests;   /* API requests budget; .n == 0: none */
	guint ovh_max_wait;           /* seconds a request over budget may wait, 0..20 */
	guint ovh_credits_alarm;      /* below this many credits left, the day's alarm; 0: off */
	char **ovh_alarm_to;          /* the alarm's recipients: local names or addresses */

	/* [sms] */
	char *sms_sender;             /* NULL or "" for none */
	gboolean sms_sender_for_response;
	gboolean sms_no_stop_clause;
	char *sms_priority;           /* high medium low veryLow */
	guint sms_validity;           /* minutes */
	CfgTextMode sms_text;
	guint sms_max_segments;       /* 1..6 */
	gboolean sms_transliterate;
	gsize max_message_size;       /* bytes of mail read; beyond is ignored */

	/* [addresses] */
	char **addr_domains;          /* lower case */
	char *addr_default_country;   /* ISO 3166 alpha-2, upper case */
	char **addr_allowed_prefixes; /* "+33", ... ; empty: all */
	char **addr_subject_addresses;/* lower case "sms@example.com" */
	guint addr_max_recipients;

	/* [state] */
	char *state_store;            /* sqlite:PATH, redis://HOST:PORT/DB, unix:PATH?db=N, none */
	char *state_password_file;    /* Redis AUTH, NULL: none */
	CfgStoreError on_store_error;
	guint state_claim_timeout;    /* seconds */
	guint state_settle_time;      /* seconds */
	guint state_keep;             /* seconds */

	/* [limits] (flood control; each limit left out is off) */
	LimitRate limits_per_receiver;    /* SMS per number; .n == 0: none */
	LimitRate limits_per_sender;      /* per envelope sender or SMTP AUTH login; .n == 0: none */
	guint limits_daily_credits;       /* credits per local day; 0: no cap */
	guint limits_duplicate_window;    /* seconds; 0: duplicates are sent */
	CfgOverLimit limits_over_limit;
	QuietHours limits_quiet_hours;    /* start == end: none */
	char *limits_timezone;            /* as written; NULL: the system's local zone */
	GTimeZone *limits_tz;             /* never NULL: limits_timezone, or the local zone */
	char **limits_quiet_hours_exempt; /* as written (alias names lower-cased) */
	GHashTable *limits_exempt_numbers;/* set of E.164 char*: the exempt numbers, those of the
	                                   * aliases included */

	/* [aliases]: lower-case name -> GPtrArray of number strings as written */
	GHashTable *aliases;

	/* [metrics] */
	char *metrics_listen;         /* as written, NULL: no listener (the default) */
	char *metrics_host;           /* its address, an IPv4 or IPv6 literal without brackets */
	guint metrics_port;

	/* [replies] (incoming SMS mailed to whoever paged the number) */
	gboolean replies_enable;
	guint replies_poll;           /* seconds between two looks at OVH's incoming SMS */
	guint replies_window;         /* seconds: a reply answers the last job to its number
	                               * sent this long before it at most */
	char *replies_unmatched_to;   /* a local name or an address */

	/* [reports] (delivery reports mailed to the job's sender) */
	guint reports_notify;         /* CfgNotify flags for a recipient that gave no NOTIFY= */
	char *reports_listen;         /* as written, NULL: poll OVH instead of a callback */
	char *reports_host;           /* as metrics_host */
	guint reports_port;
	guint reports_poll;           /* seconds between two polls (no listen) */
	char *reports_sendmail;       /* the sendmail(1) command; NULL: looked for (sendmail.h) */
	char *reports_token_file;     /* the callback's secret token (mail2sms reports setup) */

	/* [access] */
	GPtrArray *access_networks;   /* GInetAddressMask* */
	gboolean access_authenticated;
	char **access_senders;        /* "user@dom" or "@dom", lower case; empty: any */
} Cfg;

/* Loads and checks PATH; any problem is an M2S_ERR_CONFIG naming the file and key. */
Cfg *cfg_load(const char *path, GError **err);
/* A configuration with every default and no file (tests, parse without a config). */
Cfg *cfg_new_default(void);
Cfg *cfg_ref(Cfg *cfg);
void cfg_unref(Cfg *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Cfg, cfg_unref)

/* TRUE when a [limits] limit is set (per_receiver, per_sender, daily_credits,
 * duplicate_window, quiet_hours): each needs the state store, where the counts and the held
 * alerts are (quiet hours hold all but the first SMS of the night for one digest). */
gboolean cfg_limits_on(const Cfg *cfg);

/* TRUE when the milter or `mail2sms poll` has delivery reports to poll for: [reports]
 * notify is not never, or may be changed by NOTIFY=, and no callback is listened for. */
gboolean cfg_reports_polled(const Cfg *cfg);

/* TRUE when the OVH credentials needed for signed calls are all present. */
gboolean cfg_has_credentials(const Cfg *cfg, GError **err);
/* Every "section.key" that cfg_load accepts, NULL-terminated (documentation checks). */
const char *const *cfg_known_keys(void);

#endif

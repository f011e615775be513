/* ovh_twoway.h: the OVH calls that bring SMS back: incoming SMS (replies), the state of
 * sent SMS (delivery reports) and the account's callBack URL.
 *
 * Each call is one request over an OvhClient (ovh_http.h), safe from many threads; errors
 * are M2S_ERROR values as in ovh.h. */
#ifndef M2S_OVH_TWOWAY_H
#define M2S_OVH_TWOWAY_H

#include <glib.h>
#include "ovh_http.h"

/* An incoming SMS (GET /sms/{svc}/incoming/{id}); strings one line of valid UTF-8 (the
 * message keeps its line breaks), "" when OVH gave none. */
typedef struct {
	gint64 id;
	gint64 created;   /* seconds since the epoch, 0 when OVH gave no readable date */
	char *sender;     /* as OVH writes it: "+33612345678" */
	char *message;
	char *tag;
} OvhIncoming;

/* A sent SMS's state (GET /sms/{svc}/outgoing/{id}). */
typedef struct {
	gint64 id;
	int ptt;          /* -1 when OVH gave none */
	int dlr;          /* deliveryReceipt, -1 when none */
	char *receiver;
	char *tag;
	gint64 created;
} OvhOutgoing;

/* An incoming SMS's text is at most this many bytes here (OVH's own limit is far below). */
#define OVH_INCOMING_MAX 10240

/* GET /sms/{svc}/incoming: the ids of every incoming SMS OVH holds. */
GArray *ovh_incoming_ids(OvhClient *c, GError **err);
/* GET /sms/{svc}/incoming/{id}; NULL with *err. */
OvhIncoming *ovh_incoming_get(OvhClient *c, gint64 id, GError **err);
/* DELETE /sms/{svc}/incoming/{id}. */
gboolean ovh_incoming_delete(OvhClient *c, gint64 id, GError **err);
void ovh_incoming_free(OvhIncoming *in);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvhIncoming, ovh_incoming_free)

/* GET /sms/{svc}/outgoing?deliveryReceipt=DLR&creationDatetime.from=SINCE: the ids of the
 * SMS in that state created since SINCE. */
GArray *ovh_outgoing_by_receipt(OvhClient *c, int dlr, gint64 since, GError **err);
/* GET /sms/{svc}/outgoing/{id} into *OUT (clear it with ovh_outgoing_clear). */
gboolean ovh_outgoing_get(OvhClient *c, gint64 id, OvhOutgoing *out, GError **err);
void ovh_outgoing_clear(OvhOutgoing *out);

/* PUT /sms/{svc} {"callBack": URL}: OVH calls URL when a sent SMS changes state. */
gboolean ovh_set_callback(OvhClient *c, const char *url, GError **err);

#endif

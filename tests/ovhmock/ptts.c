/*
 * ptts.c: OVH's ptt codes, the delivery states an operator reports for a sent SMS (OVH's own
 * list, which it calls non-exhaustive). Gives each code's description, the deliveryReceipt
 * it implies, and serves GET /sms/ptts?ptt=N as {comment, description, duration}.
 * It must not hold any state: the table is constant.
 */
#include "mock.h"

struct ptt {
	int code;
	const char *description;
	const char *comment;
	const char *duration;		/* permanent, temporary or indeterminated */
};

static const struct ptt ptts[] = {
	{ 1, "Retrying (phone)", "The phone did not take the SMS; it is being sent again",
	  "temporary" },
	{ 2, "Retrying (operator)", "The operator did not take the SMS; it is being sent again",
	  "temporary" },
	{ 3, "Accepted by the operator", "The operator has the SMS and has not delivered it yet",
	  "indeterminated" },
	{ 4, "Delivered", "The SMS was delivered to the phone", "permanent" },
	{ 5, "Undelivered", "The SMS could not be delivered", "permanent" },
	{ 6, "Final state unknown", "The operator gave no final state", "indeterminated" },
	{ 8, "Expired", "The validity period ran out before the SMS was delivered", "permanent" },
	{ 20, "Undeliverable as is", "The SMS cannot be delivered as it was sent", "permanent" },
	{ 21, "Subscriber out of credit", "The subscriber's prepaid credit is used up",
	  "temporary" },
	{ 23, "Invalid or barred number", "The number does not exist or may not receive SMS",
	  "permanent" },
	{ 24, "Subscriber absent", "The phone is off or out of coverage", "temporary" },
	{ 25, "Network failure", "The operator's network failed", "temporary" },
	{ 26, "Phone error", "The phone refused the SMS (memory full or similar)", "temporary" },
	{ 27, "Handset incompatible", "The phone cannot receive this SMS", "permanent" },
	{ 28, "Suspected spam", "The operator took the SMS for spam", "permanent" },
	{ 29, "Content not permitted", "The operator refused the content", "permanent" },
	{ 33, "Parental lock", "The subscriber's line refuses this kind of SMS", "permanent" },
};

static const struct ptt *ptt_find(gint64 code)
{
	for (gsize i = 0; i < G_N_ELEMENTS(ptts); i++)
		if (ptts[i].code == code)
			return &ptts[i];
	return NULL;
}

/* The description of a ptt code, or NULL for a code not in OVH's list. */
const char *ptt_description(int ptt)
{
	const struct ptt *p = ptt_find(ptt);

	return p ? p->description : NULL;
}

/* The deliveryReceipt a ptt implies: delivered 1, still in flight 4 (waiting), failed 2. */
int ptt_receipt(int ptt)
{
	switch (ptt) {
	case 4:
		return 1;
	case 1: case 2: case 3: case 24: case 25: case 26:
		return 4;
	default:
		return 2;
	}
}

/* GET /sms/ptts?ptt=N */
void sms_ptts(struct mock_req *r, char **args)
{
	gint64 code = -1;
	const struct ptt *p;
	json_object *o;

	(void)args;
	if (!mock_arg(r, "ptt")) {
		mock_reply_bad(r, "Missing parameter ptt");
		return;
	}
	if (!sms_int_arg(r, "ptt", &code))
		return;
	if (!(p = ptt_find(code))) {
		g_autofree char *msg = g_strdup_printf(
			"The requested object (ptt = %" G_GINT64_FORMAT ") does not exist", code);

		mock_reply_class(r, 404, "Client::NotFound", msg);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "comment", json_object_new_string(p->comment));
	json_object_object_add(o, "description", json_object_new_string(p->description));
	json_object_object_add(o, "duration", json_object_new_string(p->duration));
	mock_reply(r, 200, o);
}

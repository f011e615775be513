/* reports_http.h: what the milter's [reports] listener answers (httpd.c serves it): OVH's
 * delivery callbacks, GET /callback/TOKEN?id=..&ptt=..&dlr=.. */
#ifndef M2S_REPORTS_HTTP_H
#define M2S_REPORTS_HTTP_H

#include "httpd.h"

/* The [reports] listener's handler. */
void reports_http_answer(struct MHD_Connection *conn, const char *url, HttpdAnswer *out);

#endif

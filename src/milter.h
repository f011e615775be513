/* milter.h: the mail filter's callbacks (milter_session.c), for its main. */
#ifndef M2S_MILTER_H
#define M2S_MILTER_H

#include <libmilter/mfapi.h>
#include "runtime.h"

extern struct smfiDesc milter_desc;

#endif

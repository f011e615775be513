/* keys.c: prints every "section.key" that cfg_load accepts, one a line, for tests/doc/run,
 * which checks the list against doc/mail2sms.conf.5 and conf/mail2sms.conf. */
#include <stdio.h>
#include "cfg.h"

int main(void)
{
	for (const char *const *k = cfg_known_keys(); *k != NULL; k++)
		puts(*k);
	return 0;
}

/* The pre-receive and pre-push hooks' stdin (try_updates_parse*). */
#include "tests/fuzz/fuzz.h"
#include "libtry/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct try_update *u = NULL;
	size_t nr = 0;

	if (!try_updates_parse(&u, &nr, (const char *)data, size))
		try_updates_free(u, nr);
	u = NULL;
	nr = 0;
	if (!try_updates_parse_push(&u, &nr, (const char *)data, size))
		try_updates_free(u, nr);
	return 0;
}

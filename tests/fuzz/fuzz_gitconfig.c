/* The fast path's git config reader (try_gitfast_config_parse). */
#include "tests/fuzz/fuzz.h"
#include "libtry/gitfast.h"

static int count(const char *key, const char *value, void *data)
{
	size_t *n = data;

	*n += strlen(key) + (value ? strlen(value) : 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	try_gitfast_config_parse((const char *)data, size, count, &n);
	try_gitfast_config_parse((const char *)data, size, NULL, NULL);
	return 0;
}

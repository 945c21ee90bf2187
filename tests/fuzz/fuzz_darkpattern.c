/*
 * lanes.darkPattern: compiling a configured pcre2 pattern and matching
 * commit subjects with it (and the near-miss hint).  Input:
 * <pattern>\n<subject>.
 */
#include "tests/fuzz/fuzz.h"
#include "libtry/buf.h"
#include "libtry/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *c = NULL;
	struct try_buf fixed = TRY_BUF_INIT;
	char *subject;
	int dark;

	fuzz_split(&cfg.dark_pattern, &subject, data, size);
	if (!try_classifier_new(&c, NULL, &cfg)) {
		try_classifier_is_dark(&dark, c, subject, strlen(subject));
		try_classifier_dark_near_miss(c, &fixed, subject,
					      strlen(subject));
	}
	try_classifier_free(c);
	try_buf_release(&fixed);
	free(subject);
	try_config_release(&cfg);
	return 0;
}

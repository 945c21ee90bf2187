/*
 * A corrupt or half-written .git/index under `git commit-age` (the prompt
 * path): try_age_measure() on a work tree whose index is the input.  It
 * goes through whatever reads the index (age.c today, libtry/index.c
 * after the split), so this harness follows the move unchanged.
 */
#include "tests/fuzz/fuzz.h"
#include "libtry/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct try_age age = TRY_AGE_INIT;
	static const char *top;

	if (!top)
		top = fuzz_repo();
	fuzz_file(".git/index", data, size);
	try_age_measure(&age, top, TRY_AGE_NO_RECORD);
	try_age_release(&age);
	return 0;
}

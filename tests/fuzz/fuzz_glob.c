/*
 * Globs: lanes.config values (try_pathspec_normalize and the matchers the
 * classifier runs on them) and try_glob_match in every mode.  Input:
 * <flags byte><pattern>\n<path>.
 */
#include "tests/fuzz/fuzz.h"
#include "libtry/glob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pattern, *path, *norm = NULL;
	unsigned flags;

	if (!size)
		return 0;
	flags = data[0] & (TRY_GLOB_PATHNAME | TRY_GLOB_CASEFOLD);
	fuzz_split(&pattern, &path, data + 1, size - 1);
	try_glob_match(pattern, path, flags);
	if (!try_pathspec_normalize(&norm, "lanes.config", pattern)) {
		try_pathspec_match(norm, path);
		try_pathspec_may_match_below(norm, path, strlen(path));
		try_pathspec_covers_dir(norm, path, strlen(path));
	}
	free(norm);
	free(pattern);
	free(path);
	return 0;
}

/*
 * Shared bits of the libFuzzer harnesses (`make fuzz`, docs/limits.md).
 * Each harness is one fuzz_<name>.c defining LLVMFuzzerTestOneInput for
 * one parser of outside input; its seeds are in tests/fuzz/corpus/<name>/.
 */
#ifndef TRY_FUZZ_H
#define TRY_FUZZ_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libtry/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input up to the first newline and the rest, as C strings (a NUL
 * in the input ends a string early, as it would in argv or a config). */
static inline void fuzz_split(char **first, char **rest, const uint8_t *data,
			      size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;

	*first = try_xstrndup((const char *)data, n);
	*rest = nl ? try_xstrndup((const char *)nl + 1, size - n - 1)
		   : try_xstrdup("");
}

/* A scratch folder of this process, made once (never removed: the
 * fuzzer's process ends with the run; it lives under $TMPDIR). */
static inline const char *fuzz_dir(void)
{
	static char dir[128];

	if (!*dir) {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/try-fuzz.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

/* Writes `data` to <fuzz_dir>/<name>; returns that path (static). */
static inline const char *fuzz_file(const char *name, const uint8_t *data,
				    size_t size)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	return path;
}

/* A work tree with a one-commit repository in fuzz_dir(), made once. */
static inline const char *fuzz_repo(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && git init -q && echo x >f && git add f && "
		 "git -c user.name=f -c user.email=f@x commit -qm x",
		 fuzz_dir());
	if (system(cmd))
		abort();
	git_libgit2_init();
	return fuzz_dir();
}

#endif

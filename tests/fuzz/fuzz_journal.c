/*
 * The journal reader (try_journal_tail, as `git lanes log` runs it) over a
 * file holding the input, and the appender after it (torn last lines).
 */
#include "tests/fuzz/fuzz.h"
#include "libtry/journal.h"

static int count(const char *line, size_t len, void *payload)
{
	size_t *n = payload;

	*n += len + (line[0] == '{');
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct try_journal j = TRY_JOURNAL_INIT;
	const char *path = fuzz_file("events.jsonl", data, size);
	size_t n = 0;

	try_journal_tail(path, 0, count, &n);
	try_journal_tail(path, 3, count, &n);
	if (!try_journal_open(&j, path))
		try_journal_append(&j, "{}", 2);
	try_journal_close(&j);
	try_journal_tail(path, 1, count, &n);
	return 0;
}

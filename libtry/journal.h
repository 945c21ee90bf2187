#ifndef TRY_JOURNAL_H
#define TRY_JOURNAL_H

#include <git2.h>
#include <stddef.h>

#include "libtry/buf.h"
#include "libtry/config.h"

/*
 * The lane journal: an append-only file of one JSON event per line
 * (events.h makes the lines), written by the post-receive hook after every
 * accepted trunk update and read by `git lanes log`.
 *
 * Concurrent pushes never tear or lose a line: the file is opened with
 * O_APPEND, a writer holds an exclusive flock() on it while it writes, each
 * line goes out in a single write(), and the file is fsync()ed before the
 * lock is dropped.  Readers take no lock; they ignore a last line that has
 * no newline yet.  A line torn by a killed writer is ended by the next
 * writer before it appends (try_journal_append()), so it never swallows
 * the event after it.
 */

#define TRY_JOURNAL_DEFAULT "lanes/events.jsonl"

/*
 * The journal's path: lanes.journal (a relative path is taken from the git
 * directory), else <git dir>/lanes/events.jsonl.  Caller frees `*out`.
 */
int try_journal_path(char **out, git_repository *repo,
		     const struct try_config *cfg);

/*
 * An open, locked journal.  `torn` counts the torn fragments this writer
 * found and ended (see try_journal_append()): a caller that reports it
 * tells once, the fragment is a line of its own afterwards.
 */
struct try_journal {
	int fd;
	char *path;
	unsigned torn;
};
#define TRY_JOURNAL_INIT { -1, NULL, 0 }

/*
 * Opens the journal at `path` for appending (creating it and its folder
 * when missing) and takes its exclusive lock, waiting for other writers.
 * -1 with a message naming the path on failure; `j` must be closed either
 * way.
 */
int try_journal_open(struct try_journal *j, const char *path);

/*
 * Appends one line of `len` bytes; `line` must not hold a newline, one is
 * added.  When the journal does not end in a newline (a writer was killed
 * mid-write, the power failed), the fragment is ended first, in the same
 * write(), and `j->torn` goes up by one: readers then skip the fragment as
 * one bad line and every complete event stays readable.  The line goes
 * out in one write().  -1 with a message when the
 * write fails or is short (the file is then cut back to where it was, so
 * that no torn line stays).
 */
int try_journal_append(struct try_journal *j, const char *line, size_t len);

/*
 * Flushes the journal to disk, drops the lock and closes it.  Returns -1
 * with a message when fsync() fails: the lines may not be on disk.
 * Accepts a journal that was never opened.
 */
int try_journal_close(struct try_journal *j);

/*
 * Calls `fn` for each of the last `max` complete lines of the journal at
 * `path` (0: all), oldest first, with the line's bytes (no newline).  The
 * file is read backwards, so a long journal costs only what is shown.
 * TRY_ENOTFOUND when there is no journal; -1 with a message when reading
 * fails; a non-zero return of `fn` stops the walk and is returned.
 */
int try_journal_tail(const char *path, size_t max,
		     int (*fn)(const char *line, size_t len, void *payload),
		     void *payload);

#endif

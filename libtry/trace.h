#ifndef TRY_TRACE_H
#define TRY_TRACE_H

/*
 * Trace lines for tests and the curious, in the style of GIT_TRACE: which
 * path a measure took, so a test can assert that the fast path ran.
 *
 * $TRY_TRACE selects the destination:
 *   unset, "", "0", "false"    off (the default)
 *   "1", "2", "true"           standard error
 *   an absolute path           appended to that file (O_APPEND, one write
 *                              per line, so concurrent writers interleave
 *                              whole lines)
 * Any other value is ignored.  This is the one place where libtry writes
 * by itself: only when the user asked for it, never a message a program
 * must show, and a failed write is ignored.
 */

/* 1 when $TRY_TRACE names a destination, 0 otherwise. */
int try_trace_enabled(void);

/*
 * Writes "trace: <key>: <formatted text>\n" to the destination, or does
 * nothing when tracing is off.  Never fails visibly.
 */
void try_trace(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

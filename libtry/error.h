#ifndef TRY_ERROR_H
#define TRY_ERROR_H

/*
 * One error message per thread, set at the site of the failure and read by
 * the binary that reports it (libgit2's giterr).  libtry functions return 0
 * on success, -1 on failure, and a few named negatives where callers branch.
 */

enum try_error_code {
	TRY_OK = 0,
	TRY_ERROR = -1,
	TRY_ENOTFOUND = -3,
	TRY_ETIMEOUT = -4,
	TRY_EUSAGE = -5,
};

/* Sets the message; printf-style. */
void try_error_set(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Sets the message to `what` followed by libgit2's last error, if any:
 * "cannot open repository: <libgit2 text>".
 */
void try_error_from_git(const char *what);

/* The current message, or "unknown error"; borrowed, valid until reset. */
const char *try_error_last(void);

/* Forgets the message. */
void try_error_clear(void);

#endif

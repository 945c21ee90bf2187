#ifndef TRY_HOOKS_H
#define TRY_HOOKS_H

#include <stddef.h>

/*
 * Small shared pieces of the client hooks (pre-commit, commit-msg, pre-push,
 * post-commit).
 */

/*
 * 0 when the developer turned the client hooks off with TRY_HOOKS=0 (also
 * "false", "no", "off"); 1 otherwise.  `git commit --no-verify` and
 * `git push --no-verify` skip them as git defines.
 */
int try_hooks_enabled(void);

/*
 * Finds the subject of a commit message as git will record it: the first
 * line that is neither blank nor a comment (starting with `comment_char`),
 * without trailing white space.  Sets `*subject` into `msg` and `*len`;
 * `*len` is 0 when there is none.
 */
void try_hooks_message_subject(const char **subject, size_t *len,
			       const char *msg, size_t msg_len,
			       char comment_char);

#endif

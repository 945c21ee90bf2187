#ifndef TRY_LANESPOLICY_H
#define TRY_LANESPOLICY_H

#include <git2.h>

#include "libtry/buf.h"
#include "libtry/config.h"

/*
 * The team's lane policy, committed with the code: a file `.lanes` at the
 * root of the trunk, in git-config syntax:
 *
 *     [lanes]
 *             config = deploy/flags.yml
 *             darkPattern = ^DARK\b
 *             strictDark = true
 *     [trunk]
 *             allowMerges = false
 *
 * Only the keys below are taken; anything else makes the whole file
 * refused.  Git config (system, global, repository, `git -c`) has the last
 * word: a key it sets is not taken from the file.  The server reads the
 * file from the trunk as it was before the push; a clone from the trunk's
 * remote-tracking branch, else HEAD.
 */

#define TRY_LANES_FILE ".lanes"
/* a policy file larger than this is refused */
#define TRY_LANES_FILE_MAX (64 * 1024)

/* The keys a .lanes file may set, in the order `git lanes policy` shows. */
enum try_lanes_key {
	TRY_LANES_KEY_CONFIG,       /* lanes.config (multi-valued) */
	TRY_LANES_KEY_DARK_PATTERN, /* lanes.darkPattern */
	TRY_LANES_KEY_STRICT_DARK,  /* lanes.strictDark */
	TRY_LANES_KEY_ALLOW_MERGES, /* trunk.allowMerges */
	TRY_LANES_KEYS
};

/* "lanes.config", ... as git config spells them. */
const char *try_lanes_key_name(enum try_lanes_key k);

enum try_lanes_origin {
	TRY_LANES_DEFAULT,  /* nobody set it */
	TRY_LANES_FROM_FILE,   /* the .lanes file */
	TRY_LANES_FROM_CONFIG, /* git config */
};

/* What a .lanes file says: every value of every key it sets. */
struct try_lanes_file {
	struct try_strlist values[TRY_LANES_KEYS];
	int set[TRY_LANES_KEYS];
};

void try_lanes_file_release(struct try_lanes_file *f);

/*
 * Parses `len` bytes of git-config text.  Sections and keys are matched
 * without regard to case; values may be quoted ("..." with \" \\ \n \t);
 * `#` and `;` start comments.  Refused, -1 with one line naming the line
 * and what is wrong: more than TRY_LANES_FILE_MAX bytes, a NUL byte
 * (binary), a subsection, an include, a key not listed above, a value that
 * does not parse (a boolean that is not one, an empty glob or pattern),
 * a line continuation.  `out` is released either way by the caller.
 */
int try_lanes_file_parse(struct try_lanes_file *out, const char *text,
			 size_t len);

/* The effective policy and where each value came from. */
struct try_lanespolicy {
	char *source;  /* "<rev>:.lanes" read, or NULL when there was none */
	char *error;   /* why the file was refused, or NULL */
	enum try_lanes_origin origin[TRY_LANES_KEYS];
};
#define TRY_LANESPOLICY_INIT { NULL, NULL, { 0 } }

void try_lanespolicy_release(struct try_lanespolicy *p);

/*
 * Reads `.lanes` from the tree of commit `commit` (NULL: none) and applies
 * to `cfg` (loaded by try_config_load() from `repo`) every key the file
 * sets and git config does not.  `rev` names the commit for messages.  A
 * missing file changes nothing.  A file that is refused (see above; also a
 * .lanes that is not a regular file) changes nothing either: `out->error`
 * says why and 0 is returned, so that the old policy holds.  -1 with a
 * message only when git config cannot be read.
 */
int try_lanespolicy_apply(struct try_lanespolicy *out, struct try_config *cfg,
			  git_repository *repo, const git_oid *commit,
			  const char *rev);

/*
 * The same for a clone: the file of refs/remotes/<cfg->remote>/<trunk>,
 * else of HEAD; nothing when neither resolves.
 */
int try_lanespolicy_apply_client(struct try_lanespolicy *out,
				 struct try_config *cfg,
				 git_repository *repo);

/*
 * For doors that only want the effect.  try_lanespolicy_apply_client(),
 * or with `at` (a commit; NULL: none) try_lanespolicy_apply() naming it
 * `rev`; when the file is refused, `*warning` becomes "<rev>:.lanes
 * ignored: <why>; the policy of git config holds" (caller frees), else
 * NULL.  -1 with a message as above.
 */
int try_lanespolicy_load_client(struct try_config *cfg, git_repository *repo,
				char **warning);
int try_lanespolicy_load_at(struct try_config *cfg, git_repository *repo,
			    const git_oid *at, const char *rev,
			    char **warning);

/*
 * Appends one line per key, `<origin>\t<key>=<value>` (a multi-valued key
 * one line per value), origin "default", "git-config" or the source
 * ("refs/heads/main:.lanes"), in the spirit of git config --show-origin.
 */
void try_lanespolicy_show(struct try_buf *out, const struct try_lanespolicy *p,
			  const struct try_config *cfg);

#endif

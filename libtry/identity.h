#ifndef TRY_IDENTITY_H
#define TRY_IDENTITY_H

#include "libtry/config.h"

/*
 * Who acts: the one place that decides which user a push, a hold, a fix
 * or a deploy belongs to.  The server's word, never the client's claim
 * (user.name, a commit's author, a trailer).
 */

/*
 * The default of trunk.pusherEnv, in order: smart HTTP, GitLab, gitolite,
 * Gitea/Forgejo, GitHub Enterprise Server.
 */
#define TRY_IDENTITY_DEFAULT_ENV \
	"REMOTE_USER", "GL_USERNAME", "GL_USER", "GITEA_PUSHER_NAME", \
	"GITHUB_USER_LOGIN"

/*
 * The authenticated user: the first non-empty environment variable named
 * by trunk.pusherEnv (`cfg->pusher_env`; each value may name several,
 * separated by spaces or commas), or of the default list above when that
 * key is unset or `cfg` is NULL; else the account the process runs as
 * (the passwd entry of the effective uid, else $USER, else "uid <n>").
 * Never fails; the caller frees `*out`.
 */
void try_identity_pusher(char **out, const struct try_config *cfg);

/*
 * 1 when `user` appears in `list` (values may hold several names separated
 * by spaces or commas), 0 when not.  An empty list gives `if_empty`.
 */
int try_identity_listed(const struct try_strlist *list, const char *user,
			int if_empty);

#endif

#include "libtry/identity.h"
#include "libtry/buf.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const default_env[] = { TRY_IDENTITY_DEFAULT_ENV, NULL };

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The first set variable of one trunk.pusherEnv value ("A B,C"). */
static const char *first_of(const char *names)
{
	char name[256];

	while (*names) {
		size_t n;

		names += strspn(names, " \t,");
		n = strcspn(names, " \t,");
		if (n && n < sizeof(name)) {
			memcpy(name, names, n);
			name[n] = '\0';
			if (env(name))
				return env(name);
		}
		names += n;
	}
	return NULL;
}

void try_identity_pusher(char **out, const struct try_config *cfg)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	size_t i;

	if (cfg && cfg->pusher_env.nr) {
		for (i = 0; i < cfg->pusher_env.nr; i++) {
			const char *v = first_of(cfg->pusher_env.items[i]);
			if (v) {
				*out = try_xstrdup(v);
				return;
			}
		}
	} else {
		for (i = 0; default_env[i]; i++) {
			if (env(default_env[i])) {
				*out = try_xstrdup(env(default_env[i]));
				return;
			}
		}
	}
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
	    res->pw_name && *res->pw_name) {
		*out = try_xstrdup(res->pw_name);
		return;
	}
	if (env("USER")) {
		*out = try_xstrdup(env("USER"));
		return;
	}
	snprintf(buf, sizeof(buf), "uid %lu", (unsigned long)geteuid());
	*out = try_xstrdup(buf);
}

int try_identity_listed(const struct try_strlist *list, const char *user,
			int if_empty)
{
	size_t i, ulen = strlen(user);

	if (!list->nr)
		return if_empty;
	for (i = 0; i < list->nr; i++) {
		const char *p = list->items[i];
		while (*p) {
			size_t n;
			p += strspn(p, " \t,");
			n = strcspn(p, " \t,");
			if (n && n == ulen && !strncmp(p, user, n))
				return 1;
			p += n;
		}
	}
	return 0;
}

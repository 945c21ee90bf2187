/*
 * git-trunk: installs the toolkit's hooks and shows what is installed.
 *
 * Exit codes: 0 done, 128 failure, 129 usage.
 */
#include "libtry/age.h"
#include "libtry/buf.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/install.h"
#include "libtry/repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: git trunk install [--server <repository>]\n"
	"   or: git trunk uninstall [--server <repository>]\n"
	"   or: git trunk status [--server <repository>]\n"
	"\n"
	"    --server <repository>  the hooks of a bare server repository\n"
	"                           (pre-receive, post-receive), instead of\n"
	"                           this clone's client hooks\n"
	"\n"
	"Existing hooks are kept as <hook>.try-orig and run first; uninstall\n"
	"restores them.  The hooks folder honours core.hooksPath.\n";

/* Hooks per mode; a program is "try-<hook>". */
static const char *const server_hooks[] = { "pre-receive",
					    "post-receive", NULL };
static const char *const client_hooks[] = { "pre-commit", "commit-msg",
					    "pre-push", "post-commit", NULL };

static int usage_error(const char *msg)
{
	if (msg)
		fprintf(stderr, "git-trunk: %s\n", msg);
	fputs(usage_text, stderr);
	return 129;
}

static int die_error(void)
{
	fprintf(stderr, "git-trunk: %s\n", try_error_last());
	return 128;
}

static int hook_program(char **out, const char *hook)
{
	struct try_buf name = TRY_BUF_INIT;
	int ret;

	try_buf_addf(&name, "try-%s", hook);
	ret = try_install_find_program(out, name.ptr);
	try_buf_release(&name);
	return ret;
}

static int do_install(git_repository *repo, const char *hooks_dir,
		      const char *const *hooks, int server)
{
	char **programs;
	size_t i, n = 0;
	int rc = 0;

	while (hooks[n])
		n++;
	programs = try_xcalloc(n, sizeof(*programs));
	/* find every program before touching anything */
	for (i = 0; i < n; i++) {
		if (hook_program(&programs[i], hooks[i]) < 0) {
			rc = die_error();
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		enum try_install_result res;

		if (try_install_hook(&res, hooks_dir, hooks[i], programs[i]) < 0) {
			rc = die_error();
			goto done;
		}
		switch (res) {
		case TRY_INSTALL_CREATED:
			printf("installed %s in %s\n", hooks[i], hooks_dir);
			break;
		case TRY_INSTALL_CHAINED:
			printf("installed %s in %s; the existing hook is kept "
			       "as %s" TRY_ORIG_SUFFIX " and runs first\n",
			       hooks[i], hooks_dir, hooks[i]);
			break;
		case TRY_INSTALL_UPDATED:
			printf("updated %s in %s\n", hooks[i], hooks_dir);
			break;
		case TRY_INSTALL_UNCHANGED:
			printf("%s: already installed, nothing changed\n",
			       hooks[i]);
			break;
		}
	}
	if (server) {
		git_config *cfg = NULL;
		int on = 0;
		/* push options carry lanes.fix past a hold */
		if (git_repository_config(&cfg, repo) < 0 ||
		    ((git_config_get_bool(&on, cfg,
					  "receive.advertisePushOptions") < 0 ||
		      !on) &&
		     git_config_set_bool(cfg, "receive.advertisePushOptions",
					 1) < 0)) {
			try_error_from_git("cannot set receive.advertisePushOptions");
			git_config_free(cfg);
			rc = die_error();
			goto done;
		}
		git_error_clear();
		git_config_free(cfg);
	}
done:
	for (i = 0; i < n; i++)
		free(programs[i]);
	free(programs);
	return rc;
}

static int do_uninstall(const char *hooks_dir, const char *const *hooks)
{
	size_t i;

	for (i = 0; hooks[i]; i++) {
		enum try_uninstall_result res;

		if (try_uninstall_hook(&res, hooks_dir, hooks[i]) < 0)
			return die_error();
		switch (res) {
		case TRY_UNINSTALL_REMOVED:
			printf("removed %s from %s\n", hooks[i], hooks_dir);
			break;
		case TRY_UNINSTALL_RESTORED:
			printf("removed %s from %s; restored the previous "
			       "hook\n", hooks[i], hooks_dir);
			break;
		case TRY_UNINSTALL_ABSENT:
			printf("%s: not installed by try, left alone\n",
			       hooks[i]);
			break;
		}
	}
	return 0;
}

static int do_status(git_repository *repo, const char *hooks_dir,
		     const char *const *hooks)
{
	static const char *const states[] = {
		"not installed", "a hook that is not try's",
		"installed", "installed, chained after the previous hook"
	};
	struct try_config cfg = TRY_CONFIG_INIT;
	size_t i;
	int rc = 0;

	printf("hooks in %s:\n", hooks_dir);
	for (i = 0; hooks[i]; i++)
		printf("  %-13s %s\n", hooks[i],
		       states[try_hook_state(hooks_dir, hooks[i])]);
	if (try_config_load(&cfg, repo) < 0) {
		rc = die_error();
		goto done;
	}
	printf("trunk:\n  trunk.branch       %s\n", cfg.trunk_branch);
	for (i = 0; i < cfg.allow.nr; i++)
		printf("  trunk.allow        %s\n", cfg.allow.items[i]);
	printf("  trunk.allowMerges  %s\n", cfg.allow_merges ? "true" : "false");
	printf("  trunk.timeout      %d s\n", cfg.timeout);
	printf("lanes:\n");
	if (!cfg.config_globs.nr)
		printf("  lanes.config       (none: nothing is CONFIG)\n");
	for (i = 0; i < cfg.config_globs.nr; i++)
		printf("  lanes.config       %s\n", cfg.config_globs.items[i]);
	printf("  lanes.darkPattern  %s\n", cfg.dark_pattern);
	if (!git_repository_is_bare(repo)) {
		struct try_age age = TRY_AGE_INIT;
		struct try_buf b = TRY_BUF_INIT;

		printf("client:\n  trunk.localBranches %s\n  lanes.strictDark   %s\n",
		       cfg.local_branches, cfg.strict_dark ? "true" : "false");
		if (try_age_measure_repo(&age, repo, TRY_AGE_NO_RECORD) < 0) {
			try_age_release(&age);
			rc = die_error();
			goto done;
		}
		if (!age.changed) {
			try_buf_adds(&b, "clean");
		} else {
			try_age_format_duration(&b, age.age);
			try_buf_addf(&b, " (%s): %s", try_age_level_name(age.level),
				     try_age_level_advice(age.level));
		}
		printf("commit-age:\n  %s\n", b.ptr);
		try_buf_release(&b);
		try_age_release(&age);
	}
done:
	try_config_release(&cfg);
	return rc;
}

int main(int argc, char **argv)
{
	const char *verb, *server = NULL;
	git_repository *repo = NULL;
	char *hooks_dir = NULL;
	int i, rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("git-trunk %s\n", TRY_VERSION);
		return 0;
	}
	if (argc < 2)
		return usage_error(NULL);
	verb = argv[1];
	if (!strcmp(verb, "-h") || !strcmp(verb, "--help") ||
	    !strcmp(verb, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(verb, "install") && strcmp(verb, "uninstall") &&
	    strcmp(verb, "status")) {
		fprintf(stderr, "git-trunk: unknown command '%s'\n", verb);
		return usage_error(NULL);
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--server")) {
			if (++i >= argc)
				return usage_error("--server needs a repository");
			server = argv[i];
		} else if (!strncmp(argv[i], "--server=", 9)) {
			server = argv[i] + 9;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			fprintf(stderr, "git-trunk: unknown option '%s'\n",
				argv[i]);
			return usage_error(NULL);
		}
	}

	git_libgit2_init();
	if (server) {
		if (git_repository_open_ext(&repo, server,
					    GIT_REPOSITORY_OPEN_NO_SEARCH,
					    NULL) < 0) {
			fprintf(stderr, "git-trunk: '%s' is not a git "
				"repository\n", server);
			rc = 128;
			goto done;
		}
		if (!git_repository_is_bare(repo)) {
			rc = usage_error("--server needs a bare repository");
			goto done;
		}
	} else if (try_repo_open(&repo, NULL, 0) < 0) {
		rc = die_error();
		goto done;
	} else if (git_repository_is_bare(repo)) {
		rc = usage_error("this is a bare repository: use --server");
		goto done;
	}
	if (try_repo_hooks_dir(&hooks_dir, repo) < 0) {
		rc = die_error();
		goto done;
	}

	if (!strcmp(verb, "install"))
		rc = do_install(repo, hooks_dir,
				server ? server_hooks : client_hooks, !!server);
	else if (!strcmp(verb, "uninstall"))
		rc = do_uninstall(hooks_dir, server ? server_hooks : client_hooks);
	else
		rc = do_status(repo, hooks_dir,
			       server ? server_hooks : client_hooks);
done:
	free(hooks_dir);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

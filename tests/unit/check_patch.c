#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/patch.h"

/* UTF-8 validity, the property that lets a patch travel in JSON. */
static const struct {
	const char *s;
	size_t len;
	int valid;
} utf8_cases[] = {
	{ "", 0, 1 },
	{ "plain ascii\n", 12, 1 },
	{ "caf\xc3\xa9", 5, 1 },
	{ "\xe2\x82\xac euro", 8, 1 },
	{ "\xf0\x9f\x98\x80", 4, 1 },
	{ "nul\0inside", 10, 1 },
	{ "caf\xe9", 4, 0 },           /* latin-1 */
	{ "\xc3", 1, 0 },              /* cut short */
	{ "\xc0\xaf", 2, 0 },          /* overlong '/' */
	{ "\xe0\x80\xaf", 3, 0 },      /* overlong */
	{ "\xed\xa0\x80", 3, 0 },      /* surrogate */
	{ "\xf4\x90\x80\x80", 4, 0 },  /* past U+10FFFF */
	{ "\xff", 1, 0 },
	{ "\x80", 1, 0 },              /* lone continuation */
	{ "a\xe2\x82", 3, 0 },
};

START_TEST(test_utf8_table)
{
	size_t i;

	for (i = 0; i < sizeof(utf8_cases) / sizeof(*utf8_cases); i++)
		ck_assert_msg(try_patch_is_utf8(utf8_cases[i].s,
						utf8_cases[i].len) ==
			      utf8_cases[i].valid, "case %zu", i);
}
END_TEST

START_TEST(test_count_files)
{
	static const char p[] =
		"diff --git a/x b/x\nindex 1..2\n--- a/x\n+++ b/x\n"
		"@@ -1 +1 @@\n-diff --git a/y b/y\n+z\n"
		"diff --git a/q b/r\nsimilarity index 100%\n";

	ck_assert_uint_eq(try_patch_count_files("", 0), 0);
	ck_assert_uint_eq(try_patch_count_files(p, strlen(p)), 2);
}
END_TEST

/* A non-bare repository in a temporary folder, made by git itself. */
static char root[64];
static char cwd[4096];

static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int n;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", root);
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") >/dev/null 2>&1");
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static git_repository *work_repo(void)
{
	git_repository *repo = NULL;

	snprintf(root, sizeof(root), "/tmp/try-patch.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	/* git's own configuration must not matter: a home of our own */
	setenv("HOME", root, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	sh("git init -q -b main . && git config user.name T && "
	   "git config user.email t@example.com && "
	   "printf 'one\\n' >a && printf 'caf\\351\\n' >latin && "
	   "git add . && git commit -q -m one && "
	   "git update-ref refs/remotes/origin/main HEAD && "
	   "printf 'two\\n' >>a && git commit -q -am two");
	ck_assert_int_eq(git_repository_open(&repo, root), 0);
	ck_assert_int_eq(chdir(root), 0);
	return repo;
}

static void work_cleanup(git_repository *repo)
{
	char cmd[128];

	git_repository_free(repo);
	ck_assert_int_eq(chdir(cwd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void rev(git_oid *out, git_repository *repo, const char *spec)
{
	git_object *o = NULL;

	ck_assert_int_eq(git_revparse_single(&o, repo, spec), 0);
	git_oid_cpy(out, git_object_id(o));
	git_object_free(o);
}

START_TEST(test_base)
{
	git_repository *repo = work_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	git_oid base, want;

	ck_assert_int_eq(try_config_load(&cfg, repo), 0);
	ck_assert_int_eq(try_patch_base(&base, repo, &cfg, NULL), 0);
	rev(&want, repo, "HEAD~1");
	ck_assert(git_oid_equal(&base, &want));

	ck_assert_int_eq(try_patch_base(&base, repo, &cfg, "HEAD"), 0);
	rev(&want, repo, "HEAD");
	ck_assert(git_oid_equal(&base, &want));

	ck_assert_int_lt(try_patch_base(&base, repo, &cfg, "no-such"), 0);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "no-such"));

	free(cfg.remote);
	cfg.remote = strdup("upstream");
	ck_assert_int_lt(try_patch_base(&base, repo, &cfg, NULL), 0);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "git fetch upstream"));
	try_config_release(&cfg);
	work_cleanup(repo);
}
END_TEST

START_TEST(test_base_on_remote)
{
	git_repository *repo = work_repo();
	git_oid id;

	rev(&id, repo, "HEAD~1");
	ck_assert_int_eq(try_patch_base_on_remote(repo, &id, "origin", "main"),
			 0);
	ck_assert_int_eq(try_patch_base_on_remote(repo, &id, "origin", NULL),
			 0);
	rev(&id, repo, "HEAD");
	ck_assert_int_eq(try_patch_base_on_remote(repo, &id, "origin", "main"),
			 TRY_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "push"));
	ck_assert_ptr_nonnull(strstr(try_error_last(), "git fetch origin"));
	/* another remote-tracking branch that contains it will do */
	sh("git update-ref refs/remotes/origin/topic HEAD");
	ck_assert_int_eq(try_patch_base_on_remote(repo, &id, "origin", "main"),
			 0);
	ck_assert_int_eq(try_patch_base_on_remote(repo, &id, "other", "main"),
			 TRY_ENOTFOUND);
	work_cleanup(repo);
}
END_TEST

/* The patch is the same whatever the user's diff configuration says. */
START_TEST(test_create_ignores_user_config)
{
	git_repository *repo = work_repo();
	struct try_patch_options o = TRY_PATCH_OPTIONS_INIT;
	struct try_buf p = TRY_BUF_INIT;
	git_oid base;

	sh("git config diff.noprefix true && git config diff.context 0 && "
	   "git config diff.external false && git config color.ui always && "
	   "git config diff.mnemonicPrefix true && "
	   "git config core.quotePath false && "
	   "printf 'three\\n' >>a && printf 'caf\\351 au lait\\n' >latin && "
	   "printf 'x\\000y' >bin && git add -N bin && "
	   "f=$(printf '\\303\\251t\\303\\251') && printf 'n\\n' >\"$f\"");
	rev(&base, repo, "HEAD~1");
	ck_assert_int_eq(try_patch_create(&p, repo, &base, &o), 0);
	ck_assert(try_patch_is_utf8(p.ptr, p.len));
	ck_assert_ptr_nonnull(strstr(p.ptr, "diff --git a/a b/a\n"));
	ck_assert_ptr_nonnull(strstr(p.ptr, "--- a/a\n+++ b/a\n"));
	/* three lines of context, no colour */
	ck_assert_ptr_nonnull(strstr(p.ptr, "@@ -1 +1,3 @@\n one\n+two\n"));
	ck_assert_ptr_null(strchr(p.ptr, '\033'));
	/* the latin-1 change travels as a binary patch, with full ids */
	ck_assert_ptr_nonnull(strstr(p.ptr, "diff --git a/latin b/latin\n"
					    "index "));
	ck_assert_ptr_nonnull(strstr(p.ptr, "GIT binary patch\n"));
	/* untracked files stay out without --untracked */
	ck_assert_ptr_null(strstr(p.ptr, "\\303\\251t"));
	ck_assert_uint_eq(try_patch_count_files(p.ptr, p.len), 3);

	try_buf_reset(&p);
	o.flags = TRY_PATCH_UNTRACKED;
	ck_assert_int_eq(try_patch_create(&p, repo, &base, &o), 0);
	ck_assert_ptr_nonnull(strstr(p.ptr, "diff --git "
					    "\"a/\\303\\251t\\303\\251\" "
					    "\"b/\\303\\251t\\303\\251\""));
	ck_assert_uint_eq(try_patch_count_files(p.ptr, p.len), 4);

	/* the patch applies on the base and gives the working tree */
	{
		FILE *f = fopen(".git/try.patch", "w");
		ck_assert_ptr_nonnull(f);
		fwrite(p.ptr, 1, p.len, f);
		fclose(f);
	}
	sh("cp -p .git/index .git/want-index && "
	   "GIT_INDEX_FILE=.git/want-index git add -A && "
	   "GIT_INDEX_FILE=.git/want-index git write-tree >.git/want && "
	   "git worktree add -q --detach .git/wt HEAD~1 && "
	   "cd .git/wt && git apply --index ../try.patch && "
	   "git write-tree >../got && cd ../.. && "
	   "git worktree remove --force .git/wt && cmp .git/want .git/got");
	try_buf_release(&p);
	work_cleanup(repo);
}
END_TEST

START_TEST(test_create_staged_and_paths)
{
	git_repository *repo = work_repo();
	struct try_patch_options o = TRY_PATCH_OPTIONS_INIT;
	struct try_buf p = TRY_BUF_INIT;
	const char *paths[] = { "b" };
	git_oid base;

	rev(&base, repo, "HEAD");
	ck_assert_int_eq(try_patch_create(&p, repo, &base, &o), 0);
	ck_assert_uint_eq(p.len, 0);

	sh("printf 'staged\\n' >b && git add b && printf 'later\\n' >>b && "
	   "printf 'unstaged\\n' >>a");
	o.flags = TRY_PATCH_STAGED;
	ck_assert_int_eq(try_patch_create(&p, repo, &base, &o), 0);
	ck_assert_ptr_nonnull(strstr(p.ptr, "+staged\n"));
	ck_assert_ptr_null(strstr(p.ptr, "later"));
	ck_assert_ptr_null(strstr(p.ptr, "unstaged"));

	try_buf_reset(&p);
	o.flags = 0;
	o.paths = paths;
	o.npaths = 1;
	ck_assert_int_eq(try_patch_create(&p, repo, &base, &o), 0);
	ck_assert_ptr_nonnull(strstr(p.ptr, "+later\n"));
	ck_assert_ptr_null(strstr(p.ptr, "unstaged"));

	o.flags = TRY_PATCH_STAGED | TRY_PATCH_UNTRACKED;
	ck_assert_int_lt(try_patch_create(&p, repo, &base, &o), 0);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "--untracked"));
	try_buf_release(&p);
	work_cleanup(repo);
}
END_TEST

START_TEST(test_create_git_error)
{
	git_repository *repo = work_repo();
	struct try_patch_options o = TRY_PATCH_OPTIONS_INIT;
	struct try_buf p = TRY_BUF_INIT;
	git_oid base;

	rev(&base, repo, "HEAD");
	o.git = "/nonexistent/git";
	ck_assert_int_lt(try_patch_create(&p, repo, &base, &o), 0);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "git diff-index"));
	try_buf_release(&p);
	work_cleanup(repo);
}
END_TEST

Suite *patch_suite(void)
{
	Suite *s = suite_create("patch");
	TCase *tc = tcase_create("patch");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_utf8_table);
	tcase_add_test(tc, test_count_files);
	tcase_add_test(tc, test_base);
	tcase_add_test(tc, test_base_on_remote);
	tcase_add_test(tc, test_create_ignores_user_config);
	tcase_add_test(tc, test_create_staged_and_paths);
	tcase_add_test(tc, test_create_git_error);
	suite_add_tcase(s, tc);
	return s;
}

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/ignore.h"

/*
 * The ignore rules against `git check-ignore`: one working tree with
 * .gitignore files at two levels, info/exclude and an excludes file; for
 * every path in the table, the library and git must give the same answer,
 * and that answer must be the one in the table (so a change of git's mind
 * shows up too).  Paths ending in '/' are directories.
 */
static const char *const tree_script =
	"git init -q . && "
	"printf '\\357\\273\\277*.o\\n!keep.o\\n/anchored\\nbuild/\\n"
	"doc/*.txt\\n**/logs\\ntrailing\\\\ \\nspaces   \\nfoo/**/bar\\n"
	"\\\\#hash\\n\\\\!bang\\n# comment\\n\\n[ab]x\\n?q\\n' >.gitignore && "
	"mkdir -p sub && "
	"printf '*.c\\r\\n!main.c\\r\\n/only-here\\r\\ndeep/x\\r\\n"
	"!*.o\\r\\n' >sub/.gitignore && "
	"printf 'secret\\n' >>.git/info/exclude && "
	"printf '*.log\\n' >../excludes";

static const struct {
	const char *path;
	int ignored;
} cases[] = {
	{ "a.o", 1 },
	{ "keep.o", 0 },
	{ "sub/x.o", 0 },       /* re-included by the deeper list */
	{ "anchored", 1 },
	{ "sub/anchored", 0 },
	{ "build/", 1 },
	{ "sub/build/", 1 },
	{ "notbuild", 0 },
	{ "doc/", 0 },
	{ "doc/a.txt", 1 },
	{ "doc/sub/", 0 },
	{ "doc/sub/a.txt", 0 },
	{ "logs/", 1 },
	{ "sub/logs", 1 },
	{ "trailing ", 1 },
	{ "trailing", 0 },
	{ "spaces", 1 },
	{ "foo/", 0 },
	{ "foo/bar", 1 },
	{ "foo/a/", 0 },
	{ "foo/a/b/", 0 },
	{ "foo/a/b/bar", 1 },
	{ "#hash", 1 },
	{ "!bang", 1 },
	{ "# comment", 0 },
	{ "ax", 1 },
	{ "cx", 0 },
	{ "qq", 1 },
	{ "q", 0 },
	{ "sub/a.c", 1 },
	{ "sub/main.c", 0 },
	{ "a.c", 0 },
	{ "sub/only-here", 1 },
	{ "only-here", 0 },
	{ "sub/deep/", 0 },
	{ "sub/deep/x", 1 },
	{ "sub/deep/y", 0 },
	{ "secret", 1 },
	{ "sub/secret", 1 },
	{ "global.log", 1 },
	{ "sub/deep/z.log", 1 },
	{ "plain", 0 },
	{ "sub/plain", 0 },
};

static char *sandbox;

static int run_in(const char *dir, const char *script)
{
	struct try_buf cmd = TRY_BUF_INIT;
	int rc;

	try_buf_adds(&cmd, "cd ");
	try_buf_add_shquoted(&cmd, dir);
	try_buf_addf(&cmd, " && (%s) >/dev/null 2>&1", script);
	rc = system(cmd.ptr);
	try_buf_release(&cmd);
	return rc;
}

static void setup_tree(void)
{
	char tmpl[] = "/tmp/check-ignore.XXXXXX";
	struct try_buf wt = TRY_BUF_INIT;
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	sandbox = strdup(tmpl);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", sandbox, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	try_buf_addf(&wt, "%s/wt", sandbox);
	ck_assert_int_eq(mkdir(wt.ptr, 0777), 0);
	ck_assert_int_eq(run_in(wt.ptr, tree_script), 0);
	/* every path exists, so that git knows what is a directory */
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_buf p = TRY_BUF_INIT;
		const char *path = cases[i].path, *slash;

		for (slash = strchr(path, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			try_buf_reset(&p);
			try_buf_addf(&p, "%s/", wt.ptr);
			try_buf_add(&p, path, (size_t)(slash - path));
			ck_assert(!mkdir(p.ptr, 0777) || errno == EEXIST);
		}
		if (path[strlen(path) - 1] != '/') {
			int fd;

			try_buf_reset(&p);
			try_buf_addf(&p, "%s/%s", wt.ptr, path);
			fd = open(p.ptr, O_WRONLY | O_CREAT, 0666);
			ck_assert_int_ge(fd, 0);
			close(fd);
		}
		try_buf_release(&p);
	}
	try_buf_release(&wt);
}

static void teardown_tree(void)
{
	struct try_buf cmd = TRY_BUF_INIT;

	try_buf_adds(&cmd, "rm -rf ");
	try_buf_add_shquoted(&cmd, sandbox);
	ck_assert_int_eq(system(cmd.ptr), 0);
	try_buf_release(&cmd);
	free(sandbox);
	sandbox = NULL;
}

/* What the library says: a directory above that is ignored, or the path. */
static int library_says(const char *wt, const char *commondir,
			const char *excludes, const char *path, int is_dir)
{
	struct try_ignore ig = TRY_IGNORE_INIT;
	struct try_ignore_list *chain[16];
	struct try_buf dir = TRY_BUF_INIT, file = TRY_BUF_INIT;
	size_t nr = 0, i;
	const char *slash;
	int ignored = 0;

	try_ignore_init(&ig, commondir, excludes);
	try_buf_addf(&file, "%s/.gitignore", wt);
	chain[nr++] = try_ignore_list_load(AT_FDCWD, file.ptr, "");
	for (slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		try_buf_reset(&dir);
		try_buf_add(&dir, path, (size_t)(slash - path));
		if (try_ignore_excluded(&ig, chain, nr, dir.ptr, 1)) {
			ignored = 1;
			goto done;
		}
		try_buf_addch(&dir, '/');
		try_buf_reset(&file);
		try_buf_addf(&file, "%s/%s.gitignore", wt, dir.ptr);
		ck_assert_uint_lt(nr, 16);
		chain[nr++] = try_ignore_list_load(AT_FDCWD, file.ptr,
						   dir.ptr);
	}
	ignored = try_ignore_excluded(&ig, chain, nr, path, is_dir);
done:
	for (i = 0; i < nr; i++)
		try_ignore_list_free(chain[i]);
	try_ignore_release(&ig);
	try_buf_release(&dir);
	try_buf_release(&file);
	return ignored;
}

START_TEST(test_against_check_ignore)
{
	const char *path = cases[_i].path;
	size_t len = strlen(path);
	int is_dir = path[len - 1] == '/';
	struct try_buf wt = TRY_BUF_INIT, common = TRY_BUF_INIT;
	struct try_buf excludes = TRY_BUF_INIT, cmd = TRY_BUF_INIT;
	char *p = strndup(path, len - (size_t)is_dir);
	int git, ours;

	try_buf_addf(&wt, "%s/wt", sandbox);
	try_buf_addf(&common, "%s/wt/.git/", sandbox);
	try_buf_addf(&excludes, "%s/excludes", sandbox);
	try_buf_adds(&cmd, "git -c core.excludesFile=");
	try_buf_add_shquoted(&cmd, excludes.ptr);
	try_buf_adds(&cmd, " check-ignore -q -- ");
	try_buf_add_shquoted(&cmd, p);
	git = run_in(wt.ptr, cmd.ptr);
	ck_assert_msg(WIFEXITED(git) && WEXITSTATUS(git) <= 1,
		      "'%s': git check-ignore failed", path);
	git = WEXITSTATUS(git) == 0;
	ours = library_says(wt.ptr, common.ptr, excludes.ptr, p, is_dir);
	ck_assert_msg(git == cases[_i].ignored,
		      "'%s': git check-ignore says %d, the table %d", path,
		      git, cases[_i].ignored);
	ck_assert_msg(ours == git, "'%s': ignored %d, git check-ignore %d",
		      path, ours, git);
	free(p);
	try_buf_release(&wt);
	try_buf_release(&common);
	try_buf_release(&excludes);
	try_buf_release(&cmd);
}
END_TEST

/* Parsing alone: what a list says about single names. */
START_TEST(test_list_match)
{
	struct try_ignore_list *l = try_ignore_list_parse(
		strdup("# c\n*.o\n!keep.o\ndir/\n/top\nsub/x\n"), "a/");

	ck_assert_int_eq(try_ignore_list_match(l, "a/b.o", "b.o", 0), 1);
	ck_assert_int_eq(try_ignore_list_match(l, "a/keep.o", "keep.o", 0),
			 -1);
	ck_assert_int_eq(try_ignore_list_match(l, "a/dir", "dir", 1), 1);
	ck_assert_int_eq(try_ignore_list_match(l, "a/dir", "dir", 0), 0);
	ck_assert_int_eq(try_ignore_list_match(l, "a/top", "top", 0), 1);
	ck_assert_int_eq(try_ignore_list_match(l, "a/b/top", "top", 0), 0);
	ck_assert_int_eq(try_ignore_list_match(l, "a/sub/x", "x", 0), 1);
	ck_assert_int_eq(try_ignore_list_match(l, "b/sub/x", "x", 0), 0);
	ck_assert_int_eq(try_ignore_list_match(l, "a/c", "c", 0), 0);
	ck_assert_int_eq(try_ignore_list_match(NULL, "a/b.o", "b.o", 0), 0);
	try_ignore_list_free(l);
	try_ignore_list_free(NULL);
}
END_TEST

Suite *ignore_suite(void)
{
	Suite *s = suite_create("ignore");
	TCase *tc = tcase_create("rules");
	TCase *git = tcase_create("check-ignore");

	tcase_add_test(tc, test_list_match);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(git, setup_tree, teardown_tree);
	tcase_set_timeout(git, 60);
	tcase_add_loop_test(git, test_against_check_ignore, 0,
			    (int)(sizeof(cases) / sizeof(*cases)));
	suite_add_tcase(s, git);
	return s;
}

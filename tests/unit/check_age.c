#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libtry/age.h"
#include "libtry/buf.h"
#include "libtry/error.h"

/* commitAge.levels values: four strictly increasing positive minutes */
static const struct {
	const char *value;
	int ok;
	int minutes[TRY_AGE_THRESHOLDS];
} level_cases[] = {
	{ NULL, 1, { 60, 90, 120, 180 } },
	{ "60,90,120,180", 1, { 60, 90, 120, 180 } },
	{ "1,2,3,4", 1, { 1, 2, 3, 4 } },
	{ " 30 , 45,60 ,\t90 ", 1, { 30, 45, 60, 90 } },
	{ "10,20,30,1000000", 1, { 10, 20, 30, 1000000 } },
	{ "", 0, { 0 } },
	{ "60", 0, { 0 } },
	{ "60,90,120", 0, { 0 } },
	{ "60,90,120,180,240", 0, { 0 } },
	{ "60,90,120,180,", 0, { 0 } },
	{ ",60,90,120,180", 0, { 0 } },
	{ "60,,120,180", 0, { 0 } },
	{ "0,90,120,180", 0, { 0 } },
	{ "-60,90,120,180", 0, { 0 } },
	{ "60,60,120,180", 0, { 0 } },
	{ "90,60,120,180", 0, { 0 } },
	{ "60,90,180,120", 0, { 0 } },
	{ "60,90,120,1000001", 0, { 0 } },
	{ "60;90;120;180", 0, { 0 } },
	{ "60,90,120,180m", 0, { 0 } },
	{ "1h,2h,3h,4h", 0, { 0 } },
	{ "6 0,90,120,180", 0, { 0 } },
	{ "99999999999999999999,1,2,3", 0, { 0 } },
};

START_TEST(test_parse_levels_table)
{
	size_t i;

	for (i = 0; i < sizeof(level_cases) / sizeof(*level_cases); i++) {
		struct try_age_levels levels = { { -1, -1, -1, -1 } };
		int r = try_age_parse_levels(&levels, level_cases[i].value);
		int j;

		ck_assert_msg((r == 0) == level_cases[i].ok,
			      "'%s': expected %s", level_cases[i].value ?
			      level_cases[i].value : "(null)",
			      level_cases[i].ok ? "success" : "failure");
		if (!level_cases[i].ok) {
			ck_assert_msg(strstr(try_error_last(),
					     "commitAge.levels"),
				      "'%s': message '%s' names no key",
				      level_cases[i].value, try_error_last());
			/* a failure leaves the output alone */
			ck_assert_int_eq(levels.minutes[0], -1);
			continue;
		}
		for (j = 0; j < TRY_AGE_THRESHOLDS; j++)
			ck_assert_msg(levels.minutes[j] ==
					      level_cases[i].minutes[j],
				      "'%s': minutes[%d] = %d",
				      level_cases[i].value, j,
				      levels.minutes[j]);
	}
}
END_TEST

/* ages in seconds against the default and a custom table */
static const struct {
	const char *levels;
	long long age;
	enum try_age_level level;
} select_cases[] = {
	{ NULL, -5, TRY_AGE_FINE },
	{ NULL, 0, TRY_AGE_FINE },
	{ NULL, 3599, TRY_AGE_FINE },
	{ NULL, 3600, TRY_AGE_UNCOMFORTABLE },
	{ NULL, 5399, TRY_AGE_UNCOMFORTABLE },
	{ NULL, 5400, TRY_AGE_ALARMED },
	{ NULL, 7199, TRY_AGE_ALARMED },
	{ NULL, 7200, TRY_AGE_VERY_ALARMED },
	{ NULL, 10799, TRY_AGE_VERY_ALARMED },
	{ NULL, 10800, TRY_AGE_STASH },
	{ NULL, 1000000000LL, TRY_AGE_STASH },
	{ "1,2,3,4", 59, TRY_AGE_FINE },
	{ "1,2,3,4", 60, TRY_AGE_UNCOMFORTABLE },
	{ "1,2,3,4", 179, TRY_AGE_ALARMED },
	{ "1,2,3,4", 180, TRY_AGE_VERY_ALARMED },
	{ "1,2,3,4", 240, TRY_AGE_STASH },
	{ "10,20,30,1000000", 60000000LL, TRY_AGE_STASH },
	{ "10,20,30,1000000", 59999999LL, TRY_AGE_VERY_ALARMED },
};

START_TEST(test_level_for_table)
{
	size_t i;

	for (i = 0; i < sizeof(select_cases) / sizeof(*select_cases); i++) {
		struct try_age_levels levels;
		const char *value = select_cases[i].levels;

		ck_assert_int_eq(try_age_parse_levels(&levels, value), 0);
		ck_assert_msg(try_age_level_for(&levels, select_cases[i].age) ==
				      select_cases[i].level,
			      "levels %s, age %lld: expected level %d",
			      select_cases[i].levels ? select_cases[i].levels :
			      "default", select_cases[i].age,
			      (int)select_cases[i].level);
	}
}
END_TEST

START_TEST(test_level_words)
{
	static const char *const names[] = {
		"fine", "uncomfortable", "alarmed", "very alarmed", "stash",
	};
	int i, j;

	for (i = TRY_AGE_FINE; i <= TRY_AGE_STASH; i++) {
		ck_assert_str_eq(try_age_level_name((enum try_age_level)i),
				 names[i]);
		ck_assert(*try_age_level_advice((enum try_age_level)i));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(try_age_level_advice(
						 (enum try_age_level)i),
					 try_age_level_advice(
						 (enum try_age_level)j));
	}
	ck_assert(strstr(try_age_level_advice(TRY_AGE_STASH), "--stash"));
	ck_assert_str_eq(try_age_level_name((enum try_age_level)9), "unknown");
}
END_TEST

static const struct {
	long long seconds;
	const char *text;
} duration_cases[] = {
	{ -3, "0s" },      { 0, "0s" },         { 59, "59s" },
	{ 60, "1m" },      { 3599, "59m" },     { 3600, "1h00m" },
	{ 5700, "1h35m" }, { 86399, "23h59m" }, { 86400, "1d00h" },
	{ 90000, "1d01h" },
};

START_TEST(test_format_duration_table)
{
	size_t i;

	for (i = 0; i < sizeof(duration_cases) / sizeof(*duration_cases); i++) {
		struct try_buf buf = TRY_BUF_INIT;
		try_age_format_duration(&buf, duration_cases[i].seconds);
		ck_assert_str_eq(buf.ptr, duration_cases[i].text);
		try_buf_release(&buf);
	}
}
END_TEST

/*
 * The scan against git status: each case changes a fresh working tree
 * with a shell snippet; the counts must match what the case expects, and
 * the total what `git status --porcelain` reports (through the library's
 * own fallback).  The tree: a, b, sub/x, sub/y, link -> a, .gitignore
 * ("*.o", "build/"), all committed.
 */
static const struct {
	const char *name, *script;
	int changed, modified, deleted, staged, untracked;
} scan_cases[] = {
	{ "clean", ":", 0, 0, 0, 0, 0 },
	{ "edit", "echo more >>a", 1, 1, 0, 0, 0 },
	{ "same size", "echo B >b", 1, 1, 0, 0, 0 },
	{ "touch", "touch -d '2 hours ago' a b sub/x", 0, 0, 0, 0, 0 },
	{ "rewrite, same content", "cp a a.tmp && mv a.tmp a", 0, 0, 0, 0, 0 },
	{ "chmod", "chmod +x a", 1, 1, 0, 0, 0 },
	{ "symlink retargeted", "ln -sf b link", 1, 1, 0, 0, 0 },
	{ "untracked", "echo n >new", 1, 0, 0, 0, 1 },
	{ "untracked deep", "mkdir -p d/e && echo 1 >d/e/f && echo 2 >d/g",
	  2, 0, 0, 0, 2 },
	{ "ignored", "echo o >x.o && mkdir build && echo 1 >build/y "
		     "&& echo 2 >sub/z.o", 0, 0, 0, 0, 0 },
	{ "negated", "echo '!keep.o' >>.gitignore && echo k >keep.o && "
		     "echo o >other.o", 2, 1, 0, 0, 1 },
	{ "excluded", "printf 'secret\\n' >>.git/info/exclude && "
		      "echo s >secret && echo o >sub/secret", 0, 0, 0, 0, 0 },
	{ "nested ignore", "mkdir n && printf '*.txt\\n' >n/.gitignore && "
			   "echo 1 >n/a.txt && echo 2 >n/b.c", 2, 0, 0, 0, 2 },
	{ "anchored", "mkdir -p m/deep && printf '/top\\ndeep/x\\n' "
		      ">m/.gitignore && echo 1 >m/top && echo 2 >m/deep/x && "
		      "mkdir -p m/deep/top && echo 3 >m/deep/top/f",
	  2, 0, 0, 0, 2 },
	{ "ignored dir with tracked file", "echo 1 >sub/new && "
		"printf 'sub/\\n' >>.git/info/exclude", 0, 0, 0, 0, 0 },
	{ "empty dirs", "mkdir -p e1/e2 && mkdir build2", 0, 0, 0, 0, 0 },
	{ "only ignored inside", "mkdir -p w && echo 1 >w/a.o", 0, 0, 0, 0, 0 },
	{ "nested repository", "git init -q nested && echo 1 >nested/f",
	  1, 0, 0, 0, 1 },
	{ "deleted", "rm a", 1, 0, 1, 0, 0 },
	{ "deleted dir", "rm -r sub", 2, 0, 2, 0, 0 },
	{ "file became dir", "rm a && mkdir a && echo 1 >a/x", 2, 0, 1, 0, 1 },
	{ "dir became file", "rm -r sub && echo 1 >sub", 3, 0, 2, 0, 1 },
	{ "dir became symlink", "mv sub sub2 && ln -s sub2 sub",
	  5, 0, 2, 0, 3 },
	{ "staged", "echo y >>a && git add a", 1, 0, 0, 1, 0 },
	{ "staged and modified", "echo y >>a && git add a && echo z >>a",
	  1, 1, 0, 1, 0 },
	{ "staged new file", "mkdir -p q/r && echo n >q/r/s && git add q",
	  1, 0, 0, 1, 0 },
	{ "staged deletion", "git rm -q a", 1, 0, 0, 1, 0 },
	{ "staged deletion of a dir", "git rm -q -r sub", 2, 0, 0, 2, 0 },
	{ "rm --cached", "git rm -q --cached a", 2, 0, 0, 1, 1 },
	{ "intent to add", "echo n >ita && git add -N ita", 1, 1, 0, 0, 0 },
	{ "assume unchanged", "git update-index --assume-unchanged a && "
			      "echo x >>a", 0, 0, 0, 0, 0 },
	{ "reset soft", "echo y >>a && git commit -qam two && "
			"git reset -q --soft HEAD~", 1, 0, 0, 1, 0 },
	{ "checkout old commit", "echo y >>a && git commit -qam two && "
				 "git checkout -q HEAD~", 0, 0, 0, 0, 0 },
	{ "conflict", "git checkout -qb side && echo s >a && "
		      "git commit -qam s && git checkout -q - && echo m >a && "
		      "git commit -qam m && { git merge -q side; true; }",
	  1, 0, 0, 0, 0 },
	{ "index version 4", "git update-index --index-version 4 && "
			     "echo x >>sub/y && echo n >sub/n", 2, 1, 0, 0, 1 },
	{ "embedded repository: its own changes are its own",
	  "git init -q inner && (cd inner && echo 1 >f && git add f && "
	  "git commit -qm i) && git add inner && git commit -qm inner && "
	  "echo 2 >inner/f && echo 3 >inner/g", 0, 0, 0, 0, 0 },
	{ "split index", "echo y >>a && git update-index --split-index && "
			 "echo n >new", 2, 1, 0, 0, 1 },
};

static char *sandbox;

static void setup_sandbox(void)
{
	char tmpl[] = "/tmp/check-age.XXXXXX";
	struct try_buf home = TRY_BUF_INIT;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	sandbox = strdup(tmpl);
	try_buf_addf(&home, "%s/home", sandbox);
	ck_assert_int_eq(mkdir(home.ptr, 0777), 0);
	setenv("HOME", home.ptr, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_AUTHOR_NAME", "A U Thor", 1);
	setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "C O Mitter", 1);
	setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	unsetenv("GIT_CONFIG_PARAMETERS");
	unsetenv("XDG_CONFIG_HOME");
	try_buf_release(&home);
}

static void teardown_sandbox(void)
{
	struct try_buf cmd = TRY_BUF_INIT;

	try_buf_adds(&cmd, "rm -rf ");
	try_buf_add_shquoted(&cmd, sandbox);
	ck_assert_int_eq(system(cmd.ptr), 0);
	try_buf_release(&cmd);
	free(sandbox);
	sandbox = NULL;
}

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

START_TEST(test_scan_against_git_status)
{
	size_t i = (size_t)_i;
	struct try_age fast = TRY_AGE_INIT, slow = TRY_AGE_INIT;
	struct try_buf dir = TRY_BUF_INIT;

	try_buf_addf(&dir, "%s/wt", sandbox);
	ck_assert_int_eq(mkdir(dir.ptr, 0777), 0);
	ck_assert_int_eq(run_in(dir.ptr,
		"git init -q . && printf 'A\\n' >a && printf 'b\\n' >b && "
		"mkdir sub && echo x >sub/x && echo y >sub/y && "
		"ln -s a link && "
		"printf '*.o\\nbuild/\\n' >.gitignore && git add . && "
		"git commit -qm one"), 0);
	ck_assert_msg(run_in(dir.ptr, scan_cases[i].script) == 0,
		      "%s: setup failed", scan_cases[i].name);

	ck_assert_msg(try_age_measure(&fast, dir.ptr, TRY_AGE_NO_RECORD) == 0,
		      "%s: %s", scan_cases[i].name, try_error_last());
	ck_assert_msg(try_age_measure(&slow, dir.ptr, TRY_AGE_NO_RECORD |
				      TRY_AGE_USE_GIT_STATUS) == 0,
		      "%s: %s", scan_cases[i].name, try_error_last());
	ck_assert_msg(fast.changed == slow.changed,
		      "%s: %zu changed, git status says %zu",
		      scan_cases[i].name, fast.changed, slow.changed);
	ck_assert_msg(fast.changed == (size_t)scan_cases[i].changed &&
			      fast.modified == (size_t)scan_cases[i].modified &&
			      fast.deleted == (size_t)scan_cases[i].deleted &&
			      fast.staged == (size_t)scan_cases[i].staged &&
			      fast.untracked == (size_t)scan_cases[i].untracked,
		      "%s: changed %zu modified %zu deleted %zu staged %zu "
		      "untracked %zu", scan_cases[i].name, fast.changed,
		      fast.modified, fast.deleted, fast.staged, fast.untracked);
	ck_assert_msg((fast.changed == 0) == (fast.age == 0 && !fast.since),
		      "%s: age %lld for %zu changes", scan_cases[i].name,
		      (long long)fast.age, fast.changed);
	try_age_release(&fast);
	try_age_release(&slow);
	try_buf_release(&dir);
}
END_TEST

START_TEST(test_not_a_repository)
{
	struct try_age age = TRY_AGE_INIT;

	ck_assert_int_eq(try_age_measure(&age, sandbox, 0), TRY_ENOTFOUND);
	ck_assert(strstr(try_error_last(), "not a git repository"));
	try_age_release(&age);
}
END_TEST

START_TEST(test_bare_repository)
{
	struct try_age age = TRY_AGE_INIT;
	struct try_buf dir = TRY_BUF_INIT;

	try_buf_addf(&dir, "%s/bare.git", sandbox);
	ck_assert_int_eq(run_in(sandbox, "git init -q --bare bare.git"), 0);
	ck_assert_int_eq(try_age_measure(&age, dir.ptr, 0), -1);
	ck_assert(strstr(try_error_last(), "bare"));
	try_age_release(&age);
	try_buf_release(&dir);
}
END_TEST

Suite *age_suite(void)
{
	Suite *s = suite_create("age");
	TCase *tc = tcase_create("levels");
	TCase *scan = tcase_create("scan");

	tcase_add_test(tc, test_parse_levels_table);
	tcase_add_test(tc, test_level_for_table);
	tcase_add_test(tc, test_level_words);
	tcase_add_test(tc, test_format_duration_table);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(scan, setup_sandbox, teardown_sandbox);
	tcase_set_timeout(scan, 30);
	tcase_add_loop_test(scan, test_scan_against_git_status, 0,
			    (int)(sizeof(scan_cases) / sizeof(*scan_cases)));
	tcase_add_test(scan, test_not_a_repository);
	tcase_add_test(scan, test_bare_repository);
	suite_add_tcase(s, scan);
	return s;
}

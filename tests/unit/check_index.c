#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/index.h"

/*
 * The index reader against git: for every index version and a few
 * setups, the entries read must be the ones `git ls-files --stage` lists
 * (mode, id, stage, path, in order), with the flags git sets.
 */
static const struct {
	const char *name, *script;
	int unsupported;
} cases[] = {
	{ "version 2", "git update-index --index-version 2", 0 },
	{ "version 3 with intent-to-add",
	  "echo n >ita && git add -N ita && "
	  "git update-index --index-version 3", 0 },
	{ "version 4", "git update-index --index-version 4", 0 },
	{ "version 4, long shared prefixes",
	  "mkdir -p very/long/dir/name && echo 1 >very/long/dir/name/a && "
	  "echo 2 >very/long/dir/name/ab && git add very && "
	  "git update-index --index-version 4", 0 },
	{ "conflict", "git checkout -qb side && echo s >a && "
		      "git commit -qam s && git checkout -q - && echo m >a && "
		      "git commit -qam m && { git merge -q side; true; }", 0 },
	{ "skip-worktree and assume-unchanged",
	  "git update-index --skip-worktree b && "
	  "git update-index --assume-unchanged sub/x", 0 },
	{ "split index", "git update-index --split-index", 1 },
};

static char *sandbox;

static int run_in(const char *dir, const char *script, struct try_buf *out)
{
	struct try_buf cmd = TRY_BUF_INIT;
	FILE *f;
	char chunk[4096];
	size_t n;
	int rc;

	try_buf_adds(&cmd, "cd ");
	try_buf_add_shquoted(&cmd, dir);
	try_buf_addf(&cmd, " && (%s) 2>/dev/null", script);
	f = popen(cmd.ptr, "r");
	ck_assert_ptr_nonnull(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (out)
			try_buf_add(out, chunk, n);
	rc = pclose(f);
	try_buf_release(&cmd);
	return rc;
}

static void setup_sandbox(void)
{
	char tmpl[] = "/tmp/check-index.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	sandbox = strdup(tmpl);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", sandbox, 1);
	setenv("GIT_AUTHOR_NAME", "A U Thor", 1);
	setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "C O Mitter", 1);
	setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
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

START_TEST(test_against_ls_files)
{
	struct try_buf dir = TRY_BUF_INIT, path = TRY_BUF_INIT;
	struct try_buf want = TRY_BUF_INIT, got = TRY_BUF_INIT;
	struct try_buf flags = TRY_BUF_INIT;
	struct try_index ix;
	uint32_t i;

	try_buf_addf(&dir, "%s/wt%d", sandbox, _i);
	ck_assert_int_eq(mkdir(dir.ptr, 0777), 0);
	ck_assert_int_eq(run_in(dir.ptr,
		"git init -q . && echo A >a && echo b >b && mkdir sub && "
		"echo x >sub/x && ln -s a link && git add . && "
		"git commit -qm one", NULL), 0);
	ck_assert_msg(run_in(dir.ptr, cases[_i].script, NULL) == 0,
		      "%s: setup failed", cases[_i].name);
	try_buf_addf(&path, "%s/.git/index", dir.ptr);
	ck_assert_msg(try_index_load(&ix, path.ptr) == 0, "%s: %s",
		      cases[_i].name, try_error_last());
	ck_assert_int_eq(ix.unsupported, cases[_i].unsupported);
	if (cases[_i].unsupported)
		goto done;
	run_in(dir.ptr, "git ls-files --stage", &want);
	for (i = 0; i < ix.nr; i++) {
		const struct try_index_entry *e = &ix.e[i];
		char hex[TRY_OID_HEXSZ + 1];

		try_gitfast_oid_fmt(hex, e->ce + TRY_CE_OID);
		try_buf_addf(&got, "%06o %s %u\t%s\n",
			     try_index_ce(e, TRY_CE_MODE), hex, e->stage,
			     e->path);
		ck_assert_uint_eq(strlen(e->path), e->pathlen);
		if (e->flags)
			try_buf_addf(&flags, "%s:%x ", e->path, e->flags);
	}
	ck_assert_msg(!strcmp(got.ptr ? got.ptr : "", want.ptr),
		      "%s: read\n%s\ngit says\n%s", cases[_i].name, got.ptr,
		      want.ptr);
	if (strstr(cases[_i].name, "intent"))
		ck_assert_ptr_nonnull(strstr(flags.ptr, "ita:4 "));
	if (strstr(cases[_i].name, "skip"))
		ck_assert_str_eq(flags.ptr, "b:2 sub/x:1 ");
	if (!strcmp(cases[_i].name, "conflict"))
		ck_assert_str_eq(flags.ptr, "a:8 a:18 a:18 ");
	if (!strcmp(cases[_i].name, "version 2"))
		ck_assert_msg(!flags.len, "flags %s", flags.ptr);
done:
	try_index_release(&ix);
	try_buf_release(&dir);
	try_buf_release(&path);
	try_buf_release(&want);
	try_buf_release(&got);
	try_buf_release(&flags);
}
END_TEST

/* The cache tree after a commit covers everything; a child by name. */
START_TEST(test_cache_tree)
{
	struct try_buf dir = TRY_BUF_INIT, path = TRY_BUF_INIT;
	struct try_buf want = TRY_BUF_INIT;
	char hex[TRY_OID_HEXSZ + 1];
	struct try_index ix;
	int64_t sub;

	try_buf_addf(&dir, "%s/ct", sandbox);
	ck_assert_int_eq(mkdir(dir.ptr, 0777), 0);
	ck_assert_int_eq(run_in(dir.ptr,
		"git init -q . && echo A >a && mkdir sub && echo x >sub/x && "
		"git add . && git commit -qm one && git rev-parse HEAD:sub",
		&want), 0);
	try_buf_addf(&path, "%s/.git/index", dir.ptr);
	ck_assert_int_eq(try_index_load(&ix, path.ptr), 0);
	ck_assert_uint_ge(ix.ntree, 2);
	ck_assert_int_eq(ix.tree[0].count, 2);
	sub = try_index_tree_child(&ix, 0, "sub", 3);
	ck_assert_int_gt(sub, 0);
	ck_assert_int_eq(ix.tree[sub].count, 1);
	try_gitfast_oid_fmt(hex, ix.tree[sub].oid);
	ck_assert_int_eq(strncmp(hex, want.ptr, TRY_OID_HEXSZ), 0);
	ck_assert_int_eq(try_index_tree_child(&ix, 0, "su", 2), -1);
	ck_assert_int_eq(try_index_tree_child(&ix, -1, "sub", 3), -1);
	try_index_release(&ix);
	try_buf_release(&dir);
	try_buf_release(&path);
	try_buf_release(&want);
}
END_TEST

/* No file is an empty index; a damaged one an error with a message. */
START_TEST(test_missing_and_corrupt)
{
	struct try_buf path = TRY_BUF_INIT;
	struct try_index ix;
	FILE *f;

	try_buf_addf(&path, "%s/no-index", sandbox);
	ck_assert_int_eq(try_index_load(&ix, path.ptr), 0);
	ck_assert_uint_eq(ix.nr, 0);
	try_index_release(&ix);

	try_buf_addf(&path, "-bad");
	f = fopen(path.ptr, "w");
	ck_assert_ptr_nonnull(f);
	/* version 2, seven entries, then too few bytes for one */
	fwrite("DIRC\0\0\0\2\0\0\0\7 not an index", 1, 26, f);
	fprintf(f, "%040d", 0);
	fclose(f);
	ck_assert_int_eq(try_index_load(&ix, path.ptr), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "index file corrupt"));
	try_index_release(&ix);
	try_buf_release(&path);
}
END_TEST

Suite *index_suite(void)
{
	Suite *s = suite_create("index");
	TCase *tc = tcase_create("read");

	tcase_add_unchecked_fixture(tc, setup_sandbox, teardown_sandbox);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_against_ls_files, 0,
			    (int)(sizeof(cases) / sizeof(*cases)));
	tcase_add_test(tc, test_cache_tree);
	tcase_add_test(tc, test_missing_and_corrupt);
	suite_add_tcase(s, tc);
	return s;
}

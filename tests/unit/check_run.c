#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/run.h"

static int sh(const char *script, struct try_buf *out, struct try_buf *err,
	      unsigned flags)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct try_run r = TRY_RUN_INIT;

	r.argv = argv;
	r.out = out;
	r.err = err;
	r.flags = flags;
	return try_run(&r);
}

START_TEST(test_exit_codes)
{
	const char *argv[] = { "no-such-program-here", NULL };
	struct try_run r = TRY_RUN_INIT;

	ck_assert_int_eq(sh("exit 0", NULL, NULL, 0), 0);
	ck_assert_int_eq(sh("exit 3", NULL, NULL, 0), 3);
	ck_assert_int_eq(sh("kill -TERM $$", NULL, NULL, 0), 128 + 15);
	r.argv = argv;
	ck_assert_int_eq(try_run(&r), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(),
				     "cannot run no-such-program-here"));
}
END_TEST

START_TEST(test_capture)
{
	struct try_buf out = TRY_BUF_INIT, err = TRY_BUF_INIT;

	ck_assert_int_eq(sh("echo out; echo err >&2", &out, &err, 0), 0);
	ck_assert_str_eq(out.ptr, "out\n");
	ck_assert_str_eq(err.ptr, "err\n");
	try_buf_reset(&out);
	try_buf_reset(&err);
	ck_assert_int_eq(sh("echo out; echo err >&2", &out, &err,
			    TRY_RUN_MERGE_ERR), 0);
	ck_assert_str_eq(out.ptr, "out\nerr\n");
	ck_assert_uint_eq(err.len, 0);
	/* no standard input: /dev/null, not ours */
	try_buf_reset(&out);
	ck_assert_int_eq(sh("cat; echo end", &out, NULL, 0), 0);
	ck_assert_str_eq(out.ptr, "end\n");
	try_buf_release(&out);
	try_buf_release(&err);
}
END_TEST

/* A megabyte each way: no deadlock when the child writes as it reads. */
START_TEST(test_input_and_big_output)
{
	const char *argv[] = { "sh", "-c", "cat; head -c 1048576 /dev/zero >&2",
			       NULL };
	struct try_run r = TRY_RUN_INIT;
	struct try_buf out = TRY_BUF_INIT, err = TRY_BUF_INIT;
	char *in = malloc(1 << 20);

	memset(in, 'x', 1 << 20);
	r.argv = argv;
	r.in = in;
	r.in_len = 1 << 20;
	r.out = &out;
	r.err = &err;
	ck_assert_int_eq(try_run(&r), 0);
	ck_assert_uint_eq(out.len, 1 << 20);
	ck_assert_uint_eq(err.len, 1 << 20);
	ck_assert_int_eq(memcmp(out.ptr, in, 1 << 20), 0);
	/* a child that does not read its input */
	argv[2] = "exit 4";
	ck_assert_int_eq(try_run(&r), 4);
	free(in);
	try_buf_release(&out);
	try_buf_release(&err);
}
END_TEST

START_TEST(test_env_and_dir)
{
	const char *argv[] = { "sh", "-c",
			       "pwd; echo \"${A-unset} ${B-unset}\"", NULL };
	const char *env[] = { "A=set", "B", NULL };
	struct try_run r = TRY_RUN_INIT;
	struct try_buf out = TRY_BUF_INIT;

	setenv("B", "was here", 1);
	r.argv = argv;
	r.env = env;
	r.dir = "/";
	r.out = &out;
	ck_assert_int_eq(try_run(&r), 0);
	ck_assert_str_eq(out.ptr, "/\nset unset\n");
	ck_assert_str_eq(getenv("B"), "was here");
	unsetenv("B");
	r.dir = "/no/such/dir";
	ck_assert_int_eq(try_run(&r), -1);
	try_buf_release(&out);
}
END_TEST

/*
 * Git mode: "git" in front, the output variables cleared, the repository
 * ones kept unless told otherwise (a $GIT_DIR that is no repository makes
 * git fail when it is kept).
 */
START_TEST(test_git_mode)
{
	const char *version[] = { "--version", NULL };
	const char *alias[] = { "-c", "alias.e=!echo ${GIT_PAGER-none}", "e",
				NULL };
	char tmp[] = "/tmp/check-run.XXXXXX";
	const char *init[] = { "init", "-q", tmp, NULL };
	const char *inside[] = { "rev-parse", "--is-inside-work-tree", NULL };
	struct try_run r = TRY_RUN_INIT;
	struct try_buf out = TRY_BUF_INIT;

	r.argv = version;
	r.out = &out;
	r.dir = "/";
	r.flags = TRY_RUN_GIT;
	ck_assert_int_eq(try_run(&r), 0);
	ck_assert_int_eq(strncmp(out.ptr, "git version ", 12), 0);

	setenv("GIT_PAGER", "less", 1);
	try_buf_reset(&out);
	r.argv = alias;
	ck_assert_int_eq(try_run(&r), 0);
	ck_assert_str_eq(out.ptr, "none\n");

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	r.argv = init;
	ck_assert_int_eq(try_run(&r), 0);
	r.dir = tmp;
	r.argv = inside;
	setenv("GIT_DIR", "/no/such/repository", 1);
	ck_assert_int_eq(try_run(&r), 128);
	try_buf_reset(&out);
	r.flags = TRY_RUN_GIT_OTHER_REPO;
	ck_assert_int_eq(try_run(&r), 0);
	ck_assert_str_eq(out.ptr, "true\n");
	try_buf_reset(&out);
	r.argv = alias;
	ck_assert_int_eq(try_run(&r), 0);
	ck_assert_str_eq(out.ptr, "none\n");
	ck_assert_str_eq(getenv("GIT_PAGER"), "less");
	unsetenv("GIT_PAGER");
	unsetenv("GIT_DIR");
	try_buf_reset(&out);
	try_buf_addf(&out, "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(out.ptr), 0);
	try_buf_release(&out);
}
END_TEST

Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_exit_codes);
	tcase_add_test(tc, test_capture);
	tcase_add_test(tc, test_input_and_big_output);
	tcase_add_test(tc, test_env_and_dir);
	tcase_add_test(tc, test_git_mode);
	suite_add_tcase(s, tc);
	return s;
}

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/fs.h"

static char *sandbox;

static void setup(void)
{
	char tmpl[] = "/tmp/check-fs.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	sandbox = strdup(tmpl);
}

static void teardown(void)
{
	struct try_buf cmd = TRY_BUF_INIT;

	try_buf_adds(&cmd, "rm -rf ");
	try_buf_add_shquoted(&cmd, sandbox);
	ck_assert_int_eq(system(cmd.ptr), 0);
	try_buf_release(&cmd);
	free(sandbox);
}

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

START_TEST(test_mkdir)
{
	struct try_buf p = TRY_BUF_INIT;

	try_buf_addf(&p, "%s/a/b/c", sandbox);
	ck_assert_int_eq(try_fs_mkdir_p(p.ptr), 0);
	ck_assert(is_dir(p.ptr));
	ck_assert_int_eq(try_fs_mkdir_p(p.ptr), 0);
	try_buf_reset(&p);
	try_buf_addf(&p, "%s/x/y/file", sandbox);
	ck_assert_int_eq(try_fs_mkdir_parents(p.ptr), 0);
	ck_assert(!is_dir(p.ptr));
	try_buf_setlen(&p, p.len - 5);
	ck_assert(is_dir(p.ptr));
	/* a file in the way */
	try_buf_reset(&p);
	try_buf_addf(&p, "%s/f", sandbox);
	ck_assert_int_eq(try_fs_write_atomic(p.ptr, "x", 1, 0666), 0);
	try_buf_adds(&p, "/sub");
	ck_assert_int_eq(try_fs_mkdir_p(p.ptr), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "cannot create"));
	ck_assert_int_eq(try_fs_mkdir_p(""), 0);
	try_buf_release(&p);
}
END_TEST

START_TEST(test_write_atomic)
{
	struct try_buf p = TRY_BUF_INIT, got = TRY_BUF_INIT;
	struct stat st;

	try_buf_addf(&p, "%s/file", sandbox);
	ck_assert_int_eq(try_fs_write_atomic(p.ptr, "one\n", 4, 0600), 0);
	ck_assert_int_eq(try_fs_write_atomic(p.ptr, "two\n", 4, 0600), 0);
	ck_assert_int_eq(try_buf_read_file(&got, p.ptr, 100), 0);
	ck_assert_str_eq(got.ptr, "two\n");
	ck_assert_int_eq(stat(p.ptr, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600 & ~umask(022));
	umask(022);
	try_buf_reset(&p);
	try_buf_addf(&p, "%s/no/such/dir/file", sandbox);
	ck_assert_int_eq(try_fs_write_atomic(p.ptr, "x", 1, 0666), -1);
	try_buf_release(&p);
	try_buf_release(&got);
}
END_TEST

START_TEST(test_expand_home)
{
	char *s;

	setenv("HOME", "/home/u", 1);
	s = try_fs_expand_home("~/x/y");
	ck_assert_str_eq(s, "/home/u/x/y");
	free(s);
	s = try_fs_expand_home("~");
	ck_assert_str_eq(s, "/home/u");
	free(s);
	s = try_fs_expand_home("/abs/~/x");
	ck_assert_str_eq(s, "/abs/~/x");
	free(s);
	s = try_fs_expand_home("rel");
	ck_assert_str_eq(s, "rel");
	free(s);
	ck_assert_ptr_null(try_fs_expand_home("~other/x"));
	setenv("HOME", "", 1);
	ck_assert_ptr_null(try_fs_expand_home("~/x"));
}
END_TEST

START_TEST(test_read_secret)
{
	struct try_buf p = TRY_BUF_INIT, secret = TRY_BUF_INIT;

	setenv("HOME", sandbox, 1);
	try_buf_addf(&p, "%s/s", sandbox);
	ck_assert_int_eq(try_fs_write_atomic(p.ptr, "k3y\r\n\n", 6, 0600), 0);
	ck_assert_int_eq(try_fs_read_secret(&secret, "~/s", NULL), 0);
	ck_assert_str_eq(secret.ptr, "k3y");
	ck_assert_int_eq(try_fs_read_secret(&secret, "s", sandbox), 0);
	ck_assert_str_eq(secret.ptr, "k3y");
	ck_assert_int_eq(try_fs_read_secret(&secret, p.ptr, "/nowhere"), 0);
	ck_assert_str_eq(secret.ptr, "k3y");
	ck_assert_int_eq(try_fs_write_atomic(p.ptr, "\n", 1, 0600), 0);
	ck_assert_int_eq(try_fs_read_secret(&secret, p.ptr, NULL), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "is empty"));
	ck_assert_int_eq(try_fs_read_secret(&secret, "~/missing", NULL), -1);
	ck_assert_int_eq(try_fs_read_secret(&secret, "~x/s", NULL), -1);
	try_buf_release(&p);
	try_buf_release(&secret);
}
END_TEST

Suite *fs_suite(void)
{
	Suite *s = suite_create("fs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mkdir);
	tcase_add_test(tc, test_write_atomic);
	tcase_add_test(tc, test_expand_home);
	tcase_add_test(tc, test_read_secret);
	suite_add_tcase(s, tc);
	return s;
}

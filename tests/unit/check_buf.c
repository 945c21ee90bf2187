#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/error.h"

START_TEST(test_init_is_empty_and_readable)
{
	struct try_buf b = TRY_BUF_INIT;
	char *s;

	ck_assert_ptr_nonnull(b.ptr);
	ck_assert_str_eq(b.ptr, "");
	ck_assert_uint_eq(b.len, 0);
	try_buf_release(&b);
	ck_assert_str_eq(b.ptr, "");
	s = try_buf_detach(&b);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_add_keeps_nul_and_terminates)
{
	struct try_buf b = TRY_BUF_INIT;

	try_buf_add(&b, "a\0b", 3);
	try_buf_adds(&b, "cd");
	try_buf_addch(&b, 'e');
	try_buf_addf(&b, "%d-%s", 42, "x");
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(memcmp(b.ptr, "a\0bcde42-x", 10), 0);
	ck_assert_int_eq(b.ptr[b.len], '\0');
	try_buf_setlen(&b, 1);
	ck_assert_str_eq(b.ptr, "a");
	try_buf_reset(&b);
	ck_assert_str_eq(b.ptr, "");
	try_buf_release(&b);
}
END_TEST

START_TEST(test_grows_past_many_reallocations)
{
	struct try_buf b = TRY_BUF_INIT;
	size_t i;

	for (i = 0; i < 100000; i++)
		try_buf_addch(&b, 'a' + (int)(i % 26));
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_uint_eq(strlen(b.ptr), 100000);
	ck_assert_int_eq(b.ptr[26], 'a');
	ck_assert(b.alloc > b.len);
	try_buf_release(&b);
}
END_TEST

static const struct {
	const char *in, *out;
} rtrim_cases[] = {
	{ "", "" },
	{ "abc", "abc" },
	{ "abc \t\n", "abc" },
	{ " \n\r\t", "" },
	{ "  lead", "  lead" },
	{ "a b\n\n", "a b" },
};

START_TEST(test_rtrim_table)
{
	size_t i;

	for (i = 0; i < sizeof(rtrim_cases) / sizeof(*rtrim_cases); i++) {
		struct try_buf b = TRY_BUF_INIT;

		try_buf_adds(&b, rtrim_cases[i].in);
		try_buf_rtrim(&b);
		ck_assert_msg(!strcmp(b.ptr, rtrim_cases[i].out) &&
				      b.len == strlen(rtrim_cases[i].out),
			      "rtrim '%s': got '%s'", rtrim_cases[i].in, b.ptr);
		try_buf_release(&b);
	}
}
END_TEST

static const struct {
	const char *in, *out;
} shquote_cases[] = {
	{ "", "''" },
	{ "abc", "'abc'" },
	{ "a b", "'a b'" },
	{ "it's", "'it'\\''s'" },
	{ "$HOME `x` \"q\"", "'$HOME `x` \"q\"'" },
	{ "new\nline", "'new\nline'" },
};

START_TEST(test_shquote_table)
{
	size_t i;

	for (i = 0; i < sizeof(shquote_cases) / sizeof(*shquote_cases); i++) {
		struct try_buf b = TRY_BUF_INIT;

		try_buf_add_shquoted(&b, shquote_cases[i].in);
		ck_assert_msg(!strcmp(b.ptr, shquote_cases[i].out),
			      "shquote '%s': got %s, wanted %s",
			      shquote_cases[i].in, b.ptr, shquote_cases[i].out);
		try_buf_release(&b);
	}
}
END_TEST

START_TEST(test_read_fd_and_cap)
{
	char path[] = "/tmp/check_buf.XXXXXX";
	struct try_buf b = TRY_BUF_INIT;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);

	try_buf_adds(&b, ">");
	ck_assert_int_eq(try_buf_read_file(&b, path, 0), 0);
	ck_assert_str_eq(b.ptr, ">0123456789");
	try_buf_reset(&b);

	ck_assert_int_eq(try_buf_read_file(&b, path, 10), 0);
	ck_assert_str_eq(b.ptr, "0123456789");
	try_buf_reset(&b);

	/* untrusted input past the cap is refused with a message */
	try_error_clear();
	ck_assert_int_eq(try_buf_read_file(&b, path, 4), -1);
	ck_assert_str_ne(try_error_last(), "unknown error");

	unlink(path);
	try_buf_reset(&b);
	ck_assert_int_eq(try_buf_read_file(&b, path, 0), -1);
	try_buf_release(&b);
}
END_TEST

START_TEST(test_detach_hands_over)
{
	struct try_buf b = TRY_BUF_INIT;
	char *s;

	try_buf_adds(&b, "mine");
	s = try_buf_detach(&b);
	ck_assert_str_eq(s, "mine");
	ck_assert_str_eq(b.ptr, "");
	ck_assert_uint_eq(b.len, 0);
	free(s);
}
END_TEST

START_TEST(test_array_grow)
{
	int *arr = NULL;
	size_t alloc = 0, nr;

	for (nr = 1; nr <= 1000; nr++) {
		TRY_ARRAY_GROW(arr, nr, alloc);
		ck_assert_uint_ge(alloc, nr);
		arr[nr - 1] = (int)nr;
	}
	ck_assert_int_eq(arr[999], 1000);
	free(arr);
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_init_is_empty_and_readable);
	tcase_add_test(tc, test_add_keeps_nul_and_terminates);
	tcase_add_test(tc, test_grows_past_many_reallocations);
	tcase_add_test(tc, test_rtrim_table);
	tcase_add_test(tc, test_shquote_table);
	tcase_add_test(tc, test_read_fd_and_cap);
	tcase_add_test(tc, test_detach_hands_over);
	tcase_add_test(tc, test_array_grow);
	suite_add_tcase(s, tc);
	return s;
}

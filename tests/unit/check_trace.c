#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/trace.h"

static const struct {
	const char *value; /* NULL: unset */
	int enabled;
} enabled_cases[] = {
	{ NULL, 0 },   { "", 0 },      { "0", 0 },    { "false", 0 },
	{ "FALSE", 0 }, { "1", 1 },    { "2", 1 },    { "true", 1 },
	{ "/tmp/x", 1 }, { "relative", 0 }, { "3", 0 },
};

START_TEST(test_enabled_table)
{
	size_t i;

	for (i = 0; i < sizeof(enabled_cases) / sizeof(*enabled_cases); i++) {
		if (enabled_cases[i].value)
			setenv("TRY_TRACE", enabled_cases[i].value, 1);
		else
			unsetenv("TRY_TRACE");
		ck_assert_msg(try_trace_enabled() == enabled_cases[i].enabled,
			      "TRY_TRACE=%s", enabled_cases[i].value ?
				      enabled_cases[i].value : "(unset)");
	}
	unsetenv("TRY_TRACE");
}
END_TEST

START_TEST(test_appends_lines_to_a_file)
{
	char path[] = "/tmp/check_trace.XXXXXX";
	struct try_buf b = TRY_BUF_INIT;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	setenv("TRY_TRACE", path, 1);
	try_trace("age", "scan=%s", "index");
	try_trace("x", "%d", 2);
	unsetenv("TRY_TRACE");
	try_trace("age", "not written");
	ck_assert_int_eq(try_buf_read_file(&b, path, 0), 0);
	ck_assert_str_eq(b.ptr, "trace: age: scan=index\ntrace: x: 2\n");
	unlink(path);
	try_buf_release(&b);
}
END_TEST

Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");

	tcase_add_test(tc, test_enabled_table);
	tcase_add_test(tc, test_appends_lines_to_a_file);
	suite_add_tcase(s, tc);
	return s;
}

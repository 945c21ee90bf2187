#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/buf.h"
#include "libtry/utf8.h"

/* Validation and repair: one table, both functions. */
static const struct {
	const char *in;
	size_t len;
	int valid;
	const char *repaired;
} cases[] = {
	{ "", 0, 1, "" },
	{ "plain ascii", 11, 1, "plain ascii" },
	{ "caf\xc3\xa9", 5, 1, "caf\xc3\xa9" },
	{ "\xe2\x82\xac euro", 8, 1, "\xe2\x82\xac euro" },
	{ "\xf0\x9f\x98\x80", 4, 1, "\xf0\x9f\x98\x80" },
	{ "nul\0in", 6, 1, "nul\0in" },
	{ "latin1 \xe9t\xe9", 10, 0, "latin1 \xef\xbf\xbdt\xef\xbf\xbd" },
	{ "cut \xe2\x82", 6, 0, "cut \xef\xbf\xbd\xef\xbf\xbd" },
	{ "overlong \xc0\xaf", 11, 0, "overlong \xef\xbf\xbd\xef\xbf\xbd" },
	{ "overlong3 \xe0\x80\xaf", 13, 0,
	  "overlong3 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "surrogate \xed\xa0\x80", 13, 0,
	  "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "too big \xf4\x90\x80\x80", 12, 0,
	  "too big \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "lone \x80", 6, 0, "lone \xef\xbf\xbd" },
	{ "\xff", 1, 0, "\xef\xbf\xbd" },
};

START_TEST(test_valid_and_repair)
{
	struct try_buf out = TRY_BUF_INIT;
	size_t want = strlen(cases[_i].repaired);

	if (!cases[_i].len || cases[_i].in[0] == 'n')
		want = cases[_i].len;   /* with a NUL inside */
	ck_assert_int_eq(try_utf8_is_valid(cases[_i].in, cases[_i].len),
			 cases[_i].valid);
	try_utf8_add_valid(&out, cases[_i].in, cases[_i].len);
	ck_assert_uint_eq(out.len, want);
	ck_assert_int_eq(memcmp(out.ptr, cases[_i].repaired, want), 0);
	ck_assert_int_eq(try_utf8_is_valid(out.ptr, out.len), 1);
	try_buf_release(&out);
}
END_TEST

START_TEST(test_safe)
{
	struct try_buf out = TRY_BUF_INIT;

	try_utf8_add_safe(&out, "a\tb\nc\x1b[31m\x7f", 11, 0);
	ck_assert_str_eq(out.ptr, "a\tb?c?[31m?");
	try_buf_reset(&out);
	try_utf8_add_safe(&out, "abcdef", 6, 3);
	ck_assert_str_eq(out.ptr, "abc...");
	try_buf_reset(&out);
	/* the cut falls inside the euro sign: before it, not in it */
	try_utf8_add_safe(&out, "ab\xe2\x82\xac", 5, 3);
	ck_assert_str_eq(out.ptr, "ab...");
	try_buf_reset(&out);
	try_utf8_add_safe(&out, "short", 5, 10);
	ck_assert_str_eq(out.ptr, "short");
	try_buf_release(&out);
}
END_TEST

START_TEST(test_json_string)
{
	json_t *v = try_utf8_json_string("x\xffy");
	json_t *n = try_utf8_json_string(NULL);

	ck_assert(json_is_string(v));
	ck_assert_str_eq(json_string_value(v), "x\xef\xbf\xbdy");
	ck_assert(json_is_null(n));
	json_decref(v);
	json_decref(n);
}
END_TEST

Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_valid_and_repair, 0,
			    (int)(sizeof(cases) / sizeof(*cases)));
	tcase_add_test(tc, test_safe);
	tcase_add_test(tc, test_json_string);
	suite_add_tcase(s, tc);
	return s;
}

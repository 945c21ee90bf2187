#include <check.h>
#include <jansson.h>
#include <string.h>

#include "libtry/buf.h"
#include "libtry/metrics.h"

START_TEST(test_label_table)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "two\nlines", "two\\nlines" },
		{ "bad \xff", "bad \xef\xbf\xbd" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_buf b = TRY_BUF_INIT;
		try_metrics_add_label(&b, cases[i].in);
		ck_assert_str_eq(b.ptr, cases[i].out);
		try_buf_release(&b);
	}
}
END_TEST

START_TEST(test_render)
{
	struct try_buf b = TRY_BUF_INIT;
	json_t *s = json_loads(
		"{\"name\":\"srv\",\"holds\":[{\"lane\":\"all\","
		"\"since_epoch\":1700000000}],"
		"\"lanes\":[{\"lane\":\"code\",\"pending\":3}],"
		"\"totals\":[{\"type\":\"push\",\"lane\":\"code\",\"count\":7}],"
		"\"webhooks\":[{\"url\":\"http://h/\\\"x\",\"waiting\":2}]}",
		0, NULL);

	ck_assert_ptr_nonnull(s);
	try_metrics_render(&b, &s, 1);
	ck_assert_ptr_nonnull(strstr(b.ptr, "# TYPE lanes_hold gauge\n"
		"lanes_hold{repository=\"srv\",lane=\"dark\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(b.ptr,
		"lanes_hold{repository=\"srv\",lane=\"all\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.ptr,
		"lanes_hold_since_seconds{repository=\"srv\",lane=\"all\"} "
		"1700000000\n"));
	ck_assert_ptr_nonnull(strstr(b.ptr,
		"lanes_pending_commits{repository=\"srv\",lane=\"code\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "# TYPE lanes_events_total counter\n"
		"lanes_events_total{repository=\"srv\",type=\"push\","
		"lane=\"code\"} 7\n"));
	ck_assert_ptr_nonnull(strstr(b.ptr,
		"lanes_webhook_spool_events{repository=\"srv\","
		"destination=\"http://h/\\\"x\"} 2\n"));
	json_decref(s);
	try_buf_release(&b);
}
END_TEST

Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_label_table);
	tcase_add_test(tc, test_render);
	suite_add_tcase(s, tc);
	return s;
}

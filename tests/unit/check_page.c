#include <check.h>
#include <jansson.h>
#include <string.h>

#include "libtry/buf.h"
#include "libtry/page.h"

START_TEST(test_escape_table)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "plain", 5, "plain" },
		{ "<script>alert(1)</script>", 25,
		  "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a \"q\" & 'b'", 11, "a &quot;q&quot; &amp; &#39;b&#39;" },
		{ "bad \xff\xfe!", 7, "bad \xef\xbf\xbd\xef\xbf\xbd!" },
		{ "nul\0x", 5, "nul\xef\xbf\xbdx" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ "cut \xc3", 5, "cut \xef\xbf\xbd" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_buf b = TRY_BUF_INIT;
		try_page_add_html(&b, cases[i].in, cases[i].len);
		ck_assert_msg(!strcmp(b.ptr, cases[i].out), "case %zu: '%s'",
			      i, b.ptr);
		try_buf_release(&b);
	}
}
END_TEST

static json_t *state(void)
{
	json_error_t err;
	json_t *s = json_loads(
		"{\"name\":\"srv<x>\",\"trunk\":\"main\",\"stamp\":\"abc\","
		"\"holds\":[{\"lane\":\"code\",\"who\":\"eve <e@x>\","
		"\"reason\":\"down <b>\",\"since\":\"2024-05-01T12:00:00Z\"}],"
		"\"lanes\":[{\"lane\":\"code\",\"held\":true,\"pending\":1,"
		"\"hold\":{\"lane\":\"code\",\"who\":\"eve <e@x>\","
		"\"reason\":\"down <b>\",\"since\":\"2024-05-01T12:00:00Z\"},"
		"\"commits\":[{\"id\":\"0123456789abcdef\",\"lane\":\"code\","
		"\"subject\":\"fix \\\"it\\\"\",\"author\":\"A <a@x>\","
		"\"time\":\"2024-05-01T11:00:00Z\"}]}],"
		"\"timeline\":{\"events\":[],\"page\":1,\"more\":true,"
		"\"filter\":{\"lane\":\"code\",\"type\":null,\"person\":\"a&b\"}},"
		"\"totals\":[],\"people\":[],\"webhooks\":[]}",
		0, &err);
	ck_assert_msg(s != NULL, "%s", err.text);
	return s;
}

START_TEST(test_render_read_only)
{
	struct try_buf b = TRY_BUF_INIT;
	struct try_page_view v = { NULL, NULL, NULL };
	json_t *s = state();

	try_page_render(&b, s, &v);
	ck_assert_ptr_nonnull(strstr(b.ptr, "<title>srv&lt;x&gt;</title>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "HELD (code) by eve &lt;e@x&gt; "
					    "since <time datetime=\"2024-05-01"
					    "T12:00:00Z\""));
	ck_assert_ptr_nonnull(strstr(b.ptr, "2024-05-01 12:00 UTC</time>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "down &lt;b&gt;"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "<code>0123456</code>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "fix &quot;it&quot;"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "read-only"));
	ck_assert_ptr_null(strstr(b.ptr, "<form class=\"inline\""));
	/* paging keeps the filter, escaped for the URL and for HTML */
	ck_assert_ptr_nonnull(strstr(b.ptr, "href=\"/r/srv%3Cx%3E/?lane=code"
					    "&amp;type=&amp;person=a%26b&amp;"
					    "page=0\">newer</a>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "page=2\">older</a>"));
	ck_assert_ptr_null(strstr(b.ptr, "<b>"));
	json_decref(s);
	try_buf_release(&b);
}
END_TEST

START_TEST(test_render_signed_in)
{
	struct try_buf b = TRY_BUF_INIT;
	struct try_page_view v = { "al\"ice", "t0k", "code: held" };
	json_t *s = state();

	try_page_render(&b, s, &v);
	ck_assert_ptr_nonnull(strstr(b.ptr, "signed in as <b id=\"user\">"
					    "al&quot;ice</b>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "action=\"/r/srv%3Cx%3E/release\">"
					    "<input type=\"hidden\" name=\"csrf\""
					    " value=\"t0k\">"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "id=\"notice\">code: held</p>"));
	json_decref(s);
	try_buf_release(&b);
}
END_TEST

START_TEST(test_render_deploys_train)
{
	struct try_buf b = TRY_BUF_INIT;
	struct try_page_view v = { NULL, NULL, NULL };
	json_error_t err;
	json_t *s = state(), *more = json_loads(
		"{\"deploys\":[{\"env\":\"prod<1>\",\"lanes\":[{\"lane\":"
		"\"code\",\"deployed\":{\"commit\":\"abcdef0123\",\"by\":"
		"\"dora <d>\",\"at\":\"2024-05-01T10:00:00Z\",\"at_epoch\":1,"
		"\"rollback\":true},\"next\":\"fedcba9876\",\"waiting\":3,"
		"\"shippable\":2,\"why\":\"stop <here>\"},{\"lane\":\"config\","
		"\"deployed\":null,\"next\":null,\"waiting\":1}]}],"
		"\"train\":[{\"lane\":\"code\",\"riders\":1,\"cars\":[{\"car\":1,"
		"\"driver\":\"carol\",\"state\":\"boarding\",\"uhoh\":true,"
		"\"riders\":[{\"user\":\"carol\",\"state\":\"waiting\","
		"\"note\":\"a <i>\",\"since\":\"2024-05-01T09:00:00Z\"}]}]},"
		"{\"lane\":\"config\",\"riders\":0,\"cars\":[]}]}", 0, &err);

	ck_assert_msg(more != NULL, "%s", err.text);
	json_object_update(s, more);
	try_page_render(&b, s, &v);
	ck_assert_ptr_nonnull(strstr(b.ptr, "id=\"env-prod&lt;1&gt;\">"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "deployed <code>abcdef0</code> by "
					    "dora &lt;d&gt; <time"));
	ck_assert_ptr_nonnull(strstr(b.ptr, " (rollback)</p>"));
	/* the code lane is held: its deploy box has the banner too */
	ck_assert_ptr_nonnull(strstr(b.ptr, "<section class=\"box deploy\">"
					    "<h3><span class=\"badge l-code\">"
					    "CODE</span></h3><div class=\""
					    "banner\""));
	ck_assert_ptr_nonnull(strstr(b.ptr, "can ship <code>fedcba9</code> "
					    "(2 of 3 commits waiting); stops: "
					    "stop &lt;here&gt;"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "never deployed</p><p class=\""
					    "next\">nothing to ship (1 commit "
					    "waiting)"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "car 1: boarding, driver <b>carol"
					    "</b> <b class=\"uhoh\">UH-OH</b>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "<span class=\"rider\">carol"
					    "</span> waiting since <time"));
	ck_assert_ptr_nonnull(strstr(b.ptr, ": a &lt;i&gt;</li>"));
	ck_assert_ptr_nonnull(strstr(b.ptr, "id=\"train-config\"><h3><span "
					    "class=\"badge l-config\">CONFIG"
					    "</span> train</h3><p>empty</p>"));
	json_decref(more);
	json_decref(s);
	try_buf_release(&b);
}
END_TEST

Suite *page_suite(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_escape_table);
	tcase_add_test(tc, test_render_read_only);
	tcase_add_test(tc, test_render_signed_in);
	tcase_add_test(tc, test_render_deploys_train);
	suite_add_tcase(s, tc);
	return s;
}

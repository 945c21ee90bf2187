#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/hold.h"
#include "tests/unit/fixture.h"

START_TEST(test_scope_table)
{
	static const struct {
		const char *s;
		int ok;
		enum try_hold_scope scope;
	} cases[] = {
		{ "code", 1, TRY_HOLD_CODE },
		{ "CONFIG", 1, TRY_HOLD_CONFIG },
		{ "Dark", 1, TRY_HOLD_DARK },
		{ "all", 1, TRY_HOLD_ALL },
		{ "", 0, TRY_HOLD_ALL },
		{ "cod", 0, TRY_HOLD_ALL },
		{ "codes", 0, TRY_HOLD_ALL },
		{ "prod", 0, TRY_HOLD_ALL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		enum try_hold_scope s = TRY_HOLD_DARK;
		int rc = try_hold_scope_parse(&s, cases[i].s);
		ck_assert_msg((rc == 0) == cases[i].ok, "case '%s'", cases[i].s);
		if (cases[i].ok)
			ck_assert_int_eq(s, cases[i].scope);
	}
	ck_assert_str_eq(try_hold_scope_key(TRY_HOLD_CODE), "code");
	ck_assert_str_eq(try_hold_scope_key(TRY_HOLD_ALL), "all");
	ck_assert_int_eq((int)TRY_HOLD_CODE, (int)TRY_LANE_CODE);
	ck_assert_int_eq((int)TRY_HOLD_DARK, (int)TRY_LANE_DARK);
}
END_TEST

/* A hold commit parses back into what made it. */
START_TEST(test_message_roundtrip)
{
	static const struct {
		const char *reason;
		const char *who;
		const char *parsed;   /* the reason as parsed back */
		const char *described;
	} cases[] = {
		{ "checkout is down", "A U Thor <a@x>", "checkout is down",
		  "held by A U Thor <a@x> since 2023-11-14 22:13 UTC: "
		  "checkout is down" },
		{ "  payments down\n\nsee INC-42\n", "ops", "payments down\n\n"
		  "see INC-42", "held by ops since 2023-11-14 22:13 UTC: "
		  "payments down" },
		{ "Held-By: a reason that looks like a trailer", "B <b@x>",
		  "Held-By: a reason that looks like a trailer",
		  "held by B <b@x> since 2023-11-14 22:13 UTC: Held-By: a "
		  "reason that looks like a trailer" },
		{ "bell \a in it", "C <c@x>", "bell \a in it",
		  "held by C <c@x> since 2023-11-14 22:13 UTC: bell ? in it" },
	};
	git_repository *repo = fixture_repo();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_hold h;
		struct try_buf b = TRY_BUF_INIT;
		git_commit *c = NULL;
		git_oid id;

		ck_assert_msg(try_hold_commit(&id, repo, TRY_HOLD_CODE,
					      cases[i].reason, cases[i].who,
					      1700000000) == 0,
			      "%s", try_error_last());
		ck_assert_int_eq(git_commit_lookup(&c, repo, &id), 0);
		ck_assert_uint_eq(git_commit_parentcount(c), 0);
		memset(&h, 0, sizeof(h));
		try_hold_parse(&h, c);
		ck_assert_msg(!strcmp(h.reason, cases[i].parsed),
			      "case %zu: '%s'", i, h.reason);
		ck_assert_str_eq(h.who, cases[i].who);
		ck_assert_int_eq(h.since, 1700000000);
		ck_assert(git_oid_equal(&h.id, &id));
		try_hold_describe(&b, &h);
		ck_assert_msg(!strcmp(b.ptr, cases[i].described),
			      "case %zu: '%s'", i, b.ptr);
		try_buf_release(&b);
		try_hold_release(&h);
		git_commit_free(c);
	}
	fixture_cleanup(repo);
}
END_TEST

/* A hold made by hand (git commit --allow-empty -m ...) still parses. */
START_TEST(test_parse_fallbacks)
{
	static const struct {
		const char *message;
		const char *reason;
	} cases[] = {
		{ "hold code: db migration\n", "db migration" },
		{ "db migration running", "db migration running" },
		{ "freeze\n\nuntil Monday\n", "until Monday" },
	};
	git_repository *repo = fixture_repo();
	git_signature *sig = NULL;
	git_tree *tree = fixture_tree(repo, NULL);
	size_t i;

	ck_assert_int_eq(git_signature_new(&sig, "Ops", "ops@x", 1700000000,
					   0), 0);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_hold h;
		git_commit *c = NULL;
		git_oid id;

		ck_assert_int_eq(git_commit_create(&id, repo, NULL, sig, sig,
						   NULL, cases[i].message, tree,
						   0, NULL), 0);
		ck_assert_int_eq(git_commit_lookup(&c, repo, &id), 0);
		memset(&h, 0, sizeof(h));
		try_hold_parse(&h, c);
		ck_assert_str_eq(h.reason, cases[i].reason);
		ck_assert_str_eq(h.who, "Ops <ops@x>");
		ck_assert_int_eq(h.since, 1700000000);
		try_hold_release(&h);
		git_commit_free(c);
	}
	git_tree_free(tree);
	git_signature_free(sig);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_load_and_blocking)
{
	git_repository *repo = fixture_repo();
	struct try_holds holds = TRY_HOLDS_INIT;
	git_reference *ref = NULL;
	git_oid code, all, blob;
	static const char *const bogus[] = { "refs/lanes/holds/prod",
					     "refs/lanes/holds/CODE",
					     "refs/lanes/other", NULL };
	size_t i;

	ck_assert_int_eq(try_hold_commit(&code, repo, TRY_HOLD_CODE, "c",
					 "W <w@x>", 1700000000), 0);
	ck_assert_int_eq(try_hold_commit(&all, repo, TRY_HOLD_ALL, "a",
					 "W <w@x>", 1700000100), 0);
	ck_assert_int_eq(git_blob_create_from_buffer(&blob, repo, "x", 1), 0);

	ck_assert_int_eq(try_holds_load(&holds, repo, TRY_HOLD_REFS), 0);
	ck_assert_uint_eq(holds.nr, 0);
	ck_assert_ptr_null(try_holds_blocking(&holds, TRY_LANE_CODE));
	try_holds_release(&holds);

	ck_assert_int_eq(git_reference_create(&ref, repo,
		"refs/lanes/holds/code", &code, 0, NULL), 0);
	git_reference_free(ref);
	for (i = 0; bogus[i]; i++) {
		ck_assert_int_eq(git_reference_create(&ref, repo, bogus[i],
						      &code, 0, NULL), 0);
		git_reference_free(ref);
	}
	/* a hold that is not a commit is skipped */
	ck_assert_int_eq(git_reference_create(&ref, repo,
		"refs/lanes/holds/dark", &blob, 0, NULL), 0);
	git_reference_free(ref);

	ck_assert_int_eq(try_holds_load(&holds, repo, TRY_HOLD_REFS), 0);
	ck_assert_uint_eq(holds.nr, 1);
	ck_assert_int_eq(holds.items[0].scope, TRY_HOLD_CODE);
	ck_assert_str_eq(holds.items[0].reason, "c");
	ck_assert_ptr_eq(try_holds_blocking(&holds, TRY_LANE_CODE),
			 &holds.items[0]);
	ck_assert_ptr_null(try_holds_blocking(&holds, TRY_LANE_CONFIG));
	ck_assert_ptr_null(try_holds_blocking(&holds, TRY_LANE_DARK));
	try_holds_release(&holds);

	ck_assert_int_eq(git_reference_create(&ref, repo,
		"refs/lanes/holds/all", &all, 0, NULL), 0);
	git_reference_free(ref);
	ck_assert_int_eq(try_holds_load(&holds, repo, TRY_HOLD_REFS), 0);
	ck_assert_uint_eq(holds.nr, 2);
	/* in scope order */
	ck_assert_int_eq(holds.items[0].scope, TRY_HOLD_CODE);
	ck_assert_int_eq(holds.items[1].scope, TRY_HOLD_ALL);
	ck_assert_int_eq(try_holds_blocking(&holds, TRY_LANE_CODE)->scope,
			 TRY_HOLD_CODE);
	ck_assert_int_eq(try_holds_blocking(&holds, TRY_LANE_CONFIG)->scope,
			 TRY_HOLD_ALL);
	ck_assert_int_eq(try_holds_blocking(&holds, TRY_LANE_DARK)->scope,
			 TRY_HOLD_ALL);
	try_holds_release(&holds);
	ck_assert_ptr_null(try_holds_blocking(NULL, TRY_LANE_CODE));

	/* a bare repository: set and release without a remote */
	ck_assert_int_eq(try_hold_set(repo, "origin", TRY_HOLD_CONFIG, &code,
				      0), 0);
	ck_assert_int_eq(try_hold_set(repo, "origin", TRY_HOLD_CONFIG, &code,
				      0), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "held already"));
	ck_assert_int_eq(try_hold_set(repo, "origin", TRY_HOLD_CONFIG, &all,
				      1), 0);
	ck_assert_int_eq(try_hold_set(repo, "origin", TRY_HOLD_CONFIG, NULL,
				      0), 0);
	ck_assert_int_eq(try_hold_set(repo, "origin", TRY_HOLD_CONFIG, NULL,
				      0), TRY_ENOTFOUND);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_may_hold_table)
{
	static const struct {
		const char *holders[3];
		const char *user;
		int may;
	} cases[] = {
		{ { NULL }, "anyone", 1 },
		{ { "alice", NULL }, "alice", 1 },
		{ { "alice", NULL }, "bob", 0 },
		{ { "alice", NULL }, "ali", 0 },
		{ { "alice", NULL }, "alice2", 0 },
		{ { "alice bob", NULL }, "bob", 1 },
		{ { "alice,bob", NULL }, "bob", 1 },
		{ { " alice ,\tbob ", NULL }, "bob", 1 },
		{ { "alice", "carol dave" }, "dave", 1 },
		{ { "alice", "carol dave" }, "eve", 0 },
		{ { "", NULL }, "eve", 0 },
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_config cfg = TRY_CONFIG_INIT;

		for (k = 0; k < 3 && cases[i].holders[k]; k++)
			try_strlist_add(&cfg.holders, cases[i].holders[k]);
		ck_assert_msg(try_hold_may_hold(&cfg, cases[i].user) ==
			      cases[i].may, "case %zu", i);
		try_strlist_release(&cfg.holders);
	}
}
END_TEST

Suite *hold_suite(void)
{
	Suite *s = suite_create("hold");
	TCase *tc = tcase_create("hold");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_scope_table);
	tcase_add_test(tc, test_message_roundtrip);
	tcase_add_test(tc, test_parse_fallbacks);
	tcase_add_test(tc, test_load_and_blocking);
	tcase_add_test(tc, test_may_hold_table);
	suite_add_tcase(s, tc);
	return s;
}

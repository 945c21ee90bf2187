#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libtry/buf.h"
#include "libtry/cockpit.h"
#include "libtry/error.h"
#include "libtry/hold.h"
#include "tests/unit/fixture.h"

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static json_int_t count_of(json_t *state, const char *type,
			   const char *lane)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(state, "totals"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "type")), type) &&
		    !strcmp(json_string_value(json_object_get(t, "lane")), lane))
			return json_integer_value(json_object_get(t, "count"));
	return 0;
}

/*
 * The journal is read on from where it was: appended lines are counted once,
 * a half-written last line waits, a bad line is skipped, and a journal that
 * was replaced is read again.
 */
START_TEST(test_journal_index)
{
	git_repository *repo = fixture_repo();
	struct try_cockpit *c = NULL;
	struct try_buf path = TRY_BUF_INIT, journal = TRY_BUF_INIT;
	struct try_cockpit_query q;
	json_t *s = NULL, *events;

	try_buf_adds(&path, git_repository_path(repo));
	try_buf_addf(&journal, "%slanes", path.ptr);
	mkdir(journal.ptr, 0777);
	try_buf_adds(&journal, "/events.jsonl");
	append(journal.ptr,
	       "{\"type\":\"push\",\"lane\":\"code\",\"pusher\":\"a\"}\n"
	       "{\"lane\":\"dark\",\"pusher\":\"b\"}\n"
	       "not json\n"
	       "{\"type\":\"hold\",\"lane\":\"all\",\"pusher\":\"a\"}\n"
	       "{\"type\":\"push\",\"lane\":\"co");
	ck_assert_int_eq(try_cockpit_open(&c, path.ptr), 0);
	ck_assert_int_eq(try_cockpit_state(&s, c, NULL), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(s, "events")), 3);
	ck_assert_int_eq(count_of(s, "push", "code"), 1);
	ck_assert_int_eq(count_of(s, "push", "dark"), 1);
	ck_assert_int_eq(count_of(s, "hold", "all"), 1);
	events = json_object_get(json_object_get(s, "timeline"), "events");
	ck_assert_int_eq(json_array_size(events), 3);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(events, 0), "type")), "hold");
	json_decref(s);

	/* the rest of the line arrives, and one more */
	append(journal.ptr, "de\",\"pusher\":\"b\"}\n"
			    "{\"type\":\"push\",\"lane\":\"code\",\"pusher\":\"a\"}\n");
	ck_assert_int_eq(try_cockpit_state(&s, c, NULL), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(s, "events")), 5);
	ck_assert_int_eq(count_of(s, "push", "code"), 3);
	json_decref(s);

	/* filters: lane, type, person */
	memset(&q, 0, sizeof(q));
	q.lane = "code";
	q.person = "b";
	ck_assert_int_eq(try_cockpit_state(&s, c, &q), 0);
	events = json_object_get(json_object_get(s, "timeline"), "events");
	ck_assert_int_eq(json_array_size(events), 1);
	json_decref(s);
	q.lane = "nosuch";
	ck_assert_int_eq(try_cockpit_state(&s, c, &q), 0);
	events = json_object_get(json_object_get(s, "timeline"), "events");
	ck_assert_int_eq(json_array_size(events), 0);
	json_decref(s);

	/* replaced by a shorter journal */
	ck_assert_int_eq(remove(journal.ptr), 0);
	append(journal.ptr, "{\"type\":\"deploy\",\"lane\":\"config\"}\n");
	ck_assert_int_eq(try_cockpit_state(&s, c, NULL), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(s, "events")), 1);
	ck_assert_int_eq(count_of(s, "deploy", "config"), 1);
	ck_assert_int_eq(count_of(s, "push", "code"), 0);
	json_decref(s);

	try_cockpit_free(c);
	try_buf_release(&path);
	try_buf_release(&journal);
	fixture_cleanup(repo);
}
END_TEST

/* Pending commits per lane, the holds, and the hold/release checks. */
START_TEST(test_pending_and_holds)
{
	static const char *const code[] = { "src/a.c=1", NULL };
	static const char *const dark[] = { "src/a.c=1", "src/b.c=2", NULL };
	git_repository *repo = fixture_repo();
	git_commit *c1 = fixture_commit(repo, NULL, code, "first");
	git_commit *c2 = fixture_commit(repo, c1, dark, "DARK second");
	struct try_cockpit *c = NULL;
	git_reference *ref = NULL;
	struct try_buf trunk = TRY_BUF_INIT;
	char stamp1[17], stamp2[17];
	json_t *s = NULL, *lanes, *env, *l;
	char hex[GIT_OID_HEXSZ + 1];

	ck_assert_int_eq(try_cockpit_open(&c, git_repository_path(repo)), 0);
	/* no trunk yet: nothing waits */
	ck_assert_int_eq(try_cockpit_state(&s, c, NULL), 0);
	try_buf_addf(&trunk, "refs/heads/%s",
		     json_string_value(json_object_get(s, "trunk")));
	json_decref(s);
	ck_assert_int_eq(git_reference_create(&ref, repo, trunk.ptr,
					      git_commit_id(c2), 1, NULL), 0);
	git_reference_free(ref);
	ck_assert_int_eq(try_cockpit_state(&s, c, NULL), 0);
	lanes = json_object_get(s, "lanes");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(lanes, 0), "lane")), "dark");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(lanes, 0), "pending")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(lanes, 2), "pending")), 1);
	ck_assert_int_eq(json_array_size(json_object_get(s, "holds")), 0);
	/* nothing deployed: the code lane can ship the tip, 2 commits wait */
	env = json_array_get(json_object_get(s, "deploys"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(env, "env")),
			 "production");
	l = json_array_get(json_object_get(env, "lanes"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(l, "lane")),
			 "code");
	ck_assert(json_is_null(json_object_get(l, "deployed")));
	ck_assert_int_eq(json_integer_value(json_object_get(l, "waiting")),
			 2);
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c2));
	ck_assert_str_eq(json_string_value(json_object_get(l, "next")), hex);
	/* an empty push train per lane that has one */
	ck_assert_int_eq(json_array_size(json_object_get(s, "train")), 2);
	l = json_array_get(json_object_get(s, "train"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(l, "lane")),
			 "code");
	ck_assert_int_eq(json_integer_value(json_object_get(l, "riders")), 0);
	json_decref(s);

	ck_assert_int_eq(try_cockpit_stamp(stamp1, c), 0);
	ck_assert_int_eq(try_cockpit_hold(c, "alice", TRY_HOLD_CODE, " ", 0),
			 1);
	ck_assert_int_eq(try_cockpit_hold(c, "alice", TRY_HOLD_CODE,
					  "down", 0), 0);
	ck_assert_int_eq(try_cockpit_hold(c, "bob", TRY_HOLD_CODE, "again",
					  0), 1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "held already"));
	ck_assert_int_eq(try_cockpit_stamp(stamp2, c), 0);
	ck_assert_str_ne(stamp1, stamp2);
	ck_assert_int_eq(try_cockpit_state(&s, c, NULL), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
				 json_object_get(s, "holds"), 0), "who")), "alice");
	lanes = json_object_get(s, "lanes");
	ck_assert(json_is_true(json_object_get(json_array_get(lanes, 2),
					       "held")));
	ck_assert(json_is_false(json_object_get(json_array_get(lanes, 0),
						"held")));
	json_decref(s);
	ck_assert_int_eq(try_cockpit_release(c, "alice", TRY_HOLD_CODE), 0);
	ck_assert_int_eq(try_cockpit_release(c, "alice", TRY_HOLD_CODE), 1);

	try_cockpit_free(c);
	try_buf_release(&trunk);
	git_commit_free(c1);
	git_commit_free(c2);
	fixture_cleanup(repo);
}
END_TEST

Suite *cockpit_suite(void)
{
	Suite *s = suite_create("cockpit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_journal_index);
	tcase_add_test(tc, test_pending_and_holds);
	suite_add_tcase(s, tc);
	return s;
}

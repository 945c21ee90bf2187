#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/error.h"
#include "libtry/tryhist.h"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/try-tryhist.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put_file(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* Saves a record `id` sent at `time` with one job in `state`. */
static void save(const char *id, long long time, enum try_ci_state state,
		 size_t keep)
{
	struct try_tryhist_record r;
	const char *patch = "diff --git a/x b/x\n";
	char hex[GIT_OID_HEXSZ + 1];
	struct try_ci_job *j;

	memset(&r, 0, sizeof(r));
	r.id = strdup(id);
	r.time = time;
	r.base = strdup("0123456789abcdef0123456789abcdef01234567");
	r.backend = strdup("buildbot");
	ck_assert_int_eq(try_tryhist_patch_id(hex, patch, strlen(patch)), 0);
	r.patch_id = strdup(hex);
	r.patch_bytes = strlen(patch);
	r.files = 1;
	j = try_ci_result_add(&r.res, "try");
	j->state = state;
	j->log = strdup("line 1\nMARKER \xe2\x9c\x97\n");
	j->handle = strdup("1:7");
	ck_assert_int_eq(try_tryhist_save(dir, &r, patch, strlen(patch),
					  keep), 0);
	try_tryhist_record_release(&r);
}

START_TEST(test_save_load_roundtrip)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	struct try_buf patch = TRY_BUF_INIT;
	size_t at;

	make_dir();
	save("try-100-aa", 100, TRY_CI_PASSED, 0);
	save("try-200-bb", 200, TRY_CI_FAILED, 0);
	ck_assert_int_eq(try_tryhist_load(&l, dir, 0), 0);
	ck_assert_uint_eq(l.nr, 2);
	ck_assert_uint_eq(l.warnings.nr, 0);
	ck_assert_str_eq(l.items[0].id, "try-200-bb");
	ck_assert_int_eq(try_tryhist_state(&l.items[0]), TRY_CI_FAILED);
	ck_assert_int_eq(try_tryhist_state(&l.items[1]), TRY_CI_PASSED);
	ck_assert_str_eq(l.items[0].res.jobs[0].log,
			 "line 1\nMARKER \xe2\x9c\x97\n");
	ck_assert_str_eq(l.items[0].res.jobs[0].handle, "1:7");
	ck_assert_int_eq(try_tryhist_find(&at, &l, NULL), 0);
	ck_assert_uint_eq(at, 0);
	ck_assert_int_eq(try_tryhist_find(&at, &l, "2"), 0);
	ck_assert_uint_eq(at, 1);
	ck_assert_int_eq(try_tryhist_find(&at, &l, "try-1"), 0);
	ck_assert_uint_eq(at, 1);
	ck_assert_int_eq(try_tryhist_find(&at, &l, "try-"), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "more than one"));
	ck_assert_int_eq(try_tryhist_find(&at, &l, "3"), -1);
	ck_assert_int_eq(try_tryhist_find(&at, &l, "0"), -1);
	ck_assert_int_eq(try_tryhist_read_patch(&patch, dir, &l.items[1]), 0);
	ck_assert_str_eq(patch.ptr, "diff --git a/x b/x\n");
	try_buf_release(&patch);
	try_tryhist_list_release(&l);
	ck_assert_int_eq(try_tryhist_load(&l, dir, 1), 0);
	ck_assert_uint_eq(l.nr, 1);
	try_tryhist_list_release(&l);
	remove_dir();
}
END_TEST

START_TEST(test_bounded_oldest_dropped)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	char id[32], path[256];
	int i;

	make_dir();
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "try-%d-aa", 100 + i);
		save(id, 100 + i, TRY_CI_PASSED, 3);
	}
	ck_assert_int_eq(try_tryhist_load(&l, dir, 0), 0);
	ck_assert_uint_eq(l.nr, 3);
	ck_assert_str_eq(l.items[2].id, "try-102-aa");
	snprintf(path, sizeof(path), "%s/try-101-aa.patch", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	try_tryhist_list_release(&l);
	remove_dir();
}
END_TEST

/* Torn, corrupt and hostile records: each one skipped with a warning. */
static const struct {
	const char *name, *text;
} bad[] = {
	{ "try-150-a.json", "{\"version\":1,\"id\":\"try-150-a\",\"ti" },
	{ "try-151-a.json", "" },
	{ "try-152-a.json", "[1,2]" },
	{ "try-153-a.json", "{\"version\":2}" },
	{ "try-154-a.json", "{\"version\":1,\"id\":\"../../x\"}" },
	{ "try-155-a.json",
	  "{\"version\":1,\"id\":\"try-155-a\",\"base\":\"xyz\","
	  "\"backend\":\"b\",\"patch_id\":\"0\",\"jobs\":[]}" },
	{ "try-156-a.json",
	  "{\"version\":1,\"id\":\"try-156-a\","
	  "\"base\":\"0123456789abcdef0123456789abcdef01234567\","
	  "\"backend\":\"b\","
	  "\"patch_id\":\"0123456789abcdef0123456789abcdef01234567\","
	  "\"jobs\":[{\"name\":\"x\",\"state\":\"exploded\"}]}" },
	{ "try-157-a.json",
	  "{\"version\":1,\"id\":\"try-157-a\","
	  "\"base\":\"0123456789abcdef0123456789abcdef01234567\","
	  "\"backend\":7,"
	  "\"patch_id\":\"0123456789abcdef0123456789abcdef01234567\","
	  "\"jobs\":[]}" },
	{ "try-158-a.json", "{\"version\":1,\"time\":-5}" },
};

START_TEST(test_corrupt_records_skipped)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	size_t i, n = sizeof(bad) / sizeof(*bad);
	char *big;

	make_dir();
	save("try-100-aa", 100, TRY_CI_PASSED, 0);
	save("try-200-bb", 200, TRY_CI_FAILED, 0);
	for (i = 0; i < n; i++)
		put_file(bad[i].name, bad[i].text, strlen(bad[i].text));
	big = malloc(TRY_TRYHIST_MAX_RECORD + 10);
	memset(big, ' ', TRY_TRYHIST_MAX_RECORD + 10);
	put_file("try-159-a.json", big, TRY_TRYHIST_MAX_RECORD + 10);
	free(big);
	put_file("not-a-record.txt", "x", 1);
	put_file(".hidden.json", "x", 1);
	ck_assert_int_eq(try_tryhist_load(&l, dir, 0), 0);
	ck_assert_uint_eq(l.nr, 2);
	ck_assert_uint_eq(l.warnings.nr, n + 1);
	ck_assert_str_eq(l.items[0].id, "try-200-bb");
	ck_assert_str_eq(l.items[1].id, "try-100-aa");
	ck_assert_ptr_nonnull(strstr(l.warnings.items[0], "try-159-a.json"));
	ck_assert_ptr_nonnull(strstr(l.warnings.items[0], "larger than"));
	ck_assert_ptr_nonnull(strstr(l.warnings.items[n], "try-150-a.json"));
	try_tryhist_list_release(&l);
	remove_dir();
}
END_TEST

START_TEST(test_changed_patch_refused)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	struct try_buf patch = TRY_BUF_INIT;

	make_dir();
	save("try-100-aa", 100, TRY_CI_PASSED, 0);
	put_file("try-100-aa.patch", "other\n", 6);
	ck_assert_int_eq(try_tryhist_load(&l, dir, 0), 0);
	ck_assert_int_eq(try_tryhist_read_patch(&patch, dir, &l.items[0]), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "has changed"));
	try_buf_release(&patch);
	try_tryhist_list_release(&l);
	remove_dir();
}
END_TEST

START_TEST(test_missing_dir_is_empty)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	size_t at;

	ck_assert_int_eq(try_tryhist_load(&l, "/nonexistent/try", 0), 0);
	ck_assert_uint_eq(l.nr, 0);
	ck_assert_int_eq(try_tryhist_find(&at, &l, NULL), -1);
	try_tryhist_list_release(&l);
}
END_TEST

Suite *tryhist_suite(void)
{
	Suite *s = suite_create("tryhist");
	TCase *tc = tcase_create("tryhist");

	tcase_add_test(tc, test_save_load_roundtrip);
	tcase_add_test(tc, test_bounded_oldest_dropped);
	tcase_add_test(tc, test_corrupt_records_skipped);
	tcase_add_test(tc, test_changed_patch_refused);
	tcase_add_test(tc, test_missing_dir_is_empty);
	suite_add_tcase(s, tc);
	return s;
}

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/events.h"
#include "libtry/journal.h"
#include "tests/unit/fixture.h"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/try-journal.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void append(const char *path, const char *const *lines)
{
	struct try_journal j = TRY_JOURNAL_INIT;
	size_t i;

	ck_assert_msg(try_journal_open(&j, path) == 0, "%s", try_error_last());
	for (i = 0; lines[i]; i++)
		ck_assert_int_eq(try_journal_append(&j, lines[i],
						    strlen(lines[i])), 0);
	ck_assert_int_eq(try_journal_close(&j), 0);
}

static int collect(const char *line, size_t len, void *payload)
{
	struct try_buf *b = payload;

	try_buf_add(b, line, len);
	try_buf_addch(b, '|');
	return 0;
}

static int stop_at_b(const char *line, size_t len, void *payload)
{
	collect(line, len, payload);
	return len == 1 && *line == 'b' ? 7 : 0;
}

START_TEST(test_append_and_tail)
{
	static const struct {
		size_t max;
		const char *expect;
	} cases[] = {
		{ 0, "a|b|c|d|" },
		{ 1, "d|" },
		{ 2, "c|d|" },
		{ 4, "a|b|c|d|" },
		{ 100, "a|b|c|d|" },
	};
	const char *lines[] = { "a", "b", "c", NULL };
	const char *more[] = { "d", NULL };
	char path[128];
	size_t i;

	make_dir();
	path_in(path, sizeof(path), "deep/er/events.jsonl");
	append(path, lines); /* creates the folders */
	append(path, more);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_buf b = TRY_BUF_INIT;
		ck_assert_int_eq(try_journal_tail(path, cases[i].max, collect,
						  &b), 0);
		ck_assert_msg(!strcmp(b.ptr, cases[i].expect),
			      "max %zu: '%s'", cases[i].max, b.ptr);
		try_buf_release(&b);
	}
	{
		struct try_buf b = TRY_BUF_INIT;
		ck_assert_int_eq(try_journal_tail(path, 0, stop_at_b, &b), 7);
		ck_assert_str_eq(b.ptr, "a|b|");
		try_buf_release(&b);
	}
	remove_dir();
}
END_TEST

START_TEST(test_tail_edges)
{
	char path[128];
	struct try_buf b = TRY_BUF_INIT, big = TRY_BUF_INIT;
	FILE *f;
	size_t i;

	make_dir();
	path_in(path, sizeof(path), "none.jsonl");
	ck_assert_int_eq(try_journal_tail(path, 5, collect, &b), TRY_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "no journal at"));

	/* a last line still being written is not shown; empty lines skipped */
	path_in(path, sizeof(path), "torn.jsonl");
	f = fopen(path, "w");
	fputs("one\n\ntwo\nthr", f);
	fclose(f);
	ck_assert_int_eq(try_journal_tail(path, 0, collect, &b), 0);
	ck_assert_str_eq(b.ptr, "one|two|");
	try_buf_reset(&b);
	ck_assert_int_eq(try_journal_tail(path, 1, collect, &b), 0);
	ck_assert_str_eq(b.ptr, "two|");
	try_buf_reset(&b);

	/* lines longer than the read chunk, across chunk borders */
	for (i = 0; i < 200000; i++)
		try_buf_addch(&big, (char)('a' + i % 26));
	path_in(path, sizeof(path), "big.jsonl");
	f = fopen(path, "w");
	fprintf(f, "first\n%s\nx\n%s\nlast\n", big.ptr, big.ptr);
	fclose(f);
	ck_assert_int_eq(try_journal_tail(path, 2, collect, &b), 0);
	ck_assert_uint_eq(b.len, big.len + 1 + 5);
	ck_assert(!memcmp(b.ptr, big.ptr, big.len));
	ck_assert_str_eq(b.ptr + big.len, "|last|");
	try_buf_reset(&b);
	ck_assert_int_eq(try_journal_tail(path, 5, collect, &b), 0);
	ck_assert_uint_eq(b.len, 6 + 2 * (big.len + 1) + 2 + 5);
	ck_assert(!strncmp(b.ptr, "first|", 6));

	/* an empty journal */
	path_in(path, sizeof(path), "empty.jsonl");
	fclose(fopen(path, "w"));
	try_buf_reset(&b);
	ck_assert_int_eq(try_journal_tail(path, 3, collect, &b), 0);
	ck_assert_uint_eq(b.len, 0);

	try_buf_release(&b);
	try_buf_release(&big);
	remove_dir();
}
END_TEST

/* issue 14, item 9: a fragment left by a killed writer */
START_TEST(test_append_ends_a_torn_line)
{
	struct try_journal j = TRY_JOURNAL_INIT;
	const char *lines[] = { "{\"id\":\"next\"}", NULL };
	struct try_buf b = TRY_BUF_INIT;
	char path[128];
	FILE *f;

	make_dir();
	path_in(path, sizeof(path), "events.jsonl");
	f = fopen(path, "w");
	fputs("{\"id\":\"one\"}\n{\"id\":\"torn\",\"time\":\"2024", f);
	fclose(f);

	ck_assert_int_eq(try_journal_open(&j, path), 0);
	ck_assert_int_eq(try_journal_append(&j, "{\"id\":\"two\"}", 12), 0);
	ck_assert_uint_eq(j.torn, 1);
	/* told once: the fragment is a line of its own now */
	ck_assert_int_eq(try_journal_append(&j, "{\"id\":\"3\"}", 10), 0);
	ck_assert_uint_eq(j.torn, 1);
	ck_assert_int_eq(try_journal_close(&j), 0);
	append(path, lines);

	ck_assert_int_eq(try_journal_tail(path, 0, collect, &b), 0);
	ck_assert_str_eq(b.ptr, "{\"id\":\"one\"}|"
				"{\"id\":\"torn\",\"time\":\"2024|"
				"{\"id\":\"two\"}|{\"id\":\"3\"}|"
				"{\"id\":\"next\"}|");
	try_buf_reset(&b);
	/* the last event is complete: the tail shows it */
	ck_assert_int_eq(try_journal_tail(path, 1, collect, &b), 0);
	ck_assert_str_eq(b.ptr, "{\"id\":\"next\"}|");
	try_buf_release(&b);
	remove_dir();
}
END_TEST

START_TEST(test_append_refuses_newlines)
{
	struct try_journal j = TRY_JOURNAL_INIT;
	char path[128];
	struct stat st;

	make_dir();
	path_in(path, sizeof(path), "j.jsonl");
	ck_assert_int_eq(try_journal_open(&j, path), 0);
	ck_assert_int_eq(try_journal_append(&j, "a\nb", 3), -1);
	ck_assert_int_eq(try_journal_close(&j), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	/* closing what was never opened is fine */
	ck_assert_int_eq(try_journal_close(&j), 0);
	path_in(path, sizeof(path), "j.jsonl/under-a-file");
	ck_assert_int_eq(try_journal_open(&j, path), -1);
	ck_assert_int_eq(try_journal_close(&j), 0);
	remove_dir();
}
END_TEST

/* Writers racing: every line whole, none lost. */
START_TEST(test_concurrent_writers)
{
	enum { WRITERS = 8, LINES = 300 };
	char path[128];
	struct try_buf all = TRY_BUF_INIT;
	size_t count[WRITERS] = { 0 }, n = 0;
	const char *p;
	int w, status;

	make_dir();
	path_in(path, sizeof(path), "race.jsonl");
	for (w = 0; w < WRITERS; w++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (!pid) {
			struct try_buf line = TRY_BUF_INIT;
			int i, k;
			for (i = 0; i < LINES; i++) {
				struct try_journal j = TRY_JOURNAL_INIT;
				try_buf_reset(&line);
				try_buf_addf(&line, "{\"writer\":%d,\"n\":%d,\"pad\":\"",
					     w, i);
				/* lines of a few kB: bigger than a pipe's
				 * atomic write, to show the lock matters */
				for (k = 0; k < 3000 + (i % 7) * 500; k++)
					try_buf_addch(&line, (char)('a' + w));
				try_buf_adds(&line, "\"}");
				if (try_journal_open(&j, path) < 0 ||
				    try_journal_append(&j, line.ptr, line.len) < 0 ||
				    try_journal_close(&j) < 0)
					_exit(1);
			}
			try_buf_release(&line);
			_exit(0);
		}
	}
	for (w = 0; w < WRITERS; w++) {
		ck_assert_int_ge(wait(&status), 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(try_buf_read_file(&all, path, 0), 0);
	for (p = all.ptr; p < all.ptr + all.len;) {
		const char *nl = memchr(p, '\n', (size_t)(all.ptr + all.len - p));
		int writer = -1, i = -1;
		const char *pad;
		size_t padlen;

		ck_assert_ptr_nonnull(nl);
		ck_assert_int_eq(sscanf(p, "{\"writer\":%d,\"n\":%d,", &writer,
					&i), 2);
		ck_assert(writer >= 0 && writer < WRITERS);
		ck_assert_uint_eq(count[writer], (size_t)i); /* in order */
		count[writer]++;
		pad = strstr(p, "\"pad\":\"") + 7;
		padlen = (size_t)(nl - pad) - 2;
		ck_assert_uint_eq(padlen, (size_t)(3000 + (i % 7) * 500));
		ck_assert_int_eq(pad[0], 'a' + writer);
		ck_assert_int_eq(pad[padlen - 1], 'a' + writer);
		ck_assert(!memcmp(nl - 2, "\"}", 2));
		n++;
		p = nl + 1;
	}
	ck_assert_uint_eq(n, WRITERS * LINES);
	try_buf_release(&all);
	remove_dir();
}
END_TEST

START_TEST(test_journal_path)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_buf want = TRY_BUF_INIT;
	char *path = NULL;

	ck_assert_int_eq(try_journal_path(&path, repo, NULL), 0);
	try_buf_addf(&want, "%slanes/events.jsonl", git_repository_path(repo));
	ck_assert_str_eq(path, want.ptr);
	free(path);
	cfg.journal = try_xstrdup("deploys/log.jsonl");
	ck_assert_int_eq(try_journal_path(&path, repo, &cfg), 0);
	try_buf_reset(&want);
	try_buf_addf(&want, "%sdeploys/log.jsonl", git_repository_path(repo));
	ck_assert_str_eq(path, want.ptr);
	free(path);
	free(cfg.journal);
	cfg.journal = try_xstrdup("/var/log/lanes.jsonl");
	ck_assert_int_eq(try_journal_path(&path, repo, &cfg), 0);
	ck_assert_str_eq(path, "/var/log/lanes.jsonl");
	free(path);
	free(cfg.journal);
	try_buf_release(&want);
	fixture_cleanup(repo);
}
END_TEST

/* The event: build, JSON, and the spool's order. */
START_TEST(test_event_json_and_spool)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *c = NULL;
	const char *f1[] = { "src/a=1", "config/x=1", NULL };
	const char *f2[] = { "src/a=1", "config/x=2", NULL };
	git_commit *c1 = fixture_commit(repo, NULL, f1, "root");
	git_commit *c2 = fixture_commit(repo, c1, f2, "flip \xff flag\nbody");
	struct try_event ev;
	struct try_update u;
	struct try_buf json = TRY_BUF_INIT, want = TRY_BUF_INIT;
	struct try_spool_info *info = NULL;
	size_t nr = 0, i;
	char hex1[GIT_OID_HEXSZ + 1], hex2[GIT_OID_HEXSZ + 1];

	cfg.dark_pattern = try_xstrdup(TRY_DEFAULT_DARK_PATTERN);
	try_strlist_add(&cfg.config_globs, "config/**");
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);
	memset(&ev, 0, sizeof(ev));
	memset(&u, 0, sizeof(u));
	git_oid_cpy(&u.old, git_commit_id(c1));
	git_oid_cpy(&u.new, git_commit_id(c2));
	u.ref = "refs/heads/main";
	ck_assert_int_eq(try_event_build(&ev, repo, c, &u, &u, 1, 10), 0);
	ev.repository = try_xstrdup("shop");
	ev.pusher = try_xstrdup("alice");
	memcpy(ev.id, "00000000-0000-4000-8000-000000000000", 37);
	memcpy(ev.time, "2024-05-01T12:00:00.000Z", 25);
	ck_assert_int_eq(try_event_to_json(&json, &ev), 0);
	git_oid_tostr(hex1, sizeof(hex1), git_commit_id(c1));
	git_oid_tostr(hex2, sizeof(hex2), git_commit_id(c2));
	try_buf_addf(&want, "{\"id\":\"00000000-0000-4000-8000-000000000000\","
		     "\"time\":\"2024-05-01T12:00:00.000Z\",\"repository\":"
		     "\"shop\",\"ref\":\"refs/heads/main\",\"old\":\"%s\","
		     "\"new\":\"%s\",\"pusher\":\"alice\",\"lane\":\"config\","
		     "\"reason\":\"only config changes\",\"fix\":false,"
		     "\"count\":1,\"commits\":[{\"id\":\"%s\",\"lane\":"
		     "\"config\",\"subject\":\"flip \xef\xbf\xbd flag\","
		     "\"author\":\"T <t@example.com>\"}],\"type\":\"push\"}",
		     hex1, hex2, hex2);
	ck_assert_str_eq(json.ptr, want.ptr);

	/* a fresh stamp: a version 4 UUID and a UTC time */
	ck_assert_int_eq(try_event_stamp(&ev), 0);
	ck_assert_uint_eq(strlen(ev.id), 36);
	ck_assert_int_eq(ev.id[14], '4');
	ck_assert_uint_eq(strlen(ev.time), 24);
	ck_assert_int_eq(ev.time[23], 'Z');

	/* spooled in order, per URL */
	for (i = 0; i < 12; i++) {
		char body[16];
		snprintf(body, sizeof(body), "{\"n\":%zu}", i);
		ck_assert_int_eq(try_spool_add(repo, "http://a/", body,
					       strlen(body)), 0);
	}
	ck_assert_int_eq(try_spool_add(repo, "http://b/", "{}", 2), 0);
	try_strlist_add(&cfg.webhooks, "http://a/");
	ck_assert_int_eq(try_spool_list(&info, &nr, repo, &cfg), 0);
	ck_assert_uint_eq(nr, 2);
	for (i = 0; i < nr; i++) {
		if (!strcmp(info[i].url, "http://a/")) {
			ck_assert_uint_eq(info[i].waiting, 12);
			ck_assert_int_eq(info[i].configured, 1);
		} else {
			ck_assert_str_eq(info[i].url, "http://b/");
			ck_assert_uint_eq(info[i].waiting, 1);
			ck_assert_int_eq(info[i].configured, 0);
		}
	}
	try_spool_info_free(info, nr);

	free(cfg.dark_pattern);
	try_strlist_release(&cfg.config_globs);
	try_strlist_release(&cfg.webhooks);
	try_event_release(&ev);
	try_buf_release(&json);
	try_buf_release(&want);
	try_classifier_free(c);
	git_commit_free(c1);
	git_commit_free(c2);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_spool_writers_without_the_lock)
{
	/* the journal's lock is missing when the journal cannot be opened:
	 * concurrent spool writers must still never overwrite each other */
	enum { WRITERS = 6, EVENTS = 40 };
	git_repository *repo = fixture_repo();
	struct try_config cfg;
	struct try_spool_info *info = NULL;
	size_t nr = 0;
	int w, status;

	memset(&cfg, 0, sizeof(cfg));
	for (w = 0; w < WRITERS; w++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (!pid) {
			int i;
			for (i = 0; i < EVENTS; i++) {
				char body[32];
				snprintf(body, sizeof(body), "{\"w\":%d,\"n\":%d}", w, i);
				if (try_spool_add(repo, "http://race/", body,
						  strlen(body)) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (w = 0; w < WRITERS; w++) {
		ck_assert_int_ge(wait(&status), 0);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(try_spool_list(&info, &nr, repo, &cfg), 0);
	ck_assert_uint_eq(nr, 1);
	ck_assert_uint_eq(info[0].waiting, WRITERS * EVENTS);
	try_spool_info_free(info, nr);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_pusher_and_push_options)
{
	char *who = NULL;

	unsetenv("REMOTE_USER");
	unsetenv("GL_USERNAME");
	unsetenv("GITEA_PUSHER_NAME");
	setenv("GITHUB_USER_LOGIN", "octo", 1);
	try_events_pusher(&who);
	ck_assert_str_eq(who, "octo");
	free(who);
	setenv("GITEA_PUSHER_NAME", "tea", 1);
	try_events_pusher(&who);
	ck_assert_str_eq(who, "tea");
	free(who);
	setenv("GL_USERNAME", "lab", 1);
	try_events_pusher(&who);
	ck_assert_str_eq(who, "lab");
	free(who);
	setenv("REMOTE_USER", "", 1); /* empty counts as unset */
	try_events_pusher(&who);
	ck_assert_str_eq(who, "lab");
	free(who);
	setenv("REMOTE_USER", "alice", 1);
	try_events_pusher(&who);
	ck_assert_str_eq(who, "alice");
	free(who);
	unsetenv("REMOTE_USER");
	unsetenv("GL_USERNAME");
	unsetenv("GITEA_PUSHER_NAME");
	unsetenv("GITHUB_USER_LOGIN");
	try_events_pusher(&who);
	ck_assert(*who);
	free(who);

	unsetenv("GIT_PUSH_OPTION_COUNT");
	ck_assert_int_eq(try_events_push_option("lanes.fix"), 0);
	setenv("GIT_PUSH_OPTION_COUNT", "0", 1);
	ck_assert_int_eq(try_events_push_option("lanes.fix"), 0);
	setenv("GIT_PUSH_OPTION_COUNT", "3", 1);
	setenv("GIT_PUSH_OPTION_0", "ci.skip", 1);
	setenv("GIT_PUSH_OPTION_1", "lanes.fixes", 1);
	setenv("GIT_PUSH_OPTION_2", "other", 1);
	ck_assert_int_eq(try_events_push_option("lanes.fix"), 0);
	setenv("GIT_PUSH_OPTION_2", "lanes.fix=rollback of 1a2b3c", 1);
	ck_assert_int_eq(try_events_push_option("lanes.fix"), 1);
	setenv("GIT_PUSH_OPTION_2", "lanes.fix", 1);
	ck_assert_int_eq(try_events_push_option("lanes.fix"), 1);
	unsetenv("GIT_PUSH_OPTION_COUNT");
	unsetenv("GIT_PUSH_OPTION_0");
	unsetenv("GIT_PUSH_OPTION_1");
	unsetenv("GIT_PUSH_OPTION_2");
}
END_TEST

Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_append_and_tail);
	tcase_add_test(tc, test_tail_edges);
	tcase_add_test(tc, test_append_refuses_newlines);
	tcase_add_test(tc, test_append_ends_a_torn_line);
	tcase_add_test(tc, test_concurrent_writers);
	tcase_add_test(tc, test_journal_path);
	tcase_add_test(tc, test_event_json_and_spool);
	tcase_add_test(tc, test_pusher_and_push_options);
	tcase_add_test(tc, test_spool_writers_without_the_lock);
	suite_add_tcase(s, tc);
	return s;
}

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/buf.h"
#include "libtry/classify.h"
#include "libtry/config.h"
#include "libtry/deploy.h"
#include "libtry/error.h"
#include "libtry/next.h"
#include "tests/unit/fixture.h"

static struct try_config make_config(void)
{
	struct try_config cfg = TRY_CONFIG_INIT;

	cfg.trunk_branch = strdup("main");
	cfg.trunk_ref = strdup("refs/heads/main");
	cfg.dark_pattern = strdup(TRY_DEFAULT_DARK_PATTERN);
	cfg.timeout = 4;
	try_strlist_add(&cfg.config_globs, "config/**");
	return cfg;
}

/*
 * A straight trunk from `spec`, one commit per letter, each adding a file
 * of its own: R a root of code, C code, F a config file, D a DARK code
 * commit, E an empty commit.  `ids[i]` is the i-th commit.
 */
static void build(git_repository *repo, const char *spec, git_oid *ids)
{
	struct try_strlist files = TRY_STRLIST_INIT;
	git_commit *parent = NULL;
	size_t i;

	for (i = 0; spec[i]; i++) {
		struct try_buf f = TRY_BUF_INIT, msg = TRY_BUF_INIT;
		git_commit *c;

		switch (spec[i]) {
		case 'R': case 'C':
			try_buf_addf(&f, "src/%zu.c=x", i);
			try_buf_addf(&msg, "code %zu", i);
			break;
		case 'D':
			try_buf_addf(&f, "src/%zu.c=x", i);
			try_buf_addf(&msg, "DARK code %zu", i);
			break;
		case 'F':
			try_buf_addf(&f, "config/%zu.yml=x", i);
			try_buf_addf(&msg, "flag %zu", i);
			break;
		default:
			try_buf_addf(&msg, "empty %zu", i);
			break;
		}
		if (f.len)
			try_strlist_add(&files, f.ptr);
		TRY_ARRAY_GROW(files.items, files.nr + 1, files.alloc);
		files.items[files.nr] = NULL;
		c = fixture_commit(repo, parent, (const char *const *)files.items,
				   msg.ptr);
		git_oid_cpy(&ids[i], git_commit_id(c));
		git_commit_free(parent);
		parent = c;
		try_buf_release(&f);
		try_buf_release(&msg);
	}
	git_commit_free(parent);
	try_strlist_release(&files);
}

/* Every edge case of the `next` rule on a straight trunk. */
START_TEST(test_next_table)
{
	static const struct {
		const char *spec;
		int lane;              /* TRY_LANE_CONFIG or _CODE */
		int code, config;      /* recorded commits, -1: none */
		int next;              /* -1: nothing can ship */
		size_t shippable, waiting;
		int stop;              /* -1: does not stop */
		const char *why;       /* a part of the reason */
	} cases[] = {
		/* config moves over CONFIG commits, stops before CODE */
		{ "RCFFCF", TRY_LANE_CONFIG, 1, -1, 3, 2, 4, 4, "CODE commit" },
		/* config ahead of code: nothing more to ship until code */
		{ "RCFFCF", TRY_LANE_CONFIG, 1, 3, 3, 0, 2, 4, "CODE commit" },
		/* config behind code: it catches up to code's commit */
		{ "RCFFCF", TRY_LANE_CONFIG, 4, 2, 5, 1, 1, -1, NULL },
		/* code at the tip: nothing waits */
		{ "RCF", TRY_LANE_CONFIG, 2, -1, 2, 0, 0, -1, NULL },
		/* a flag flipped after the dark code it switches on */
		{ "RCDF", TRY_LANE_CONFIG, 1, -1, 2, 1, 2, 3, "flip a flag" },
		/* a dark commit after a flag: config ships the flag */
		{ "RCFD", TRY_LANE_CONFIG, 1, -1, 2, 1, 2, 3, "flip a flag" },
		/* dark commits alone ride with config */
		{ "RCDDE", TRY_LANE_CONFIG, 1, -1, 4, 3, 3, -1, NULL },
		/* empty commits mix with anything */
		{ "RCEFE", TRY_LANE_CONFIG, 1, -1, 4, 3, 3, -1, NULL },
		/* code rolled back behind config, over a CODE commit */
		{ "RCFCF", TRY_LANE_CONFIG, 1, 4, -1, 0, 0, 3, "ahead of the code" },
		/* no code deploy recorded: config cannot tell */
		{ "RCF", TRY_LANE_CONFIG, -1, -1, -1, 0, 3, -1, "no code deploy" },
		/* code ships everything up to the tip */
		{ "RCFCF", TRY_LANE_CODE, 1, 2, 4, 3, 3, -1, NULL },
		{ "RCFCF", TRY_LANE_CODE, -1, -1, 4, 5, 5, -1, NULL },
		/* held lanes are the caller's: next is the rule alone */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		git_repository *repo = fixture_repo();
		struct try_config cfg = make_config();
		struct try_classifier *c = NULL;
		struct try_next nx;
		git_oid ids[16];

		build(repo, cases[i].spec, ids);
		ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);
		ck_assert_msg(try_next_compute(&nx, repo, c, cases[i].lane,
					       &ids[strlen(cases[i].spec) - 1],
					       cases[i].code < 0 ? NULL :
					       &ids[cases[i].code],
					       cases[i].config < 0 ? NULL :
					       &ids[cases[i].config]) == 0,
			      "case %zu: %s", i, try_error_last());
		ck_assert_msg(nx.has_next == (cases[i].next >= 0),
			      "case %zu: has_next %d", i, nx.has_next);
		if (cases[i].next >= 0)
			ck_assert_msg(git_oid_equal(&nx.next,
						    &ids[cases[i].next]),
				      "case %zu: next is not %d", i,
				      cases[i].next);
		ck_assert_msg(nx.shippable == cases[i].shippable,
			      "case %zu: shippable %zu", i, nx.shippable);
		ck_assert_msg(nx.waiting == cases[i].waiting,
			      "case %zu: waiting %zu", i, nx.waiting);
		ck_assert_msg(nx.has_stop == (cases[i].stop >= 0),
			      "case %zu: has_stop %d", i, nx.has_stop);
		if (cases[i].stop >= 0)
			ck_assert_msg(git_oid_equal(&nx.stop,
						    &ids[cases[i].stop]),
				      "case %zu: stop is not %d", i,
				      cases[i].stop);
		if (cases[i].why)
			ck_assert_msg(nx.why && strstr(nx.why, cases[i].why),
				      "case %zu: why '%s'", i,
				      nx.why ? nx.why : "(null)");
		else
			ck_assert_msg(!nx.why, "case %zu: why '%s'", i,
				      nx.why);
		try_next_release(&nx);
		try_classifier_free(c);
		try_config_release(&cfg);
		fixture_cleanup(repo);
	}
}
END_TEST

/* A merge commit of files on top of `first` and `second`. */
static git_commit *merge(git_repository *repo, git_commit *first,
			 git_commit *second, const char *const *files)
{
	git_tree *tree = fixture_tree(repo, files);
	git_signature *sig = NULL;
	const git_commit *parents[2] = { first, second };
	git_commit *out = NULL;
	git_oid id;

	ck_assert_int_eq(git_signature_new(&sig, "T", "t@example.com",
					   1700000000, 0), 0);
	ck_assert_int_eq(git_commit_create(&id, repo, NULL, sig, sig, NULL,
					   "merge", tree, 2, parents), 0);
	ck_assert_int_eq(git_commit_lookup(&out, repo, &id), 0);
	git_signature_free(sig);
	git_tree_free(tree);
	return out;
}

/*
 * Merges (trunk.allowMerges) count as what they bring against their first
 * parent: a merge of a config branch is CONFIG, of a code branch CODE.
 */
START_TEST(test_next_merges)
{
	static const char *const base[] = { "src/a.c=a", NULL };
	static const char *const main1[] = { "src/a.c=a", "config/m=1", NULL };
	static const char *const cfgside[] = { "src/a.c=a", "config/s=1", NULL };
	static const char *const codeside[] = { "src/a.c=a", "src/s.c=1", NULL };
	static const char *const m1[] = { "src/a.c=a", "config/m=1",
					  "config/s=1", NULL };
	static const char *const m2[] = { "src/a.c=a", "config/m=1",
					  "config/s=1", "src/s.c=1", NULL };
	git_repository *repo = fixture_repo();
	struct try_config cfg = make_config();
	struct try_classifier *c = NULL;
	git_commit *b, *t1, *s1, *s2, *mc, *mx;
	struct try_next nx;

	b = fixture_commit(repo, NULL, base, "code");
	t1 = fixture_commit(repo, b, main1, "flag m");
	s1 = fixture_commit(repo, b, cfgside, "flag s");
	mc = merge(repo, t1, s1, m1);
	s2 = fixture_commit(repo, b, codeside, "code s");
	mx = merge(repo, mc, s2, m2);
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);

	ck_assert_int_eq(try_next_compute(&nx, repo, c, TRY_LANE_CONFIG,
					  git_commit_id(mc), git_commit_id(b),
					  NULL), 0);
	ck_assert(nx.has_next && git_oid_equal(&nx.next, git_commit_id(mc)));
	ck_assert_uint_eq(nx.waiting, 3);
	ck_assert_uint_eq(nx.shippable, 3);
	ck_assert(!nx.has_stop);
	try_next_release(&nx);

	ck_assert_int_eq(try_next_compute(&nx, repo, c, TRY_LANE_CONFIG,
					  git_commit_id(mx), git_commit_id(b),
					  NULL), 0);
	ck_assert(nx.has_next && git_oid_equal(&nx.next, git_commit_id(mc)));
	ck_assert(nx.has_stop && git_oid_equal(&nx.stop, git_commit_id(mx)));
	ck_assert_uint_eq(nx.waiting, 5);
	ck_assert_uint_eq(nx.shippable, 3);
	try_next_release(&nx);

	git_commit_free(mx);
	git_commit_free(s2);
	git_commit_free(mc);
	git_commit_free(s1);
	git_commit_free(t1);
	git_commit_free(b);
	try_classifier_free(c);
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_env_and_lane_table)
{
	static const struct {
		const char *env;
		int ok;
	} cases[] = {
		{ "production", 1 }, { "eu-west.1_b", 1 }, { "", 0 },
		{ "eu/prod", 0 }, { "../prod", 0 }, { "a..b", 0 },
		{ ".hidden", 0 }, { "prod.", 0 }, { "prod.lock", 0 },
		{ "pro d", 0 }, { "prod\n", 0 },
		{ "0123456789012345678901234567890123456789012345678901234567890123", 1 },
		{ "01234567890123456789012345678901234567890123456789012345678901234", 0 },
	};
	enum try_lane lane;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		ck_assert_msg(try_deploy_env_valid(cases[i].env) == cases[i].ok,
			      "env '%s'", cases[i].env);
	ck_assert_int_eq(try_deploy_lane_parse(&lane, "CODE"), 0);
	ck_assert_int_eq(lane, TRY_LANE_CODE);
	ck_assert_int_eq(try_deploy_lane_parse(&lane, "config"), 0);
	ck_assert_int_eq(lane, TRY_LANE_CONFIG);
	ck_assert_int_eq(try_deploy_lane_parse(&lane, "dark"), -1);
	ck_assert_int_eq(try_deploy_lane_parse(&lane, "all"), -1);
}
END_TEST

/* A record commit parses back into what made it. */
START_TEST(test_record_roundtrip)
{
	static const char *const files[] = { "src/a.c=a", NULL };
	git_repository *repo = fixture_repo();
	git_commit *trunk = fixture_commit(repo, NULL, files, "code"), *rc;
	struct try_deploy d, back;
	git_oid first;

	memset(&d, 0, sizeof(d));
	d.lane = TRY_LANE_CONFIG;
	d.env = strdup("eu-west");
	d.who = strdup("A U Thor <a@x>");
	d.note = strdup("  flag off\n\nsee INC-7\n");
	d.when = 1700000000;
	d.rollback = d.forced = 1;
	git_oid_cpy(&d.commit, git_commit_id(trunk));
	ck_assert_int_eq(try_deploy_commit(&d, repo, NULL), 0);
	git_oid_cpy(&first, &d.record);
	d.forced = 0;
	ck_assert_int_eq(try_deploy_commit(&d, repo, &first), 0);

	ck_assert_int_eq(git_commit_lookup(&rc, repo, &d.record), 0);
	ck_assert_uint_eq(git_commit_parentcount(rc), 1);
	ck_assert(git_oid_equal(git_commit_parent_id(rc, 0), &first));
	ck_assert_int_eq(try_deploy_parse(&back, rc), 0);
	ck_assert_int_eq(back.lane, TRY_LANE_CONFIG);
	ck_assert_str_eq(back.env, "eu-west");
	ck_assert_str_eq(back.who, "A U Thor <a@x>");
	ck_assert_str_eq(back.note, "flag off\n\nsee INC-7");
	ck_assert_int_eq(back.when, 1700000000);
	ck_assert(back.rollback && !back.forced && !back.fix);
	ck_assert(git_oid_equal(&back.commit, git_commit_id(trunk)));
	ck_assert(!strncmp(git_commit_summary(rc),
			   "rollback config to eu-west: ", 28));
	try_deploy_release(&back);
	git_commit_free(rc);

	/* a hold commit, or any commit, is not a record */
	ck_assert_int_eq(try_deploy_parse(&back, trunk), -1);
	try_deploy_release(&back);
	try_deploy_release(&d);
	git_commit_free(trunk);
	fixture_cleanup(repo);
}
END_TEST

Suite *next_suite(void);
Suite *next_suite(void)
{
	Suite *s = suite_create("next");
	TCase *tc = tcase_create("next");

	/* a dozen fixture repositories: slow under the sanitizers */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_next_table);
	tcase_add_test(tc, test_next_merges);
	tcase_add_test(tc, test_env_and_lane_table);
	tcase_add_test(tc, test_record_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

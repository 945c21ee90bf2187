#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/error.h"
#include "libtry/hold.h"
#include "libtry/policy.h"
#include "libtry/repo.h"
#include "tests/unit/fixture.h"

#define Z "0000000000000000000000000000000000000000"
#define A "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
#define B "b94a8fe5ccb19ba61c4c0873d391e987982fbbd3"

static const struct {
	const char *input;
	int ok;        /* parses */
	size_t nr;     /* updates when it does */
	const char *error; /* part of the message when it does not */
} parse_cases[] = {
	{ "", 1, 0, NULL },
	{ "\n\n", 1, 0, NULL },
	{ A " " B " refs/heads/main\n", 1, 1, NULL },
	{ A " " B " refs/heads/main", 1, 1, NULL },
	{ A " " B " refs/heads/main\r\n", 1, 1, NULL },
	{ Z " " B " refs/heads/main\n" A " " Z " refs/tags/v1\n", 1, 2, NULL },
	{ "garbage\n", 0, 0, "line 1" },
	{ A " " B "\n", 0, 0, "expected" },
	{ A " " B " refs/heads/main\nxx yy refs/heads/b\n", 0, 0, "line 2" },
	{ "a94a8fe " B " refs/heads/main\n", 0, 0, "hex digits" },
	{ A "zz " B " refs/heads/main\n", 0, 0, "hex digits" },
	{ A " " B " refs/heads/ma..in\n", 0, 0, "invalid ref" },
	{ A " " B " HEAD\n", 0, 0, "invalid ref" },
	{ A " " B " refs/heads/with space\n", 0, 0, "invalid ref" },
	{ A "  " B " refs/heads/main\n", 0, 0, "line 1" },
};

START_TEST(test_parse_table)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases); i++) {
		struct try_update *u = NULL;
		size_t nr = 99;
		int rc = try_updates_parse(&u, &nr, parse_cases[i].input,
					   strlen(parse_cases[i].input));

		if (parse_cases[i].ok) {
			ck_assert_msg(rc == 0, "case %zu: %s", i, try_error_last());
			ck_assert_uint_eq(nr, parse_cases[i].nr);
		} else {
			ck_assert_msg(rc == -1, "case %zu parsed", i);
			ck_assert_msg(strstr(try_error_last(),
					     parse_cases[i].error),
				      "case %zu: '%s' lacks '%s'", i,
				      try_error_last(), parse_cases[i].error);
			ck_assert_ptr_null(u);
		}
		try_updates_free(u, rc == 0 ? nr : 0);
	}
}
END_TEST

START_TEST(test_parse_fields)
{
	const char *in = Z " " B " refs/heads/main\n";
	struct try_update *u = NULL;
	size_t nr = 0;
	char hex[GIT_OID_HEXSZ + 1];

	ck_assert_int_eq(try_updates_parse(&u, &nr, in, strlen(in)), 0);
	ck_assert(try_oid_is_zero(&u[0].old));
	ck_assert(!try_oid_is_zero(&u[0].new));
	git_oid_tostr(hex, sizeof(hex), &u[0].new);
	ck_assert_str_eq(hex, B);
	ck_assert_str_eq(u[0].ref, "refs/heads/main");
	try_updates_free(u, nr);
}
END_TEST

static struct try_config make_config(void)
{
	struct try_config cfg = TRY_CONFIG_INIT;

	cfg.trunk_branch = strdup("main");
	cfg.trunk_ref = strdup("refs/heads/main");
	cfg.dark_pattern = strdup(TRY_DEFAULT_DARK_PATTERN);
	cfg.timeout = 4;
	try_strlist_add(&cfg.allow, "refs/tags/*");
	try_strlist_add(&cfg.config_globs, "config/**");
	return cfg;
}

START_TEST(test_ref_kinds)
{
	struct try_config cfg = make_config();

	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/heads/main"),
			 TRY_REF_TRUNK);
	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/tags/v1"),
			 TRY_REF_ALLOWED);
	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/heads/feature"),
			 TRY_REF_OTHER);
	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/heads/mainline"),
			 TRY_REF_OTHER);
	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/lanes/holds/code"),
			 TRY_REF_HOLD);
	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/lanes/holds/x"),
			 TRY_REF_HOLD);
	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/lanes/other"),
			 TRY_REF_LANES);
	/* refs/lanes/ stays closed even when trunk.allow would open it */
	try_strlist_add(&cfg.allow, "refs/*");
	ck_assert_int_eq(try_policy_ref_kind(&cfg, "refs/lanes/other"),
			 TRY_REF_LANES);
	try_config_release(&cfg);
}
END_TEST

struct world {
	git_repository *repo;
	struct try_config cfg;
	struct try_classifier *c;
	struct try_policy p;
};

static void world_init(struct world *w)
{
	w->repo = fixture_repo();
	w->cfg = make_config();
	ck_assert_int_eq(try_classifier_new(&w->c, w->repo, &w->cfg), 0);
	memset(&w->p, 0, sizeof(w->p));
	w->p.repo = w->repo;
	w->p.cfg = &w->cfg;
	w->p.classifier = w->c;
	w->p.show = 20;
}

static void world_free(struct world *w)
{
	try_classifier_free(w->c);
	try_config_release(&w->cfg);
	fixture_cleanup(w->repo);
}

static void check(struct try_ref_result *r, struct world *w,
		  const git_oid *old, const git_oid *new, const char *ref)
{
	struct try_update u;

	memset(&u, 0, sizeof(u));
	if (old)
		git_oid_cpy(&u.old, old);
	if (new)
		git_oid_cpy(&u.new, new);
	u.ref = (char *)ref;
	ck_assert_msg(try_policy_check(r, &w->p, &u) == 0, "%s",
		      try_error_last());
}

START_TEST(test_trunk_rules)
{
	struct world w;
	const char *f1[] = { "src/a=1", "config/x=1", NULL };
	const char *f2[] = { "src/a=2", "config/x=1", NULL };
	const char *f3[] = { "src/a=2", "config/x=2", NULL };
	const char *f4[] = { "src/a=3", "config/x=3", NULL };
	git_commit *c1, *c2, *c3, *side, *bad;
	struct try_ref_result r = TRY_REF_RESULT_INIT;

	world_init(&w);
	c1 = fixture_commit(w.repo, NULL, f1, "root");
	c2 = fixture_commit(w.repo, c1, f2, "DARK parser");
	c3 = fixture_commit(w.repo, c2, f3, "flip parser on");
	side = fixture_commit(w.repo, c1, f3, "other line");
	bad = fixture_commit(w.repo, c3, f4, "DARK and flip");

	/* creation of the trunk in an empty repository */
	check(&r, &w, NULL, git_commit_id(c3), "refs/heads/main");
	ck_assert_int_eq(r.rejected, 0);
	ck_assert_uint_eq(r.total, 3);
	ck_assert_int_eq(r.lane, TRY_LANE_CODE);
	ck_assert_int_eq(r.commits[0].lane, TRY_LANE_CONFIG); /* newest first */
	ck_assert_str_eq(r.subjects[0], "flip parser on");
	ck_assert_int_eq(r.commits[1].lane, TRY_LANE_DARK);
	try_ref_result_release(&r);

	/* fast-forward by a config commit */
	check(&r, &w, git_commit_id(c2), git_commit_id(c3), "refs/heads/main");
	ck_assert_int_eq(r.rejected, 0);
	ck_assert_uint_eq(r.total, 1);
	ck_assert_int_eq(r.lane, TRY_LANE_CONFIG);
	try_ref_result_release(&r);

	/* non-fast-forward */
	check(&r, &w, git_commit_id(c3), git_commit_id(side), "refs/heads/main");
	ck_assert_int_eq(r.rejected, 1);
	ck_assert_ptr_nonnull(strstr(r.reason, "non-fast-forward"));
	try_ref_result_release(&r);

	/* deletion */
	check(&r, &w, git_commit_id(c3), NULL, "refs/heads/main");
	ck_assert_int_eq(r.rejected, 1);
	ck_assert_ptr_nonnull(strstr(r.reason, "deleting the trunk"));
	try_ref_result_release(&r);

	/* a dark commit that flips a flag */
	check(&r, &w, git_commit_id(c3), git_commit_id(bad), "refs/heads/main");
	ck_assert_int_eq(r.rejected, 1);
	ck_assert_ptr_nonnull(strstr(r.reason, "marked dark but changes "
					     "config path 'config/x'"));
	try_ref_result_release(&r);

	/* other branches and tags */
	check(&r, &w, NULL, git_commit_id(c3), "refs/heads/feature");
	ck_assert_int_eq(r.rejected, 1);
	ck_assert_ptr_nonnull(strstr(r.reason, "trunk-only"));
	ck_assert_ptr_nonnull(strstr(r.hint, "DARK"));
	try_ref_result_release(&r);
	check(&r, &w, git_commit_id(c3), NULL, "refs/heads/old-feature");
	ck_assert_int_eq(r.rejected, 0);
	ck_assert_str_eq(r.note, "deleting a branch other than the trunk");
	try_ref_result_release(&r);
	check(&r, &w, NULL, git_commit_id(c3), "refs/tags/v1");
	ck_assert_int_eq(r.rejected, 0);
	ck_assert_int_eq(r.kind, TRY_REF_ALLOWED);
	try_ref_result_release(&r);

	git_commit_free(c1);
	git_commit_free(c2);
	git_commit_free(c3);
	git_commit_free(side);
	git_commit_free(bad);
	world_free(&w);
}
END_TEST

START_TEST(test_merges)
{
	struct world w;
	const char *f1[] = { "src/a=1", NULL };
	const char *f2[] = { "src/a=2", NULL };
	const char *f3[] = { "src/a=1", "src/b=1", NULL };
	git_commit *base, *left, *right, *merge;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	const git_commit *parents[2];
	git_oid id;
	struct try_ref_result r = TRY_REF_RESULT_INIT;

	world_init(&w);
	base = fixture_commit(w.repo, NULL, f1, "base");
	left = fixture_commit(w.repo, base, f2, "left");
	right = fixture_commit(w.repo, base, f3, "right");
	parents[0] = left;
	parents[1] = right;
	ck_assert_int_eq(git_signature_new(&sig, "T", "t@x", 1, 0), 0);
	ck_assert_int_eq(git_commit_tree(&tree, right), 0);
	ck_assert_int_eq(git_commit_create(&id, w.repo, NULL, sig, sig, NULL,
					   "Merge", tree, 2, parents), 0);
	ck_assert_int_eq(git_commit_lookup(&merge, w.repo, &id), 0);

	check(&r, &w, git_commit_id(left), &id, "refs/heads/main");
	ck_assert_int_eq(r.rejected, 1);
	ck_assert_ptr_nonnull(strstr(r.reason, "merge commit"));
	try_ref_result_release(&r);

	w.cfg.allow_merges = 1;
	check(&r, &w, git_commit_id(left), &id, "refs/heads/main");
	ck_assert_int_eq(r.rejected, 0);
	ck_assert_uint_eq(r.total, 2);
	try_ref_result_release(&r);

	git_tree_free(tree);
	git_signature_free(sig);
	git_commit_free(base);
	git_commit_free(left);
	git_commit_free(right);
	git_commit_free(merge);
	world_free(&w);
}
END_TEST

START_TEST(test_missing_object_fails_closed)
{
	struct world w;
	git_oid missing;
	struct try_update u;
	struct try_ref_result r = TRY_REF_RESULT_INIT;

	world_init(&w);
	git_oid_fromstr(&missing, B);
	memset(&u, 0, sizeof(u));
	git_oid_cpy(&u.new, &missing);
	u.ref = "refs/heads/main";
	ck_assert_int_eq(try_policy_check(&r, &w.p, &u), -1);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "missing object"));
	try_ref_result_release(&r);
	world_free(&w);
}
END_TEST

START_TEST(test_show_limit_and_early_stop)
{
	struct world w;
	git_commit *prev = NULL, *c;
	git_oid first, last;
	struct try_ref_result r = TRY_REF_RESULT_INIT;
	char content[32], subject[32];
	int i;

	world_init(&w);
	w.p.show = 5;
	for (i = 0; i < 30; i++) {
		const char *files[2] = { content, NULL };
		snprintf(content, sizeof(content), "src/a=%d", i);
		snprintf(subject, sizeof(subject), "commit %d", i);
		c = fixture_commit(w.repo, prev, files, subject);
		if (!prev)
			git_oid_cpy(&first, git_commit_id(c));
		git_commit_free(prev);
		prev = c;
	}
	git_oid_cpy(&last, git_commit_id(prev));
	git_commit_free(prev);
	check(&r, &w, &first, &last, "refs/heads/main");
	ck_assert_int_eq(r.rejected, 0);
	ck_assert_uint_eq(r.total, 29);
	ck_assert_uint_eq(r.nr, 5);
	ck_assert_str_eq(r.subjects[0], "commit 29");
	ck_assert_int_eq(r.lane, TRY_LANE_CODE);
	try_ref_result_release(&r);
	world_free(&w);
}
END_TEST

START_TEST(test_deadline)
{
	struct world w;
	const char *f1[] = { "src/a=1", NULL };
	git_commit *c1;
	struct try_update u;
	struct try_ref_result r = TRY_REF_RESULT_INIT;

	world_init(&w);
	c1 = fixture_commit(w.repo, NULL, f1, "root");
	w.p.deadline_ms = try_now_ms() - 1;
	memset(&u, 0, sizeof(u));
	git_oid_cpy(&u.new, git_commit_id(c1));
	u.ref = "refs/heads/main";
	ck_assert_int_eq(try_policy_check(&r, &w.p, &u), TRY_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "deadline"));
	try_ref_result_release(&r);
	git_commit_free(c1);
	world_free(&w);
}
END_TEST

/* Holds: which lane a hold stops, and lanes.fix. */
static const struct {
	unsigned holds;   /* bit per enum try_hold_scope */
	int commit;       /* 0 dark, 1 config, 2 code: the pushed commit */
	int fix;
	int rejected;
	const char *reason; /* part of the reason when rejected */
} hold_cases[] = {
	{ 0, 2, 0, 0, NULL },
	{ 1u << TRY_HOLD_CODE, 2, 0, 1, "lane CODE is held by H <h@x>" },
	{ 1u << TRY_HOLD_CODE, 1, 0, 0, NULL },  /* config stays open */
	{ 1u << TRY_HOLD_CODE, 0, 0, 0, NULL },  /* so does dark */
	{ 1u << TRY_HOLD_CODE, 2, 1, 0, NULL },  /* a fix passes */
	{ 1u << TRY_HOLD_CONFIG, 1, 0, 1, "lane CONFIG is held" },
	{ 1u << TRY_HOLD_CONFIG, 2, 0, 0, NULL },
	{ 1u << TRY_HOLD_DARK, 0, 0, 1, "lane DARK is held" },
	{ 1u << TRY_HOLD_DARK, 1, 0, 0, NULL },
	{ 1u << TRY_HOLD_ALL, 0, 0, 1, "all lanes are held" },
	{ 1u << TRY_HOLD_ALL, 1, 0, 1, "all lanes are held" },
	{ 1u << TRY_HOLD_ALL, 2, 0, 1, "all lanes are held" },
	{ 1u << TRY_HOLD_ALL, 2, 1, 0, NULL },
	/* the lane's own hold is the one named */
	{ (1u << TRY_HOLD_ALL) | (1u << TRY_HOLD_CODE), 2, 0, 1,
	  "lane CODE is held" },
};

START_TEST(test_holds_table)
{
	struct world w;
	const char *f0[] = { "src/a=1", "config/x=1", NULL };
	const char *fd[] = { "src/a=2", "config/x=1", NULL };
	const char *fc[] = { "src/a=1", "config/x=2", NULL };
	git_commit *base, *c[3];
	struct try_holds holds = TRY_HOLDS_INIT;
	size_t i;
	int s;

	world_init(&w);
	base = fixture_commit(w.repo, NULL, f0, "root");
	c[0] = fixture_commit(w.repo, base, fd, "DARK half");
	c[1] = fixture_commit(w.repo, base, fc, "flip");
	c[2] = fixture_commit(w.repo, base, fd, "code");
	w.p.holds = &holds;
	for (i = 0; i < sizeof(hold_cases) / sizeof(*hold_cases); i++) {
		struct try_ref_result r = TRY_REF_RESULT_INIT;

		holds.nr = 0;
		for (s = 0; s < TRY_HOLD_SCOPES; s++) {
			struct try_hold *h;
			if (!(hold_cases[i].holds & (1u << s)))
				continue;
			TRY_ARRAY_GROW(holds.items, holds.nr + 1, holds.alloc);
			h = &holds.items[holds.nr++];
			memset(h, 0, sizeof(*h));
			h->scope = (enum try_hold_scope)s;
			h->who = "H <h@x>";
			h->reason = "prod is sick\nmore";
			h->since = 1700000000;
		}
		w.p.fix = hold_cases[i].fix;
		check(&r, &w, git_commit_id(base), git_commit_id(c[hold_cases[i].commit]),
		      "refs/heads/main");
		ck_assert_msg(r.rejected == hold_cases[i].rejected,
			      "case %zu: rejected %d", i, r.rejected);
		if (r.rejected) {
			ck_assert_msg(strstr(r.reason, hold_cases[i].reason),
				      "case %zu: '%s'", i, r.reason);
			ck_assert_ptr_nonnull(strstr(r.reason,
				"since 2023-11-14 22:13 UTC: prod is sick"));
			ck_assert_ptr_null(strstr(r.reason, "more"));
			ck_assert_ptr_nonnull(strstr(r.hint, "lanes.fix"));
		}
		ck_assert_int_eq(r.fix_passed, hold_cases[i].fix &&
					       hold_cases[i].holds);
		if (hold_cases[i].holds && (r.rejected || r.fix_passed))
			ck_assert_ptr_nonnull(r.hold);
		try_ref_result_release(&r);
	}
	free(holds.items);
	git_commit_free(base);
	for (s = 0; s < 3; s++)
		git_commit_free(c[s]);
	world_free(&w);
}
END_TEST

/* Pushes to refs/lanes/. */
static const struct {
	const char *ref;
	int what;          /* 0 delete, 1 a commit, 2 a blob */
	const char *pusher; /* NULL: not checked (a client) */
	const char *holders;
	int rejected;
	const char *text;  /* part of the reason, or the note */
} lanes_ref_cases[] = {
	{ "refs/lanes/holds/code", 1, "alice", NULL, 0, "hold set" },
	{ "refs/lanes/holds/all", 1, "alice", "alice", 0, "hold set" },
	{ "refs/lanes/holds/code", 0, "alice", "bob alice", 0,
	  "hold released" },
	{ "refs/lanes/holds/code", 1, "eve", "bob,alice", 1,
	  "eve may not hold or release lanes (lanes.holders)" },
	{ "refs/lanes/holds/code", 0, "eve", "alice", 1, "eve may not" },
	{ "refs/lanes/holds/code", 1, "ali", "alice", 1, "ali may not" },
	{ "refs/lanes/holds/code", 1, NULL, "alice", 0, "hold set" },
	{ "refs/lanes/holds/prod", 1, "alice", NULL, 1,
	  "no lane 'prod' to hold" },
	{ "refs/lanes/holds/CODE", 1, "alice", NULL, 1, "no lane 'CODE'" },
	{ "refs/lanes/holds/code", 2, "alice", NULL, 1,
	  "a hold must be a commit, not a blob" },
	{ "refs/lanes/other", 1, "alice", NULL, 1,
	  "refs/lanes/ is reserved for holds" },
	{ "refs/lanes/remote-holds/origin/code", 1, "alice", NULL, 1,
	  "reserved" },
};

START_TEST(test_lanes_refs_table)
{
	struct world w;
	const char *f0[] = { "src/a=1", NULL };
	git_commit *hold;
	git_oid blob;
	size_t i;

	world_init(&w);
	hold = fixture_commit(w.repo, NULL, f0, "hold code: why");
	ck_assert_int_eq(git_blob_create_from_buffer(&blob, w.repo, "x", 1), 0);
	for (i = 0; i < sizeof(lanes_ref_cases) / sizeof(*lanes_ref_cases);
	     i++) {
		struct try_ref_result r = TRY_REF_RESULT_INIT;
		const git_oid *new = NULL;

		try_strlist_release(&w.cfg.holders);
		if (lanes_ref_cases[i].holders)
			try_strlist_add(&w.cfg.holders,
					lanes_ref_cases[i].holders);
		w.p.pusher = lanes_ref_cases[i].pusher;
		if (lanes_ref_cases[i].what == 1)
			new = git_commit_id(hold);
		else if (lanes_ref_cases[i].what == 2)
			new = &blob;
		check(&r, &w, new ? NULL : git_commit_id(hold), new,
		      lanes_ref_cases[i].ref);
		ck_assert_msg(r.rejected == lanes_ref_cases[i].rejected,
			      "case %zu: rejected %d (%s)", i, r.rejected,
			      r.reason ? r.reason : r.note);
		ck_assert_msg(strstr(r.rejected ? r.reason : r.note,
				     lanes_ref_cases[i].text),
			      "case %zu: '%s'", i,
			      r.rejected ? r.reason : r.note);
		if (!r.rejected)
			ck_assert_int_eq(r.kind, TRY_REF_ALLOWED);
		try_ref_result_release(&r);
	}
	git_commit_free(hold);
	world_free(&w);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("rules");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parse_table);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_ref_kinds);
	tcase_add_test(tc, test_trunk_rules);
	tcase_add_test(tc, test_merges);
	tcase_add_test(tc, test_missing_object_fails_closed);
	tcase_add_test(tc, test_show_limit_and_early_stop);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_holds_table);
	tcase_add_test(tc, test_lanes_refs_table);
	suite_add_tcase(s, tc);
	return s;
}

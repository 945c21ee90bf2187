#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/classify.h"
#include "libtry/config.h"
#include "tests/unit/fixture.h"

#define GITLINK_A "1111111111111111111111111111111111111111"
#define GITLINK_B "2222222222222222222222222222222222222222"

static const char *const globs_config[] = { "config/**", "flags/*.json",
					    "odd/*", NULL };

static const struct {
	const char *name;
	const char *old[6]; /* NULL first: the empty tree */
	const char *new[6];
	const char *subject;
	enum try_lane lane;
	unsigned flags;
	const char *path;
} cases[] = {
	{ "code change", { "src/a.c=1", NULL }, { "src/a.c=2", NULL },
	  "fix", TRY_LANE_CODE, 0, "src/" },
	{ "config change", { "src/a.c=1", "config/x.yml=1", NULL },
	  { "src/a.c=1", "config/x.yml=2", NULL },
	  "flip", TRY_LANE_CONFIG, 0, "config/" }, /* the glob covers the folder */
	{ "flags json", { "flags/a.json=1", NULL }, { "flags/a.json=2", NULL },
	  "flip", TRY_LANE_CONFIG, 0, "flags/a.json" },
	{ "flags non-json is code", { "flags/a.txt=1", NULL },
	  { "flags/a.txt=2", NULL }, "flip", TRY_LANE_CODE, 0, "flags/a.txt" },
	{ "config plus code is code",
	  { "src/a.c=1", "config/x.yml=1", NULL },
	  { "src/a.c=2", "config/x.yml=2", NULL },
	  "both", TRY_LANE_CODE, 0, NULL },
	{ "dark code", { "src/a.c=1", NULL }, { "src/a.c=2", NULL },
	  "DARK new parser", TRY_LANE_DARK, TRY_COMMIT_MARKED_DARK, NULL },
	{ "dark touching config is a violation",
	  { "src/a.c=1", "config/x.yml=1", NULL },
	  { "src/a.c=2", "config/x.yml=2", NULL },
	  "DARK sneaky", TRY_LANE_CODE,
	  TRY_COMMIT_MARKED_DARK | TRY_COMMIT_DARK_CONFIG, "config/x.yml" },
	{ "dark pattern needs a word boundary", { "src/a.c=1", NULL },
	  { "src/a.c=2", NULL }, "DARKER days", TRY_LANE_CODE, 0, "src/" },
	{ "lowercase dark is not dark", { "src/a.c=1", NULL },
	  { "src/a.c=2", NULL }, "dark thing", TRY_LANE_CODE, 0, "src/" },
	{ "empty commit", { "src/a.c=1", NULL }, { "src/a.c=1", NULL },
	  "nothing", TRY_LANE_DARK, TRY_COMMIT_EMPTY, NULL },
	{ "root commit of code", { NULL }, { "README=hi", NULL },
	  "init", TRY_LANE_CODE, 0, "README" },
	{ "root commit of config only", { NULL }, { "config/a=1", NULL },
	  "init", TRY_LANE_CONFIG, 0, "config/" },
	{ "deletion of config", { "config/a=1", "src/b=1", NULL },
	  { "src/b=1", NULL }, "rm", TRY_LANE_CONFIG, 0, "config/" },
	{ "deletion of code", { "config/a=1", "src/b=1", NULL },
	  { "config/a=1", NULL }, "rm", TRY_LANE_CODE, 0, "src/" },
	{ "mode-only change", { "src/run.sh=x", NULL },
	  { "src/run.sh+x=x", NULL }, "chmod", TRY_LANE_CODE, 0, "src/" },
	{ "mode-only change in config", { "config/run=x", NULL },
	  { "config/run+x=x", NULL }, "chmod", TRY_LANE_CONFIG, 0,
	  "config/" },
	{ "mode-only change of a flags file", { "flags/a.json=x", NULL },
	  { "flags/a.json+x=x", NULL }, "chmod", TRY_LANE_CONFIG, 0,
	  "flags/a.json" },
	{ "deletion of a flags file", { "flags/a.json=x", "flags/b.json=y", NULL },
	  { "flags/b.json=y", NULL }, "rm", TRY_LANE_CONFIG, 0,
	  "flags/a.json" },
	{ "symlink change", { "link@=a", NULL }, { "link@=b", NULL },
	  "ln", TRY_LANE_CODE, 0, "link" },
	{ "file becomes symlink", { "cfg=a", NULL }, { "cfg@=a", NULL },
	  "ln", TRY_LANE_CODE, 0, "cfg" },
	{ "gitlink bump", { "vendor/lib#=" GITLINK_A, NULL },
	  { "vendor/lib#=" GITLINK_B, NULL }, "bump", TRY_LANE_CODE, 0,
	  "vendor/" },
	{ "gitlink bump under config", { "odd/sub#=" GITLINK_A, NULL },
	  { "odd/sub#=" GITLINK_B, NULL }, "bump", TRY_LANE_CONFIG, 0,
	  "odd/sub" },
	{ "symlink under config", { "odd/l@=a", NULL },
	  { "odd/l@=b", NULL }, "ln", TRY_LANE_CONFIG, 0, "odd/l" },
	{ "path with space and newline",
	  { "odd/a b\nc=1", NULL }, { "odd/a b\nc=2", NULL },
	  "odd", TRY_LANE_CONFIG, 0, "odd/a b\nc" },
	{ "non-utf8 path", { "odd/\xff=1", NULL }, { "odd/\xff=2", NULL },
	  "odd", TRY_LANE_CONFIG, 0, "odd/\xff" },
	{ "non-utf8 code path beside config", { "odd/\xff/x=1", NULL },
	  { "odd/\xff/x=2", NULL }, "odd", TRY_LANE_CODE, 0, "odd/\xff/x" },
	{ "file replaced by directory",
	  { "config=1", NULL }, { "config/x=1", NULL },
	  "move", TRY_LANE_CODE, 0, "config" },
	{ "deep code beside config", { "config/a=1", "z/y/x/w=1", NULL },
	  { "config/a=1", "z/y/x/w=2", NULL }, "deep", TRY_LANE_CODE, 0,
	  "z/" },
	{ "dark empty commit", { "a=1", NULL }, { "a=1", NULL },
	  "DARK nothing", TRY_LANE_DARK,
	  TRY_COMMIT_MARKED_DARK | TRY_COMMIT_EMPTY, NULL },
};

START_TEST(test_classify_table)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *c = NULL;
	size_t i;

	cfg.dark_pattern = strdup(TRY_DEFAULT_DARK_PATTERN);
	for (i = 0; globs_config[i]; i++)
		try_strlist_add(&cfg.config_globs, globs_config[i]);
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		git_tree *old = cases[i].old[0] ?
			fixture_tree(repo, cases[i].old) : NULL;
		git_tree *new = fixture_tree(repo, cases[i].new);
		struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;

		ck_assert_int_eq(try_classify_trees(&cl, c, old, new,
				 cases[i].subject, strlen(cases[i].subject)), 0);
		ck_assert_msg(cl.lane == cases[i].lane,
			      "%s: lane %s, expected %s", cases[i].name,
			      try_lane_name(cl.lane),
			      try_lane_name(cases[i].lane));
		ck_assert_msg(cl.flags == cases[i].flags, "%s: flags %x, "
			      "expected %x", cases[i].name, cl.flags,
			      cases[i].flags);
		if (cases[i].path)
			ck_assert_msg(cl.path && !strcmp(cl.path, cases[i].path),
				      "%s: path '%s', expected '%s'",
				      cases[i].name, cl.path ? cl.path : "(null)",
				      cases[i].path);
		try_commit_lane_release(&cl);
		git_tree_free(old);
		git_tree_free(new);
	}
	try_classifier_free(c);
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_no_config_globs_means_no_config_lane)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *c = NULL;
	const char *old[] = { "config/a=1", NULL }, *new[] = { "config/a=2", NULL };
	git_tree *t1 = fixture_tree(repo, old), *t2 = fixture_tree(repo, new);
	struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;

	cfg.dark_pattern = strdup(TRY_DEFAULT_DARK_PATTERN);
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);
	ck_assert_int_eq(try_classify_trees(&cl, c, t1, t2, "x", 1), 0);
	ck_assert_int_eq(cl.lane, TRY_LANE_CODE);
	try_commit_lane_release(&cl);
	/* a dark commit cannot violate anything without config globs */
	ck_assert_int_eq(try_classify_trees(&cl, c, t1, t2, "DARK x", 6), 0);
	ck_assert_int_eq(cl.lane, TRY_LANE_DARK);
	try_commit_lane_release(&cl);
	git_tree_free(t1);
	git_tree_free(t2);
	try_classifier_free(c);
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_commit_against_first_parent)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *c = NULL;
	const char *f1[] = { "src/a=1", "config/x=1", NULL };
	const char *f2[] = { "src/a=1", "config/x=2", NULL };
	git_commit *root, *child;
	struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;

	cfg.dark_pattern = strdup(TRY_DEFAULT_DARK_PATTERN);
	try_strlist_add(&cfg.config_globs, "config");
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);
	root = fixture_commit(repo, NULL, f1, "root\n\nbody");
	child = fixture_commit(repo, root, f2, "flip x\n");
	ck_assert_int_eq(try_classify_commit(&cl, c, root), 0);
	ck_assert_int_eq(cl.lane, TRY_LANE_CODE);
	ck_assert(cl.flags & TRY_COMMIT_ROOT);
	ck_assert(git_oid_equal(&cl.id, git_commit_id(root)));
	try_commit_lane_release(&cl);
	ck_assert_int_eq(try_classify_commit(&cl, c, child), 0);
	ck_assert_int_eq(cl.lane, TRY_LANE_CONFIG);
	ck_assert_str_eq(cl.path, "config/"); /* a literal covers the folder */
	try_commit_lane_release(&cl);
	git_commit_free(root);
	git_commit_free(child);
	try_classifier_free(c);
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

START_TEST(test_invalid_and_runaway_patterns)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *c = NULL;
	char subject[4096];
	int dark = -1;

	cfg.dark_pattern = strdup("^(DARK");
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), -1);
	ck_assert_ptr_null(c);
	free(cfg.dark_pattern);
	/* catastrophic backtracking hits the match limit: an error, not a
	 * hang and not a silent "no" */
	cfg.dark_pattern = strdup("^(a+)+$");
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);
	memset(subject, 'a', sizeof(subject) - 2);
	subject[sizeof(subject) - 2] = 'b';
	subject[sizeof(subject) - 1] = '\0';
	ck_assert_int_eq(try_classifier_is_dark(&dark, c, subject,
						strlen(subject)), -1);
	ck_assert_int_eq(try_classifier_is_dark(&dark, c, "aaa", 3), 0);
	ck_assert_int_eq(dark, 1);
	try_classifier_free(c);
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

static const struct {
	const char *lanes; /* one letter per commit: d dark, e empty, c config, C code */
	enum try_lane lane;
	const char *reason;
} tally_cases[] = {
	{ "", TRY_LANE_NONE, "nothing new" },
	{ "d", TRY_LANE_DARK, "only dark commits" },
	{ "e", TRY_LANE_DARK, "no changes" },
	{ "dde", TRY_LANE_DARK, "only dark commits" },
	{ "c", TRY_LANE_CONFIG, "only config changes" },
	{ "cce", TRY_LANE_CONFIG, "only config changes" },
	{ "cd", TRY_LANE_CODE, "mixed config and dark" },
	{ "dc", TRY_LANE_CODE, "mixed config and dark" },
	{ "C", TRY_LANE_CODE, "code changes" },
	{ "dcC", TRY_LANE_CODE, "code changes" },
	{ "eC", TRY_LANE_CODE, "code changes" },
};

START_TEST(test_tally_table)
{
	size_t i, j;

	for (i = 0; i < sizeof(tally_cases) / sizeof(*tally_cases); i++) {
		struct try_lane_tally t = TRY_LANE_TALLY_INIT;
		const char *reason = NULL;

		for (j = 0; tally_cases[i].lanes[j]; j++) {
			struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;
			switch (tally_cases[i].lanes[j]) {
			case 'd': cl.lane = TRY_LANE_DARK; break;
			case 'e': cl.lane = TRY_LANE_DARK;
				cl.flags = TRY_COMMIT_EMPTY; break;
			case 'c': cl.lane = TRY_LANE_CONFIG; break;
			case 'C': cl.lane = TRY_LANE_CODE; break;
			}
			try_lane_tally_add(&t, &cl);
		}
		ck_assert_msg(try_lane_tally_lane(&t, &reason) ==
			      tally_cases[i].lane, "'%s'", tally_cases[i].lanes);
		ck_assert_str_eq(reason, tally_cases[i].reason);
	}
}
END_TEST

START_TEST(test_lane_names)
{
	enum try_lane l;

	ck_assert_int_eq(try_lane_parse(&l, "config"), 0);
	ck_assert_int_eq(l, TRY_LANE_CONFIG);
	ck_assert_int_eq(try_lane_parse(&l, "CODE"), 0);
	ck_assert_int_eq(l, TRY_LANE_CODE);
	ck_assert_int_eq(try_lane_parse(&l, "nope"), -1);
	ck_assert_str_eq(try_lane_name(TRY_LANE_DARK), "DARK");
	ck_assert_str_eq(try_lane_key(TRY_LANE_DARK), "dark");
}
END_TEST

static const struct {
	const char *subject;
	const char *fixed; /* NULL: not a near miss */
} near_cases[] = {
	{ "Dark: new parser", "DARK new parser" },
	{ "[DARK] new parser", "DARK new parser" },
	{ "dark new parser", "DARK new parser" },
	{ "(dark) x", "DARK x" },
	{ "  Dark - x", "DARK x" },
	{ "DARK new parser", NULL },  /* the real thing */
	{ "DARK: new parser", NULL }, /* matches ^DARK\\b too */
	{ "darker days", NULL },
	{ "Darkmode toggle", NULL },
	{ "fix dark mode", NULL },
	{ "", NULL },
	/* typos of the marker, within two edits */
	{ "DRAK parser v3", "DARK parser v3" },
	{ "DAKR parser v3", "DARK parser v3" },
	{ "DAK: parser v3", "DARK parser v3" },
	{ "[DRK] parser", "DARK parser" },
	/* ordinary words that merely look alike stay quiet */
	{ "Darken the header", NULL },
	{ "Darkroom import", NULL },
	{ "Mark flaky tests", NULL },
	{ "Park the queue", NULL },
	{ "Data model for carts", NULL },
	{ "API: add DAK", NULL },
	{ "DARKNESS falls", NULL },
	{ "DATABASE migration", NULL },
	{ "CI fix", NULL },
};

START_TEST(test_near_miss_table)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_classifier *c = NULL;
	size_t i;

	cfg.dark_pattern = strdup(TRY_DEFAULT_DARK_PATTERN);
	ck_assert_int_eq(try_classifier_new(&c, repo, &cfg), 0);
	for (i = 0; i < sizeof(near_cases) / sizeof(*near_cases); i++) {
		struct try_buf fixed = TRY_BUF_INIT;
		int near = try_classifier_dark_near_miss(c, &fixed,
				near_cases[i].subject,
				strlen(near_cases[i].subject));
		ck_assert_msg(near == !!near_cases[i].fixed, "'%s': %d",
			      near_cases[i].subject, near);
		if (near)
			ck_assert_str_eq(fixed.ptr, near_cases[i].fixed);
		try_buf_release(&fixed);
	}
	try_classifier_free(c);
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

Suite *classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("lanes");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_classify_table);
	tcase_add_test(tc, test_no_config_globs_means_no_config_lane);
	tcase_add_test(tc, test_commit_against_first_parent);
	tcase_add_test(tc, test_invalid_and_runaway_patterns);
	tcase_add_test(tc, test_tally_table);
	tcase_add_test(tc, test_lane_names);
	tcase_add_test(tc, test_near_miss_table);
	suite_add_tcase(s, tc);
	return s;
}

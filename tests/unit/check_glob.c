#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "libtry/error.h"
#include "libtry/glob.h"
#include "wildmatch_table.h"

static const struct {
	const char *pattern, *path;
	int pathspec; /* expected try_pathspec_match */
} pathspec_cases[] = {
	{ "config/**", "config/app.yml", 1 },
	{ "config/**", "config/deep/er/x.json", 1 },
	{ "config/**", "config", 0 },
	{ "config/**", "src/config/app.yml", 0 },
	{ "config", "config/app.yml", 1 },
	{ "config", "config", 1 },
	{ "config", "configure", 0 },
	{ "config/", "config/a", 1 },
	{ "flags/*.json", "flags/a.json", 1 },
	{ "flags/*.json", "flags/sub/a.json", 0 },
	{ "flags/*.json", "flags/a.yml", 0 },
	{ "**/*.json", "a/b/c.json", 1 },
	{ "**/*.json", "c.json", 1 },
	{ "*.json", "a/c.json", 0 },
	{ "a/**/b", "a/b", 1 },
	{ "a/**/b", "a/x/y/b", 1 },
	{ "a/**/b", "a/x/y/bc", 0 },
	{ "fl?gs/x", "flags/x", 1 },
	{ "fl?gs/x", "fl/gs/x", 0 },
	{ "[cf]onfig/x", "config/x", 1 },
	{ "[!cf]onfig/x", "config/x", 0 },
	{ "[a-c]x", "bx", 1 },
	{ "[a-c]x", "dx", 0 },
	{ "with space/*", "with space/a b", 1 },
	{ "x\\*y", "x*y", 1 },
	{ "x\\*y", "xay", 0 },
	{ "config/**", "config/new\nline", 1 },
	{ "config/*", "config/\xff\xfe", 1 },
	{ "config/[ab", "config/[ab", 0 }, /* unterminated class: git matches nothing */
	{ "config/[]]x", "config/]x", 1 },
};

START_TEST(test_pathspec_table)
{
	size_t i;

	for (i = 0; i < sizeof(pathspec_cases) / sizeof(*pathspec_cases); i++)
		ck_assert_msg(try_pathspec_match(pathspec_cases[i].pattern,
						 pathspec_cases[i].path) ==
				      pathspec_cases[i].pathspec,
			      "pattern '%s' path '%s': expected %d",
			      pathspec_cases[i].pattern, pathspec_cases[i].path,
			      pathspec_cases[i].pathspec);
}
END_TEST

static const struct {
	const char *pattern, *dir;
	int may;
} below_cases[] = {
	{ "config/**", "config", 1 },
	{ "config/**", "config/sub", 1 },
	{ "config/**", "src", 0 },
	{ "config/**", "conf", 0 },
	{ "config/**", "configs", 0 },
	{ "*.json", "anything", 1 },
	{ "config", "config", 1 },
	{ "config", "config/deeper", 1 },
	{ "conf", "config", 0 },
	{ "flags/*.json", "flags", 1 },
	{ "flags/*.json", "flagsx", 0 },
	{ "a/b/c", "a", 1 },
	{ "a/b/c", "a/b", 1 },
	{ "a/b/c", "a/x", 0 },
	{ "a/b/c", "a/b/c/d", 1 },
	{ "a/b/c", "a/b/cd", 0 },
};

START_TEST(test_may_match_below_table)
{
	size_t i;

	for (i = 0; i < sizeof(below_cases) / sizeof(*below_cases); i++)
		ck_assert_msg(try_pathspec_may_match_below(below_cases[i].pattern,
				below_cases[i].dir, strlen(below_cases[i].dir)) ==
				      below_cases[i].may,
			      "pattern '%s' dir '%s': expected %d",
			      below_cases[i].pattern, below_cases[i].dir,
			      below_cases[i].may);
}
END_TEST

static const struct {
	const char *pattern, *dir;
	int covers;
} covers_cases[] = {
	{ "config/**", "config", 1 },
	{ "config/**", "config/sub", 1 },
	{ "config/**", "configs", 0 },
	{ "config/**", "src", 0 },
	{ "config", "config", 1 },
	{ "config", "config/deep", 1 },
	{ "config/", "config", 1 },
	{ "config", "conf", 0 },
	{ "flags/*.json", "flags", 0 },
	{ "config/*", "config", 0 },
	{ "config/**/x", "config", 0 },
	{ "a/b/**", "a", 0 },
	{ "a/b/**", "a/b", 1 },
	{ "**", "anything", 1 },
	{ "x**", "x", 0 },
};

START_TEST(test_covers_dir_table)
{
	size_t i;

	for (i = 0; i < sizeof(covers_cases) / sizeof(*covers_cases); i++)
		ck_assert_msg(try_pathspec_covers_dir(covers_cases[i].pattern,
				covers_cases[i].dir, strlen(covers_cases[i].dir)) ==
				      covers_cases[i].covers,
			      "pattern '%s' dir '%s': expected %d",
			      covers_cases[i].pattern, covers_cases[i].dir,
			      covers_cases[i].covers);
}
END_TEST

START_TEST(test_ref_globs)
{
	/* trunk.allow globs: '*' crosses '/' */
	ck_assert_int_eq(try_glob_match("refs/tags/*", "refs/tags/v1", 0), 1);
	ck_assert_int_eq(try_glob_match("refs/tags/*", "refs/tags/rel/v1", 0), 1);
	ck_assert_int_eq(try_glob_match("refs/tags/*", "refs/heads/v1", 0), 0);
	ck_assert_int_eq(try_glob_match("refs/heads/release-*",
					"refs/heads/release-1.2", 0), 1);
	ck_assert_int_eq(try_glob_match("refs/heads/release-*",
					"refs/heads/feature", 0), 0);
}
END_TEST

START_TEST(test_git_wildmatch_table)
{
	static const unsigned flags[] = {
		TRY_GLOB_PATHNAME,
		TRY_GLOB_PATHNAME | TRY_GLOB_CASEFOLD,
		0,
		TRY_GLOB_CASEFOLD,
	};
	size_t i, f;

	for (i = 0; i < sizeof(wildmatch_cases) / sizeof(*wildmatch_cases);
	     i++) {
		const int want[] = {
			wildmatch_cases[i].glob, wildmatch_cases[i].iglob,
			wildmatch_cases[i].pathmatch,
			wildmatch_cases[i].ipathmatch,
		};
		for (f = 0; f < 4; f++)
			ck_assert_msg(try_glob_match(wildmatch_cases[i].pattern,
						     wildmatch_cases[i].text,
						     flags[f]) == want[f],
				      "pattern '%s' text '%s' flags %u: "
				      "expected %d",
				      wildmatch_cases[i].pattern,
				      wildmatch_cases[i].text, flags[f],
				      want[f]);
	}
}
END_TEST

/* "<unit>" x n + `tail` in a fresh string */
static char *repeat(const char *unit, int n, const char *tail)
{
	size_t len = strlen(unit) * (size_t)n + strlen(tail) + 1;
	char *s = malloc(len), *p = s;
	int i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		p = stpcpy(p, unit);
	memcpy(p, tail, strlen(tail) + 1);
	return s;
}

/*
 * Stars that each could take any split: a backtracking matcher needs
 * about 4^n steps here (n = 13 took 5 s); n = 40 finishes only when
 * matching is polynomial, well inside Check's default timeout.
 */
START_TEST(test_many_stars_polynomial)
{
	char *pattern = repeat("**/***/", 40, "x");
	char *text = repeat("a/", 60, "b");
	char *stars = repeat("*a", 40, "");
	char *as = repeat("a", 200, "b");

	ck_assert_int_eq(try_glob_match(pattern, text, TRY_GLOB_PATHNAME), 0);
	ck_assert_int_eq(try_glob_match(pattern, text, 0), 0);
	text[strlen(text) - 1] = 'x';
	ck_assert_int_eq(try_glob_match(pattern, text, TRY_GLOB_PATHNAME), 1);
	ck_assert_int_eq(try_pathspec_match(pattern, text), 1);
	ck_assert_int_eq(try_glob_match(stars, as, 0), 0);
	ck_assert_int_eq(try_glob_match(stars, as, TRY_GLOB_PATHNAME), 0);
	free(pattern);
	free(text);
	free(stars);
	free(as);
}
END_TEST

/* NULL: refused with a message naming the key */
static const struct {
	const char *value, *norm;
} normalize_cases[] = {
	{ "config/**", "config/**" },
	{ "./config/**", "config/**" },
	{ "./config", "config" },
	{ "config//**", "config/**" },
	{ "config/./x", "config/x" },
	{ "config/", "config/" },
	{ "config///", "config/" },
	{ ".", "**" },
	{ "./", "**" },
	{ ":/", "**" },
	{ ":(top)config", "config" },
	{ ":/config", "config" },
	{ ":/:config", "config" },
	{ ":config", "config" },
	{ ":(glob)config/**", "config/**" },
	{ ":(top,glob)./config/**", "config/**" },
	{ ":(literal)config", "config" },
	{ "/config/**", "config/**" },
	{ "a/../config/x", "config/x" },
	{ "a/b/../../config", "config" },
	{ "/", NULL },
	{ "//", NULL },
	{ "", NULL },
	{ "..", NULL },
	{ "config/../../x", NULL },
	{ ":(glob,icase)config/**", NULL },
	{ ":(icase)config", NULL },
	{ ":!config", NULL },
	{ ":^config", NULL },
	{ ":(exclude)config", NULL },
	{ ":(attr:x)config", NULL },
	{ ":(glob", NULL },
	{ ":(literal)a*b", NULL },
	{ ":(literal,glob)x", NULL },
	{ ":-x", NULL },
};

START_TEST(test_normalize_table)
{
	size_t i;

	for (i = 0; i < sizeof(normalize_cases) / sizeof(*normalize_cases);
	     i++) {
		char *got = (char *)"unset";
		int r = try_pathspec_normalize(&got, "lanes.config",
					       normalize_cases[i].value);

		if (!normalize_cases[i].norm) {
			ck_assert_msg(r == -1 && !got,
				      "'%s' should be refused",
				      normalize_cases[i].value);
			ck_assert_msg(!strncmp(try_error_last(),
					       "lanes.config: ", 14),
				      "'%s': message '%s' names no key",
				      normalize_cases[i].value,
				      try_error_last());
			continue;
		}
		ck_assert_msg(r == 0, "'%s' refused: %s",
			      normalize_cases[i].value, try_error_last());
		ck_assert_msg(!strcmp(got, normalize_cases[i].norm),
			      "'%s' gave '%s', want '%s'",
			      normalize_cases[i].value, got,
			      normalize_cases[i].norm);
		/* as `git diff-tree -- <value>`, every one takes config/x */
		ck_assert_msg(try_pathspec_match(got, "config/x"),
			      "'%s' misses config/x",
			      normalize_cases[i].value);
		free(got);
	}
}
END_TEST

Suite *glob_suite(void)
{
	Suite *s = suite_create("glob");
	TCase *tc = tcase_create("match");

	tcase_add_test(tc, test_pathspec_table);
	tcase_add_test(tc, test_may_match_below_table);
	tcase_add_test(tc, test_ref_globs);
	tcase_add_test(tc, test_covers_dir_table);
	tcase_add_test(tc, test_git_wildmatch_table);
	tcase_add_test(tc, test_normalize_table);
	tcase_add_test(tc, test_many_stars_polynomial);
	suite_add_tcase(s, tc);
	return s;
}

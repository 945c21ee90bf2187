#include <check.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/config.h"
#include "libtry/hold.h"
#include "libtry/identity.h"

static const char *const vars[] = { "REMOTE_USER", "GL_USERNAME", "GL_USER",
				    "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN",
				    "X_PUSHER", "Y_PUSHER", NULL };

static void clear_env(void)
{
	size_t i;

	for (i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

static void expect_pusher(const struct try_config *cfg, const char *want)
{
	char *who = NULL;

	try_identity_pusher(&who, cfg);
	ck_assert_str_eq(who, want);
	free(who);
}

START_TEST(test_default_order)
{
	/* set from the last of the default order to the first */
	static const struct {
		const char *var, *value, *want;
	} steps[] = {
		{ "GITHUB_USER_LOGIN", "octo", "octo" },
		{ "GITEA_PUSHER_NAME", "tea", "tea" },
		{ "GL_USER", "gitolite-alice", "gitolite-alice" },
		{ "GL_USERNAME", "lab", "lab" },
		{ "REMOTE_USER", "", "lab" }, /* empty counts as unset */
		{ "REMOTE_USER", "alice", "alice" },
	};
	struct passwd *pw = getpwuid(geteuid());
	size_t i;

	clear_env();
	ck_assert_ptr_nonnull(pw);
	expect_pusher(NULL, pw->pw_name);
	for (i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
		setenv(steps[i].var, steps[i].value, 1);
		expect_pusher(NULL, steps[i].want);
	}
	clear_env();
}
END_TEST

START_TEST(test_pusher_env)
{
	struct try_config cfg = TRY_CONFIG_INIT;
	struct passwd *pw = getpwuid(geteuid());

	clear_env();
	setenv("REMOTE_USER", "mallory", 1);
	setenv("Y_PUSHER", "yves", 1);
	/* the configured list replaces the default one */
	try_strlist_add(&cfg.pusher_env, "X_PUSHER");
	expect_pusher(&cfg, pw->pw_name);
	try_strlist_add(&cfg.pusher_env, "Y_PUSHER");
	expect_pusher(&cfg, "yves");
	setenv("X_PUSHER", "xena", 1);
	expect_pusher(&cfg, "xena");
	try_strlist_release(&cfg.pusher_env);
	/* one value may name several, first non-empty wins */
	try_strlist_add(&cfg.pusher_env, "GL_USER, Y_PUSHER X_PUSHER");
	expect_pusher(&cfg, "yves");
	try_config_release(&cfg);
	clear_env();
}
END_TEST

START_TEST(test_fixers_table)
{
	static const struct {
		const char *holders, *fixers, *user;
		int hold, fix;
	} cases[] = {
		{ NULL, NULL, "anyone", 1, 1 },
		{ "alice, carol", NULL, "alice", 1, 1 },
		{ "alice, carol", NULL, "bob", 0, 0 },
		{ "alice", "bob", "bob", 0, 1 },
		{ "alice", "bob", "alice", 1, 0 },
		{ NULL, "bob dave", "dave", 1, 1 },
		{ NULL, "bob dave", "eve", 1, 0 },
		{ NULL, "bob", "bo", 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_config cfg = TRY_CONFIG_INIT;

		if (cases[i].holders)
			try_strlist_add(&cfg.holders, cases[i].holders);
		if (cases[i].fixers)
			try_strlist_add(&cfg.fixers, cases[i].fixers);
		ck_assert_msg(try_hold_may_hold(&cfg, cases[i].user) ==
			      cases[i].hold, "hold case %zu", i);
		ck_assert_msg(try_hold_may_fix(&cfg, cases[i].user) ==
			      cases[i].fix, "fix case %zu", i);
		try_config_release(&cfg);
	}
}
END_TEST

Suite *identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_default_order);
	tcase_add_test(tc, test_pusher_env);
	tcase_add_test(tc, test_fixers_table);
	suite_add_tcase(s, tc);
	return s;
}

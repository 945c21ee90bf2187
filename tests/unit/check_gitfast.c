#include <check.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtry/buf.h"
#include "libtry/gitfast.h"

/*
 * The fast configuration reader against libgit2: for every file, each key
 * must have the same values in the same order, or the reader must say it
 * cannot (fallback).
 */
static const struct {
	const char *text;
	const char *keys;  /* space-separated, as libgit2 spells them */
	int fallback;      /* try_gitfast_config_parse must give up */
} config_cases[] = {
	{ "[trunk]\n\tbranch = main\n", "trunk.branch trunk.other", 0 },
	{ "[Trunk]\n\tBranch = Dev\n", "trunk.branch", 0 },
	{ "[trunk]\nbranch=a\nbranch=b\n[trunk]\nbranch = c\n",
	  "trunk.branch", 0 },
	{ "[trunk \"Sub.x\"]\n\tbranch = s\n[trunk]\n\tbranch = t\n",
	  "trunk.Sub.x.branch trunk.sub.x.branch trunk.branch", 0 },
	{ "[a \"q\\\"uo\\\\te\"]\n\tk = 1\n", "a.q\"uo\\te.k", 0 },
	{ "[a.Old]\n\tk = 1\n", "a.old.k", 0 },
	{ "[s]\n\tk = \"  quoted ; not a comment \"\n", "s.k", 0 },
	{ "[s]\n\tk = a \"b c\" d ; comment\n\tj = x # c\n", "s.k s.j", 0 },
	{ "[s]\n\tk = tab\\there\\nnl \\\"q\\\" back\\\\slash\n", "s.k", 0 },
	{ "[s]\n\tk = one \\\n  two\n\tj = after\n", "s.k s.j", 0 },
	{ "[s]\n\tflag\n\tempty =\n\tyes = true\n", "s.flag s.empty s.yes",
	  0 },
	{ "# comment\n; another\n[s] k = inline\n", "s.k", 0 },
	{ "[s]\r\n\tk = crlf\r\n", "s.k", 0 },
	{ "\xef\xbb\xbf[s]\n\tk = bom\n", "s.k", 0 },
	{ "[s]\n\tk = a   b c \t \n", "s.k", 0 },
	/* git makes the tab a space, libgit2 keeps it: libgit2 decides */
	{ "[s]\n\tk = a   b\t c  \n", "", 1 },
	{ "[s]\n\tm = 1\n\tM = 2\n[S]\n\tm = 3\n", "s.m", 0 },
	{ "[s]\n\tk-dash = 1\n", "s.k-dash", 0 },
	{ "[include]\n\tpath = other\n[s]\n\tk = 1\n", "s.k", 1 },
	{ "[includeIf \"gitdir:~/x/\"]\n\tpath = other\n", "", 1 },
	{ "[extensions]\n\tworktreeConfig = true\n", "", 1 },
	{ "[core]\n\tworktree = /x\n", "", 1 },
	{ "[s]\n\tk = \"unterminated\n", "", 1 },
	{ "[s\n\tk = 1\n", "", 1 },
	{ "k = 1\n", "", 1 },
	{ "[s]\n\t1k = 1\n", "", 1 },
	{ "[s]\n\tk = bad \\escape\n", "", 1 },
};

/* Values joined with '|', "(none)" for a key without '='. */
static void add_value(struct try_buf *buf, const char *value)
{
	if (buf->len)
		try_buf_addch(buf, '|');
	try_buf_adds(buf, value ? value : "(none)");
}

static int lib_cb(const git_config_entry *entry, void *data)
{
	add_value(data, entry->value);
	return 0;
}

struct fast_query {
	const char *key;    /* normalised */
	struct try_buf *out;
};

static int fast_cb(const char *key, const char *value, void *data)
{
	struct fast_query *q = data;

	if (!strcmp(key, q->key))
		add_value(q->out, value);
	return 0;
}

/* "Sec.Sub.Name" -> "sec.Sub.name", as both readers name keys. */
static void normalise(struct try_buf *out, const char *key)
{
	const char *first = strchr(key, '.'), *last = strrchr(key, '.');
	const char *p;

	try_buf_reset(out);
	for (p = key; *p; p++) {
		int lower = p < first || p > last;
		try_buf_addch(out, lower && *p >= 'A' && *p <= 'Z' ?
			      *p + 32 : *p);
	}
}

START_TEST(test_config_like_libgit2)
{
	size_t i;

	for (i = 0; i < sizeof(config_cases) / sizeof(*config_cases); i++) {
		const char *text = config_cases[i].text;
		char path[] = "/tmp/check-gitfast-XXXXXX";
		int fd = mkstemp(path), r;
		git_config *cfg = NULL;
		char *keys, *key, *save = NULL;

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, text, strlen(text)),
				 (int)strlen(text));
		close(fd);
		r = try_gitfast_config_parse(text, strlen(text), NULL, NULL);
		ck_assert_msg(r == (config_cases[i].fallback ?
				    TRY_GITFAST_FALLBACK : 0),
			      "case %zu: parse gave %d", i, r);
		if (config_cases[i].fallback) {
			unlink(path);
			continue;
		}
		ck_assert_int_eq(git_config_open_ondisk(&cfg, path), 0);
		keys = try_xstrdup(config_cases[i].keys);
		for (key = strtok_r(keys, " ", &save); key;
		     key = strtok_r(NULL, " ", &save)) {
			struct try_buf lib = TRY_BUF_INIT, fast = TRY_BUF_INIT;
			struct try_buf norm = TRY_BUF_INIT;
			struct fast_query q = { NULL, &fast };

			git_config_get_multivar_foreach(cfg, key, NULL, lib_cb,
							&lib);
			normalise(&norm, key);
			q.key = norm.ptr;
			ck_assert_int_eq(try_gitfast_config_parse(
				text, strlen(text), fast_cb, &q), 0);
			ck_assert_msg(!strcmp(lib.ptr, fast.ptr),
				      "case %zu, %s: libgit2 '%s', fast '%s'",
				      i, key, lib.ptr, fast.ptr);
			try_buf_release(&lib);
			try_buf_release(&fast);
			try_buf_release(&norm);
		}
		free(keys);
		git_config_free(cfg);
		unlink(path);
	}
}
END_TEST

/* What the fast path calls a valid branch libgit2 must call valid too. */
START_TEST(test_branch_names)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "main", 1 }, { "release/1.2", 1 }, { "a_b-c.d", 1 },
		{ "", 0 }, { ".hidden", 0 }, { "a/.b", 0 }, { "a..b", 0 },
		{ "a.lock", 0 }, { "a/b.lock/c", 0 }, { "a/", 0 },
		{ "a//b", 0 }, { "a.", 0 }, { "a b", 0 }, { "a~1", 0 },
		{ "a^", 0 }, { "a:b", 0 }, { "a?", 0 }, { "a*", 0 },
		{ "a[b", 0 }, { "a\\b", 0 }, { "a@{1}", 0 }, { "-x", 0 },
		{ "@", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char ref[64];
		int valid = 0;

		ck_assert_msg(try_gitfast_branch_name_ok(cases[i].name) ==
			      cases[i].ok, "'%s'", cases[i].name);
		if (!cases[i].ok)
			continue;
		snprintf(ref, sizeof(ref), "refs/heads/%s", cases[i].name);
		ck_assert_int_eq(git_reference_name_is_valid(&valid, ref), 0);
		ck_assert_msg(valid, "libgit2 refuses '%s'", ref);
	}
}
END_TEST

START_TEST(test_parameters)
{
	static const char *const params =
		"'trunk.branch'='dev' 'Core.FileMode=false' "
		"'a.sub.k'='skipped' 'it.s'='a'\\''b'";
	struct try_buf all = TRY_BUF_INIT;
	struct fast_query q = { NULL, &all };

	setenv("GIT_CONFIG_PARAMETERS", params, 1);
	q.key = "trunk.branch";
	ck_assert_int_eq(try_gitfast_config_parameters(fast_cb, &q), 0);
	q.key = "core.filemode";
	ck_assert_int_eq(try_gitfast_config_parameters(fast_cb, &q), 0);
	q.key = "it.s";
	ck_assert_int_eq(try_gitfast_config_parameters(fast_cb, &q), 0);
	q.key = "a.sub.k";
	ck_assert_int_eq(try_gitfast_config_parameters(fast_cb, &q), 0);
	ck_assert_str_eq(all.ptr, "dev|false|a'b");
	setenv("GIT_CONFIG_PARAMETERS", "'unterminated", 1);
	ck_assert_int_eq(try_gitfast_config_parameters(fast_cb, &q), -1);
	unsetenv("GIT_CONFIG_PARAMETERS");
	try_buf_release(&all);
}
END_TEST

/* Object ids in hex, both ways. */
START_TEST(test_oid_hex)
{
	static const char hex[] = "0123456789abcdefABCDEF0123456789abcdef01";
	unsigned char raw[TRY_OID_RAWSZ];
	char back[TRY_OID_HEXSZ + 1];

	ck_assert_int_eq(try_gitfast_oid_parse(raw, hex), 0);
	ck_assert_int_eq(raw[0], 0x01);
	ck_assert_int_eq(raw[8], 0xab);
	try_gitfast_oid_fmt(back, raw);
	ck_assert_str_eq(back, "0123456789abcdefabcdef0123456789abcdef01");
	ck_assert_int_eq(try_gitfast_oid_parse(raw, "0123456789abcdeg"), -1);
	ck_assert_int_eq(try_gitfast_oid_parse(raw, "01234"), -1);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
	struct try_buf path = TRY_BUF_INIT;
	FILE *f;

	try_buf_addf(&path, "%s%s", dir, name);
	f = fopen(path.ptr, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	try_buf_release(&path);
}

/* References: loose first, then packed-refs; symbolic ones left alone. */
START_TEST(test_ref)
{
	char tmpl[] = "/tmp/check-gitfast.XXXXXX";
	struct try_buf dir = TRY_BUF_INIT, cmd = TRY_BUF_INIT;
	unsigned char oid[TRY_OID_RAWSZ];
	char hex[TRY_OID_HEXSZ + 1];

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	try_buf_addf(&dir, "%s/", tmpl);
	try_buf_addf(&cmd, "mkdir -p %srefs/heads", dir.ptr);
	ck_assert_int_eq(system(cmd.ptr), 0);
	write_file(dir.ptr, "packed-refs",
		   "# pack-refs with: peeled fully-peeled sorted\n"
		   "1111111111111111111111111111111111111111 refs/heads/main\n"
		   "^2222222222222222222222222222222222222222\n"
		   "3333333333333333333333333333333333333333 refs/stash\n"
		   "zzzz111111111111111111111111111111111111 refs/heads/bad\n");
	write_file(dir.ptr, "refs/heads/main",
		   "4444444444444444444444444444444444444444\n");
	write_file(dir.ptr, "refs/heads/sym", "ref: refs/heads/main\n");

	ck_assert_int_eq(try_gitfast_ref(oid, dir.ptr, "refs/heads/main"), 1);
	try_gitfast_oid_fmt(hex, oid);
	ck_assert_str_eq(hex, "4444444444444444444444444444444444444444");
	ck_assert_int_eq(try_gitfast_ref(oid, dir.ptr, "refs/stash"), 1);
	try_gitfast_oid_fmt(hex, oid);
	ck_assert_str_eq(hex, "3333333333333333333333333333333333333333");
	ck_assert_int_eq(try_gitfast_ref(oid, dir.ptr, "refs/heads/none"), 0);
	ck_assert_int_eq(try_gitfast_ref(oid, dir.ptr, "refs/heads/sym"), -1);
	ck_assert_int_eq(try_gitfast_ref(oid, dir.ptr, "refs/heads/bad"), -1);

	try_buf_reset(&cmd);
	try_buf_adds(&cmd, "rm -rf ");
	try_buf_add_shquoted(&cmd, tmpl);
	ck_assert_int_eq(system(cmd.ptr), 0);
	try_buf_release(&cmd);
	try_buf_release(&dir);
}
END_TEST

Suite *gitfast_suite(void)
{
	Suite *s = suite_create("gitfast");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_config_like_libgit2);
	tcase_add_test(tc, test_branch_names);
	tcase_add_test(tc, test_parameters);
	tcase_add_test(tc, test_oid_hex);
	tcase_add_test(tc, test_ref);
	suite_add_tcase(s, tc);
	return s;
}

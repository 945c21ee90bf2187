/*
 * git-try: runs the tests on the uncommitted working copy before it reaches
 * trunk.  The changes against the trunk's merge-base travel as a git binary
 * patch to a backend: a temporary local worktree (the default) or a CI
 * server, and the answer comes back as an exit code and a link.
 *
 * Exit codes: 0 passed, 1 tests failed, 2 the patch did not apply, 128 could
 * not submit or lost contact (also: nothing to try, a CI error such as an
 * exception or a cancelled build), 129 usage, 130 interrupted.
 */
#include "libtry/buf.h"
#include "libtry/ci.h"
#include "libtry/ci_local.h"
#include "libtry/config.h"
#include "libtry/error.h"
#include "libtry/http.h"
#include "libtry/patch.h"
#include "libtry/repo.h"
#include "libtry/report.h"
#include "libtry/tryhist.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

enum exit_code {
	EXIT_PASSED = 0,
	EXIT_FAILED = 1,
	EXIT_NOT_APPLIED = 2,
	EXIT_ERROR = 128,
	EXIT_USAGE = 129,
	EXIT_INTERRUPTED = 130,
};

static const char usage_text[] =
	"usage: git try [<options>] [--] [<pathspec>...]\n"
	"   or: git try list [-n <n>] [--json]\n"
	"   or: git try show [<n>|<id>] [--json]\n"
	"   or: git try again [<n>|<id>] [--failed] [<options>]\n"
	"\n"
	"Runs the tests on the working copy's changes before they are\n"
	"committed: the changes of tracked files (index and working tree)\n"
	"against the merge-base of HEAD and <try.remote>/<trunk.branch> go as\n"
	"a git binary patch to the backend, which applies them to that base\n"
	"and runs the tests.\n"
	"\n"
	"    --staged            the index only, not the working tree\n"
	"    --untracked         also untracked files that are not ignored\n"
	"    --base <rev>        the base commit (default: the merge-base)\n"
	"    --backend <name>    local, buildbot, jenkins or webhook\n"
	"                        (default: try.backend, else local)\n"
	"    --command <cmd>     the local backend's test command\n"
	"                        (default: try.command, else 'make check')\n"
	"    -b, --builder <name>  run this builder (repeatable; default:\n"
	"                        try.builders, else all of the scheduler's)\n"
	"    --preset <name>     backend, builders and command from\n"
	"                        try.preset.<name>.*; options override it\n"
	"    --list-builders     ask the CI which builders a try can run\n"
	"    --log               the whole log of a failed step, not its\n"
	"                        last try.logLines lines\n"
	"    -m, --reason <text> why, as the CI shows it\n"
	"    --allow-empty       try even when there are no changes\n"
	"    --no-wait           submit, print the build URLs and exit\n"
	"    --dry-run           print the patch and what would be sent; send\n"
	"                        nothing\n"
	"    --json              print the result as one JSON object\n"
	"    -v, --verbose       show HTTP exchanges (credentials masked)\n"
	"    -h, --help          this text\n"
	"\n"
	"list: the recorded tries, newest first (1 is the newest).\n"
	"show: one try, its state refreshed from the CI.\n"
	"again: sends a recorded try's patch on its base again; --failed\n"
	"only to the builders that failed.  These names are reserved: a\n"
	"pathspec called 'list', 'show' or 'again' goes after '--'.\n"
	"\n"
	"exit codes: 0 passed, 1 tests failed, 2 the patch did not apply,\n"
	"128 could not submit or lost contact, 129 usage, 130 interrupted\n";

struct options {
	unsigned patch_flags;
	const char *base;
	const char *backend;
	const char *command;
	const char *reason;
	int allow_empty;
	int no_wait;
	int dry_run;
	int json;
	int verbose;
	const char **paths;
	size_t npaths;
	const char **builders; /* -b, in argv order */
	size_t nbuilders;
	int full_log;
	int list_builders;
	const char *preset;    /* --preset */
	/* subcommands */
	const char *sub;       /* NULL, "list", "show", "again" */
	const char *which;     /* show/again: <n> or <id> */
	long max;              /* list -n */
	int failed_only;       /* again --failed */
};

/* --- signals --------------------------------------------------------- */

enum phase { PHASE_OTHER, PHASE_LOCAL, PHASE_WAIT };
static volatile sig_atomic_t phase;
static volatile sig_atomic_t interrupts;
static volatile sig_atomic_t first_ms; /* when the first one came, ms */
/* Written by the handler on a second Ctrl-C while waiting. */
static char stop_message[4096];
static size_t stop_len;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe */
	return (long)(ts.tv_sec % 1000000) * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	long t = now_ms();

	/*
	 * Run as `git try`, one Ctrl-C arrives twice: from the terminal and
	 * from git, which passes it on to its child.  That is one.
	 */
	if (interrupts && t - first_ms < 300)
		return;
	if (!interrupts)
		first_ms = t;
	interrupts++;
	if (phase == PHASE_LOCAL) {
		try_ci_local_interrupt();
	} else if (phase == PHASE_WAIT && interrupts > 1) {
		/* the first one is handled between polls; this one means
		 * now, even in the middle of a request */
		ssize_t ignored = write(2, stop_message, stop_len);
		(void)ignored;
		_exit(EXIT_INTERRUPTED);
	}
}

static void catch_signals(enum phase p)
{
	struct sigaction sa;

	phase = p;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a sleep between polls ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* a signal ends the sleep early: the caller looks at interrupts */
	nanosleep(&ts, NULL);
}

/* --- output ---------------------------------------------------------- */

static int use_colour(int fd)
{
	const char *term = getenv("TERM");
	const char *no = getenv("NO_COLOR");

	return isatty(fd) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

static const char *state_colour(enum try_ci_state s)
{
	switch (s) {
	case TRY_CI_PASSED:
		return "\033[32m";
	case TRY_CI_FAILED:
	case TRY_CI_NOT_APPLIED:
	case TRY_CI_ERROR:
		return "\033[31m";
	case TRY_CI_RUNNING:
		return "\033[33m";
	default:
		return "\033[2m";
	}
}

static void add_state(struct try_buf *b, enum try_ci_state s, int colour)
{
	if (colour)
		try_buf_addf(b, "%s%s\033[m", state_colour(s),
			     try_ci_state_name(s));
	else
		try_buf_adds(b, try_ci_state_name(s));
}

/* Text from a server, safe for a terminal. */
static void add_safe(struct try_buf *b, const char *s, size_t max)
{
	if (s)
		try_report_add_safe(b, s, strlen(s), max);
}

static void put(FILE *f, const struct try_buf *b)
{
	fwrite(b->ptr, 1, b->len, f);
	fflush(f);
}

/* "name: state (detail)  url" */
static void add_job_line(struct try_buf *b, const struct try_ci_job *j,
			 int colour)
{
	add_safe(b, j->name, 80);
	try_buf_adds(b, ": ");
	add_state(b, j->state, colour);
	if (j->detail && *j->detail) {
		try_buf_adds(b, " (");
		add_safe(b, j->detail, 300);
		try_buf_adds(b, ")");
	}
	if (j->url) {
		try_buf_adds(b, "  ");
		add_safe(b, j->url, 1000);
	}
	try_buf_addch(b, '\n');
}

/* The end of a failed job's log, each line indented, and where it is. */
static void add_job_log(struct try_buf *b, const struct try_ci_job *j)
{
	const char *p, *end;

	if (!j->log && !j->log_url)
		return;
	try_buf_adds(b, "--- ");
	add_safe(b, j->name, 80);
	if (j->step) {
		try_buf_adds(b, ", step '");
		add_safe(b, j->step, 80);
		try_buf_addch(b, '\'');
	}
	if (j->log_url) {
		try_buf_adds(b, ": ");
		add_safe(b, j->log_url, 1000);
	}
	try_buf_addch(b, '\n');
	for (p = j->log; p && *p; p = end) {
		const char *nl = strchr(p, '\n');
		end = nl ? nl + 1 : p + strlen(p);
		try_buf_adds(b, "    ");
		try_report_add_safe(b, p, (size_t)((nl ? nl : end) - p),
				    4000);
		try_buf_addch(b, '\n');
	}
}

static void print_final(const struct try_ci_result *res)
{
	struct try_buf b = TRY_BUF_INIT;
	int colour = use_colour(1);
	size_t i;

	for (i = 0; i < res->nr; i++)
		add_job_line(&b, &res->jobs[i], colour);
	for (i = 0; i < res->nr; i++)
		add_job_log(&b, &res->jobs[i]);
	put(stdout, &b);
	try_buf_release(&b);
}

static json_t *jtext(const char *s)
{
	struct try_buf b = TRY_BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	try_report_add_utf8(&b, s, strlen(s));
	j = json_stringn(b.ptr, b.len);
	try_buf_release(&b);
	return j;
}

static const char *result_word(enum try_ci_state s)
{
	return try_ci_state_word(s);
}

struct try {
	git_repository *repo;
	struct try_config cfg;
	struct try_ci_settings ci;
	const struct try_ci_backend *backend; /* NULL: local */
	git_oid base;
	char base_hex[GIT_OID_HEXSZ + 1];
	char *base_label;
	const char *backend_name;  /* NULL until known */
	struct try_buf patch;
	char *id;
	char *author;
	char *reason;
	struct try_ci_request req;
	char *hist_dir;            /* <commondir>/try */
	char *again_of;            /* the id `git try again` resends */
	int64_t sent_at;           /* epoch seconds */
};

static void print_json(const struct try *t, const struct try_ci_result *res,
		       const char *result, int code, const char *error)
{
	json_t *o = json_object(), *jobs = json_array();
	char *dump;
	size_t i;

	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "exit_code", json_integer(code));
	json_object_set_new(o, "backend", jtext(t->backend_name));
	json_object_set_new(o, "id", jtext(t->id));
	json_object_set_new(o, "base",
			    jtext(*t->base_hex ? t->base_hex : NULL));
	json_object_set_new(o, "branch", jtext(t->cfg.trunk_branch));
	json_object_set_new(o, "files",
			    json_integer((json_int_t)try_patch_count_files(
				    t->patch.ptr, t->patch.len)));
	json_object_set_new(o, "patch_bytes",
			    json_integer((json_int_t)t->patch.len));
	json_object_set_new(o, "url", jtext(res ? res->url : NULL));
	for (i = 0; res && i < res->nr; i++) {
		const struct try_ci_job *j = &res->jobs[i];
		json_array_append_new(jobs, json_pack(
			"{s:o, s:s, s:o, s:o, s:o, s:o, s:o}",
			"name", jtext(j->name),
			"state", result_word(j->state), "url", jtext(j->url),
			"detail", jtext(j->detail), "step", jtext(j->step),
			"log", jtext(j->log), "log_url", jtext(j->log_url)));
	}
	json_object_set_new(o, "jobs", jobs);
	if (error)
		json_object_set_new(o, "error", jtext(error));
	dump = json_dumps(o, JSON_COMPACT);
	if (dump) {
		fputs(dump, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(dump);
	json_decref(o);
}

static int exit_code_of(enum try_ci_state s)
{
	switch (s) {
	case TRY_CI_PASSED:
		return EXIT_PASSED;
	case TRY_CI_FAILED:
		return EXIT_FAILED;
	case TRY_CI_NOT_APPLIED:
		return EXIT_NOT_APPLIED;
	default:
		return EXIT_ERROR;
	}
}

/* The error of a failed step, as a binary reports it. */
static int fail(const struct options *o, const struct try *t,
		const struct try_ci_result *res, const char *what)
{
	struct try_buf b = TRY_BUF_INIT;

	try_buf_adds(&b, "git-try: ");
	if (what)
		try_buf_addf(&b, "%s: ", what);
	add_safe(&b, try_error_last(), 2000);
	try_buf_addch(&b, '\n');
	put(stderr, &b);
	try_buf_release(&b);
	if (o->json && t)
		print_json(t, res, "error", EXIT_ERROR, try_error_last());
	return EXIT_ERROR;
}

/* --- options --------------------------------------------------------- */

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("git-try: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* --name value or --name=value; `*i` moves past what was used. */
static int take_value(const char **out, int argc, char **argv, int *i,
		      const char *name)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=') {
		*out = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	int i = 1, r;
	const char *value;

	if (argc > 1 && (!strcmp(argv[1], "list") ||
			 !strcmp(argv[1], "show") ||
			 !strcmp(argv[1], "again"))) {
		o->sub = argv[1];
		i = 2;
	}
	o->builders = try_xcalloc((size_t)argc, sizeof(*o->builders));
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--") && !o->sub) {
			i++;
			break;
		}
		if (o->sub && (a[0] != '-' || !a[1])) {
			if (!strcmp(o->sub, "list") || o->which)
				return usage_error("unexpected '%s'", a);
			o->which = a;
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			/* a pathspec; the rest are too */
			break;
		}
		if (o->sub && !strcmp(o->sub, "list") &&
		    (r = take_value(&value, argc, argv, &i, "-n"))) {
			char *end;
			if (r < 0)
				return usage_error("option '-n' needs a value");
			o->max = strtol(value, &end, 10);
			if (end == value || *end || o->max < 1)
				return usage_error("-n: '%s' is not a count",
						   value);
			continue;
		}
		if (o->sub && !strcmp(o->sub, "again") &&
		    !strcmp(a, "--failed")) {
			o->failed_only = 1;
			continue;
		}
		if (!strcmp(a, "--log")) {
			o->full_log = 1;
			continue;
		}
		if (!strcmp(a, "--list-builders") && !o->sub) {
			o->list_builders = 1;
			continue;
		}
		if ((r = take_value(&o->preset, argc, argv, &i, "--preset"))) {
			if (r < 0)
				return usage_error("option '%s' needs a value",
						   a);
			continue;
		}
		if ((r = take_value(&value, argc, argv, &i, "--builder")) ||
		    (r = take_value(&value, argc, argv, &i, "-b"))) {
			if (r < 0)
				return usage_error("option '%s' needs a value",
						   a);
			if (!*value)
				return usage_error("%s", "a builder name "
						   "cannot be empty");
			o->builders[o->nbuilders++] = value;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return -2;
		} else if (!strcmp(a, "--staged") || !strcmp(a, "--cached")) {
			o->patch_flags |= TRY_PATCH_STAGED;
		} else if (!strcmp(a, "--untracked") || !strcmp(a, "-u")) {
			o->patch_flags |= TRY_PATCH_UNTRACKED;
		} else if (!strcmp(a, "--allow-empty")) {
			o->allow_empty = 1;
		} else if (!strcmp(a, "--no-wait")) {
			o->no_wait = 1;
		} else if (!strcmp(a, "--wait")) {
			o->no_wait = 0;
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			o->dry_run = 1;
		} else if (!strcmp(a, "--json")) {
			o->json = 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->verbose = 1;
		} else if ((r = take_value(&o->base, argc, argv, &i,
					   "--base")) ||
			   (r = take_value(&o->backend, argc, argv, &i,
					   "--backend")) ||
			   (r = take_value(&o->command, argc, argv, &i,
					   "--command")) ||
			   (r = take_value(&o->reason, argc, argv, &i,
					   "--reason")) ||
			   (r = take_value(&o->reason, argc, argv, &i, "-m"))) {
			if (r < 0)
				return usage_error("option '%s' needs a value",
						   a);
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	o->paths = (const char **)argv + i;
	o->npaths = (size_t)(argc - i);
	if (o->sub && (o->patch_flags || o->base || o->npaths))
		return usage_error("'%s' takes no pathspec, --staged, "
				   "--untracked or --base: they are the "
				   "recorded try's", o->sub);
	if ((o->patch_flags & TRY_PATCH_STAGED) &&
	    (o->patch_flags & TRY_PATCH_UNTRACKED))
		return usage_error("%s", "--staged and --untracked do not mix: "
				   "untracked files are not in the index");
	if (o->reason && strchr(o->reason, '\n'))
		return usage_error("%s", "the reason must be one line");
	return 0;
}

/* --- the try --------------------------------------------------------- */

static char *make_id(void)
{
	unsigned char rnd[6];
	struct try_buf b = TRY_BUF_INIT;
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		unsigned long x = (unsigned long)time(NULL) ^
				  ((unsigned long)getpid() << 16);
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(x >> (i * 5));
	}
	/* milliseconds: ids sort as the tries were made (git try list) */
	try_buf_addf(&b, "try-%lld-", (long long)try_now_ms());
	for (i = 0; i < sizeof(rnd); i++)
		try_buf_addf(&b, "%02x", rnd[i]);
	return try_buf_detach(&b);
}

static char *make_author(git_repository *repo)
{
	git_signature *sig = NULL;
	struct try_buf b = TRY_BUF_INIT;

	if (git_signature_default(&sig, repo) == 0) {
		try_buf_addf(&b, "%s <%s>", sig->name, sig->email);
		git_signature_free(sig);
	} else {
		const char *user = getenv("USER");
		git_error_clear();
		try_buf_addf(&b, "%s <%s@localhost>", user ? user : "unknown",
			     user ? user : "unknown");
	}
	return try_buf_detach(&b);
}

static char *make_reason(git_repository *repo, const char *id)
{
	struct try_buf b = TRY_BUF_INIT;
	git_commit *head = NULL;
	git_oid oid;

	try_buf_addf(&b, "git try %s", id);
	if (git_reference_name_to_id(&oid, repo, "HEAD") == 0 &&
	    git_commit_lookup(&head, repo, &oid) == 0) {
		const char *s = git_commit_summary(head);
		if (s && *s) {
			try_buf_adds(&b, " on ");
			try_report_add_utf8(&b, s, strlen(s));
		}
		git_commit_free(head);
	}
	git_error_clear();
	return try_buf_detach(&b);
}

static void describe(FILE *f, const struct try *t, const struct options *o)
{
	struct try_buf b = TRY_BUF_INIT;
	size_t i;

	try_buf_addf(&b, "backend:  %s\n", t->backend ? t->backend->name
						       : "local");
	if (!t->backend) {
		try_buf_addf(&b, "command:  %s (in a temporary worktree at "
			     "the base)\n", t->ci.command);
	} else {
		/* never a password written in try.url */
		char *url = t->ci.url ? try_http_url_display(t->ci.url) : NULL;
		try_buf_adds(&b, "url:      ");
		add_safe(&b, url ? url : "(try.url not set)", 500);
		try_buf_addch(&b, '\n');
		free(url);
		if (!strcmp(t->backend->name, "buildbot")) {
			try_buf_addf(&b, "send:     POST api/v2/"
				     "forceschedulers/%s (force: patch_body, "
				     "patch_level 1, revision, branch, reason, "
				     "owner)\n", t->ci.scheduler);
			try_buf_adds(&b, "builders: ");
			if (!t->ci.builders.nr)
				try_buf_adds(&b, "all of the scheduler's");
			for (i = 0; i < t->ci.builders.nr; i++)
				try_buf_addf(&b, "%s%s", i ? ", " : "",
					     t->ci.builders.items[i]);
			try_buf_addch(&b, '\n');
		} else if (t->ci.job) {
			try_buf_addf(&b, "job:      %s\n", t->ci.job);
		}
	}
	try_buf_addf(&b, "base:     %s (%s)\n", t->base_hex, t->base_label);
	try_buf_addf(&b, "branch:   %s\n", t->cfg.trunk_branch);
	try_buf_addf(&b, "id:       %s\n", t->id);
	try_buf_addf(&b, "reason:   %s\n", t->reason);
	try_buf_addf(&b, "owner:    %s\n", t->author);
	try_buf_addf(&b, "patch:    %zu file%s, %zu bytes%s\n",
		     try_patch_count_files(t->patch.ptr, t->patch.len),
		     try_patch_count_files(t->patch.ptr, t->patch.len) == 1 ?
		     "" : "s", t->patch.len,
		     o->patch_flags & TRY_PATCH_STAGED ? " (index only)" :
		     o->patch_flags & TRY_PATCH_UNTRACKED ?
		     " (with untracked files)" : "");
	put(f, &b);
	try_buf_release(&b);
}

static int dry_run(const struct try *t, const struct options *o)
{
	if (o->json) {
		char *url = t->backend && t->ci.url ?
			try_http_url_display(t->ci.url) : NULL;
		json_t *j = json_pack("{s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
				      "dry_run", 1,
				      "backend", jtext(t->backend_name),
				      "url", jtext(url),
				      "base", jtext(t->base_hex),
				      "branch", jtext(t->cfg.trunk_branch),
				      "id", jtext(t->id),
				      "reason", jtext(t->reason),
				      "owner", jtext(t->author));
		char *dump;

		json_object_set_new(j, "patch", json_stringn(t->patch.ptr,
							     t->patch.len));
		dump = json_dumps(j, JSON_COMPACT);
		if (dump)
			printf("%s\n", dump);
		free(dump);
		free(url);
		json_decref(j);
		return EXIT_PASSED;
	}
	fputs("git-try: dry run, nothing is sent\n", stderr);
	describe(stderr, t, o);
	fwrite(t->patch.ptr, 1, t->patch.len, stdout);
	fflush(stdout);
	return EXIT_PASSED;
}

/*
 * Records the try in <gitdir>/try/ with what is known of `res`; a record
 * that cannot be written is a warning, never the try's failure.
 */
static void record(const struct try *t, const struct try_ci_result *res,
		   int final, int with_patch)
{
	struct try_tryhist_record r;
	char hex[GIT_OID_HEXSZ + 1];

	if (!t->hist_dir || !t->id)
		return;
	memset(&r, 0, sizeof(r));
	if (try_tryhist_patch_id(hex, t->patch.ptr, t->patch.len) < 0)
		goto fail;
	r.id = try_xstrdup(t->id);
	r.time = t->sent_at;
	r.end = final ? (long long)time(NULL) : 0;
	r.base = try_xstrdup(t->base_hex);
	r.branch = try_xstrdup(t->cfg.trunk_branch);
	r.backend = try_xstrdup(t->backend_name);
	r.patch_id = try_xstrdup(hex);
	r.patch_bytes = t->patch.len;
	r.files = try_patch_count_files(t->patch.ptr, t->patch.len);
	r.reason = t->reason ? try_xstrdup(t->reason) : NULL;
	r.command = t->backend ? NULL : try_xstrdup(t->ci.command);
	r.again_of = t->again_of ? try_xstrdup(t->again_of) : NULL;
	if (res)
		try_ci_result_copy(&r.res, res);
	if (try_tryhist_save(t->hist_dir, &r, with_patch ? t->patch.ptr : NULL,
			     t->patch.len, (size_t)t->ci.history) < 0)
		goto fail;
	try_tryhist_record_release(&r);
	return;
fail:
	fprintf(stderr, "git-try: warning: cannot record the try: %s\n",
		try_error_last());
	try_tryhist_record_release(&r);
}

static void on_local_start(const char *dir, void *payload)
{
	const struct try *t = payload;
	struct try_buf b = TRY_BUF_INIT;

	try_buf_addf(&b, "git-try: running '%s' in %s (base %.12s)\n",
		     t->ci.command, dir, t->base_hex);
	put(stderr, &b);
	try_buf_release(&b);
}

static int run_local(struct try *t, const struct options *o)
{
	struct try_ci_local_options lo = TRY_CI_LOCAL_OPTIONS_INIT;
	struct try_ci_result res = TRY_CI_RESULT_INIT;
	enum try_ci_state state;
	int code;

	lo.command = t->ci.command;
	lo.flags = o->json ? TRY_CI_LOCAL_STDOUT_TO_STDERR : 0;
	lo.on_start = on_local_start;
	lo.payload = t;
	catch_signals(PHASE_LOCAL);
	if (try_ci_local_run(&res, t->repo, &t->req, &lo) < 0) {
		phase = PHASE_OTHER;
		code = fail(o, t, &res, "local");
		try_ci_result_release(&res);
		return code;
	}
	phase = PHASE_OTHER;
	record(t, &res, 1, 1);
	state = try_ci_result_state(&res);
	if (interrupts && state == TRY_CI_ERROR) {
		fputs("git-try: interrupted; the temporary worktree is "
		      "removed\n", stderr);
		if (o->json)
			print_json(t, &res, "interrupted", EXIT_INTERRUPTED,
				   NULL);
		try_ci_result_release(&res);
		return EXIT_INTERRUPTED;
	}
	code = exit_code_of(state);
	if (o->json)
		print_json(t, &res, result_word(state), code, NULL);
	else
		print_final(&res);
	try_ci_result_release(&res);
	return code;
}

/* The URLs to look at, one per line, for messages after we stop. */
static void add_urls(struct try_buf *b, const struct try_ci_result *res)
{
	size_t i;

	for (i = 0; i < res->nr; i++) {
		if (!res->jobs[i].url)
			continue;
		try_buf_adds(b, "  ");
		add_safe(b, res->jobs[i].name, 80);
		try_buf_adds(b, ": ");
		add_safe(b, res->jobs[i].url, 1000);
		try_buf_addch(b, '\n');
	}
}

/* Precomputes what the handler writes on a second Ctrl-C. */
static void set_stop_message(const struct try_ci_result *res, int tty)
{
	struct try_buf b = TRY_BUF_INIT;

	if (tty)
		try_buf_adds(&b, "\r\033[K");
	try_buf_adds(&b, "git-try: stopped waiting; the build keeps "
		     "running:\n");
	add_urls(&b, res);
	stop_len = b.len < sizeof(stop_message) ? b.len : sizeof(stop_message);
	memcpy(stop_message, b.ptr, stop_len);
	try_buf_release(&b);
}

struct shown {
	enum try_ci_state *states;
	char **urls;
	size_t nr;
};

/* A backend may report more jobs while it runs than at the submission. */
static void shown_grow(struct shown *sh, size_t nr)
{
	size_t i;

	if (nr <= sh->nr)
		return;
	sh->states = try_xrealloc(sh->states, nr * sizeof(*sh->states));
	sh->urls = try_xrealloc(sh->urls, nr * sizeof(*sh->urls));
	for (i = sh->nr; i < nr; i++) {
		sh->states[i] = (enum try_ci_state)-1;
		sh->urls[i] = NULL;
	}
	sh->nr = nr;
}

/* Plain progress lines: one per job whose state or URL changed. */
static void show_changes(struct shown *sh, const struct try_ci_result *res)
{
	struct try_buf b = TRY_BUF_INIT;
	size_t i;

	shown_grow(sh, res->nr);
	for (i = 0; i < res->nr; i++) {
		const struct try_ci_job *j = &res->jobs[i];
		int url_changed = (j->url != NULL) != (sh->urls[i] != NULL) ||
			(j->url && strcmp(j->url, sh->urls[i]));

		if (j->state == sh->states[i] && !url_changed)
			continue;
		sh->states[i] = j->state;
		try_ci_set(&sh->urls[i], j->url);
		if (try_ci_state_final(j->state))
			continue; /* the final lines say it */
		try_buf_adds(&b, "git-try: ");
		add_job_line(&b, j, 0);
	}
	put(stderr, &b);
	try_buf_release(&b);
}

/* The status line on a terminal: elapsed time and each job's state. */
static void show_status(const struct try_ci_result *res, int64_t start,
			int colour)
{
	struct try_buf b = TRY_BUF_INIT;
	int64_t s = (try_now_ms() - start) / 1000;
	size_t i;

	try_buf_addf(&b, "\r\033[Kgit-try: %lld:%02lld ", (long long)(s / 60),
		     (long long)(s % 60));
	for (i = 0; i < res->nr; i++) {
		if (i)
			try_buf_adds(&b, ", ");
		add_safe(&b, res->jobs[i].name, 40);
		try_buf_adds(&b, " ");
		add_state(&b, res->jobs[i].state, colour);
	}
	put(stderr, &b);
	try_buf_release(&b);
}

/* libcurl is set up only for a CI backend: its TLS start-up costs a few
 * milliseconds that a local try or a dry run does not need. */
static int curl_ready;

static int run_remote(struct try *t, const struct options *o)
{
	struct try_ci_result res = TRY_CI_RESULT_INIT;
	struct shown sh = { NULL, NULL, 0 };
	void *state = NULL;
	int tty = isatty(2), colour = use_colour(2);
	int64_t start;
	int code = EXIT_ERROR;
	size_t i;

	t->ci.verbose = o->verbose;
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	start = try_now_ms();
	if (t->backend->submit(&state, &t->ci, &t->req, &res) < 0) {
		code = fail(o, t, &res, "cannot submit");
		goto done;
	}
	record(t, &res, 0, 1);
	if (o->no_wait) {
		struct try_buf b = TRY_BUF_INIT;
		if (o->json) {
			print_json(t, &res, "submitted", EXIT_PASSED, NULL);
		} else {
			try_buf_adds(&b, "git-try: submitted; follow it at:\n");
			put(stderr, &b);
			try_buf_reset(&b);
			for (i = 0; i < res.nr; i++) {
				add_safe(&b, res.jobs[i].name, 80);
				try_buf_adds(&b, ": ");
				add_safe(&b, res.jobs[i].url ? res.jobs[i].url
					 : "(no URL)", 1000);
				try_buf_addch(&b, '\n');
			}
			put(stdout, &b);
		}
		try_buf_release(&b);
		code = EXIT_PASSED;
		goto done;
	}

	shown_grow(&sh, res.nr);
	set_stop_message(&res, tty);
	catch_signals(PHASE_WAIT);
	for (;;) {
		enum try_ci_state s;
		int64_t elapsed;
		long interval;

		if (!interrupts && t->backend->poll(state, &res) < 0) {
			struct try_buf b = TRY_BUF_INIT;
			if (tty)
				fputs("\r\033[K", stderr);
			try_buf_addf(&b, "lost contact: %s", try_error_last());
			try_error_set("%s", b.ptr);
			code = fail(o, t, &res, NULL);
			try_buf_reset(&b);
			try_buf_adds(&b, "git-try: the build may still be "
				     "running:\n");
			add_urls(&b, &res);
			put(stderr, &b);
			try_buf_release(&b);
			goto done;
		}
		set_stop_message(&res, tty);
		if (tty)
			show_status(&res, start, colour);
		else
			show_changes(&sh, &res);
		s = try_ci_result_state(&res);
		if (try_ci_state_final(s)) {
			if (tty)
				fputs("\r\033[K", stderr);
			code = exit_code_of(s);
			if (o->json)
				print_json(t, &res, result_word(s), code, NULL);
			else
				print_final(&res);
			goto done;
		}
		if (interrupts) {
			ssize_t ignored = write(2, stop_message, stop_len);
			(void)ignored;
			if (o->json)
				print_json(t, &res, "interrupted",
					   EXIT_INTERRUPTED, NULL);
			code = EXIT_INTERRUPTED;
			goto done;
		}
		/* Poll often at first, then less: the wait adds about a
		 * fortieth of the build's time on average, and a poll comes
		 * at least every try.pollInterval. */
		elapsed = try_now_ms() - start;
		interval = (long)(elapsed / 20);
		if (interval < 100)
			interval = 100;
		if (interval > t->ci.poll_ms)
			interval = t->ci.poll_ms;
		sleep_ms(interval);
	}
done:
	phase = PHASE_OTHER;
	if (res.nr && !o->no_wait)
		record(t, &res, try_ci_state_final(try_ci_result_state(&res)),
		       0);
	if (state)
		t->backend->free_state(state);
	for (i = 0; i < sh.nr; i++)
		free(sh.urls[i]);
	free(sh.urls);
	free(sh.states);
	try_ci_result_release(&res);
	return code;
}

/* Opens the repository and reads the settings: every subcommand's start. */
static int open_repo(struct try *t, const struct options *o)
{
	if (try_repo_open(&t->repo, NULL, 0) < 0)
		return fail(o, t, NULL, NULL);
	if (try_config_load(&t->cfg, t->repo) < 0 ||
	    try_ci_settings_load(&t->ci, t->repo) < 0)
		return fail(o, t, NULL, "bad configuration");
	if (try_tryhist_dir(&t->hist_dir, t->repo) < 0)
		return fail(o, t, NULL, NULL);
	return 0;
}

/*
 * Picks the backend (`backend`: the option, the record's or try.backend)
 * and applies the options that choose what runs; refuses what a backend
 * would silently ignore.
 */
static int choose_backend(struct try *t, const struct options *o,
			  const char *backend)
{
	size_t i;

	if (o->command)
		try_ci_set(&t->ci.command, o->command);
	if (o->full_log)
		t->ci.log_lines = 0;
	if (o->nbuilders) {
		try_strlist_release(&t->ci.builders);
		for (i = 0; i < o->nbuilders; i++)
			try_strlist_add(&t->ci.builders, o->builders[i]);
	}
	if (strcmp(backend, "local")) {
		t->backend = try_ci_backend_find(backend);
		if (!t->backend)
			return usage_error("unknown backend '%s' (local, "
					   "buildbot, jenkins, webhook)",
					   backend);
		t->backend_name = t->backend->name; /* `backend` may go */
		if (o->command && t->backend->own_command)
			return usage_error("--command is the local backend's: "
					   "%s runs its own test command (the "
					   "builders' steps)", backend);
		if (o->nbuilders && t->backend != &try_ci_buildbot)
			return usage_error("-b/--builder is for the buildbot "
					   "backend; %s runs try.job",
					   backend);
	} else if (o->no_wait) {
		return usage_error("%s", "--no-wait needs a CI backend: the "
				   "local backend has nothing to follow");
	} else if (o->nbuilders) {
		return usage_error("%s", "-b/--builder needs a CI backend: "
				   "the local backend runs try.command");
	} else {
		t->backend_name = "local";
	}
	return 0;
}

static int send_try(struct try *t, const struct options *o);

/* Removes what a killed try left behind; silent unless it removed some. */
static void prune_dead(struct try *t)
{
	struct try_strlist removed = { NULL, 0, 0 };
	struct try_buf b = TRY_BUF_INIT;
	size_t i;

	try_ci_local_prune(&removed, t->repo, NULL);
	for (i = 0; i < removed.nr; i++) {
		try_buf_adds(&b, "git-try: removed the worktree of a try that "
			     "was killed: ");
		add_safe(&b, removed.items[i], 1000);
		try_buf_addch(&b, '\n');
	}
	put(stderr, &b);
	try_buf_release(&b);
	try_strlist_release(&removed);
}

static int list_builders(struct try *t, const struct options *o)
{
	struct try_strlist names = { NULL, 0, 0 };
	struct try_buf b = TRY_BUF_INIT;
	size_t i;

	if (!t->backend || !t->backend->list_builders) {
		try_error_set("the %s backend cannot list builders%s",
			      t->backend_name, t->backend ? "" :
			      ": it runs try.command");
		return fail(o, NULL, NULL, NULL);
	}
	t->ci.verbose = o->verbose;
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	if (t->backend->list_builders(&names, &t->ci) < 0)
		return fail(o, NULL, NULL, "cannot list builders");
	for (i = 0; i < names.nr; i++) {
		add_safe(&b, names.items[i], 200);
		try_buf_addch(&b, '\n');
	}
	put(stdout, &b);
	try_buf_release(&b);
	try_strlist_release(&names);
	return 0;
}

static int run(struct try *t, const struct options *o)
{
	struct try_patch_options po = TRY_PATCH_OPTIONS_INIT;
	int code;

	if ((code = open_repo(t, o)))
		return code;
	if (git_repository_is_bare(t->repo)) {
		try_error_set("a try needs a working tree; this repository "
			      "is bare");
		return fail(o, t, NULL, NULL);
	}
	prune_dead(t);
	if (o->preset) {
		struct try_ci_preset p;
		struct options opts = *o;
		const char **names = NULL;
		size_t i;

		if (try_ci_preset_load(&p, t->repo, o->preset) < 0) {
			try_ci_preset_release(&p);
			return fail(o, t, NULL, NULL);
		}
		if (!o->backend && p.backend)
			opts.backend = p.backend;
		if (!o->command && p.command) {
			const struct try_ci_backend *ci = try_ci_backend_find(
				opts.backend ? opts.backend : t->ci.backend);

			/* the preset's own mistake, in its own words */
			if (ci && ci->own_command) {
				try_error_set("try.preset.%s.command is the "
					      "local backend's: %s runs its "
					      "own test command (the "
					      "builders' steps)", o->preset,
					      ci->name);
				try_ci_preset_release(&p);
				return fail(o, t, NULL, NULL);
			}
			opts.command = p.command;
		}
		if (!o->nbuilders && p.builders.nr) {
			names = try_xcalloc(p.builders.nr, sizeof(*names));
			for (i = 0; i < p.builders.nr; i++)
				names[i] = p.builders.items[i];
			opts.builders = names;
			opts.nbuilders = p.builders.nr;
		}
		code = choose_backend(t, &opts, opts.backend ? opts.backend
							     : t->ci.backend);
		free(names);
		try_ci_preset_release(&p);
	} else {
		code = choose_backend(t, o, o->backend ? o->backend
						       : t->ci.backend);
	}
	if (code)
		return code;
	if (o->list_builders)
		return list_builders(t, o);

	if (try_patch_base(&t->base, t->repo, &t->cfg, o->base) < 0)
		return fail(o, t, NULL, NULL);
	git_oid_tostr(t->base_hex, sizeof(t->base_hex), &t->base);
	{
		struct try_buf l = TRY_BUF_INIT;
		if (o->base)
			try_buf_adds(&l, o->base);
		else
			try_buf_addf(&l, "merge-base of HEAD and %s/%s",
				     t->cfg.remote, t->cfg.trunk_branch);
		t->base_label = try_buf_detach(&l);
	}
	/* a CI server checks the base out of its repository */
	if (t->backend &&
	    try_patch_base_on_remote(t->repo, &t->base, t->cfg.remote,
				     t->cfg.trunk_branch) < 0)
		return fail(o, t, NULL, NULL);

	po.flags = o->patch_flags;
	po.paths = o->paths;
	po.npaths = o->npaths;
	if (try_patch_create(&t->patch, t->repo, &t->base, &po) < 0 &&
	    !interrupts)
		return fail(o, t, NULL, "cannot make the patch");
	/* Ctrl-C while git made the patch: its temporary files are gone */
	if (interrupts) {
		fputs("git-try: interrupted; nothing was sent\n", stderr);
		if (o->json)
			print_json(t, NULL, "interrupted", EXIT_INTERRUPTED, NULL);
		return EXIT_INTERRUPTED;
	}
	if (!t->patch.len && !o->allow_empty) {
		try_error_set("nothing to try: no changes against %.12s%s "
			      "(--allow-empty tries the base as it is)",
			      t->base_hex, o->patch_flags & TRY_PATCH_UNTRACKED
			      ? "" : "; new files need --untracked or "
			      "'git add'");
		return fail(o, t, NULL, NULL);
	}
	return send_try(t, o);
}

/* Sends the try `t` holds (base, patch, backend) and follows it. */
static int send_try(struct try *t, const struct options *o)
{
	t->id = make_id();
	t->sent_at = (int64_t)time(NULL);
	t->author = make_author(t->repo);
	t->reason = o->reason ? try_xstrdup(o->reason)
			      : make_reason(t->repo, t->id);
	t->req.id = t->id;
	t->req.base = t->base_hex;
	t->req.branch = t->cfg.trunk_branch;
	t->req.patch = t->patch.ptr;
	t->req.patch_len = t->patch.len;
	t->req.author = t->author;
	t->req.reason = t->reason;

	if (o->dry_run)
		return dry_run(t, o);
	if (!o->json) {
		struct try_buf b = TRY_BUF_INIT;
		size_t n = try_patch_count_files(t->patch.ptr, t->patch.len);
		try_buf_addf(&b, "git-try: %zu file%s against %.12s (%s)", n,
			     n == 1 ? "" : "s", t->base_hex, t->base_label);
		if (t->backend)
			try_buf_addf(&b, " to %s", t->backend->name);
		try_buf_addch(&b, '\n');
		put(stderr, &b);
		try_buf_release(&b);
	}
	return t->backend ? run_remote(t, o) : run_local(t, o);
}

/* --- past tries ------------------------------------------------------ */

static void print_warnings(const struct try_tryhist_list *l)
{
	size_t i;

	for (i = 0; i < l->warnings.nr; i++)
		fprintf(stderr, "git-try: warning: %s\n", l->warnings.items[i]);
}

static void add_time(struct try_buf *b, long long when)
{
	time_t tt = (time_t)when;
	struct tm tm;
	char text[32];

	if (localtime_r(&tt, &tm) &&
	    strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &tm))
		try_buf_adds(b, text);
	else
		try_buf_adds(b, "?");
}

static int cmd_list(struct try *t, const struct options *o)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	struct try_buf b = TRY_BUF_INIT;
	size_t i;
	int code;

	if ((code = open_repo(t, o)))
		return code;
	if (try_tryhist_load(&l, t->hist_dir, (size_t)o->max) < 0)
		return fail(o, t, NULL, NULL);
	print_warnings(&l);
	if (o->json)
		try_buf_addch(&b, '[');
	for (i = 0; i < l.nr; i++) {
		const struct try_tryhist_record *r = &l.items[i];

		if (o->json) {
			if (i)
				try_buf_addch(&b, ',');
			try_tryhist_format(&b, r);
			continue;
		}
		try_buf_addf(&b, "%2zu  %s  ", i + 1, r->id);
		add_time(&b, r->time);
		try_buf_addf(&b, "  %.7s  ", r->base);
		add_safe(&b, r->backend, 20);
		try_buf_addf(&b, "  %s", try_ci_state_word(
			     try_tryhist_state(r)));
		if (r->again_of)
			try_buf_adds(&b, "  (again)");
		if (r->reason) {
			try_buf_adds(&b, "  ");
			add_safe(&b, r->reason, 72);
		}
		try_buf_addch(&b, '\n');
	}
	if (o->json)
		try_buf_adds(&b, "]\n");
	put(stdout, &b);
	try_buf_release(&b);
	try_tryhist_list_release(&l);
	return 0;
}

/* Asks the CI once about a try that had no verdict when recorded. */
static int refresh(struct try *t, struct try_tryhist_record *r)
{
	const struct try_ci_backend *be = try_ci_backend_find(r->backend);
	void *state = NULL;
	int ret = 0;

	if (try_ci_state_final(try_tryhist_state(r)) || !be || !be->resume)
		return 0;
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	if (be->resume(&state, &t->ci, &r->res) < 0 ||
	    be->poll(state, &r->res) < 0)
		ret = -1;
	if (state)
		be->free_state(state);
	if (ret == 0) {
		if (try_ci_state_final(try_tryhist_state(r)))
			r->end = (long long)time(NULL);
		if (try_tryhist_save(t->hist_dir, r, NULL, 0, 0) < 0)
			fprintf(stderr, "git-try: warning: %s\n",
				try_error_last());
	}
	return ret;
}

static int cmd_show(struct try *t, const struct options *o)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	struct try_tryhist_record *r;
	struct try_buf b = TRY_BUF_INIT;
	size_t at;
	int code;

	if ((code = open_repo(t, o)))
		return code;
	if (o->full_log)
		t->ci.log_lines = 0;
	if (try_tryhist_load(&l, t->hist_dir, 0) < 0)
		return fail(o, t, NULL, NULL);
	print_warnings(&l);
	if (try_tryhist_find(&at, &l, o->which) < 0) {
		code = fail(o, NULL, NULL, NULL);
		goto done;
	}
	r = &l.items[at];
	if (refresh(t, r) < 0)
		fprintf(stderr, "git-try: warning: cannot refresh %s from "
			"the CI: %s\n", r->id, try_error_last());
	if (o->json) {
		try_tryhist_format(&b, r);
		try_buf_addch(&b, '\n');
	} else {
		try_buf_addf(&b, "try %s\n", r->id);
		try_buf_adds(&b, "sent:     ");
		add_time(&b, r->time);
		try_buf_addf(&b, "\nbase:     %s\nbackend:  ", r->base);
		add_safe(&b, r->backend, 20);
		try_buf_addf(&b, "\npatch:    %zu file%s, %zu bytes (%s)\n",
			     r->files, r->files == 1 ? "" : "s",
			     r->patch_bytes, r->patch_id);
		if (r->again_of)
			try_buf_addf(&b, "again of: %s\n", r->again_of);
		if (r->reason) {
			try_buf_adds(&b, "reason:   ");
			add_safe(&b, r->reason, 300);
			try_buf_addch(&b, '\n');
		}
		try_buf_addf(&b, "result:   %s\n",
			     try_ci_state_word(try_tryhist_state(r)));
	}
	put(stdout, &b);
	if (!o->json)
		print_final(&r->res);
	code = try_ci_state_final(try_tryhist_state(r)) ?
	       exit_code_of(try_tryhist_state(r)) : EXIT_PASSED;
done:
	try_buf_release(&b);
	try_tryhist_list_release(&l);
	return code;
}

static int cmd_again(struct try *t, const struct options *o)
{
	struct try_tryhist_list l = TRY_TRYHIST_LIST_INIT;
	struct try_tryhist_record *r;
	struct options opts = *o;
	const char **failed = NULL;
	git_commit *base = NULL;
	size_t at, i;
	int code;

	if ((code = open_repo(t, o)))
		return code;
	if (try_tryhist_load(&l, t->hist_dir, 0) < 0)
		return fail(o, t, NULL, NULL);
	print_warnings(&l);
	if (try_tryhist_find(&at, &l, o->which) < 0) {
		code = fail(o, NULL, NULL, NULL);
		goto done;
	}
	r = &l.items[at];
	/* the record's jobs: all of them, or those that did not pass */
	failed = try_xcalloc(r->res.nr + 1, sizeof(*failed));
	if (!o->nbuilders && strcmp(r->backend, "local")) {
		opts.nbuilders = 0;
		for (i = 0; i < r->res.nr; i++)
			if (!o->failed_only ||
			    r->res.jobs[i].state != TRY_CI_PASSED)
				failed[opts.nbuilders++] = r->res.jobs[i].name;
		opts.builders = failed;
		if (o->failed_only && !opts.nbuilders) {
			try_error_set("nothing failed in %s", r->id);
			code = fail(o, NULL, NULL, NULL);
			goto done;
		}
		if (strcmp(o->backend ? o->backend : r->backend, "buildbot"))
			opts.nbuilders = 0; /* one job: the job */
	}
	if (!o->command && r->command &&
	    (!o->backend || !strcmp(o->backend, "local")))
		opts.command = r->command;
	if ((code = choose_backend(t, &opts, o->backend ? o->backend
							 : r->backend)))
		goto done;
	if (git_oid_fromstr(&t->base, r->base) < 0 ||
	    git_commit_lookup(&base, t->repo, &t->base) < 0) {
		try_error_set("the base %.12s of %s is gone from this "
			      "repository: fetch it, or make a new try",
			      r->base, r->id);
		code = fail(o, NULL, NULL, NULL);
		goto done;
	}
	git_oid_tostr(t->base_hex, sizeof(t->base_hex), &t->base);
	t->base_label = try_xstrdup(r->id);
	if (t->backend &&
	    try_patch_base_on_remote(t->repo, &t->base, t->cfg.remote,
				     t->cfg.trunk_branch) < 0) {
		code = fail(o, NULL, NULL, NULL);
		goto done;
	}
	if (try_tryhist_read_patch(&t->patch, t->hist_dir, r) < 0) {
		code = fail(o, NULL, NULL, NULL);
		goto done;
	}
	t->again_of = try_xstrdup(r->id);
	if (!o->reason && r->reason)
		opts.reason = r->reason;
	code = send_try(t, &opts);
done:
	git_commit_free(base);
	free(failed);
	try_tryhist_list_release(&l);
	return code;
}

int main(int argc, char **argv)
{
	struct options o;
	struct try t;
	int code;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("git-try %s\n", TRY_VERSION);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	code = parse_options(&o, argc, argv);
	if (code) {
		free(o.builders);
		return code == -2 ? 0 : code;
	}
	/* a closed pipe on stdout must not kill us before cleaning up */
	signal(SIGPIPE, SIG_IGN);

	/* count Ctrl-C from the start, so temporary files are removed */
	catch_signals(PHASE_OTHER);
	git_libgit2_init();
	try_buf_init(&t.patch);
	if (!o.sub)
		code = run(&t, &o);
	else if (!strcmp(o.sub, "list"))
		code = cmd_list(&t, &o);
	else if (!strcmp(o.sub, "show"))
		code = cmd_show(&t, &o);
	else
		code = cmd_again(&t, &o);

	try_buf_release(&t.patch);
	free(t.id);
	free(t.author);
	free(t.reason);
	free(t.base_label);
	free(t.hist_dir);
	free(t.again_of);
	free(o.builders);
	try_ci_settings_release(&t.ci);
	try_config_release(&t.cfg);
	git_repository_free(t.repo);
	if (curl_ready)
		curl_global_cleanup();
	git_libgit2_shutdown();
	return code;
}

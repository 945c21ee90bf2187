#include "libtry/events.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/fs.h"
#include "libtry/http.h"
#include "libtry/identity.h"
#include "libtry/journal.h"
#include "libtry/repo.h"
#include "libtry/walk.h"
#include "libtry/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void try_events_pusher(char **out)
{
	try_identity_pusher(out, NULL);
}

int try_events_push_option(const char *name)
{
	const char *count = env("GIT_PUSH_OPTION_COUNT");
	size_t len = strlen(name);
	char key[40];
	long n, i;

	if (!count)
		return 0;
	n = strtol(count, NULL, 10);
	for (i = 0; i < n && i < 10000; i++) {
		const char *v;

		snprintf(key, sizeof(key), "GIT_PUSH_OPTION_%ld", i);
		v = getenv(key);
		if (v && !strncmp(v, name, len) && (!v[len] || v[len] == '='))
			return 1;
	}
	return 0;
}

void try_events_repository(char **out, git_repository *repo)
{
	struct try_buf b = TRY_BUF_INIT;
	char *real;

	if (env("GL_PROJECT_PATH")) {
		try_buf_adds(&b, env("GL_PROJECT_PATH"));
	} else if (env("GITEA_REPO_USER_NAME") && env("GITEA_REPO_NAME")) {
		try_buf_addf(&b, "%s/%s", env("GITEA_REPO_USER_NAME"),
			     env("GITEA_REPO_NAME"));
	} else if (env("GITHUB_REPO_NAME")) {
		try_buf_adds(&b, env("GITHUB_REPO_NAME"));
	} else {
		real = realpath(git_repository_path(repo), NULL);
		try_buf_adds(&b, real ? real : git_repository_path(repo));
		free(real);
		while (b.len > 1 && b.ptr[b.len - 1] == '/')
			try_buf_setlen(&b, b.len - 1);
	}
	*out = try_buf_detach(&b);
}

void try_event_release(struct try_event *ev)
{
	size_t i;

	for (i = 0; i < ev->nr; i++) {
		free(ev->commits[i].subject);
		free(ev->commits[i].author);
	}
	free(ev->commits);
	free(ev->repository);
	free(ev->ref);
	free(ev->pusher);
	memset(ev, 0, sizeof(*ev));
}

int try_event_stamp(struct try_event *ev)
{
	unsigned char r[16];
	struct timespec ts;
	struct tm tm;
	size_t got = 0, n;
	char date[24];

	while (got < sizeof(r)) {
		ssize_t k = getrandom(r + got, sizeof(r) - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			try_error_set("cannot get random bytes: %s",
				      strerror(errno));
			return -1;
		}
		got += (size_t)k;
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (n = 0, got = 0; got < sizeof(r); got++) {
		if (got == 4 || got == 6 || got == 8 || got == 10)
			ev->id[n++] = '-';
		snprintf(ev->id + n, 3, "%02x", r[got]);
		n += 2;
	}
	ev->id[n] = '\0';

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ev->time, sizeof(ev->time), "%.19s.%03uZ", date,
		 (unsigned)(ts.tv_nsec / 1000000) % 1000u);
	return 0;
}

static char *utf8(const char *s, size_t len)
{
	struct try_buf b = TRY_BUF_INIT;

	try_report_add_utf8(&b, s, len);
	return try_buf_detach(&b);
}

static int touched(const char *name, const struct try_update *all,
		   size_t nall)
{
	size_t i;

	for (i = 0; i < nall; i++)
		if (!strcmp(all[i].ref, name))
			return 1;
	return 0;
}

struct before {
	struct try_walk *walk;
	const struct try_update *all;
	size_t nall;
};

static int hide_untouched(const char *name, const git_oid *id, void *payload)
{
	struct before *b = payload;

	return touched(name, b->all, b->nall) ? 0 : try_walk_hide(b->walk, id);
}

/*
 * Hides what the repository held before the push: every ref this push did
 * not touch and the old values of those it did (skipping what does not
 * lead to a commit).
 */
static int hide_before(struct try_walk *walk, git_repository *repo,
		       const struct try_update *all, size_t nall)
{
	struct before b = { walk, all, nall };
	size_t i;

	for (i = 0; i < nall; i++) {
		git_object *obj = NULL;
		int ret = 0;

		if (try_oid_is_zero(&all[i].old))
			continue;
		if (git_object_lookup(&obj, repo, &all[i].old,
				      GIT_OBJECT_COMMIT) == 0)
			ret = try_walk_hide(walk, &all[i].old);
		git_error_clear(); /* not a commit: nothing to hide */
		git_object_free(obj);
		if (ret < 0)
			return -1;
	}
	return try_repo_foreach_ref_commit(repo, NULL, hide_untouched, &b);
}

int try_event_build(struct try_event *ev, git_repository *repo,
		    struct try_classifier *c, const struct try_update *u,
		    const struct try_update *all, size_t nall, size_t max)
{
	struct try_lane_tally tally = TRY_LANE_TALLY_INIT;
	struct try_walk *walk = NULL;
	const char *reason = "";
	size_t i, n;
	int ret = -1;

	free(ev->ref);
	ev->ref = try_xstrdup(u->ref);
	git_oid_cpy(&ev->old, &u->old);
	git_oid_cpy(&ev->new, &u->new);
	ev->count = 0;

	if (try_walk_new(&walk, repo, TRY_WALK_AUTHOR) < 0 ||
	    try_walk_push(walk, &u->new) < 0)
		goto done;
	if (try_oid_is_zero(&u->old)) {
		if (hide_before(walk, repo, all, nall) < 0)
			goto done;
	} else if (try_walk_hide(walk, &u->old) < 0) {
		goto done;
	}
	if (try_walk_run(walk) < 0)
		goto done;

	n = try_walk_count(walk);
	for (i = 0; i < n; i++) {
		const struct try_walk_commit *wc = try_walk_get(walk, i);
		struct try_commit_lane cl = TRY_COMMIT_LANE_INIT;
		int list = ev->nr < max;

		ev->count++;
		if (!list && try_lane_tally_lane(&tally, &reason) ==
			     TRY_LANE_CODE)
			continue; /* nothing can change the lane now */
		if (try_walk_classify(&cl, walk, c, i) < 0)
			goto done;
		try_lane_tally_add(&tally, &cl);
		if (list) {
			struct try_event_commit *ec;

			TRY_ARRAY_GROW(ev->commits, ev->nr + 1, ev->alloc);
			ec = &ev->commits[ev->nr++];
			git_oid_cpy(&ec->id, &wc->id);
			ec->lane = cl.lane;
			ec->subject = utf8(wc->subject, strlen(wc->subject));
			ec->author = utf8(wc->author, strlen(wc->author));
		}
		try_commit_lane_release(&cl);
	}
	ev->lane = try_lane_tally_lane(&tally, &reason);
	ev->reason = reason;
	ret = 0;
done:
	try_walk_free(walk);
	return ret;
}

static json_t *joid(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	return json_string(hex);
}

int try_event_to_json(struct try_buf *out, const struct try_event *ev)
{
	json_t *o = json_object(), *commits = json_array();
	char *text;
	size_t i;

	json_object_set_new(o, "id", json_string(ev->id));
	json_object_set_new(o, "time", json_string(ev->time));
	json_object_set_new(o, "repository", try_report_json_string(ev->repository));
	json_object_set_new(o, "ref", try_report_json_string(ev->ref));
	json_object_set_new(o, "old", joid(&ev->old));
	json_object_set_new(o, "new", joid(&ev->new));
	json_object_set_new(o, "pusher", try_report_json_string(ev->pusher));
	json_object_set_new(o, "lane", json_string(try_lane_key(ev->lane)));
	json_object_set_new(o, "reason", try_report_json_string(ev->reason));
	json_object_set_new(o, "fix", json_boolean(ev->fix));
	json_object_set_new(o, "count", json_integer((json_int_t)ev->count));
	for (i = 0; i < ev->nr; i++) {
		const struct try_event_commit *ec = &ev->commits[i];
		json_t *c = json_object();

		json_object_set_new(c, "id", joid(&ec->id));
		json_object_set_new(c, "lane", json_string(try_lane_key(ec->lane)));
		json_object_set_new(c, "subject", try_report_json_string(ec->subject));
		json_object_set_new(c, "author", try_report_json_string(ec->author));
		json_array_append_new(commits, c);
	}
	json_object_set_new(o, "commits", commits);
	if (ev->passed_lane) {
		json_t *h = json_object();

		json_object_set_new(h, "lane", json_string(ev->passed_lane));
		json_object_set_new(h, "id", joid(&ev->passed_hold));
		json_object_set_new(h, "held_by",
				    try_report_json_string(ev->passed_by));
		json_object_set_new(o, "hold", h);
	}
	json_object_set_new(o, "type", json_string("push"));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text) {
		try_error_set("cannot encode the event as JSON");
		return -1;
	}
	try_buf_adds(out, text);
	free(text);
	return 0;
}

int try_event_object(json_t **out, const char *type, git_repository *repo,
		     const char *pusher)
{
	struct try_event ev;
	char *repository = NULL;
	json_t *o;

	*out = NULL;
	memset(&ev, 0, sizeof(ev));
	if (try_event_stamp(&ev) < 0)
		return -1;
	try_events_repository(&repository, repo);
	o = json_object();
	json_object_set_new(o, "id", json_string(ev.id));
	json_object_set_new(o, "time", json_string(ev.time));
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "repository", try_report_json_string(repository));
	json_object_set_new(o, "pusher", try_report_json_string(pusher));
	free(repository);
	*out = o;
	return 0;
}

int try_event_object_dump(struct try_buf *out, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (!text) {
		try_error_set("cannot encode the event as JSON");
		return -1;
	}
	try_buf_adds(out, text);
	free(text);
	return 0;
}

static void record_failed(void (*failed)(const char *, void *), void *payload,
			  const char *what, const char *url)
{
	struct try_buf msg = TRY_BUF_INIT;

	if (!failed)
		return;
	try_buf_adds(&msg, what);
	if (url)
		try_buf_addf(&msg, " for webhook %s", url);
	try_buf_addf(&msg, ": %s", try_error_last());
	failed(msg.ptr, payload);
	try_buf_release(&msg);
}

int try_events_record(git_repository *repo, const struct try_config *cfg,
		      const struct try_buf *lines, size_t n,
		      void (*failed)(const char *msg, void *payload),
		      void *payload)
{
	struct try_journal journal = TRY_JOURNAL_INIT;
	char *path = NULL;
	size_t i, j;
	int ret = 0;

	if (!n)
		return 0;
	if (try_journal_path(&path, repo, cfg) < 0 ||
	    try_journal_open(&journal, path) < 0) {
		record_failed(failed, payload, "lane events not journaled",
			      NULL);
		ret = -1;
	}
	for (i = 0; i < n; i++) {
		if (journal.fd >= 0 &&
		    try_journal_append(&journal, lines[i].ptr, lines[i].len) < 0) {
			record_failed(failed, payload,
				      "lane event not journaled", NULL);
			ret = -1;
		}
		for (j = 0; j < cfg->webhooks.nr; j++) {
			if (try_spool_add(repo, cfg->webhooks.items[j],
					  lines[i].ptr, lines[i].len) < 0) {
				record_failed(failed, payload,
					      "lane event not queued",
					      cfg->webhooks.items[j]);
				ret = -1;
			}
		}
	}
	if (try_journal_close(&journal) < 0) {
		record_failed(failed, payload, "lane events may be lost",
			      NULL);
		ret = -1;
	}
	free(path);
	return ret;
}

/* The spool */

static void spool_root(struct try_buf *out, git_repository *repo)
{
	const char *gitdir = git_repository_path(repo);

	try_buf_adds(out, gitdir);
	if (out->len && out->ptr[out->len - 1] != '/')
		try_buf_addch(out, '/');
	try_buf_adds(out, "lanes/spool");
}

/* <root>/<first 16 hex digits of SHA-256 of the URL> */
static int spool_dir(struct try_buf *out, git_repository *repo,
		     const char *url)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL)) {
		try_error_set("cannot hash the webhook URL");
		return -1;
	}
	spool_root(out, repo);
	try_buf_addch(out, '/');
	for (i = 0; i < 8 && i < mdlen; i++)
		try_buf_addf(out, "%02x", md[i]);
	return 0;
}

/* Writes `path` through a synced temporary file and rename(). */
/*
 * Writes `path` whole or not at all (a temporary file, synced, then moved
 * into place).  With `exclusive`, an existing `path` is kept and 1 is
 * returned: a concurrent writer took that name.
 */
static int write_file_synced(const char *dir, const char *path,
			     const char *data, size_t len, int exclusive)
{
	struct try_buf tmp = TRY_BUF_INIT;
	int fd, ret = -1;

	try_buf_addf(&tmp, "%s/tmp-%ld", dir, (long)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		try_error_set("cannot create '%s': %s", tmp.ptr,
			      strerror(errno));
		goto done;
	}
	if (try_fs_write_in_full(fd, data, len) < 0 || fsync(fd) < 0) {
		try_error_set("cannot write '%s': %s", tmp.ptr,
			      strerror(errno));
		close(fd);
		unlink(tmp.ptr);
		goto done;
	}
	close(fd);
	if (exclusive) {
		if (link(tmp.ptr, path) < 0) {
			int taken = errno == EEXIST;
			if (!taken)
				try_error_set("cannot link '%s' to '%s': %s",
					      tmp.ptr, path, strerror(errno));
			unlink(tmp.ptr);
			ret = taken ? 1 : -1;
			goto done;
		}
		unlink(tmp.ptr);
	} else if (rename(tmp.ptr, path) < 0) {
		try_error_set("cannot rename '%s' to '%s': %s", tmp.ptr, path,
			      strerror(errno));
		unlink(tmp.ptr);
		goto done;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	ret = 0;
done:
	try_buf_release(&tmp);
	return ret;
}

#define SEQ_DIGITS 12

/* 1 and the sequence number when `name` is "<12 digits>.json". */
static int spool_seq(unsigned long long *out, const char *name)
{
	size_t i;

	for (i = 0; i < SEQ_DIGITS; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	if (strcmp(name + SEQ_DIGITS, ".json"))
		return 0;
	*out = strtoull(name, NULL, 10);
	return 1;
}

static int cmp_seq(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

/*
 * The sequence numbers of the events waiting in `dir`, sorted.  A missing
 * folder has none.  Caller frees `*out`.
 */
static int spool_scan(unsigned long long **out, size_t *nr, const char *dir)
{
	unsigned long long *seq = NULL, s;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*nr = 0;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		try_error_set("cannot read '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!spool_seq(&s, de->d_name))
			continue;
		TRY_ARRAY_GROW(seq, n + 1, alloc);
		seq[n++] = s;
	}
	closedir(d);
	if (n)
		qsort(seq, n, sizeof(*seq), cmp_seq);
	*out = seq;
	*nr = n;
	return 0;
}

int try_spool_add(git_repository *repo, const char *url, const char *body,
		  size_t len)
{
	struct try_buf dir = TRY_BUF_INIT, path = TRY_BUF_INIT;
	unsigned long long *seq = NULL, next = 1;
	size_t nr = 0;
	struct stat st;
	int ret = -1;

	if (spool_dir(&dir, repo, url) < 0 || try_fs_mkdir_p(dir.ptr) < 0)
		goto done;
	try_buf_addf(&path, "%s/url", dir.ptr);
	if (stat(path.ptr, &st) < 0 &&
	    write_file_synced(dir.ptr, path.ptr, url, strlen(url), 0) < 0)
		goto done;
	if (spool_scan(&seq, &nr, dir.ptr) < 0)
		goto done;
	if (nr)
		next = seq[nr - 1] + 1;
	/*
	 * The journal's lock orders spool writers; without it (the journal
	 * could not be opened) a name taken meanwhile is never overwritten.
	 */
	for (;;) {
		int r;

		try_buf_reset(&path);
		try_buf_addf(&path, "%s/%0*llu.json", dir.ptr, SEQ_DIGITS, next);
		r = write_file_synced(dir.ptr, path.ptr, body, len, 1);
		if (r < 0)
			goto done;
		if (r == 0)
			break;
		next++;
	}
	ret = 0;
done:
	free(seq);
	try_buf_release(&path);
	try_buf_release(&dir);
	return ret;
}

static int configured(const struct try_config *cfg, const char *url)
{
	size_t i;

	for (i = 0; cfg && i < cfg->webhooks.nr; i++)
		if (!strcmp(cfg->webhooks.items[i], url))
			return 1;
	return 0;
}

int try_spool_list(struct try_spool_info **out, size_t *nr,
		   git_repository *repo, const struct try_config *cfg)
{
	struct try_buf root = TRY_BUF_INIT, path = TRY_BUF_INIT;
	struct try_spool_info *list = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int ret = -1;

	*out = NULL;
	*nr = 0;
	spool_root(&root, repo);
	d = opendir(root.ptr);
	if (!d) {
		ret = 0;
		if (errno != ENOENT) {
			try_error_set("cannot read '%s': %s", root.ptr,
				      strerror(errno));
			ret = -1;
		}
		goto done;
	}
	while ((de = readdir(d)) != NULL) {
		struct try_buf url = TRY_BUF_INIT;
		unsigned long long *seq = NULL;
		size_t waiting = 0;

		if (de->d_name[0] == '.')
			continue;
		try_buf_reset(&path);
		try_buf_addf(&path, "%s/%s/url", root.ptr, de->d_name);
		if (try_buf_read_file(&url, path.ptr, 1 << 16) < 0) {
			try_buf_release(&url);
			continue; /* not a spool folder */
		}
		try_buf_setlen(&path, path.len - 4);
		if (spool_scan(&seq, &waiting, path.ptr) < 0) {
			try_buf_release(&url);
			closedir(d);
			goto fail;
		}
		free(seq);
		TRY_ARRAY_GROW(list, n + 1, alloc);
		list[n].url = try_buf_detach(&url);
		list[n].waiting = waiting;
		list[n].configured = configured(cfg, list[n].url);
		n++;
	}
	closedir(d);
	*out = list;
	*nr = n;
	list = NULL;
	n = 0;
	ret = 0;
	goto done;
fail:
	try_spool_info_free(list, n);
	list = NULL;
done:
	try_buf_release(&path);
	try_buf_release(&root);
	return ret;
}

void try_spool_info_free(struct try_spool_info *info, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(info[i].url);
	free(info);
}

void try_delivery_release(struct try_delivery *d)
{
	free(d->error);
	memset(d, 0, sizeof(*d));
}

static void delivery_error(struct try_delivery *d, const char *msg)
{
	free(d->error);
	d->error = try_xstrdup(msg);
}

/* The shared secret of lanes.webhookSecretFile (relative to the git
 * directory), without a final newline; empty when none is set. */
static int read_secret(struct try_buf *out, git_repository *repo,
		       const struct try_config *cfg)
{
	if (!cfg->webhook_secret_file)
		return 0;
	if (try_fs_read_secret(out, cfg->webhook_secret_file,
			       git_repository_path(repo)) < 0) {
		try_error_set("lanes.webhookSecretFile: %s", try_error_last());
		return -1;
	}
	return 0;
}

/* Takes the delivery lock of `dir`, waiting until `deadline_ms` at most
 * (0: for as long as it takes).  1 when taken, 0 when busy, -1 on error. */
static int lock_spool(int *fd, const char *dir, int64_t deadline_ms)
{
	struct try_buf path = TRY_BUF_INIT;

	try_buf_addf(&path, "%s/lock", dir);
	*fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (*fd < 0) {
		try_error_set("cannot open '%s': %s", path.ptr,
			      strerror(errno));
		try_buf_release(&path);
		return -1;
	}
	try_buf_release(&path);
	for (;;) {
		if (flock(*fd, deadline_ms ? LOCK_EX | LOCK_NB : LOCK_EX) == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			try_error_set("cannot lock the webhook spool: %s",
				      strerror(errno));
			return -1;
		}
		if (try_now_ms() >= deadline_ms)
			return 0;
		usleep(10000);
	}
}

/* POSTs one spooled event; 0 when the receiver took it. */
static int post_event(struct try_delivery *out, const char *url,
		      const struct try_buf *body, const struct try_buf *secret,
		      const struct try_config *cfg, int64_t deadline_ms)
{
	struct try_http_response res = TRY_HTTP_RESPONSE_INIT;
	struct try_http_request req;
	struct try_http_header headers[5];
	struct try_buf sig = TRY_BUF_INIT;
	char id[64] = "";
	json_t *ev;
	size_t n = 0;
	long budget = (long)cfg->webhook_timeout * 1000;
	int ret = -1;

	ev = json_loadb(body->ptr, body->len, 0, NULL);
	if (ev && json_is_string(json_object_get(ev, "id")))
		snprintf(id, sizeof(id), "%s",
			 json_string_value(json_object_get(ev, "id")));
	json_decref(ev);

	if (deadline_ms) {
		int64_t left = deadline_ms - try_now_ms();
		if (left <= 0) {
			delivery_error(out, "webhook: no time left "
				       "(lanes.webhookTimeout)");
			return -1;
		}
		if (left < budget)
			budget = (long)left;
	}
	headers[n].name = "Content-Type";
	headers[n++].value = "application/json";
	headers[n].name = "User-Agent";
	headers[n++].value = "try-lanes";
	if (*id) {
		headers[n].name = "X-Lanes-Event";
		headers[n++].value = id;
	}
	if (secret->len) {
		if (try_http_sign(&sig, secret->ptr, secret->len, body->ptr,
				  body->len) < 0) {
			delivery_error(out, try_error_last());
			goto done;
		}
		headers[n].name = "X-Lanes-Signature";
		headers[n++].value = sig.ptr;
	}
	headers[n].name = NULL;
	headers[n].value = NULL;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = body->ptr;
	req.body_len = body->len;
	req.connect_timeout_ms = budget < 5000 ? budget : 5000;
	req.timeout_ms = budget;
	req.retries = -1; /* the spool is the retry */
	req.what = "webhook";
	req.max_body = 4096;
	req.truncate = 1;
	if (try_http_perform(&res, &req) < 0) {
		delivery_error(out, try_error_last());
		goto done;
	}
	if (res.status < 200 || res.status > 299) {
		try_http_error_status("webhook", &res);
		delivery_error(out, try_error_last());
		goto done;
	}
	ret = 0;
done:
	try_http_response_release(&res);
	try_buf_release(&sig);
	return ret;
}

int try_webhook_flush(struct try_delivery *out, git_repository *repo,
		      const struct try_config *cfg, const char *url,
		      int64_t deadline_ms)
{
	struct try_buf dir = TRY_BUF_INIT, path = TRY_BUF_INIT;
	struct try_buf secret = TRY_BUF_INIT, body = TRY_BUF_INIT;
	unsigned long long *seq = NULL;
	size_t nr = 0, i;
	int fd = -1, locked, stop = 0, ret = -1;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (spool_dir(&dir, repo, url) < 0)
		goto done;
	if (stat(dir.ptr, &st) < 0) {
		ret = 0; /* nothing was ever spooled */
		goto done;
	}
	locked = lock_spool(&fd, dir.ptr, deadline_ms);
	if (locked < 0)
		goto done;
	if (!locked) {
		out->busy = 1;
		delivery_error(out, "webhook: another push is delivering");
		goto count;
	}
	if (read_secret(&secret, repo, cfg) < 0) {
		delivery_error(out, try_error_last());
		goto count;
	}
	while (!stop) {
		free(seq);
		if (spool_scan(&seq, &nr, dir.ptr) < 0)
			goto done;
		if (!nr)
			break;
		for (i = 0; i < nr && !stop; i++) {
			try_buf_reset(&path);
			try_buf_addf(&path, "%s/%0*llu.json", dir.ptr,
				     SEQ_DIGITS, seq[i]);
			try_buf_reset(&body);
			if (try_buf_read_file(&body, path.ptr, 0) < 0) {
				delivery_error(out, try_error_last());
				stop = 1;
			} else if (post_event(out, url, &body, &secret, cfg,
					      deadline_ms) < 0) {
				stop = 1;
			} else if (unlink(path.ptr) < 0) {
				try_error_set("cannot remove '%s' from the "
					      "spool: %s", path.ptr,
					      strerror(errno));
				delivery_error(out, try_error_last());
				stop = 1;
			} else {
				out->delivered++;
			}
		}
	}
count:
	free(seq);
	seq = NULL;
	if (spool_scan(&seq, &nr, dir.ptr) < 0)
		goto done;
	out->waiting = nr;
	ret = 0;
done:
	if (fd >= 0)
		close(fd);
	free(seq);
	try_buf_release(&body);
	try_buf_release(&secret);
	try_buf_release(&path);
	try_buf_release(&dir);
	return ret;
}

#include "libtry/repo.h"
#include "libtry/buf.h"
#include "libtry/config.h"
#include "libtry/error.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int64_t try_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int try_repo_open(git_repository **out, const char *path, unsigned flags)
{
	const char *gitdir = getenv("GIT_DIR");
	const char *quarantine = getenv("GIT_QUARANTINE_PATH");
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	int error;

	*out = NULL;
	if (flags & TRY_REPO_HOOK)
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);

	if (gitdir && *gitdir)
		error = git_repository_open_ext(&repo, gitdir,
						GIT_REPOSITORY_OPEN_NO_SEARCH,
						NULL);
	else if (flags & TRY_REPO_HOOK)
		error = git_repository_open_ext(&repo, path ? path : ".",
						GIT_REPOSITORY_OPEN_NO_SEARCH,
						NULL);
	else
		error = git_repository_open_ext(&repo, path ? path : ".", 0,
						NULL);
	if (error < 0) {
		if (error == GIT_ENOTFOUND)
			try_error_set("not a git repository: '%s'",
				      gitdir && *gitdir ? gitdir :
				      path ? path : ".");
		else
			try_error_from_git("cannot open repository");
		goto fail;
	}

	if (!quarantine || !*quarantine)
		quarantine = getenv("GIT_OBJECT_DIRECTORY");
	if (quarantine && *quarantine) {
		if (git_repository_odb(&odb, repo) < 0 ||
		    git_odb_add_disk_alternate(odb, quarantine) < 0) {
			try_error_from_git("cannot add quarantine objects");
			goto fail;
		}
		git_odb_free(odb);
	}
	*out = repo;
	return 0;
fail:
	git_repository_free(repo);
	return -1;
}

int try_repo_ref_commit(git_oid *out, git_repository *repo, const char *ref)
{
	git_reference *r = NULL;
	git_object *obj = NULL;
	int ret = TRY_ENOTFOUND;

	if (git_reference_lookup(&r, repo, ref) < 0)
		goto done;
	if (git_reference_peel(&obj, r, GIT_OBJECT_COMMIT) < 0)
		goto done;
	git_oid_cpy(out, git_object_id(obj));
	ret = 0;
done:
	git_object_free(obj);
	git_reference_free(r);
	return ret;
}

int try_repo_foreach_ref_commit(git_repository *repo, const char *prefix,
				int (*cb)(const char *name, const git_oid *id,
					  void *payload),
				void *payload)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int error, ret = 0;

	if (git_reference_iterator_new(&it, repo) < 0) {
		try_error_from_git("cannot list references");
		return -1;
	}
	while (!ret) {
		git_reference *resolved = NULL;
		git_object *obj = NULL;

		error = git_reference_next(&ref, it);
		if (error == GIT_ITEROVER)
			break;
		if (error < 0) {
			/* an unparsable loose ref: skip it, as git would warn */
			if (error == GIT_ENOTFOUND || error == GIT_EINVALID)
				continue;
			try_error_from_git("cannot list references");
			ret = -1;
			break;
		}
		if ((!plen || !strncmp(git_reference_name(ref), prefix, plen)) &&
		    git_reference_resolve(&resolved, ref) == 0 &&
		    git_reference_peel(&obj, resolved, GIT_OBJECT_COMMIT) == 0)
			ret = cb(git_reference_name(ref), git_object_id(obj),
				 payload);
		git_object_free(obj);
		git_reference_free(resolved);
		git_reference_free(ref);
	}
	if (!ret)
		git_error_clear();
	git_reference_iterator_free(it);
	return ret;
}

int try_repo_hooks_dir(char **out, git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf value = GIT_BUF_INIT;
	struct try_buf path = TRY_BUF_INIT;
	int error, ret = -1;

	*out = NULL;
	if (try_config_snapshot(&cfg, repo) < 0)
		return -1;
	error = git_config_get_path(&value, cfg, "core.hooksPath");
	if (error == 0 && value.size) {
		if (value.ptr[0] == '/') {
			try_buf_adds(&path, value.ptr);
		} else {
			/* relative to where hooks run: the work tree, or the
			 * git directory of a bare repository */
			const char *base = git_repository_workdir(repo);
			if (!base)
				base = git_repository_path(repo);
			try_buf_adds(&path, base);
			if (path.len && path.ptr[path.len - 1] != '/')
				try_buf_addch(&path, '/');
			try_buf_adds(&path, value.ptr);
		}
	} else if (error < 0 && error != GIT_ENOTFOUND) {
		try_error_from_git("core.hooksPath");
		goto done;
	} else {
		/* linked worktrees share the hooks of the common directory */
		try_buf_adds(&path, git_repository_commondir(repo));
		if (path.len && path.ptr[path.len - 1] != '/')
			try_buf_addch(&path, '/');
		try_buf_adds(&path, "hooks");
	}
	while (path.len > 1 && path.ptr[path.len - 1] == '/')
		try_buf_setlen(&path, path.len - 1);
	*out = try_buf_detach(&path);
	ret = 0;
done:
	git_buf_dispose(&value);
	git_config_free(cfg);
	try_buf_release(&path);
	return ret;
}

int try_repo_git(git_repository *repo, const char *const *args,
		 struct try_buf *err)
{
	return try_repo_git_within(repo, args, err, 0);
}

/* Kills the child when the deadline has passed: TRY_ETIMEOUT then. */
static int past_deadline(pid_t pid, int64_t deadline, const char *what,
			 int timeout_ms)
{
	int status;

	if (!deadline || try_now_ms() <= deadline)
		return 0;
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	try_error_set("'git %s' took more than %d ms", what, timeout_ms);
	return TRY_ETIMEOUT;
}

int try_repo_git_within(git_repository *repo, const char *const *args,
			struct try_buf *err, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? try_now_ms() + timeout_ms : 0;
	const char *dir = git_repository_workdir(repo);
	const char *argv[28];
	posix_spawn_file_actions_t fa;
	int fds[2] = { -1, -1 }, status, error;
	size_t n = 0, i;
	pid_t pid;

	argv[n++] = "git";
	argv[n++] = "-C";
	argv[n++] = dir ? dir : git_repository_path(repo);
	for (i = 0; args[i] && n < 27; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (err && pipe(fds) < 0) {
		try_error_set("cannot run git: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	if (err) {
		posix_spawn_file_actions_addclose(&fa, fds[0]);
		posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
		posix_spawn_file_actions_addclose(&fa, fds[1]);
	}
	error = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv,
			     environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		close(fds[1]);
	if (error) {
		if (err)
			close(fds[0]);
		try_error_set("cannot run git: %s", strerror(error));
		return -1;
	}
	if (err) {
		char chunk[4096];
		ssize_t got;

		for (;;) {
			struct pollfd pfd = { fds[0], POLLIN, 0 };

			if (deadline && poll(&pfd, 1, 10) == 0) {
				if (past_deadline(pid, deadline, args[0],
						  timeout_ms)) {
					close(fds[0]);
					return TRY_ETIMEOUT;
				}
				continue;
			}
			got = read(fds[0], chunk, sizeof(chunk));
			if (!got)
				break;
			if (got < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (err->len < (1u << 20))
				try_buf_add(err, chunk, (size_t)got);
		}
		close(fds[0]);
	}
	while (deadline) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			goto exited;
		if (got < 0 && errno != EINTR)
			break;
		if (past_deadline(pid, deadline, args[0], timeout_ms))
			return TRY_ETIMEOUT;
		usleep(10000);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			try_error_set("cannot wait for git: %s",
				      strerror(errno));
			return -1;
		}
	}
exited:
	if (!WIFEXITED(status)) {
		try_error_set("'git %s' died", args[0]);
		return -1;
	}
	return WEXITSTATUS(status);
}

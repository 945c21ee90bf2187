/*
 * Running child processes: see run.h.
 */
#include "libtry/run.h"
#include "libtry/error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *const try_run_git_output_vars[] = {
	"GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_PAGER",
	"GIT_ICASE_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
	"GIT_LITERAL_PATHSPECS", NULL,
};

const char *const try_run_git_repo_vars[] = {
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX",
	"GIT_NAMESPACE", "GIT_QUARANTINE_PATH", "GIT_CEILING_DIRECTORIES",
	"GIT_DISCOVERY_ACROSS_FILESYSTEM", NULL,
};

/* Whether environment entry `entry` ("NAME=value") is variable `name`. */
static int is_var(const char *entry, const char *name)
{
	size_t len = strcspn(name, "=");

	return !strncmp(entry, name, len) && entry[len] == '=';
}

static int in_list(const char *entry, const char *const *list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		if (is_var(entry, list[i]))
			return 1;
	return 0;
}

/* The child's environment: ours, cleared by the flags, changed by r->env. */
static char **child_env(const struct try_run *r)
{
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n])
		n++;
	for (i = 0; r->env && r->env[i]; i++)
		n++;
	env = try_xcalloc(n + 1, sizeof(*env));
	for (i = 0; environ[i]; i++) {
		if ((r->flags & (TRY_RUN_GIT | TRY_RUN_GIT_OTHER_REPO)) &&
		    in_list(environ[i], try_run_git_output_vars))
			continue;
		if ((r->flags & TRY_RUN_GIT_OTHER_REPO) &&
		    in_list(environ[i], try_run_git_repo_vars))
			continue;
		if (in_list(environ[i], r->env))
			continue;
		env[k++] = environ[i];
	}
	for (i = 0; r->env && r->env[i]; i++)
		if (strchr(r->env[i], '='))
			env[k++] = (char *)r->env[i];
	env[k] = NULL;
	return env;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Feeds standard input and drains both outputs until all are closed. */
static void pump(const struct try_run *r, int *in, int *out, int *err)
{
	size_t in_off = 0;
	char chunk[65536];

	while (*in >= 0 || *out >= 0 || *err >= 0) {
		struct pollfd p[3] = {
			{ *in, POLLOUT, 0 }, { *out, POLLIN, 0 },
			{ *err, POLLIN, 0 },
		};
		int i;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t n = write(*in, r->in + in_off,
					  r->in_len - in_off);
			if (n > 0)
				in_off += (size_t)n;
			if ((n < 0 && errno != EINTR && errno != EAGAIN) ||
			    in_off == r->in_len)
				close_fd(in);
		}
		for (i = 1; i < 3; i++) {
			int *fd = i == 1 ? out : err;
			struct try_buf *to = i == 1 ? r->out : r->err;
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = read(*fd, chunk, sizeof(chunk));
			if (n > 0 && to)
				try_buf_add(to, chunk, (size_t)n);
			if (n == 0 || (n < 0 && errno != EINTR &&
				       errno != EAGAIN))
				close_fd(fd);
		}
	}
}

int try_run(const struct try_run *r)
{
	posix_spawn_file_actions_t fa;
	const char **argv = NULL;
	char **env = NULL;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int git = !!(r->flags & (TRY_RUN_GIT | TRY_RUN_GIT_OTHER_REPO));
	int merge = !!(r->flags & TRY_RUN_MERGE_ERR);
	int status, ret = -1;
	size_t n = 0, i;
	pid_t pid;

	while (r->argv[n])
		n++;
	argv = try_xcalloc(n + 2, sizeof(*argv));
	if (git)
		argv[0] = "git";
	for (i = 0; i < n; i++)
		argv[i + git] = r->argv[i];
	env = child_env(r);
	if ((r->in && pipe2(in, O_CLOEXEC) < 0) ||
	    pipe2(out, O_CLOEXEC) < 0 || (!merge && pipe2(err, O_CLOEXEC) < 0)) {
		try_error_set("cannot run %s: %s", argv[0], strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	if (r->in)
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
						 O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, merge ? out[1] : err[1], 2);
	if (r->dir)
		posix_spawn_file_actions_addchdir_np(&fa, r->dir);
	i = (size_t)posix_spawnp(&pid, argv[0], &fa, NULL,
				 (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	if (i) {
		try_error_set("cannot run %s: %s", argv[0], strerror((int)i));
		goto done;
	}
	if (in[1] >= 0) {
		/* a child that stops reading must not kill us */
		struct sigaction ign, old;

		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &ign, &old);
		fcntl(in[1], F_SETFL, O_NONBLOCK);
		pump(r, &in[1], &out[0], &err[0]);
		sigaction(SIGPIPE, &old, NULL);
	} else {
		pump(r, &in[1], &out[0], &err[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			try_error_set("cannot wait for %s: %s", argv[0],
				      strerror(errno));
			goto done;
		}
	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		ret = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
done:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	free(argv);
	free(env);
	return ret;
}

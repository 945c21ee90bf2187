#include "libtry/ci_local.h"
#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/config.h"
#include "libtry/repo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* After SIGINT, how long the command may take to stop before SIGKILL. */
#define GRACE_MS 5000

static volatile sig_atomic_t interrupted;
/* The process group of the running child, 0 when none may be stopped. */
static volatile sig_atomic_t child_pgid;

void try_ci_local_interrupt(void)
{
	int saved = errno;
	pid_t pg = (pid_t)child_pgid;

	interrupted = 1;
	if (pg > 0)
		kill(-pg, SIGINT);
	errno = saved;
}

enum spawn_flags {
	/* the child may be stopped by try_ci_local_interrupt() */
	SPAWN_INTERRUPTIBLE = (1 << 0),
	/* runs in the temporary worktree: git's variables are removed */
	SPAWN_IN_WORKTREE = (1 << 1),
	/* standard output to standard error */
	SPAWN_STDOUT_TO_STDERR = (1 << 2),
	/* standard output and error into `capture` instead of ours */
	SPAWN_CAPTURE = (1 << 3),
	/*
	 * a git command on the repository, not on the caller's index: git
	 * sets GIT_INDEX_FILE for hooks, and `git worktree add` would check
	 * the base out into the developer's index
	 */
	SPAWN_NO_INDEX = (1 << 4),
};

struct spawn {
	const char *const *argv;
	const char *dir;
	unsigned flags;
	const char *in;          /* written to a file fed as stdin, or NULL */
	size_t in_len;
	const char *const *env;  /* "NAME=value" to add, NULL-terminated */
	struct try_buf *capture; /* with SPAWN_CAPTURE */
};

static const char *const git_vars[] = {
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX",
	"GIT_NAMESPACE", "GIT_QUARANTINE_PATH", "GIT_CEILING_DIRECTORIES",
	"GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_EXTERNAL_DIFF",
	"GIT_DIFF_OPTS", NULL,
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A temporary file holding `data`, opened for reading and already unlinked:
 * standard input for a child without a writer to deadlock with.
 */
static int data_fd(const char *data, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	struct try_buf path = TRY_BUF_INIT;
	size_t off = 0;
	int fd;

	try_buf_addf(&path, "%s/git-try-in-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkostemp(path.ptr, O_CLOEXEC);
	if (fd < 0) {
		try_error_set("cannot make a temporary file '%s': %s",
			      path.ptr, strerror(errno));
		try_buf_release(&path);
		return -1;
	}
	unlink(path.ptr);
	try_buf_release(&path);
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			try_error_set("cannot write a temporary file: %s",
				      strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Runs s->argv in a process group of its own and waits for it.  `*status`
 * gets the wait status.  Returns 0 when it ran (whatever its status), -1 with
 * a message when it could not be started.  When interrupted, the group gets
 * SIGINT (by try_ci_local_interrupt) and SIGKILL after GRACE_MS.
 */
static int spawn_wait(int *status, const struct spawn *s)
{
	int in_fd = -1, out[2] = { -1, -1 };
	int64_t since = 0;
	pid_t pid;
	int ret = -1;

	if (s->in && (in_fd = data_fd(s->in, s->in_len)) < 0)
		return -1;
	if ((s->flags & SPAWN_CAPTURE) && pipe2(out, O_CLOEXEC) < 0) {
		try_error_set("cannot make a pipe: %s", strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		try_error_set("cannot fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		int fd = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
		size_t i;

		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (fd < 0 || dup2(fd, 0) < 0)
			_exit(127);
		if (s->flags & SPAWN_CAPTURE) {
			if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
				_exit(127);
		} else if (s->flags & SPAWN_STDOUT_TO_STDERR) {
			if (dup2(2, 1) < 0)
				_exit(127);
		}
		if (s->dir && chdir(s->dir) < 0)
			_exit(127);
		if (s->flags & SPAWN_IN_WORKTREE)
			for (i = 0; git_vars[i]; i++)
				unsetenv(git_vars[i]);
		if (s->flags & SPAWN_NO_INDEX) {
			unsetenv("GIT_INDEX_FILE");
			unsetenv("GIT_WORK_TREE");
			unsetenv("GIT_PREFIX");
		}
		for (i = 0; s->env && s->env[i]; i++)
			putenv((char *)s->env[i]);
		execvp(s->argv[0], (char *const *)s->argv);
		_exit(127);
	}
	/* both sides set the group: no race with an early interrupt */
	setpgid(pid, pid);
	if (s->flags & SPAWN_INTERRUPTIBLE) {
		child_pgid = pid;
		if (interrupted)
			kill(-pid, SIGINT);
	}
	if (s->flags & SPAWN_CAPTURE) {
		char chunk[8192];
		ssize_t n;

		close(out[1]);
		out[1] = -1;
		/* git's complaints are short; the pipe closes when it exits */
		while ((n = read(out[0], chunk, sizeof(chunk))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			if (s->capture->len < 65536)
				try_buf_add(s->capture, chunk, (size_t)n);
		}
	}
	for (;;) {
		pid_t got = waitpid(pid, status, WNOHANG);

		if (got == pid)
			break;
		if (got < 0 && errno != EINTR) {
			try_error_set("waitpid: %s", strerror(errno));
			child_pgid = 0;
			goto done;
		}
		if (interrupted && (s->flags & SPAWN_INTERRUPTIBLE)) {
			if (!since)
				since = try_now_ms();
			else if (try_now_ms() - since > GRACE_MS)
				kill(-pid, SIGKILL);
		}
		sleep_ms(20);
	}
	child_pgid = 0;
	/* what the command left running in its group goes with it */
	if (interrupted && (s->flags & SPAWN_INTERRUPTIBLE))
		kill(-pid, SIGKILL);
	ret = 0;
done:
	if (in_fd >= 0)
		close(in_fd);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	return ret;
}

static int exited_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void describe_status(struct try_buf *out, int status)
{
	if (WIFEXITED(status))
		try_buf_addf(out, "exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		try_buf_addf(out, "killed by signal %d", WTERMSIG(status));
	else
		try_buf_adds(out, "stopped");
}

/* The last non-empty line of git's output, for a message. */
static void last_line(struct try_buf *out, const struct try_buf *text)
{
	struct try_buf copy = TRY_BUF_INIT;
	const char *p, *e;

	try_buf_add(&copy, text->ptr, text->len);
	try_buf_rtrim(&copy);
	e = copy.ptr + copy.len;
	p = e;
	while (p > copy.ptr && p[-1] != '\n')
		p--;
	/* "error: patch failed: x:1" is more useful than the last line
	 * ("error: x: patch does not apply") when both are there */
	{
		const char *f = strstr(copy.ptr, "error: ");
		if (f && f < p) {
			p = f;
			e = memchr(f, '\n', (size_t)(copy.ptr + copy.len - f));
		}
		if (!e)
			e = copy.ptr + copy.len;
	}
	try_buf_add(out, p, (size_t)(e - p));
	try_buf_release(&copy);
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	if (type == FTW_DP || type == FTW_D)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int chmod_dir(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | S_IRWXU);
	return 0;
}

/* rm -rf, also through folders a test made read-only */
static int remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	nftw(path, chmod_dir, 32, FTW_PHYS);
	return nftw(path, rm_entry, 32, FTW_PHYS | FTW_DEPTH);
}

/*
 * Unregisters the worktree at `dir` by hand: the folder under
 * <common dir>/worktrees whose gitdir file names <dir>/.git.  Only ours:
 * `git worktree prune` would also drop the user's worktrees on unmounted
 * disks.
 */
static void unregister(git_repository *repo, const char *dir)
{
	struct try_buf admin = TRY_BUF_INIT, gitdir = TRY_BUF_INIT;
	struct try_buf want = TRY_BUF_INIT;
	DIR *d;
	struct dirent *e;

	try_buf_addf(&admin, "%sworktrees", git_repository_commondir(repo));
	try_buf_addf(&want, "%s/.git", dir);
	d = opendir(admin.ptr);
	if (!d)
		goto done;
	while ((e = readdir(d))) {
		size_t keep = admin.len;

		if (e->d_name[0] == '.')
			continue;
		try_buf_addf(&admin, "/%s/gitdir", e->d_name);
		try_buf_reset(&gitdir);
		if (try_buf_read_file(&gitdir, admin.ptr, 1 << 16) == 0) {
			try_buf_rtrim(&gitdir);
			if (!strcmp(gitdir.ptr, want.ptr)) {
				try_buf_setlen(&admin, keep);
				try_buf_addf(&admin, "/%s", e->d_name);
				remove_tree(admin.ptr);
			}
		}
		try_buf_setlen(&admin, keep);
	}
	closedir(d);
done:
	try_error_clear();
	try_buf_release(&admin);
	try_buf_release(&gitdir);
	try_buf_release(&want);
}

/* Removes the worktree and its registration; -1 with a message if left. */
static int remove_worktree(git_repository *repo, const char *git,
			   const char *dir, int registered)
{
	const char *argv[] = { git, "worktree", "remove", "--force", "--force",
			       dir, NULL };
	struct try_buf out = TRY_BUF_INIT;
	struct spawn s;
	struct stat st;
	int status = 0;

	memset(&s, 0, sizeof(s));
	s.argv = argv;
	s.dir = git_repository_workdir(repo);
	s.flags = SPAWN_CAPTURE | SPAWN_NO_INDEX;
	s.capture = &out;
	if (registered && spawn_wait(&status, &s) == 0 && exited_ok(status) &&
	    lstat(dir, &st) < 0) {
		try_buf_release(&out);
		return 0;
	}
	try_buf_release(&out);
	/* git refused (submodules inside, an interrupted add): by hand */
	remove_tree(dir);
	unregister(repo, dir);
	if (lstat(dir, &st) == 0) {
		try_error_set("cannot remove the temporary worktree '%s'", dir);
		return -1;
	}
	return 0;
}

/*
 * A try's marker: <common dir>/try/local/<folder name> holds the pid of
 * the git-try that made the folder and the folder's path, so that the next
 * try can tell a folder whose owner died (SIGKILL) from a running one.
 */
static void marker_path(struct try_buf *out, git_repository *repo,
			const char *dir)
{
	const char *name = strrchr(dir, '/');

	try_buf_addf(out, "%stry/local", git_repository_commondir(repo));
	if (name)
		try_buf_adds(out, name);
}

static void mark(git_repository *repo, const char *dir)
{
	struct try_buf path = TRY_BUF_INIT, text = TRY_BUF_INIT;
	int fd;

	marker_path(&path, repo, "");
	try_buf_setlen(&path, path.len - 6); /* ".../try" */
	mkdir(path.ptr, 0777);
	try_buf_adds(&path, "/local");
	mkdir(path.ptr, 0777);
	try_buf_reset(&path);
	marker_path(&path, repo, dir);
	try_buf_addf(&text, "%ld %s\n", (long)getpid(), dir);
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd >= 0) {
		/* best effort: without it only the pruning is lost */
		ssize_t ignored = write(fd, text.ptr, text.len);
		(void)ignored;
		close(fd);
	}
	try_buf_release(&path);
	try_buf_release(&text);
}

static void unmark(git_repository *repo, const char *dir)
{
	struct try_buf path = TRY_BUF_INIT;

	marker_path(&path, repo, dir);
	unlink(path.ptr);
	try_buf_release(&path);
}

/* 1 when `pid` is a running git-try (not a process that reused its pid). */
static int try_alive(long pid)
{
	struct try_buf comm = TRY_BUF_INIT, path = TRY_BUF_INIT;
	int alive;

	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return 0;
	try_buf_addf(&path, "/proc/%ld/comm", pid);
	if (try_buf_read_file(&comm, path.ptr, 4096) < 0) {
		try_error_clear();
		alive = 1; /* no /proc: the pid check alone */
	} else {
		alive = !strncmp(comm.ptr, "git-try", 7) ||
			!strncmp(comm.ptr, "lt-git-try", 10);
	}
	try_buf_release(&comm);
	try_buf_release(&path);
	return alive;
}

/* A marker names a folder we may remove: absolute, ".../git-try-XXXXXX". */
static int our_folder(const char *dir, const char *marker_name)
{
	const char *name = strrchr(dir, '/');

	return dir[0] == '/' && name && !strcmp(name + 1, marker_name) &&
	       !strncmp(marker_name, "git-try-", 8) && !strstr(dir, "/../") &&
	       strlen(marker_name) == 14;
}

int try_ci_local_prune(struct try_strlist *removed, git_repository *repo,
		       const char *git)
{
	struct try_buf admin = TRY_BUF_INIT, path = TRY_BUF_INIT;
	struct try_buf text = TRY_BUF_INIT;
	DIR *d;
	struct dirent *e;

	if (git_repository_is_bare(repo))
		return 0;
	try_buf_addf(&admin, "%stry/local", git_repository_commondir(repo));
	d = opendir(admin.ptr);
	if (!d)
		goto done;
	while ((e = readdir(d))) {
		char *dir, *end;
		long pid;

		if (e->d_name[0] == '.')
			continue;
		try_buf_reset(&path);
		try_buf_addf(&path, "%s/%s", admin.ptr, e->d_name);
		try_buf_reset(&text);
		if (try_buf_read_file(&text, path.ptr, 8192) < 0)
			continue;
		try_buf_rtrim(&text);
		pid = strtol(text.ptr, &end, 10);
		if (end == text.ptr || *end != ' ' || try_alive(pid))
			continue;
		dir = end + 1;
		if (!our_folder(dir, e->d_name)) {
			unlink(path.ptr); /* not ours to remove: forget it */
			continue;
		}
		if (remove_worktree(repo, git ? git : "git", dir, 1) == 0) {
			try_strlist_add(removed, dir);
			unlink(path.ptr);
		}
	}
	closedir(d);
done:
	try_error_clear();
	try_buf_release(&admin);
	try_buf_release(&path);
	try_buf_release(&text);
	return 0;
}

int try_ci_local_run(struct try_ci_result *res, git_repository *repo,
		     const struct try_ci_request *req,
		     const struct try_ci_local_options *opts)
{
	const char *git = opts->git ? opts->git : "git";
	const char *tmp = opts->tmpdir;
	struct try_buf dir = TRY_BUF_INIT, msg = TRY_BUF_INIT;
	struct try_buf env_base = TRY_BUF_INIT, env_id = TRY_BUF_INIT;
	struct try_ci_job *job;
	char real[PATH_MAX];
	struct spawn s;
	int status = 0, made = 0, registered = 0, ret = -1;

	interrupted = 0;
	job = try_ci_result_add(res, "local");
	job->state = TRY_CI_RUNNING;
	if (git_repository_is_bare(repo)) {
		try_error_set("a try needs a working tree; this repository "
			      "is bare");
		return -1;
	}
	if (!tmp || !*tmp)
		tmp = getenv("TMPDIR");
	try_buf_addf(&dir, "%s/git-try-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir.ptr)) {
		try_error_set("cannot make a temporary folder '%s': %s",
			      dir.ptr, strerror(errno));
		goto done;
	}
	made = 1;
	/* git records the real path; compare like with like */
	if (realpath(dir.ptr, real)) {
		try_buf_reset(&dir);
		try_buf_adds(&dir, real);
	}
	mark(repo, dir.ptr);

	{
		const char *argv[] = { git, "worktree", "add", "--detach",
				       "--quiet", dir.ptr, req->base, NULL };
		memset(&s, 0, sizeof(s));
		s.argv = argv;
		s.dir = git_repository_workdir(repo);
		s.flags = SPAWN_INTERRUPTIBLE | SPAWN_CAPTURE | SPAWN_NO_INDEX;
		s.capture = &msg;
		registered = 1;
		if (spawn_wait(&status, &s) < 0)
			goto done;
		if (interrupted)
			goto stopped;
		if (!exited_ok(status)) {
			struct try_buf why = TRY_BUF_INIT;
			last_line(&why, &msg);
			try_error_set("git worktree add failed: %s", why.ptr);
			try_buf_release(&why);
			goto done;
		}
	}

	if (req->patch_len) {
		const char *argv[] = { git, "apply", "--index",
				       "--whitespace=nowarn", "-p1", NULL };
		try_buf_reset(&msg);
		memset(&s, 0, sizeof(s));
		s.argv = argv;
		s.dir = dir.ptr;
		s.flags = SPAWN_INTERRUPTIBLE | SPAWN_IN_WORKTREE |
			  SPAWN_CAPTURE;
		s.in = req->patch;
		s.in_len = req->patch_len;
		s.capture = &msg;
		if (spawn_wait(&status, &s) < 0)
			goto done;
		if (interrupted)
			goto stopped;
		if (!exited_ok(status)) {
			struct try_buf why = TRY_BUF_INIT;
			last_line(&why, &msg);
			job->state = TRY_CI_NOT_APPLIED;
			try_ci_set(&job->detail, why.ptr);
			try_buf_release(&why);
			ret = 0;
			goto done;
		}
	}

	if (opts->on_start)
		opts->on_start(dir.ptr, opts->payload);
	{
		const char *argv[] = { "/bin/sh", "-c", opts->command, NULL };
		const char *env[3];

		try_buf_addf(&env_base, "TRY_BASE=%s", req->base);
		try_buf_addf(&env_id, "TRY_ID=%s", req->id ? req->id : "");
		env[0] = env_base.ptr;
		env[1] = env_id.ptr;
		env[2] = NULL;
		memset(&s, 0, sizeof(s));
		s.argv = argv;
		s.dir = dir.ptr;
		s.env = env;
		s.flags = SPAWN_INTERRUPTIBLE | SPAWN_IN_WORKTREE;
		if (opts->flags & TRY_CI_LOCAL_STDOUT_TO_STDERR)
			s.flags |= SPAWN_STDOUT_TO_STDERR;
		if (spawn_wait(&status, &s) < 0)
			goto done;
		if (interrupted)
			goto stopped;
		try_buf_reset(&msg);
		if (exited_ok(status)) {
			job->state = TRY_CI_PASSED;
		} else {
			job->state = TRY_CI_FAILED;
			try_buf_addf(&msg, "'%s' ", opts->command);
			describe_status(&msg, status);
			try_ci_set(&job->detail, msg.ptr);
		}
		ret = 0;
		goto done;
	}
stopped:
	job->state = TRY_CI_ERROR;
	try_ci_set(&job->detail, "interrupted");
	ret = 0;
done:
	if (ret < 0) {
		job->state = TRY_CI_ERROR;
		try_ci_set(&job->detail, try_error_last());
	}
	if (made) {
		/* keep the first message: it says what went wrong */
		struct try_buf saved = TRY_BUF_INIT;
		try_buf_adds(&saved, try_error_last());
		if (remove_worktree(repo, git, dir.ptr, registered) < 0) {
			ret = -1;
		} else {
			unmark(repo, dir.ptr);
			if (ret < 0)
				try_error_set("%s", saved.ptr);
		}
		try_buf_release(&saved);
	}
	try_buf_release(&dir);
	try_buf_release(&msg);
	try_buf_release(&env_base);
	try_buf_release(&env_id);
	return ret;
}

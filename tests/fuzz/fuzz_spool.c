/*
 * The webhook spool reader (try_spool_list, as `git lanes status` runs it)
 * over a spool folder made from the input: the first line is the content
 * of its `url` file, every further line the name of a file in it.
 */
#include "tests/fuzz/fuzz.h"
#include <dirent.h>
#include <fcntl.h>
#include "libtry/config.h"
#include "libtry/events.h"

/* Removes the files in `dir` (the last input's spool). */
static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		abort();
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static git_repository *repo;
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_spool_info *info = NULL;
	char *url, *names, *name, *next, cmd[512];
	size_t nr = 0;

	if (!repo) {
		git_libgit2_init();
		snprintf(cmd, sizeof(cmd), "%s/srv.git", fuzz_dir());
		if (git_repository_init(&repo, cmd, 1) < 0)
			abort();
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s/srv.git/lanes/spool/k'",
			 fuzz_dir());
		if (system(cmd))
			abort();
	}
	snprintf(cmd, sizeof(cmd), "%s/srv.git/lanes/spool/k", fuzz_dir());
	empty_dir(cmd);
	fuzz_split(&url, &names, data, size);
	fuzz_file("srv.git/lanes/spool/k/url", (const uint8_t *)url,
		  strlen(url));
	for (name = names; *name; name = next) {
		next = name + strcspn(name, "\n");
		if (*next)
			*next++ = '\0';
		if (!strchr(name, '/') && strcmp(name, ".") &&
		    strcmp(name, "..") && *name) {
			char path[300];

			snprintf(path, sizeof(path), "srv.git/lanes/spool/k/%s",
				 name);
			fuzz_file(path, (const uint8_t *)"{}", 2);
		}
	}
	try_strlist_add(&cfg.webhooks, url);
	if (!try_spool_list(&info, &nr, repo, &cfg))
		try_spool_info_free(info, nr);
	try_config_release(&cfg);
	free(url);
	free(names);
	return 0;
}

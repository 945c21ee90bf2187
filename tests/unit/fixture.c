#include "tests/unit/fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

git_repository *fixture_repo(void)
{
	char tmpl[] = "/tmp/try-unit.XXXXXX";
	git_repository *repo = NULL;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_eq(git_repository_init(&repo, tmpl, 1), 0);
	return repo;
}

void fixture_cleanup(git_repository *repo)
{
	char cmd[4200];

	if (!repo)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", git_repository_path(repo));
	git_repository_free(repo);
	ck_assert_int_eq(system(cmd), 0);
}

git_tree *fixture_tree(git_repository *repo, const char *const *files)
{
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_oid id;
	size_t i;

	ck_assert_int_eq(git_index_new(&index), 0);
	for (i = 0; files && files[i]; i++) {
		const char *eq = strchr(files[i], '=');
		git_index_entry e;
		char path[1024];
		size_t plen;
		const char *content;

		ck_assert_ptr_nonnull(eq);
		plen = (size_t)(eq - files[i]);
		memcpy(path, files[i], plen);
		path[plen] = '\0';
		content = eq + 1;
		memset(&e, 0, sizeof(e));
		e.mode = GIT_FILEMODE_BLOB;
		if (plen > 2 && !strcmp(path + plen - 2, "+x")) {
			path[plen - 2] = '\0';
			e.mode = GIT_FILEMODE_BLOB_EXECUTABLE;
		} else if (plen > 1 && path[plen - 1] == '@') {
			path[plen - 1] = '\0';
			e.mode = GIT_FILEMODE_LINK;
		} else if (plen > 1 && path[plen - 1] == '#') {
			path[plen - 1] = '\0';
			e.mode = GIT_FILEMODE_COMMIT;
		}
		e.path = path;
		if (e.mode == GIT_FILEMODE_COMMIT)
			ck_assert_int_eq(git_oid_fromstr(&e.id, content), 0);
		else
			ck_assert_int_eq(git_blob_create_from_buffer(&e.id,
					 repo, content, strlen(content)), 0);
		ck_assert_msg(git_index_add(index, &e) == 0, "add '%s': %s",
			      path, git_error_last() ?
			      git_error_last()->message : "?");
	}
	ck_assert_int_eq(git_index_write_tree_to(&id, index, repo), 0);
	ck_assert_int_eq(git_tree_lookup(&tree, repo, &id), 0);
	git_index_free(index);
	return tree;
}

git_commit *fixture_commit(git_repository *repo, git_commit *parent,
			   const char *const *files, const char *message)
{
	git_signature *sig = NULL;
	git_tree *tree = fixture_tree(repo, files);
	git_commit *commit = NULL;
	const git_commit *parents[1] = { parent };
	git_oid id;

	ck_assert_int_eq(git_signature_new(&sig, "T", "t@example.com",
					   1700000000, 0), 0);
	ck_assert_int_eq(git_commit_create(&id, repo, NULL, sig, sig, NULL,
					   message, tree, parent ? 1 : 0,
					   parents), 0);
	ck_assert_int_eq(git_commit_lookup(&commit, repo, &id), 0);
	git_signature_free(sig);
	git_tree_free(tree);
	return commit;
}

git_config *fixture_config(const char *text)
{
	char path[] = "/tmp/try-config.XXXXXX";
	int fd = mkstemp(path);
	git_config *cfg = NULL;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(git_config_open_ondisk(&cfg, path), 0);
	unlink(path);
	return cfg;
}

#ifndef TRY_INSTALL_H
#define TRY_INSTALL_H

#include "libtry/buf.h"

/*
 * Installing hooks as small shell shims that run the toolkit's programs by
 * absolute path (git and GUI clients run hooks with a minimal environment).
 * An existing hook is kept as `<name>.try-orig` and chained: it runs first
 * with the same arguments and standard input, and its failure is the hook's
 * failure (for post-* hooks, whose status git ignores, ours runs anyway).
 * Our shims carry TRY_SHIM_MARKER, so a second install changes
 * nothing and uninstall restores the kept hook exactly.
 */

#define TRY_SHIM_MARKER "# try-hook-shim"
#define TRY_ORIG_SUFFIX ".try-orig"

enum try_install_result {
	TRY_INSTALL_CREATED,   /* there was no hook */
	TRY_INSTALL_CHAINED,   /* an existing hook was kept and chained */
	TRY_INSTALL_UPDATED,   /* our shim was there, now points elsewhere */
	TRY_INSTALL_UNCHANGED, /* our shim was there already */
};

enum try_uninstall_result {
	TRY_UNINSTALL_REMOVED,  /* our shim removed */
	TRY_UNINSTALL_RESTORED, /* our shim removed, kept hook restored */
	TRY_UNINSTALL_ABSENT,   /* no hook of ours there */
};

/* 1 when git passes the hook's input on stdin. */
int try_hook_reads_stdin(const char *name);

/* Appends the shim text for hook `name` running `program`. */
void try_install_shim_text(struct try_buf *out, const char *name,
			   const char *program);

/*
 * Installs hook `name` in `hooks_dir` (created if missing) to run
 * `program`, an absolute path.  -1 with a message when a file is in the way
 * (a kept hook already exists beside a foreign hook) or writing fails.
 */
int try_install_hook(enum try_install_result *out, const char *hooks_dir,
		     const char *name, const char *program);

/* Removes our shim of `name` and restores the kept hook, if any. */
int try_uninstall_hook(enum try_uninstall_result *out, const char *hooks_dir,
		       const char *name);

enum try_hook_state {
	TRY_HOOK_NONE,     /* no hook */
	TRY_HOOK_FOREIGN,  /* a hook that is not ours */
	TRY_HOOK_OURS,     /* our shim alone */
	TRY_HOOK_CHAINED,  /* our shim with a kept hook */
};

/* What is installed for `name` in `hooks_dir`. */
enum try_hook_state try_hook_state(const char *hooks_dir, const char *name);

/*
 * Finds the toolkit program `name` (e.g. "try-pre-receive"): beside the
 * running binary's installed layout (../libexec/try/), the build tree
 * (../hooks/), or TRY_LIBEXECDIR.  `*out` is an absolute path the caller
 * frees; TRY_ENOTFOUND with a message when it is nowhere.
 */
int try_install_find_program(char **out, const char *name);

#endif

#ifndef TRY_FS_H
#define TRY_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "libtry/buf.h"

/*
 * File system primitives written once (git's wrapper.c in small): making
 * directories, writing whole buffers, replacing a file atomically, the one
 * `~` rule for paths from configuration, and reading a secret file.
 */

/*
 * Creates directory `path` and every missing parent (mkdir -p), mode 0777
 * before the umask.  Existing directories are fine.  0, or -1 with a
 * message naming the directory that could not be made.
 */
int try_fs_mkdir_p(const char *path);

/* try_fs_mkdir_p() of the directory `path` lies in ("a/b/c" -> "a/b"). */
int try_fs_mkdir_parents(const char *path);

/*
 * Writes all `len` bytes of `buf` to `fd`, retrying on EINTR and short
 * writes.  0, or -1 with errno set (no message: the caller knows the
 * file's name).
 */
int try_fs_write_in_full(int fd, const void *buf, size_t len);

/*
 * Replaces file `path` by `data` atomically: a temporary file beside it
 * (named after our pid), then rename().  `mode` is the new file's mode
 * before the umask.  No fsync: for caches and state that may be lost in a
 * crash, not for records.  0, or -1 with a message (the temporary file is
 * removed).
 */
int try_fs_write_atomic(const char *path, const void *data, size_t len,
			mode_t mode);

/*
 * The one `~` rule for paths from configuration: "~" and "~/x" start at
 * $HOME; any other path is copied as it is.  NULL for "~user/x" and when
 * $HOME is unset or empty (the caller says why).  The caller frees the
 * result.
 */
char *try_fs_expand_home(const char *path);

/*
 * Reads a secret from file `path` (`~` expanded as above; relative to
 * `base`, a directory, unless absolute or `base` is NULL): the whole file
 * without its final line ends, at most 64 KiB.  0 with the secret in
 * `out`; -1 with a message when the file cannot be read or the secret is
 * empty.
 */
int try_fs_read_secret(struct try_buf *out, const char *path,
		       const char *base);

#endif

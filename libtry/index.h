#ifndef TRY_INDEX_H
#define TRY_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "libtry/gitfast.h"

/*
 * Reading git's index (.git/index) in place, without libgit2: versions 2
 * to 4 and the cache-tree (TREE) extension.  The file is mapped; entries
 * point into the mapping (or, for version 4, into an arena of expanded
 * paths), so nothing is copied per entry.  Formats this reader does not
 * know (a split or sparse index, another version) are reported, not
 * guessed at: the caller leaves them to git.
 */

enum try_index_flags {
	TRY_INDEX_VALID = (1 << 0),     /* assume-unchanged: git skips it */
	TRY_INDEX_SKIP_WT = (1 << 1),   /* skip-worktree: not checked out */
	TRY_INDEX_ITA = (1 << 2),       /* intent-to-add */
	TRY_INDEX_CONFLICT = (1 << 3),  /* the path has unmerged stages */
	TRY_INDEX_DUP = (1 << 4),       /* a further stage of the last path */
};

/*
 * One index entry.  `path` (NUL-terminated, `pathlen` bytes) and `ce` (the
 * on-disk entry: stat data and blob id, read with try_index_ce()) are
 * borrowed from the index they came from.
 */
struct try_index_entry {
	const char *path;
	const unsigned char *ce;
	uint32_t pathlen;
	uint16_t flags;         /* enum try_index_flags */
	uint16_t stage;
};

/* Fields of an on-disk entry, at their offsets (read with try_index_ce). */
#define TRY_CE_CTIME 0          /* seconds; nanoseconds at +4 */
#define TRY_CE_MTIME 8          /* seconds; nanoseconds at +4 */
#define TRY_CE_INO 20
#define TRY_CE_MODE 24
#define TRY_CE_UID 28
#define TRY_CE_GID 32
#define TRY_CE_SIZE 36
#define TRY_CE_OID 40           /* TRY_OID_RAWSZ bytes */

/* A cache-tree node, in the order the TREE extension lists them. */
struct try_index_tree {
	const char *name;       /* not NUL-terminated: `namelen` bytes */
	uint32_t namelen;
	int32_t count;          /* entries covered; -1 when invalid */
	uint32_t nsub;
	uint32_t end;           /* index of the node after this subtree */
	const unsigned char *oid;       /* NULL when invalid */
};

struct try_index {
	unsigned char *map;
	size_t size;            /* of the file */
	struct try_index_entry *e;
	uint32_t nr;
	char *arena;            /* paths of a version 4 index */
	struct try_index_tree *tree;
	uint32_t ntree, tree_alloc;
	int64_t mtime_s, mtime_ns;      /* of the file, for racy entries */
	uint64_t ino;
	int unsupported;        /* a format this reader leaves to git */
};

/* Big-endian numbers as the index stores them. */
static inline uint32_t try_index_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The 32-bit field at `offset` (TRY_CE_*) of entry `e`. */
static inline uint32_t try_index_ce(const struct try_index_entry *e,
				    int offset)
{
	return try_index_be32(e->ce + offset);
}

/*
 * Maps and parses the index file at `path` into `out` (no need to
 * initialise it).  A missing file is an empty index.  Stages of one path
 * are marked (TRY_INDEX_DUP on all but the first, TRY_INDEX_CONFLICT on
 * all when one is unmerged).  Formats the reader does not know set
 * `out->unsupported` and return 0 with the entries incomplete.  Returns
 * -1 with a message when the file cannot be read or is damaged.  Release
 * `out` with try_index_release() whatever the return.
 */
int try_index_load(struct try_index *out, const char *path);

/* Unmaps and frees what `ix` holds; it is then empty. */
void try_index_release(struct try_index *ix);

/*
 * The child of cache-tree node `k` named `name` (`len` bytes): its node
 * number, or -1 when there is none (or `k` is -1).
 */
int64_t try_index_tree_child(const struct try_index *ix, int64_t k,
			     const char *name, size_t len);

#endif

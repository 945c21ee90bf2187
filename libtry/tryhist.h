#ifndef TRY_TRYHIST_H
#define TRY_TRYHIST_H

#include <git2.h>
#include <stddef.h>

#include "libtry/buf.h"
#include "libtry/ci.h"
#include "libtry/config.h"

/*
 * Past tries, kept in the repository: `<commondir>/try/<id>.json` holds
 * one try (base, patch id, backend, jobs, verdict, times) and
 * `<id>.patch` the patch it sent, so that it can be sent again.  The
 * folder is bounded: after a save only the newest `keep` records stay
 * (ids start with the time, so their names sort by age).
 *
 * The records are outside input (a crash, a full disk or a person may
 * have torn or edited one): reading is bounded in size and checks every
 * field; a record that does not pass is skipped with a warning and the
 * others are still read.
 */

/* A record file larger than this is corrupt. */
#define TRY_TRYHIST_MAX_RECORD (1u << 20)
/* At most this many jobs in a record. */
#define TRY_TRYHIST_MAX_JOBS 256

struct try_tryhist_record {
	char *id;            /* "try-<epoch s>-<12 hex>" */
	long long time;      /* when it was sent, epoch seconds */
	long long end;       /* when its verdict came, or 0 */
	char *base;          /* 40-hex base commit */
	char *branch;        /* the trunk branch */
	char *backend;       /* "local", "buildbot", ... */
	char *patch_id;      /* git blob id of the patch */
	size_t patch_bytes;
	size_t files;
	char *reason;        /* or NULL */
	char *command;       /* the local backend's command, or NULL */
	char *again_of;      /* the id this one resends, or NULL */
	struct try_ci_result res; /* jobs as last seen, and the URL */
};

/* Frees what the record holds and leaves it zeroed. */
void try_tryhist_record_release(struct try_tryhist_record *r);

/* The verdict: the overall state of its jobs. */
enum try_ci_state try_tryhist_state(const struct try_tryhist_record *r);

/* Records, newest first, and what could not be read. */
struct try_tryhist_list {
	struct try_tryhist_record *items;
	size_t nr, alloc;
	struct try_strlist warnings; /* one line per skipped record */
};
#define TRY_TRYHIST_LIST_INIT { NULL, 0, 0, { NULL, 0, 0 } }

void try_tryhist_list_release(struct try_tryhist_list *l);

/*
 * The records' folder of `repo` into `*out` (the shared git directory,
 * so that every worktree sees the same tries, plus "try"), without a
 * trailing '/'.  It need not exist.  Caller frees.
 */
int try_tryhist_dir(char **out, git_repository *repo);

/*
 * Reads the newest `max` records of `dir` (0: all) into `out`, newest
 * first.  A missing folder is no records.  A record that cannot be read
 * or does not parse adds a line to out->warnings and is skipped.
 * Returns 0, or -1 with a message when the folder cannot be listed.
 */
int try_tryhist_load(struct try_tryhist_list *out, const char *dir,
		     size_t max);

/*
 * Parses one record from `text` (`len` bytes) whose file name says `id`.
 * Returns 0, or -1 with a message saying what is wrong; `out` must be
 * released either way.
 */
int try_tryhist_parse(struct try_tryhist_record *out, const char *id,
		      const char *text, size_t len);

/* The record as JSON text (one line, no newline) into `out`. */
void try_tryhist_format(struct try_buf *out,
			const struct try_tryhist_record *r);

/*
 * Which record `sel` means: "1" (or NULL) is the newest, "2" the one
 * before; else a record's id or a prefix of it that only one has.
 * Returns the index in `l`, or -1 with a message.
 */
int try_tryhist_find(size_t *out, const struct try_tryhist_list *l,
		     const char *sel);

/*
 * Writes `r` to `dir` (made when missing), replacing a record with the same
 * id, and with it `patch` (`len` bytes) unless `patch` is NULL.  Each file
 * is written whole to a temporary name and renamed, so a reader sees the
 * old record or the new one.  Then removes the oldest records beyond `keep`
 * (0: keep all).  Returns 0, or -1 with a message.
 */
int try_tryhist_save(const char *dir, const struct try_tryhist_record *r,
		     const char *patch, size_t len, size_t keep);

/*
 * The patch of record `r` into `out`, checked against its patch id.
 * Returns 0, or -1 with a message when it is missing or changed.
 */
int try_tryhist_read_patch(struct try_buf *out, const char *dir,
			   const struct try_tryhist_record *r);

/* The git blob id of `patch` (40 hex + NUL) into `out`. */
int try_tryhist_patch_id(char out[GIT_OID_HEXSZ + 1], const char *patch,
			 size_t len);

#endif

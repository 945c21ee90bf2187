#ifndef TRY_BUF_H
#define TRY_BUF_H

#include <stddef.h>
#include <stdarg.h>

/*
 * A growable, always NUL-terminated byte buffer (git's strbuf).  `ptr` may
 * hold NUL bytes; `len` counts the bytes before the terminating NUL.  An
 * initialised buffer with nothing in it points at a shared empty string, so
 * `ptr` is always safe to read.
 */
struct try_buf {
	char *ptr;
	size_t len;
	size_t alloc;
};

extern char try_buf__empty[];
#define TRY_BUF_INIT { try_buf__empty, 0, 0 }

/* Makes `buf` empty without allocating. */
void try_buf_init(struct try_buf *buf);

/* Frees the contents and leaves `buf` initialised. */
void try_buf_release(struct try_buf *buf);

/*
 * Hands the contents to the caller, who frees them with free(); `buf` is left
 * initialised.  Never returns NULL (an empty buffer gives an allocated "").
 */
char *try_buf_detach(struct try_buf *buf);

/* Makes room for `extra` more bytes.  Aborts on allocation failure. */
void try_buf_grow(struct try_buf *buf, size_t extra);

void try_buf_add(struct try_buf *buf, const void *data, size_t len);
void try_buf_adds(struct try_buf *buf, const char *s);
void try_buf_addch(struct try_buf *buf, int c);
void try_buf_addf(struct try_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void try_buf_vaddf(struct try_buf *buf, const char *fmt, va_list ap);
void try_buf_reset(struct try_buf *buf);
void try_buf_setlen(struct try_buf *buf, size_t len);

/* Removes trailing white space (and newlines). */
void try_buf_rtrim(struct try_buf *buf);

/*
 * Appends everything from `fd` until end of file.  Fails with -1 and an
 * error message when reading fails or when the buffer would grow past
 * `cap` bytes (untrusted input: hook stdin, HTTP bodies); `cap` 0 means no
 * limit.  What was read stays in `buf`.
 */
int try_buf_read_fd(struct try_buf *buf, int fd, size_t cap);

/* Reads a whole file; -1 with an error message when it cannot. */
int try_buf_read_file(struct try_buf *buf, const char *path, size_t cap);

/*
 * Appends `s` quoted for a POSIX shell ('...'), so that any bytes survive.
 */
void try_buf_add_shquoted(struct try_buf *buf, const char *s);

/* Allocation helpers that abort instead of returning NULL. */
void *try_xmalloc(size_t n);
void *try_xcalloc(size_t nmemb, size_t size);
void *try_xrealloc(void *p, size_t n);
char *try_xstrdup(const char *s);
char *try_xstrndup(const char *s, size_t n);

/* Grows `*array` (of `*alloc` elements of `size`) to hold `nr` elements. */
void try_array_grow(void **array, size_t *alloc, size_t nr, size_t size);
#define TRY_ARRAY_GROW(arr, nr, alloc) \
	try_array_grow((void **)&(arr), &(alloc), (nr), sizeof(*(arr)))

#endif

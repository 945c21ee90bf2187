/*
 * The index reader: see index.h.  The format is git's
 * Documentation/gitformat-index.txt.
 */
#include "libtry/index.h"
#include "libtry/buf.h"
#include "libtry/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void try_index_release(struct try_index *ix)
{
	if (ix->map)
		munmap(ix->map, ix->size);
	free(ix->e);
	free(ix->arena);
	free(ix->tree);
	memset(ix, 0, sizeof(*ix));
}

/* git's varint.c */
static int decode_varint(uint64_t *out, const unsigned char **pp,
			 const unsigned char *end)
{
	const unsigned char *p = *pp;
	uint64_t val;
	unsigned char ch;

	if (p >= end)
		return -1;
	ch = *p++;
	val = ch & 127;
	while (ch & 128) {
		val += 1;
		if (!val || (val >> 57))
			return -1;
		if (p >= end)
			return -1;
		ch = *p++;
		val = (val << 7) + (ch & 127);
	}
	*pp = p;
	*out = val;
	return 0;
}

static int parse_decimal(int64_t *out, const unsigned char **pp,
			 const unsigned char *end, int stop)
{
	const unsigned char *p = *pp;
	int neg = 0, digits = 0;
	int64_t v = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	while (p < end && *p >= '0' && *p <= '9' && digits < 12) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits || p >= end || *p != stop)
		return -1;
	*pp = p + 1;
	*out = neg ? -v : v;
	return 0;
}

static int parse_cache_tree(struct try_index *ix, const unsigned char **pp,
			    const unsigned char *end, int depth)
{
	const unsigned char *p = *pp, *nul;
	int64_t count, nsub;
	uint32_t k, i;

	if (depth > 4096)
		return -1;
	nul = memchr(p, '\0', end - p);
	if (!nul)
		return -1;
	if (ix->ntree == ix->tree_alloc) {
		size_t alloc = ix->tree_alloc;
		TRY_ARRAY_GROW(ix->tree, ix->ntree + 1, alloc);
		ix->tree_alloc = (uint32_t)alloc;
	}
	k = ix->ntree++;
	ix->tree[k].name = (const char *)p;
	ix->tree[k].namelen = (uint32_t)(nul - p);
	p = nul + 1;
	if (parse_decimal(&count, &p, end, ' ') < 0 ||
	    parse_decimal(&nsub, &p, end, '\n') < 0 || nsub < 0 ||
	    nsub > 1000000)
		return -1;
	ix->tree[k].count = count < 0 ? -1 : (int32_t)count;
	ix->tree[k].nsub = (uint32_t)nsub;
	ix->tree[k].oid = NULL;
	if (count >= 0) {
		if (end - p < TRY_OID_RAWSZ)
			return -1;
		ix->tree[k].oid = p;
		p += TRY_OID_RAWSZ;
	}
	for (i = 0; i < (uint32_t)nsub; i++)
		if (parse_cache_tree(ix, &p, end, depth + 1) < 0)
			return -1;
	ix->tree[k].end = ix->ntree;
	*pp = p;
	return 0;
}

int64_t try_index_tree_child(const struct try_index *ix, int64_t k,
				const char *name, size_t len)
{
	uint32_t c, i;

	if (k < 0)
		return -1;
	c = (uint32_t)k + 1;
	for (i = 0; i < ix->tree[k].nsub && c < ix->ntree; i++) {
		if (ix->tree[c].namelen == len &&
		    !memcmp(ix->tree[c].name, name, len))
			return c;
		c = ix->tree[c].end;
	}
	return -1;
}

int try_index_load(struct try_index *ix, const char *path)
{
	const unsigned char *p, *end;
	uint32_t version, i;
	size_t arena_len = 0, arena_alloc = 0;
	size_t *offsets = NULL;
	struct stat st;
	int fd, ret = -1;

	memset(ix, 0, sizeof(*ix));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		try_error_set("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		try_error_set("cannot stat '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	ix->mtime_s = st.st_mtim.tv_sec;
	ix->mtime_ns = st.st_mtim.tv_nsec;
	ix->ino = (uint64_t)st.st_ino;
	ix->size = (size_t)st.st_size;
	if (ix->size < 12 + TRY_OID_RAWSZ) {
		close(fd);
		goto corrupt;
	}
	/* every page is read: fault them in at once */
	ix->map = mmap(NULL, ix->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		       fd, 0);
	close(fd);
	if (ix->map == MAP_FAILED) {
		ix->map = NULL;
		try_error_set("cannot map '%s': %s", path, strerror(errno));
		return -1;
	}
	p = ix->map;
	end = ix->map + ix->size - TRY_OID_RAWSZ;
	if (memcmp(p, "DIRC", 4))
		goto corrupt;
	version = try_index_be32(p + 4);
	if (version < 2 || version > 4) {
		ix->unsupported = 1;
		return 0;
	}
	ix->nr = try_index_be32(p + 8);
	if (ix->nr > (ix->size - 12) / 24)
		goto corrupt;
	ix->e = try_xcalloc(ix->nr ? ix->nr : 1, sizeof(*ix->e));
	if (version == 4)
		offsets = try_xcalloc(ix->nr ? ix->nr : 1, sizeof(*offsets));
	p += 12;
	for (i = 0; i < ix->nr; i++) {
		struct try_index_entry *e = &ix->e[i];
		const unsigned char *ce = p, *name;
		uint16_t flags, xflags = 0;
		size_t hdr = 62, len;

		if (end - p < 62)
			goto corrupt;
		flags = be16(p + 60);
		if (flags & 0x4000) {
			if (version < 3 || end - p < 64)
				goto corrupt;
			xflags = be16(p + 62);
			hdr = 64;
		}
		e->ce = ce;
		e->stage = (flags >> 12) & 3;
		if (flags & 0x8000)
			e->flags |= TRY_INDEX_VALID;
		if (xflags & 0x4000)
			e->flags |= TRY_INDEX_SKIP_WT;
		if (xflags & 0x2000)
			e->flags |= TRY_INDEX_ITA;
		name = p + hdr;
		if (version == 4) {
			uint64_t strip;
			const unsigned char *nul;
			size_t prev_len = i ? ix->e[i - 1].pathlen : 0;
			size_t prev_off = i ? offsets[i - 1] : 0;

			if (decode_varint(&strip, &name, end) < 0 ||
			    strip > prev_len)
				goto corrupt;
			nul = memchr(name, '\0', end - name);
			if (!nul)
				goto corrupt;
			len = (size_t)(nul - name);
			try_array_grow((void **)&ix->arena, &arena_alloc,
				       arena_len + prev_len - strip + len + 1,
				       1);
			offsets[i] = arena_len;
			memmove(ix->arena + arena_len,
				ix->arena + prev_off, prev_len - strip);
			memcpy(ix->arena + arena_len + prev_len - strip, name,
			       len);
			len += prev_len - strip;
			ix->arena[arena_len + len] = '\0';
			arena_len += len + 1;
			e->pathlen = (uint32_t)len;
			p = nul + 1;
		} else {
			const unsigned char *nul = memchr(name, '\0',
							  end - name);
			if (!nul)
				goto corrupt;
			len = (size_t)(nul - name);
			e->path = (const char *)name;
			e->pathlen = (uint32_t)len;
			p = ce + ((hdr + len + 8) & ~(size_t)7);
			if (p > end)
				goto corrupt;
		}
		if (!len) {
			/* split index: the name is in the shared index */
			ix->unsupported = 1;
			ret = 0;
			goto done;
		}
	}
	if (version == 4)
		for (i = 0; i < ix->nr; i++)
			ix->e[i].path = ix->arena + offsets[i];
	/* stages of one path follow each other; mark them */
	for (i = 0; i < ix->nr;) {
		uint32_t j = i + 1, k;
		int conflict = ix->e[i].stage != 0;

		while (j < ix->nr && ix->e[j].pathlen == ix->e[i].pathlen &&
		       !memcmp(ix->e[j].path, ix->e[i].path,
			       ix->e[i].pathlen)) {
			ix->e[j].flags |= TRY_INDEX_DUP;
			conflict |= ix->e[j].stage != 0;
			j++;
		}
		if (conflict)
			for (k = i; k < j; k++)
				ix->e[k].flags |= TRY_INDEX_CONFLICT;
		i = j;
	}

	/* extensions */
	while (end - p >= 8) {
		uint32_t size = try_index_be32(p + 4);
		const unsigned char *data = p + 8;

		if ((size_t)(end - data) < size)
			goto corrupt;
		if (!memcmp(p, "TREE", 4)) {
			const unsigned char *q = data;
			while (q < data + size)
				if (parse_cache_tree(ix, &q, data + size,
						     0) < 0)
					goto corrupt;
		} else if (p[0] >= 'a' && p[0] <= 'z') {
			/* link (split index), sdir (sparse index), ... */
			ix->unsupported = 1;
		}
		p = data + size;
	}
	ret = 0;
	goto done;
corrupt:
	try_error_set("index file corrupt: '%s'", path);
done:
	free(offsets);
	return ret;
}

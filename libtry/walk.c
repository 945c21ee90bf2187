#include "libtry/walk.h"
#include "libtry/buf.h"
#include "libtry/error.h"

#include <stdlib.h>
#include <string.h>

#define SLOP 5

enum node_flags {
	PARSED = (1 << 0),
	SEEN = (1 << 1),          /* queued once */
	UNINTERESTING = (1 << 2),
	IN_QUEUE = (1 << 3),
};

struct node {
	struct try_walk_commit c;
	size_t parents;  /* index into w->parent_ids */
	unsigned flags;
	size_t seq;      /* queue order among equal times */
};

struct try_walk {
	git_repository *repo;
	git_odb *odb;
	unsigned flags;
	struct node *nodes;
	size_t nr, alloc;
	size_t *map;     /* open addressing: node index + 1, 0 empty */
	size_t map_size; /* power of two */
	git_oid *parent_ids;
	size_t parents_nr, parents_alloc;
	size_t *queue;   /* binary max-heap of node indices */
	size_t queue_nr, queue_alloc;
	size_t interesting_queued;
	size_t seq;
	size_t *out;     /* indices, in output order */
	size_t out_nr, out_alloc;
	git_tree *trees[2]; /* the last two root trees read */
	unsigned next_tree;
};

int try_walk_new(struct try_walk **out, git_repository *repo, unsigned flags)
{
	struct try_walk *w = try_xcalloc(1, sizeof(*w));

	w->repo = repo;
	w->flags = flags;
	if (git_repository_odb(&w->odb, repo) < 0) {
		try_error_from_git("cannot open the object database");
		free(w);
		*out = NULL;
		return -1;
	}
	w->map_size = 1024;
	w->map = try_xcalloc(w->map_size, sizeof(*w->map));
	*out = w;
	return 0;
}

void try_walk_free(struct try_walk *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nr; i++) {
		free(w->nodes[i].c.subject);
		free(w->nodes[i].c.author);
	}
	free(w->nodes);
	free(w->map);
	free(w->parent_ids);
	free(w->queue);
	free(w->out);
	git_tree_free(w->trees[0]);
	git_tree_free(w->trees[1]);
	git_odb_free(w->odb);
	free(w);
}

static size_t oid_hash(const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h;
}

static void map_insert(size_t *map, size_t size, const struct node *nodes,
		       size_t idx)
{
	size_t mask = size - 1, i = oid_hash(&nodes[idx].c.id) & mask;

	while (map[i])
		i = (i + 1) & mask;
	map[i] = idx + 1;
}

static void map_grow(struct try_walk *w)
{
	size_t i, size = w->map_size * 2;
	size_t *map = try_xcalloc(size, sizeof(*map));

	for (i = 0; i < w->nr; i++)
		map_insert(map, size, w->nodes, i);
	free(w->map);
	w->map = map;
	w->map_size = size;
}

/* The node of `id`, created unparsed when new. */
static size_t node_of(struct try_walk *w, const git_oid *id)
{
	size_t mask = w->map_size - 1, i = oid_hash(id) & mask;

	while (w->map[i]) {
		size_t n = w->map[i] - 1;
		if (git_oid_equal(&w->nodes[n].c.id, id))
			return n;
		i = (i + 1) & mask;
	}
	if ((w->nr + 1) * 2 > w->map_size) {
		map_grow(w);
		return node_of(w, id);
	}
	TRY_ARRAY_GROW(w->nodes, w->nr + 1, w->alloc);
	memset(&w->nodes[w->nr], 0, sizeof(w->nodes[w->nr]));
	git_oid_cpy(&w->nodes[w->nr].c.id, id);
	w->map[i] = w->nr + 1;
	return w->nr++;
}

static int parse_error(const git_oid *id, const char *what)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	try_error_set("commit %s: %s", hex, what);
	return -1;
}

/* "<40 hex>\n" at p; advances p. */
static int header_oid(git_oid *out, const char **p, const char *end)
{
	if (end - *p < GIT_OID_HEXSZ + 1 || (*p)[GIT_OID_HEXSZ] != '\n' ||
	    git_oid_fromstrn(out, *p, GIT_OID_HEXSZ) < 0)
		return -1;
	*p += GIT_OID_HEXSZ + 1;
	return 0;
}

static int parse_node(struct try_walk *w, size_t idx)
{
	git_odb_object *obj = NULL;
	const char *data, *p, *end, *eol;
	git_oid parent;
	struct node *n;
	size_t first_parent = w->parents_nr;
	unsigned nparents = 0;
	int64_t time = 0;
	char *author = NULL;
	int ret = -1;

	if (git_odb_read(&obj, w->odb, &w->nodes[idx].c.id) < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &w->nodes[idx].c.id);
		try_error_set("missing commit %s", hex);
		return -1;
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT) {
		ret = parse_error(&w->nodes[idx].c.id, "not a commit");
		goto done;
	}
	data = git_odb_object_data(obj);
	p = data;
	end = data + git_odb_object_size(obj);

	if (end - p < 5 || memcmp(p, "tree ", 5)) {
		ret = parse_error(&w->nodes[idx].c.id, "no tree");
		goto done;
	}
	p += 5;
	n = &w->nodes[idx];
	if (header_oid(&n->c.tree, &p, end) < 0) {
		ret = parse_error(&n->c.id, "bad tree line");
		goto done;
	}
	while (end - p > 7 && !memcmp(p, "parent ", 7)) {
		p += 7;
		if (header_oid(&parent, &p, end) < 0) {
			ret = parse_error(&w->nodes[idx].c.id, "bad parent line");
			goto done;
		}
		TRY_ARRAY_GROW(w->parent_ids, w->parents_nr + 1,
			       w->parents_alloc);
		git_oid_cpy(&w->parent_ids[w->parents_nr++], &parent);
		nparents++;
	}
	/* the other headers, up to the blank line */
	while (p < end && *p != '\n') {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((w->flags & TRY_WALK_AUTHOR) && !author &&
		    eol - p > 7 && !memcmp(p, "author ", 7)) {
			const char *gt = eol;
			while (gt > p && *gt != '>')
				gt--;
			if (gt > p + 7)
				author = try_xstrndup(p + 7, (size_t)(gt + 1 - (p + 7)));
		} else if (eol - p > 10 && !memcmp(p, "committer ", 10)) {
			const char *gt = eol;
			while (gt > p && *gt != '>')
				gt--;
			if (gt > p)
				time = strtoll(gt + 1, NULL, 10);
		}
		p = eol < end ? eol + 1 : end;
	}
	if (p < end)
		p++; /* the blank line */
	eol = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;

	n = &w->nodes[idx];
	n->c.subject = try_xstrndup(p, (size_t)((eol ? eol : end) - p));
	n->c.author = author ? author : (w->flags & TRY_WALK_AUTHOR) ?
					try_xstrdup("") : NULL;
	author = NULL;
	n->c.time = time;
	n->c.nparents = nparents;
	n->parents = first_parent;
	if (nparents)
		git_oid_cpy(&n->c.parent, &w->parent_ids[first_parent]);
	n->flags |= PARSED;
	ret = 0;
done:
	free(author);
	git_odb_object_free(obj);
	return ret;
}

/* heap order: newer first; equal times in queue order */
static int before(const struct try_walk *w, size_t a, size_t b)
{
	const struct node *na = &w->nodes[a], *nb = &w->nodes[b];

	if (na->c.time != nb->c.time)
		return na->c.time > nb->c.time;
	return na->seq < nb->seq;
}

static void queue_push(struct try_walk *w, size_t idx)
{
	size_t i;

	TRY_ARRAY_GROW(w->queue, w->queue_nr + 1, w->queue_alloc);
	w->nodes[idx].seq = w->seq++;
	w->nodes[idx].flags |= IN_QUEUE | SEEN;
	if (!(w->nodes[idx].flags & UNINTERESTING))
		w->interesting_queued++;
	i = w->queue_nr++;
	while (i && before(w, idx, w->queue[(i - 1) / 2])) {
		w->queue[i] = w->queue[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	w->queue[i] = idx;
}

static size_t queue_pop(struct try_walk *w)
{
	size_t top = w->queue[0], last = w->queue[--w->queue_nr], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= w->queue_nr)
			break;
		if (c + 1 < w->queue_nr && before(w, w->queue[c + 1], w->queue[c]))
			c++;
		if (!before(w, w->queue[c], last))
			break;
		w->queue[i] = w->queue[c];
		i = c;
	}
	if (w->queue_nr)
		w->queue[i] = last;
	w->nodes[top].flags &= ~IN_QUEUE;
	if (!(w->nodes[top].flags & UNINTERESTING))
		w->interesting_queued--;
	return top;
}

static void mark_uninteresting(struct try_walk *w, size_t idx)
{
	struct node *n = &w->nodes[idx];

	if (n->flags & UNINTERESTING)
		return;
	n->flags |= UNINTERESTING;
	if (n->flags & IN_QUEUE)
		w->interesting_queued--;
}

/* Marks the parents of `idx`, and their parsed ancestors, hidden. */
static void mark_parents_uninteresting(struct try_walk *w, size_t idx)
{
	size_t *stack = NULL, nr = 0, alloc = 0, i;

	TRY_ARRAY_GROW(stack, 1, alloc);
	stack[nr++] = idx;
	while (nr) {
		size_t cur = stack[--nr];
		const struct node *n = &w->nodes[cur];
		size_t first = n->parents, np = n->c.nparents;

		for (i = 0; i < np; i++) {
			size_t p = node_of(w, &w->parent_ids[first + i]);
			if (w->nodes[p].flags & UNINTERESTING)
				continue;
			mark_uninteresting(w, p);
			if (w->nodes[p].flags & PARSED) {
				TRY_ARRAY_GROW(stack, nr + 1, alloc);
				stack[nr++] = p;
			}
		}
	}
	free(stack);
}

static int add_tip(struct try_walk *w, const git_oid *id, int hide)
{
	size_t idx = node_of(w, id);

	if (!(w->nodes[idx].flags & PARSED) && parse_node(w, idx) < 0)
		return -1;
	if (hide)
		mark_uninteresting(w, idx);
	if (!(w->nodes[idx].flags & SEEN))
		queue_push(w, idx);
	return 0;
}

int try_walk_push(struct try_walk *w, const git_oid *id)
{
	return add_tip(w, id, 0);
}

int try_walk_hide(struct try_walk *w, const git_oid *id)
{
	return add_tip(w, id, 1);
}

int try_walk_run(struct try_walk *w)
{
	size_t i, kept = 0;
	int slop = SLOP;

	while (w->queue_nr) {
		size_t idx = queue_pop(w);
		size_t first, np;

		if (w->nodes[idx].flags & UNINTERESTING)
			mark_parents_uninteresting(w, idx);
		first = w->nodes[idx].parents;
		np = w->nodes[idx].c.nparents;
		for (i = 0; i < np; i++) {
			git_oid pid;
			size_t p;

			git_oid_cpy(&pid, &w->parent_ids[first + i]);
			p = node_of(w, &pid);
			if (w->nodes[p].flags & SEEN)
				continue;
			if (!(w->nodes[p].flags & PARSED) && parse_node(w, p) < 0)
				return -1;
			queue_push(w, p);
		}
		if (!(w->nodes[idx].flags & UNINTERESTING)) {
			TRY_ARRAY_GROW(w->out, w->out_nr + 1, w->out_alloc);
			w->out[w->out_nr++] = idx;
		}
		/* only hidden history left: a few more steps for clock skew */
		if (!w->interesting_queued && !slop--)
			break;
		if (w->interesting_queued)
			slop = SLOP;
	}
	/* commits found hidden after they were listed */
	for (i = 0; i < w->out_nr; i++)
		if (!(w->nodes[w->out[i]].flags & UNINTERESTING))
			w->out[kept++] = w->out[i];
	w->out_nr = kept;
	return 0;
}

size_t try_walk_count(const struct try_walk *w)
{
	return w->out_nr;
}

const struct try_walk_commit *try_walk_get(const struct try_walk *w, size_t i)
{
	return &w->nodes[w->out[i]].c;
}

int try_walk_parent_tree(git_oid *out, struct try_walk *w,
			 const struct try_walk_commit *c)
{
	size_t p;

	memset(out, 0, sizeof(*out));
	if (!c->nparents)
		return 0;
	p = node_of(w, &c->parent);
	if (!(w->nodes[p].flags & PARSED) && parse_node(w, p) < 0)
		return -1;
	git_oid_cpy(out, &w->nodes[p].c.tree);
	return 0;
}

const git_oid *try_walk_parents(const struct try_walk *w, size_t i,
				unsigned *nr)
{
	const struct node *n = &w->nodes[w->out[i]];

	*nr = n->c.nparents;
	return n->c.nparents ? &w->parent_ids[n->parents] : NULL;
}

/*
 * A root tree through the two-slot cache; borrowed; NULL for zeros.  The
 * slot holding `keep` (a tree the caller still uses) is never the one
 * evicted.
 */
static int cached_tree(git_tree **out, struct try_walk *w, const git_oid *id,
		       const git_tree *keep)
{
	static const git_oid zero;
	unsigned i, slot;

	*out = NULL;
	if (git_oid_equal(id, &zero))
		return 0;
	for (i = 0; i < 2; i++) {
		if (w->trees[i] && git_oid_equal(git_tree_id(w->trees[i]), id)) {
			*out = w->trees[i];
			return 0;
		}
	}
	slot = w->next_tree;
	if (keep && w->trees[slot] == keep)
		slot ^= 1;
	git_tree_free(w->trees[slot]);
	w->trees[slot] = NULL;
	if (git_tree_lookup(&w->trees[slot], w->repo, id) < 0) {
		try_error_from_git("cannot read tree");
		return -1;
	}
	*out = w->trees[slot];
	w->next_tree = slot ^ 1;
	return 0;
}

int try_walk_classify(struct try_commit_lane *out, struct try_walk *w,
		      struct try_classifier *c, size_t i)
{
	const struct try_walk_commit *wc = try_walk_get(w, i);
	git_tree *old = NULL, *new = NULL;
	git_oid parent_tree;

	out->flags = 0;
	out->path = NULL;
	git_oid_cpy(&out->id, &wc->id);
	if (wc->nparents > 1)
		out->flags |= TRY_COMMIT_MERGE;
	if (!wc->nparents)
		out->flags |= TRY_COMMIT_ROOT;
	/* the new tree first: it stays cached for the next commit */
	if (try_walk_parent_tree(&parent_tree, w, wc) < 0 ||
	    cached_tree(&new, w, &wc->tree, NULL) < 0 ||
	    cached_tree(&old, w, &parent_tree, new) < 0)
		return -1;
	return try_classify_trees(out, c, old, new, wc->subject,
				  strlen(wc->subject));
}

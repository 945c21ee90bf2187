#include "libtry/queue.h"
#include "libtry/error.h"
#include "libtry/hold.h"
#include "libtry/report.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The queue's text format and its state machine: pure functions of their
 * arguments, shared by the clone that proposes a change and the hook that
 * referees it (queue_git.c moves them through git).
 */

static const char *const state_keys[] = { "waiting", "ready", "good" };

const char *try_queue_state_key(enum try_queue_state s)
{
	return (unsigned)s < 3 ? state_keys[s] : "?";
}

static int state_parse(enum try_queue_state *out, const char *s, size_t len)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strlen(state_keys[i]) == len &&
		    !memcmp(state_keys[i], s, len)) {
			*out = (enum try_queue_state)i;
			return 0;
		}
	return -1;
}

static const char *const verb_keys[] = {
	"join", "leave", "ready", "good", "uhoh", "drive", "done", "kick",
	"deployed",
};
#define NVERBS (sizeof(verb_keys) / sizeof(*verb_keys))

const char *try_queue_verb_key(enum try_queue_verb v)
{
	return (unsigned)v < NVERBS ? verb_keys[v] : "?";
}

int try_queue_verb_parse(enum try_queue_verb *out, const char *s)
{
	size_t i;

	for (i = 0; i < NVERBS; i++)
		if (!strcmp(verb_keys[i], s)) {
			*out = (enum try_queue_verb)i;
			return 0;
		}
	return -1;
}

int try_queue_lane_parse(enum try_lane *out, const char *s)
{
	if (!strcmp(s, "code"))
		*out = TRY_LANE_CODE;
	else if (!strcmp(s, "config"))
		*out = TRY_LANE_CONFIG;
	else
		return -1;
	return 0;
}

static int user_valid(const char *s, size_t len)
{
	size_t i;

	if (!len || len > TRY_QUEUE_MAX_USER || s[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._@+-", c)) || !c)
			return 0;
	}
	return 1;
}

int try_queue_user_valid(const char *s)
{
	return s && user_valid(s, strlen(s));
}

static int note_valid(const char *s, size_t len)
{
	size_t i;

	if (len > TRY_QUEUE_MAX_NOTE)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int try_queue_note_check(const char *note)
{
	size_t len = note ? strlen(note) : 0;

	if (len > TRY_QUEUE_MAX_NOTE) {
		try_error_set("a note holds at most %d bytes, not %zu",
			      TRY_QUEUE_MAX_NOTE, len);
		return TRY_QUEUE_EREFUSED;
	}
	if (!note_valid(note, len)) {
		try_error_set("a note is one line without control characters");
		return TRY_QUEUE_EREFUSED;
	}
	return 0;
}

void try_queue_init(struct try_queue *q, enum try_lane lane)
{
	memset(q, 0, sizeof(*q));
	q->lane = lane;
}

static void rider_release(struct try_queue_rider *r)
{
	free(r->user);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

static void car_release(struct try_queue_car *c)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		rider_release(&c->riders[i]);
	free(c->riders);
	memset(c, 0, sizeof(*c));
}

void try_queue_release(struct try_queue *q)
{
	size_t i;

	for (i = 0; i < q->nr; i++)
		car_release(&q->cars[i]);
	free(q->cars);
	try_queue_init(q, q->lane);
}

static size_t count_riders(const struct try_queue *q)
{
	size_t i, n = 0;

	for (i = 0; i < q->nr; i++)
		n += q->cars[i].nr;
	return n;
}

int try_queue_find(size_t *car, size_t *idx, const struct try_queue *q,
		   const char *user)
{
	size_t i, j;

	for (i = 0; i < q->nr; i++)
		for (j = 0; j < q->cars[i].nr; j++)
			if (!strcmp(q->cars[i].riders[j].user, user)) {
				if (car)
					*car = i;
				if (idx)
					*idx = j;
				return 0;
			}
	return TRY_ENOTFOUND;
}

const char *try_queue_driver(const struct try_queue *q)
{
	return q->nr && q->cars[0].nr ? q->cars[0].riders[0].user : NULL;
}

int try_queue_car_all(const struct try_queue *q, size_t i,
		      enum try_queue_state state)
{
	size_t j;

	if (i >= q->nr)
		return 0;
	for (j = 0; j < q->cars[i].nr; j++)
		if (q->cars[i].riders[j].state < state)
			return 0;
	return 1;
}

/* Inserts an empty car at `at`. */
static struct try_queue_car *car_insert(struct try_queue *q, size_t at)
{
	TRY_ARRAY_GROW(q->cars, q->nr + 1, q->alloc);
	memmove(&q->cars[at + 1], &q->cars[at],
		(q->nr - at) * sizeof(*q->cars));
	memset(&q->cars[at], 0, sizeof(*q->cars));
	q->nr++;
	return &q->cars[at];
}

static void car_remove(struct try_queue *q, size_t at)
{
	car_release(&q->cars[at]);
	memmove(&q->cars[at], &q->cars[at + 1],
		(q->nr - at - 1) * sizeof(*q->cars));
	q->nr--;
}

static struct try_queue_rider *rider_insert(struct try_queue_car *c,
					    size_t at)
{
	TRY_ARRAY_GROW(c->riders, c->nr + 1, c->alloc);
	memmove(&c->riders[at + 1], &c->riders[at],
		(c->nr - at) * sizeof(*c->riders));
	memset(&c->riders[at], 0, sizeof(*c->riders));
	c->nr++;
	return &c->riders[at];
}

/* Removes a rider, and its car when it was the last one. */
static void rider_remove(struct try_queue *q, size_t car, size_t idx)
{
	struct try_queue_car *c = &q->cars[car];

	rider_release(&c->riders[idx]);
	memmove(&c->riders[idx], &c->riders[idx + 1],
		(c->nr - idx - 1) * sizeof(*c->riders));
	c->nr--;
	if (!c->nr)
		car_remove(q, car);
}

void try_queue_copy(struct try_queue *out, const struct try_queue *src)
{
	size_t i, j;

	try_queue_init(out, src->lane);
	for (i = 0; i < src->nr; i++) {
		struct try_queue_car *c = car_insert(out, out->nr);
		c->flags = src->cars[i].flags;
		for (j = 0; j < src->cars[i].nr; j++) {
			const struct try_queue_rider *s = &src->cars[i].riders[j];
			struct try_queue_rider *r = rider_insert(c, c->nr);
			r->user = try_xstrdup(s->user);
			r->state = s->state;
			r->since = s->since;
			r->note = s->note ? try_xstrdup(s->note) : NULL;
		}
	}
}

/* The text format. */

static int parse_error(size_t lineno, const char *what)
{
	try_error_set("queue line %zu: %s", lineno, what);
	return TRY_QUEUE_EREFUSED;
}

static int parse_int64(int64_t *out, const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (!len || len > 12 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The next field of `line` up to a space or the end; advances `*p`. */
static int next_field(const char **f, size_t *flen, const char **p,
		      const char *end)
{
	const char *sp;

	if (*p >= end)
		return -1;
	sp = memchr(*p, ' ', (size_t)(end - *p));
	*f = *p;
	*flen = sp ? (size_t)(sp - *p) : (size_t)(end - *p);
	*p = sp ? sp + 1 : end;
	if (sp && *p == end)
		return -1; /* a trailing space */
	return *flen ? 0 : -1;
}

static int field_is(const char *f, size_t len, const char *s)
{
	return strlen(s) == len && !memcmp(f, s, len);
}

static int parse_car(struct try_queue *q, const char *p, const char *end,
		     size_t lineno)
{
	struct try_queue_car *c;
	unsigned flags = 0;
	const char *f;
	size_t fl;

	while (p < end) {
		if (next_field(&f, &fl, &p, end) < 0)
			return parse_error(lineno, "malformed car line");
		if (field_is(f, fl, "verifying") && !flags)
			flags |= TRY_QUEUE_CAR_VERIFYING;
		else if (field_is(f, fl, "uhoh") &&
			 !(flags & TRY_QUEUE_CAR_UHOH))
			flags |= TRY_QUEUE_CAR_UHOH;
		else
			return parse_error(lineno, "unknown car flag");
	}
	if ((flags & TRY_QUEUE_CAR_VERIFYING) && q->nr)
		return parse_error(lineno, "only the head car verifies");
	if (q->nr && !q->cars[q->nr - 1].nr)
		return parse_error(lineno - 1, "a car without riders");
	c = car_insert(q, q->nr);
	c->flags = flags;
	return 0;
}

static int parse_rider(struct try_queue *q, const char *p, const char *end,
		       size_t lineno)
{
	struct try_queue_rider *r;
	struct try_queue_car *c;
	const char *user, *state, *since;
	size_t ul, sl, tl;
	enum try_queue_state st;
	int64_t when;
	char *name;

	if (!q->nr)
		return parse_error(lineno, "a rider before the first car");
	if (count_riders(q) >= TRY_QUEUE_MAX_RIDERS)
		return parse_error(lineno, "too many riders");
	if (next_field(&user, &ul, &p, end) < 0 ||
	    next_field(&state, &sl, &p, end) < 0)
		return parse_error(lineno, "malformed rider line");
	since = p;
	tl = (size_t)(end - p);
	p = memchr(since, ' ', tl);
	if (p) {
		tl = (size_t)(p - since);
		p++;
		if (p == end)
			return parse_error(lineno, "empty note");
	}
	if (!user_valid(user, ul))
		return parse_error(lineno, "invalid user name");
	if (state_parse(&st, state, sl) < 0)
		return parse_error(lineno, "unknown state");
	if (parse_int64(&when, since, tl) < 0)
		return parse_error(lineno, "invalid time");
	if (p && !note_valid(p, (size_t)(end - p)))
		return parse_error(lineno, "invalid note");
	name = try_xstrndup(user, ul);
	if (try_queue_find(NULL, NULL, q, name) == 0) {
		free(name);
		return parse_error(lineno, "a user rides once");
	}
	c = &q->cars[q->nr - 1];
	r = rider_insert(c, c->nr);
	r->user = name;
	r->state = st;
	r->since = when;
	r->note = p ? try_xstrndup(p, (size_t)(end - p)) : NULL;
	return 0;
}

int try_queue_parse(struct try_queue *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	int ret;

	try_queue_init(out, TRY_LANE_CODE);
	if (len > TRY_QUEUE_MAX_BYTES) {
		try_error_set("queue of %zu bytes: at most %u", len,
			      TRY_QUEUE_MAX_BYTES);
		return TRY_QUEUE_EREFUSED;
	}
	if (len && text[len - 1] != '\n')
		return parse_error(1, "the queue must end in a newline");
	if (memchr(text, '\0', len))
		return parse_error(1, "NUL byte");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl;

		lineno++;
		if (lineno == 1) {
			static const char head[] = "lanes-queue 1 ";
			size_t hl = sizeof(head) - 1;
			char lane[8];
			size_t ll = (size_t)(le - p);

			if (ll <= hl || memcmp(p, head, hl) ||
			    ll - hl >= sizeof(lane))
				return parse_error(1, "not a queue of format "
						   "1 ('lanes-queue 1 "
						   "<lane>')");
			memcpy(lane, p + hl, ll - hl);
			lane[ll - hl] = '\0';
			if (try_queue_lane_parse(&out->lane, lane) < 0)
				return parse_error(1, "no such lane");
		} else if ((size_t)(le - p) == 4 && !memcmp(p, "car ", 4)) {
			return parse_error(lineno, "malformed car line");
		} else if ((size_t)(le - p) >= 3 && !memcmp(p, "car", 3) &&
			   (le == p + 3 || p[3] == ' ')) {
			ret = parse_car(out, le == p + 3 ? le : p + 4, le,
					lineno);
			if (ret < 0)
				return ret;
		} else if ((size_t)(le - p) > 6 && !memcmp(p, "rider ", 6)) {
			ret = parse_rider(out, p + 6, le, lineno);
			if (ret < 0)
				return ret;
		} else {
			return parse_error(lineno, "expected 'car' or 'rider'");
		}
		p = nl + 1;
	}
	if (!lineno)
		return parse_error(1, "empty");
	if (out->nr && !out->cars[out->nr - 1].nr)
		return parse_error(lineno, "a car without riders");
	return 0;
}

void try_queue_serialise(struct try_buf *out, const struct try_queue *q)
{
	size_t i, j;

	try_buf_addf(out, "lanes-queue 1 %s\n", try_lane_key(q->lane));
	for (i = 0; i < q->nr; i++) {
		const struct try_queue_car *c = &q->cars[i];

		try_buf_adds(out, "car");
		if (c->flags & TRY_QUEUE_CAR_VERIFYING)
			try_buf_adds(out, " verifying");
		if (c->flags & TRY_QUEUE_CAR_UHOH)
			try_buf_adds(out, " uhoh");
		try_buf_addch(out, '\n');
		for (j = 0; j < c->nr; j++) {
			const struct try_queue_rider *r = &c->riders[j];
			try_buf_addf(out, "rider %s %s %lld", r->user,
				     try_queue_state_key(r->state),
				     (long long)r->since);
			if (r->note && *r->note)
				try_buf_addf(out, " %s", r->note);
			try_buf_addch(out, '\n');
		}
	}
}

/* The state machine. */

void try_queue_result_release(struct try_queue_result *r)
{
	free(r->done_car);
	memset(r, 0, sizeof(*r));
}

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int refuse(const char *fmt, ...)
{
	struct try_buf b = TRY_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	try_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	try_error_set("%s", b.ptr);
	try_buf_release(&b);
	return TRY_QUEUE_EREFUSED;
}

/* A refused name, shown on one line whatever it holds. */
static int bad_name(const char *name)
{
	struct try_buf b = TRY_BUF_INIT;
	int ret;

	try_report_add_safe(&b, name, strlen(name), TRY_QUEUE_MAX_USER);
	ret = refuse("invalid user name '%s': letters, digits and ._@+- only",
		     b.ptr);
	try_buf_release(&b);
	return ret;
}

static void car_names(struct try_buf *out, const struct try_queue_car *c)
{
	size_t j;

	for (j = 0; j < c->nr; j++)
		try_buf_addf(out, "%s%s", j ? ", " : "", c->riders[j].user);
}

/* Ends the head car: the next moves up. */
static void end_head_car(struct try_queue *q, struct try_queue_result *res)
{
	struct try_buf b = TRY_BUF_INIT;

	car_names(&b, &q->cars[0]);
	free(res->done_car);
	res->done_car = try_buf_detach(&b);
	car_remove(q, 0);
}

static void set_rider(struct try_queue_rider *r, const char *user,
		      const struct try_queue_action *a)
{
	r->user = try_xstrdup(user);
	r->state = TRY_QUEUE_WAITING;
	r->since = a->when;
	r->note = a->note && *a->note ? try_xstrdup(a->note) : NULL;
}

static int do_join(struct try_queue *q, const struct try_queue_action *a,
		   const char *user, int priv, struct try_queue_result *res)
{
	size_t car, idx, size = a->car_size ? a->car_size :
				TRY_QUEUE_DEFAULT_CAR_SIZE;
	struct try_queue_car *c;

	if (a->with && a->before)
		return refuse("join --with or --before, not both");
	if (a->before && !priv && strcmp(a->before, a->actor))
		return refuse("%s may not put %s before %s: the rider passed "
			      "(%s), the driver and lanes.holders may",
			      a->actor, user, a->before, a->before);
	if (strcmp(user, a->actor) && !priv && !a->before)
		return refuse("%s may not move %s: only the driver and "
			      "lanes.holders move others", a->actor, user);
	if (try_queue_find(&car, NULL, q, user) == 0)
		return refuse("%s is in the %s queue already (car %zu)", user,
			      try_lane_key(q->lane), car + 1);
	if (count_riders(q) >= TRY_QUEUE_MAX_RIDERS)
		return refuse("the %s queue is full (%d riders)",
			      try_lane_key(q->lane), TRY_QUEUE_MAX_RIDERS);
	if (a->with || a->before) {
		const char *other = a->with ? a->with : a->before;

		if (!try_queue_user_valid(other))
			return refuse("invalid user name '%s'", other);
		if (try_queue_find(&car, &idx, q, other) < 0)
			return refuse("%s is not in the %s queue", other,
				      try_lane_key(q->lane));
		if (q->cars[car].flags & TRY_QUEUE_CAR_VERIFYING)
			return refuse("car %zu is deployed already: join the "
				      "next", car + 1);
		if (a->with) {
			c = &q->cars[car];
		} else {
			if (priv && !strcmp(user, a->actor) &&
			    try_queue_driver(q) &&
			    !strcmp(try_queue_driver(q), a->actor))
				return refuse("%s drives car 1 already", user);
			c = car_insert(q, car);
		}
		res->car = car + 1;
	} else if (q->nr && q->cars[q->nr - 1].nr < size &&
		   !(q->cars[q->nr - 1].flags & TRY_QUEUE_CAR_VERIFYING)) {
		c = &q->cars[q->nr - 1];
		res->car = q->nr;
	} else {
		c = car_insert(q, q->nr);
		res->car = q->nr;
	}
	set_rider(rider_insert(c, c->nr), user, a);
	return 0;
}

static int may_move(const struct try_queue_action *a, const char *user,
		    int priv)
{
	if (!strcmp(user, a->actor) || priv)
		return 0;
	return refuse("%s may not move %s: only the driver and lanes.holders "
		      "move others", a->actor, user);
}

int try_queue_action_check(const struct try_queue_action *a)
{
	if (!a->actor || !try_queue_user_valid(a->actor))
		return bad_name(a->actor ? a->actor : "");
	if (a->user && !try_queue_user_valid(a->user))
		return bad_name(a->user);
	if (a->when < 0)
		return refuse("invalid time");
	return try_queue_note_check(a->note);
}

static int apply(struct try_queue *q, const struct try_queue_action *a,
		 struct try_queue_result *res)
{
	const char *user = a->user ? a->user : a->actor;
	const char *driver = try_queue_driver(q);
	int holder = !!(a->flags & TRY_QUEUE_HOLDER);
	int priv = holder || (driver && !strcmp(driver, a->actor));
	const char *lane = try_lane_key(q->lane);
	size_t car = 0, idx = 0;
	struct try_queue_rider *r;
	int ret;

	if ((ret = try_queue_action_check(a)) < 0)
		return ret;

	switch (a->verb) {
	case TRY_QUEUE_JOIN:
		return do_join(q, a, user, priv, res);
	case TRY_QUEUE_LEAVE:
	case TRY_QUEUE_KICK:
		if (a->verb == TRY_QUEUE_LEAVE && strcmp(user, a->actor))
			return refuse("leave is for yourself; the driver "
				      "kicks others");
		if (a->verb == TRY_QUEUE_KICK && !priv)
			return refuse("%s may not kick: only the driver and "
				      "lanes.holders kick", a->actor);
		if (try_queue_find(&car, &idx, q, user) < 0)
			return refuse("%s is not in the %s queue", user, lane);
		res->car = car + 1;
		rider_remove(q, car, idx);
		return 0;
	case TRY_QUEUE_READY_VERB:
	case TRY_QUEUE_GOOD_VERB:
		if ((ret = may_move(a, user, priv)) < 0)
			return ret;
		if (try_queue_find(&car, &idx, q, user) < 0)
			return refuse("%s is not in the %s queue", user, lane);
		r = &q->cars[car].riders[idx];
		res->car = car + 1;
		if (a->verb == TRY_QUEUE_READY_VERB) {
			if (r->state != TRY_QUEUE_WAITING)
				return refuse("%s is %s already: states only "
					      "move forward", user,
					      try_queue_state_key(r->state));
			r->state = TRY_QUEUE_READY;
		} else {
			if (r->state == TRY_QUEUE_GOOD)
				return refuse("%s is good already", user);
			if (car || !(q->cars[0].flags &
				     TRY_QUEUE_CAR_VERIFYING))
				return refuse("car %zu is not deployed yet: "
					      "good comes after the deploy",
					      car + 1);
			r->state = TRY_QUEUE_GOOD;
		}
		r->since = a->when;
		if (a->note && *a->note) {
			free(r->note);
			r->note = try_xstrdup(a->note);
		}
		if (a->verb == TRY_QUEUE_GOOD_VERB &&
		    try_queue_car_all(q, 0, TRY_QUEUE_GOOD))
			end_head_car(q, res);
		return 0;
	case TRY_QUEUE_UHOH:
		if (!a->note || !*a->note)
			return refuse("uh-oh needs a note: what is wrong?");
		if (!q->nr)
			return refuse("no car in the %s queue", lane);
		q->cars[0].flags |= TRY_QUEUE_CAR_UHOH;
		res->car = 1;
		return 0;
	case TRY_QUEUE_DRIVE:
		if (!priv)
			return refuse("%s may not hand the wheel: only the "
				      "driver and lanes.holders", a->actor);
		if (try_queue_find(&car, &idx, q, user) < 0 || car)
			return refuse("%s is not in car 1", user);
		if (!idx)
			return refuse("%s drives already", user);
		{
			struct try_queue_rider tmp = q->cars[0].riders[idx];
			memmove(&q->cars[0].riders[1], &q->cars[0].riders[0],
				idx * sizeof(tmp));
			q->cars[0].riders[0] = tmp;
		}
		res->car = 1;
		return 0;
	case TRY_QUEUE_DONE:
	case TRY_QUEUE_DEPLOYED:
		if (a->user && strcmp(a->user, a->actor))
			return refuse("%s takes no user",
				      try_queue_verb_key(a->verb));
		if (!q->nr)
			return refuse("no car in the %s queue", lane);
		if (!priv)
			return refuse("%s may not do that: only the driver "
				      "(%s) and lanes.holders", a->actor,
				      driver);
		res->car = 1;
		if (a->verb == TRY_QUEUE_DONE) {
			end_head_car(q, res);
			return 0;
		}
		if (q->cars[0].flags & TRY_QUEUE_CAR_VERIFYING)
			return refuse("car 1 is deployed already");
		if (a->flags & TRY_QUEUE_HELD)
			return refuse("the %s lane is held: release it first",
				      lane);
		q->cars[0].flags |= TRY_QUEUE_CAR_VERIFYING;
		return 0;
	}
	return refuse("unknown action");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The head car's riders in name order, to see whether it is another car
 * afterwards (handing the wheel reorders it but keeps the car).
 */
static char *head_names(const struct try_queue *q)
{
	struct try_buf b = TRY_BUF_INIT;
	const char **names;
	size_t j;

	if (!q->nr)
		return try_buf_detach(&b);
	names = try_xcalloc(q->cars[0].nr, sizeof(*names));
	for (j = 0; j < q->cars[0].nr; j++)
		names[j] = q->cars[0].riders[j].user;
	qsort(names, q->cars[0].nr, sizeof(*names), cmp_str);
	for (j = 0; j < q->cars[0].nr; j++)
		try_buf_addf(&b, "%s\n", names[j]);
	free(names);
	return try_buf_detach(&b);
}

int try_queue_apply(struct try_queue *q, const struct try_queue_action *a,
		    struct try_queue_result *out)
{
	struct try_queue_result res = TRY_QUEUE_RESULT_INIT;
	struct try_queue work;
	char *before = head_names(q), *after;
	int was_ready = q->nr && try_queue_car_all(q, 0, TRY_QUEUE_READY) &&
			!(q->cars[0].flags & TRY_QUEUE_CAR_VERIFYING);
	int ret;

	try_queue_copy(&work, q);
	ret = apply(&work, a, &res);
	if (ret < 0) {
		try_queue_release(&work);
		try_queue_result_release(&res);
		free(before);
		return ret;
	}
	after = head_names(&work);
	if (work.nr && try_queue_car_all(&work, 0, TRY_QUEUE_READY) &&
	    !(work.cars[0].flags & TRY_QUEUE_CAR_VERIFYING) &&
	    (!was_ready || strcmp(before, after)))
		res.deploy = 1;
	free(before);
	free(after);
	try_queue_release(q);
	*q = work;
	if (out)
		*out = res;
	else
		try_queue_result_release(&res);
	return 0;
}

void try_queue_describe(struct try_buf *out, const struct try_queue *q,
			const struct try_queue_action *a,
			const struct try_queue_result *r)
{
	const char *user = a->user ? a->user : a->actor;
	const char *lane = try_lane_key(q->lane);

	switch (a->verb) {
	case TRY_QUEUE_JOIN:
		try_buf_addf(out, "%s joined car %zu (%s)", user, r->car, lane);
		if (strcmp(user, a->actor))
			try_buf_addf(out, ", put there by %s", a->actor);
		break;
	case TRY_QUEUE_LEAVE:
		try_buf_addf(out, "%s left car %zu (%s)", user, r->car, lane);
		break;
	case TRY_QUEUE_KICK:
		try_buf_addf(out, "%s took %s out of car %zu (%s)", a->actor,
			     user, r->car, lane);
		break;
	case TRY_QUEUE_READY_VERB:
	case TRY_QUEUE_GOOD_VERB:
		try_buf_addf(out, "%s is %s in car %zu (%s)", user,
			     a->verb == TRY_QUEUE_GOOD_VERB ? "good" : "ready",
			     r->car, lane);
		break;
	case TRY_QUEUE_UHOH:
		try_buf_addf(out, "%s: uh-oh, %s lane held: %s", a->actor,
			     lane, a->note ? a->note : "");
		break;
	case TRY_QUEUE_DRIVE:
		try_buf_addf(out, "%s drives car 1 (%s)", user, lane);
		break;
	case TRY_QUEUE_DONE:
		try_buf_addf(out, "%s ended car 1 (%s)", a->actor, lane);
		break;
	case TRY_QUEUE_DEPLOYED:
		try_buf_addf(out, "car 1 (%s) deployed by %s: riders, verify "
			     "and say good", lane, a->actor);
		break;
	}
	if (a->note && *a->note && a->verb != TRY_QUEUE_UHOH)
		try_buf_addf(out, ": %s", a->note);
	if (r->done_car) {
		try_buf_addf(out, "\ncar (%s) done (%s)", r->done_car, lane);
		if (q->nr)
			try_buf_addf(out, "; car 1 moves up, %s drives",
				     try_queue_driver(q));
	}
	if (r->deploy && q->nr) {
		try_buf_adds(out, "\ncar 1 (");
		car_names(out, &q->cars[0]);
		try_buf_addf(out, "): all ready, %s deploys (%s)",
			     try_queue_driver(q), lane);
	}
}

/* The action in a commit message. */

void try_queue_action_message(struct try_buf *out, enum try_lane lane,
			      const struct try_queue_action *a)
{
	const char *user = a->user ? a->user : a->actor;

	try_buf_addf(out, "queue %s: %s %s\n\n", try_lane_key(lane),
		     try_queue_verb_key(a->verb), user);
	try_buf_addf(out, "Queue-Action: %s\n", try_queue_verb_key(a->verb));
	try_buf_addf(out, "Queue-Actor: %s\n", a->actor);
	if (a->user)
		try_buf_addf(out, "Queue-User: %s\n", a->user);
	if (a->with)
		try_buf_addf(out, "Queue-With: %s\n", a->with);
	if (a->before)
		try_buf_addf(out, "Queue-Before: %s\n", a->before);
	if (a->note && *a->note)
		try_buf_addf(out, "Queue-Note: %s\n", a->note);
	try_buf_addf(out, "Queue-Time: %lld\n", (long long)a->when);
}

#define MAX_MESSAGE 4096

int try_queue_action_parse(struct try_queue_action *out,
			   struct try_buf *store, const char *msg)
{
	static const char *const keys[] = {
		"Queue-Action: ", "Queue-Actor: ", "Queue-User: ",
		"Queue-With: ", "Queue-Before: ", "Queue-Note: ",
		"Queue-Time: ",
	};
	size_t offs[7], i, len = strlen(msg);
	int seen[7] = { 0 };
	char *p, *end, *body;

	memset(out, 0, sizeof(*out));
	if (len > MAX_MESSAGE)
		return refuse("queue commit message over %d bytes",
			      MAX_MESSAGE);
	try_buf_reset(store);
	try_buf_add(store, msg, len);
	body = strstr(store->ptr, "\n\n");
	if (!body)
		return refuse("queue commit without Queue-Action trailers");
	p = body + 2;
	end = store->ptr + store->len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		int found = 0;

		if (!nl)
			return refuse("queue commit message: no final newline");
		*nl = '\0';
		for (i = 0; i < 7; i++) {
			size_t kl = strlen(keys[i]);
			if (strncmp(p, keys[i], kl))
				continue;
			if (seen[i]++)
				return refuse("queue commit message: %.*s "
					      "twice", (int)kl - 2, keys[i]);
			offs[i] = (size_t)(p + kl - store->ptr);
			found = 1;
		}
		if (!found)
			return refuse("queue commit message: unknown line "
				      "'%.40s'", p);
		p = nl + 1;
	}
	if (!seen[0] || !seen[1] || !seen[6])
		return refuse("queue commit message needs Queue-Action, "
			      "Queue-Actor and Queue-Time");
	if (try_queue_verb_parse(&out->verb, store->ptr + offs[0]) < 0)
		return refuse("unknown queue action '%.40s'",
			      store->ptr + offs[0]);
	out->actor = store->ptr + offs[1];
	out->user = seen[2] ? store->ptr + offs[2] : NULL;
	out->with = seen[3] ? store->ptr + offs[3] : NULL;
	out->before = seen[4] ? store->ptr + offs[4] : NULL;
	out->note = seen[5] ? store->ptr + offs[5] : NULL;
	{
		const char *t = store->ptr + offs[6];
		if (parse_int64(&out->when, t, strlen(t)) < 0)
			return refuse("queue commit message: bad Queue-Time");
	}
	if ((out->with && !try_queue_user_valid(out->with)) ||
	    (out->before && !try_queue_user_valid(out->before)))
		return refuse("invalid user name in the queue commit");
	return 0;
}

/* Showing a queue. */

static const char *car_state(const struct try_queue *q, size_t i)
{
	if (q->cars[i].flags & TRY_QUEUE_CAR_VERIFYING)
		return "verifying";
	if (!i && try_queue_car_all(q, 0, TRY_QUEUE_READY))
		return "deploying";
	return "boarding";
}

static void add_time(struct try_buf *out, int64_t when, int iso)
{
	time_t t = (time_t)when;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&t, &tm) &&
	    strftime(buf, sizeof(buf), iso ? "%Y-%m-%dT%H:%M:%SZ" :
			  "%Y-%m-%d %H:%M UTC", &tm))
		try_buf_adds(out, buf);
	else
		try_buf_addf(out, "%lld", (long long)when);
}

#define C(code) (color ? "\033[" code "m" : "")

void try_queue_status_text(struct try_buf *out, const struct try_queue *q,
			   const struct try_hold *hold, int color)
{
	static const char *const state_color[] = {
		"\033[33m", "\033[32m", "\033[36m",
	};
	const char *lane = try_lane_key(q->lane);
	size_t i, j;

	if (hold) {
		try_buf_addf(out, "%s%s lane HELD%s: ", C("1;31"), lane,
			     C("0"));
		try_hold_describe(out, hold);
		try_buf_addch(out, '\n');
	}
	if (!q->nr) {
		try_buf_addf(out, "%s queue: empty\n", lane);
		return;
	}
	try_buf_addf(out, "%s queue: %zu car%s\n", lane, q->nr,
		     q->nr == 1 ? "" : "s");
	for (i = 0; i < q->nr; i++) {
		const struct try_queue_car *c = &q->cars[i];

		try_buf_addf(out, "  car %zu  %s%s%s", i + 1,
			     i ? "" : C("1"), car_state(q, i), i ? "" : C("0"));
		if (!i)
			try_buf_addf(out, ", %s drives", c->riders[0].user);
		if (c->flags & TRY_QUEUE_CAR_UHOH)
			try_buf_addf(out, "  %suh-oh%s", C("1;31"), C("0"));
		try_buf_addch(out, '\n');
		for (j = 0; j < c->nr; j++) {
			const struct try_queue_rider *r = &c->riders[j];

			try_buf_addf(out, "    %-12s %s%-7s%s since ", r->user,
				     color ? state_color[r->state] : "",
				     try_queue_state_key(r->state), C("0"));
			add_time(out, r->since, 0);
			if (r->note) {
				try_buf_adds(out, "  ");
				try_report_add_safe(out, r->note,
						    strlen(r->note), 100);
			}
			try_buf_addch(out, '\n');
		}
	}
}

json_t *try_queue_status_json(const struct try_queue *q,
			      const struct try_hold *hold)
{
	json_t *o = json_object(), *cars = json_array();
	struct try_buf b = TRY_BUF_INIT;
	size_t i, j;

	json_object_set_new(o, "lane", json_string(try_lane_key(q->lane)));
	if (hold)
		try_hold_describe(&b, hold);
	json_object_set_new(o, "held", hold ? try_report_json_string(b.ptr) :
					      json_null());
	for (i = 0; i < q->nr; i++) {
		const struct try_queue_car *c = &q->cars[i];
		json_t *car = json_object(), *riders = json_array();

		json_object_set_new(car, "car", json_integer((json_int_t)i + 1));
		json_object_set_new(car, "driver",
				    json_string(c->riders[0].user));
		json_object_set_new(car, "state", json_string(car_state(q, i)));
		json_object_set_new(car, "uhoh",
				    json_boolean(c->flags & TRY_QUEUE_CAR_UHOH));
		for (j = 0; j < c->nr; j++) {
			const struct try_queue_rider *r = &c->riders[j];
			json_t *ro = json_object();

			try_buf_reset(&b);
			add_time(&b, r->since, 1);
			json_object_set_new(ro, "user", json_string(r->user));
			json_object_set_new(ro, "state", json_string(
				try_queue_state_key(r->state)));
			json_object_set_new(ro, "note",
					    try_report_json_string(r->note));
			json_object_set_new(ro, "since", json_string(b.ptr));
			json_array_append_new(riders, ro);
		}
		json_object_set_new(car, "riders", riders);
		json_array_append_new(cars, car);
	}
	json_object_set_new(o, "cars", cars);
	try_buf_release(&b);
	return o;
}

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libtry/buf.h"
#include "libtry/error.h"
#include "libtry/queue.h"
#include "tests/unit/fixture.h"

#define H "lanes-queue 1 code\n"

static const char *const good_texts[] = {
	H,
	"lanes-queue 1 config\n",
	H "car\nrider alice waiting 0\n",
	H "car verifying uhoh\nrider alice ready 10 fix the checkout\n"
	  "rider b.o-b@x+y good 1764672000\ncar uhoh\nrider carol waiting 5 "
	  "note with  two spaces\n",
};

static const struct {
	const char *text;
	const char *error;
} bad_texts[] = {
	{ "", "empty" },
	{ "lanes-queue 1 code", "newline" },
	{ "lanes-queue 2 code\n", "format" },
	{ "lanes-queue 1 dark\n", "no such lane" },
	{ "lanes-queue 1 codex\n", "no such lane" },
	{ H "car\n", "without riders" },
	{ H "car\ncar\nrider a waiting 1\n", "without riders" },
	{ H "rider a waiting 1\n", "before the first car" },
	{ H "car\nrider a waiting 1\nrider a ready 2\n", "rides once" },
	{ H "car\nrider a waiting 1\ncar\nrider a ready 2\n", "rides once" },
	{ H "car\nrider a sleeping 1\n", "unknown state" },
	{ H "car\nrider a waiting -1\n", "invalid time" },
	{ H "car\nrider a waiting 01\n", "invalid time" },
	{ H "car\nrider a waiting 1 \n", "empty note" },
	{ H "car\nrider a  waiting 1\n", "malformed" },
	{ H "car\nrider a waiting\n", "invalid time" },
	{ H "car\nrider a\tb waiting 1\n", "invalid user" },
	{ H "car\nrider -a waiting 1\n", "invalid user" },
	{ H "car\nrider a waiting 1 bell\a\n", "invalid note" },
	{ H "car fast\nrider a waiting 1\n", "unknown car flag" },
	{ H "car uhoh verifying\nrider a waiting 1\n", "unknown car flag" },
	{ H "car uhoh uhoh\nrider a waiting 1\n", "unknown car flag" },
	{ H "car \nrider a waiting 1\n", "malformed car" },
	{ H "car\nrider a waiting 1\ncar verifying\nrider b waiting 1\n",
	  "only the head car" },
	{ H "cars\n", "expected" },
	{ H "\n", "expected" },
	{ H "car\r\nrider a waiting 1\n", "expected" },
};

START_TEST(test_parse_roundtrip)
{
	size_t i;

	for (i = 0; i < sizeof(good_texts) / sizeof(*good_texts); i++) {
		struct try_queue q;
		struct try_buf b = TRY_BUF_INIT;
		int rc = try_queue_parse(&q, good_texts[i],
					 strlen(good_texts[i]));

		ck_assert_msg(rc == 0, "case %zu: %s", i, try_error_last());
		try_queue_serialise(&b, &q);
		ck_assert_str_eq(b.ptr, good_texts[i]);
		try_buf_release(&b);
		try_queue_release(&q);
	}
}
END_TEST

START_TEST(test_parse_refuses)
{
	size_t i;

	for (i = 0; i < sizeof(bad_texts) / sizeof(*bad_texts); i++) {
		struct try_queue q;
		int rc = try_queue_parse(&q, bad_texts[i].text,
					 strlen(bad_texts[i].text));

		ck_assert_msg(rc == TRY_QUEUE_EREFUSED, "case %zu parsed", i);
		ck_assert_msg(strstr(try_error_last(), bad_texts[i].error),
			      "case %zu: '%s' lacks '%s'", i, try_error_last(),
			      bad_texts[i].error);
		try_queue_release(&q);
	}
}
END_TEST

START_TEST(test_parse_bounds)
{
	struct try_buf b = TRY_BUF_INIT;
	struct try_queue q;
	size_t i;

	/* a note one byte over */
	try_buf_adds(&b, H "car\nrider a waiting 1 ");
	for (i = 0; i <= TRY_QUEUE_MAX_NOTE; i++)
		try_buf_addch(&b, 'x');
	try_buf_addch(&b, '\n');
	ck_assert_int_eq(try_queue_parse(&q, b.ptr, b.len), TRY_QUEUE_EREFUSED);
	try_queue_release(&q);

	/* more riders than allowed */
	try_buf_reset(&b);
	try_buf_adds(&b, H);
	for (i = 0; i <= TRY_QUEUE_MAX_RIDERS; i++)
		try_buf_addf(&b, "car\nrider u%zu waiting 1\n", i);
	ck_assert_int_eq(try_queue_parse(&q, b.ptr, b.len), TRY_QUEUE_EREFUSED);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "too many riders"));
	try_queue_release(&q);

	/* a NUL byte */
	ck_assert_int_eq(try_queue_parse(&q, H "car\nrider a\0 waiting 1\n",
					 sizeof(H "car\nrider a\0 waiting 1\n")
					 - 1), TRY_QUEUE_EREFUSED);
	try_queue_release(&q);
	try_buf_release(&b);
}
END_TEST

/* Flags of a case. */
#define HOLD TRY_QUEUE_HOLDER
#define HELD TRY_QUEUE_HELD

/*
 * The state machine: {queue before, verb, actor, user, with, before, note,
 * flags, car size, queue after (NULL: refused), error, car, deploy, done}.
 * Every time in the queues before is 1; the action's time is 9.
 */
static const struct {
	const char *before;
	enum try_queue_verb verb;
	const char *actor, *user, *with, *ahead, *note;
	unsigned flags;
	size_t size;
	const char *after;
	const char *error;
	size_t car;
	int deploy;
	const char *done;
} cases[] = {
	/* join: at the back, a new car when the last is full */
	{ H, TRY_QUEUE_JOIN, "alice", NULL, NULL, NULL, "fix it", 0, 3,
	  H "car\nrider alice waiting 9 fix it\n", NULL, 1, 0, NULL },
	{ H "car\nrider a waiting 1\nrider b waiting 1\n", TRY_QUEUE_JOIN,
	  "c", NULL, NULL, NULL, NULL, 0, 3,
	  H "car\nrider a waiting 1\nrider b waiting 1\nrider c waiting 9\n",
	  NULL, 1, 0, NULL },
	{ H "car\nrider a waiting 1\nrider b waiting 1\n", TRY_QUEUE_JOIN,
	  "c", NULL, NULL, NULL, NULL, 0, 2,
	  H "car\nrider a waiting 1\nrider b waiting 1\ncar\n"
	    "rider c waiting 9\n", NULL, 2, 0, NULL },
	{ H "car verifying\nrider a ready 1\n", TRY_QUEUE_JOIN, "c", NULL,
	  NULL, NULL, NULL, 0, 3,
	  H "car verifying\nrider a ready 1\ncar\nrider c waiting 9\n", NULL,
	  2, 0, NULL },
	/* car size 0 means the default, 3 */
	{ H "car\nrider a waiting 1\nrider b waiting 1\nrider c waiting 1\n",
	  TRY_QUEUE_JOIN, "d", NULL, NULL, NULL, NULL, 0, 0,
	  H "car\nrider a waiting 1\nrider b waiting 1\nrider c waiting 1\n"
	    "car\nrider d waiting 9\n", NULL, 2, 0, NULL },
	/* joining twice */
	{ H "car\nrider a waiting 1\n", TRY_QUEUE_JOIN, "a", NULL, NULL, NULL,
	  NULL, 0, 3, NULL, "a is in the code queue already (car 1)", 0, 0,
	  NULL },
	/* --with rides in that car even when it is full */
	{ H "car\nrider a waiting 1\ncar\nrider b waiting 1\n",
	  TRY_QUEUE_JOIN, "c", NULL, "a", NULL, NULL, 0, 1,
	  H "car\nrider a waiting 1\nrider c waiting 9\ncar\n"
	    "rider b waiting 1\n", NULL, 1, 0, NULL },
	{ H "car\nrider a waiting 1\n", TRY_QUEUE_JOIN, "c", NULL, "zed",
	  NULL, NULL, 0, 3, NULL, "zed is not in the code queue", 0, 0, NULL },
	{ H "car verifying\nrider a ready 1\n", TRY_QUEUE_JOIN, "c", NULL,
	  "a", NULL, NULL, 0, 3, NULL, "deployed already", 0, 0, NULL },
	{ H "car\nrider a waiting 1\n", TRY_QUEUE_JOIN, "c", NULL, "a", "a",
	  NULL, 0, 3, NULL, "not both", 0, 0, NULL },
	/* --before: for the rider passed, the driver, holders */
	{ H "car\nrider a waiting 1\ncar\nrider b waiting 1\n",
	  TRY_QUEUE_JOIN, "c", NULL, NULL, "b", NULL, 0, 3, NULL,
	  "c may not put c before b: the rider passed (b)", 0, 0, NULL },
	{ H "car\nrider a waiting 1\ncar\nrider b waiting 1\n",
	  TRY_QUEUE_JOIN, "b", "c", NULL, "b", NULL, 0, 3,
	  H "car\nrider a waiting 1\ncar\nrider c waiting 9\ncar\n"
	    "rider b waiting 1\n", NULL, 2, 0, NULL },
	{ H "car\nrider a waiting 1\ncar\nrider b waiting 1\n",
	  TRY_QUEUE_JOIN, "a", "c", NULL, "b", NULL, 0, 3,
	  H "car\nrider a waiting 1\ncar\nrider c waiting 9\ncar\n"
	    "rider b waiting 1\n", NULL, 2, 0, NULL },
	{ H "car\nrider a waiting 1\ncar\nrider b waiting 1\n",
	  TRY_QUEUE_JOIN, "h", NULL, NULL, "a", NULL, HOLD, 3,
	  H "car\nrider h waiting 9\ncar\nrider a waiting 1\ncar\n"
	    "rider b waiting 1\n", NULL, 1, 0, NULL },
	/* joining someone else without --before */
	{ H, TRY_QUEUE_JOIN, "a", "b", NULL, NULL, NULL, 0, 3, NULL,
	  "a may not move b", 0, 0, NULL },
	/* names with spaces, newlines; notes too long or multi-line */
	{ H, TRY_QUEUE_JOIN, "al ice", NULL, NULL, NULL, NULL, 0, 3, NULL,
	  "invalid user name 'al ice'", 0, 0, NULL },
	{ H, TRY_QUEUE_JOIN, "al\nice", NULL, NULL, NULL, NULL, 0, 3, NULL,
	  "invalid user name", 0, 0, NULL },
	{ H, TRY_QUEUE_JOIN, "", NULL, NULL, NULL, NULL, 0, 3, NULL,
	  "invalid user name", 0, 0, NULL },
	{ H, TRY_QUEUE_JOIN, "a", NULL, NULL, NULL, "two\nlines", 0, 3, NULL,
	  "one line", 0, 0, NULL },
	/* leave */
	{ H "car\nrider a waiting 1\nrider b waiting 1\n", TRY_QUEUE_LEAVE,
	  "a", NULL, NULL, NULL, NULL, 0, 3, H "car\nrider b waiting 1\n",
	  NULL, 1, 0, NULL },
	{ H "car\nrider a waiting 1\ncar\nrider b waiting 1\n",
	  TRY_QUEUE_LEAVE, "a", NULL, NULL, NULL, NULL, 0, 3,
	  H "car\nrider b waiting 1\n", NULL, 1, 0, NULL },
	{ H "car\nrider a waiting 1\n", TRY_QUEUE_LEAVE, "a", "b", NULL, NULL,
	  NULL, 0, 3, NULL, "leave is for yourself", 0, 0, NULL },
	{ H, TRY_QUEUE_LEAVE, "a", NULL, NULL, NULL, NULL, 0, 3, NULL,
	  "a is not in the code queue", 0, 0, NULL },
	/* ready: forward only; the last ready tells the driver */
	{ H "car\nrider a waiting 1\nrider b waiting 1\n",
	  TRY_QUEUE_READY_VERB, "b", NULL, NULL, NULL, NULL, 0, 3,
	  H "car\nrider a waiting 1\nrider b ready 9\n", NULL, 1, 0, NULL },
	{ H "car\nrider a waiting 1\nrider b ready 1\n",
	  TRY_QUEUE_READY_VERB, "a", NULL, NULL, NULL, NULL, 0, 3,
	  H "car\nrider a ready 9\nrider b ready 1\n", NULL, 1, 1, NULL },
	{ H "car\nrider a ready 1\n", TRY_QUEUE_READY_VERB, "a", NULL, NULL,
	  NULL, NULL, 0, 3, NULL, "a is ready already", 0, 0, NULL },
	{ H "car verifying\nrider a good 1\nrider b ready 1\n",
	  TRY_QUEUE_READY_VERB, "a", NULL, NULL, NULL, NULL, 0, 3, NULL,
	  "a is good already: states only move forward", 0, 0, NULL },
	{ H "car\nrider a waiting 1\nrider b waiting 1\n",
	  TRY_QUEUE_READY_VERB, "b", "a", NULL, NULL, NULL, 0, 3, NULL,
	  "b may not move a", 0, 0, NULL },
	{ H "car\nrider a waiting 1\nrider b waiting 1\n",
	  TRY_QUEUE_READY_VERB, "a", "b", NULL, NULL, NULL, 0, 3,
	  H "car\nrider a waiting 1\nrider b ready 9\n", NULL, 1, 0, NULL },
	/* good: after the deploy; all good ends the car */
	{ H "car\nrider a ready 1\n", TRY_QUEUE_GOOD_VERB, "a", NULL, NULL,
	  NULL, NULL, 0, 3, NULL, "not deployed yet", 0, 0, NULL },
	{ H "car verifying\nrider a ready 1\nrider b ready 1\n",
	  TRY_QUEUE_GOOD_VERB, "b", NULL, NULL, NULL, NULL, 0, 3,
	  H "car verifying\nrider a ready 1\nrider b good 9\n", NULL, 1, 0,
	  NULL },
	{ H "car verifying\nrider a ready 1\nrider b good 1\ncar\n"
	    "rider c ready 1\n", TRY_QUEUE_GOOD_VERB, "a", NULL, NULL, NULL,
	  NULL, 0, 3, H "car\nrider c ready 1\n", NULL, 1, 1, "a, b" },
	{ H "car verifying\nrider a good 1\nrider b ready 1\n",
	  TRY_QUEUE_GOOD_VERB, "a", NULL, NULL, NULL, NULL, 0, 3, NULL,
	  "a is good already", 0, 0, NULL },
	/* uhoh: anyone, with a note */
	{ H "car\nrider a ready 1\n", TRY_QUEUE_UHOH, "z", NULL, NULL, NULL,
	  "500s", 0, 3, H "car uhoh\nrider a ready 1\n", NULL, 1, 0, NULL },
	{ H "car\nrider a ready 1\n", TRY_QUEUE_UHOH, "z", NULL, NULL, NULL,
	  NULL, 0, 3, NULL, "needs a note", 0, 0, NULL },
	{ H, TRY_QUEUE_UHOH, "z", NULL, NULL, NULL, "500s", 0, 3, NULL,
	  "no car", 0, 0, NULL },
	/* drive: the driver or a holder hands the wheel in car 1 */
	{ H "car\nrider a ready 1\nrider b ready 1\nrider c waiting 1\n",
	  TRY_QUEUE_DRIVE, "a", "c", NULL, NULL, NULL, 0, 3,
	  H "car\nrider c waiting 1\nrider a ready 1\nrider b ready 1\n",
	  NULL, 1, 0, NULL },
	{ H "car\nrider a ready 1\nrider b ready 1\n", TRY_QUEUE_DRIVE, "b",
	  "b", NULL, NULL, NULL, 0, 3, NULL, "b may not hand the wheel", 0,
	  0, NULL },
	{ H "car\nrider a ready 1\ncar\nrider b ready 1\n", TRY_QUEUE_DRIVE,
	  "a", "b", NULL, NULL, NULL, 0, 3, NULL, "b is not in car 1", 0, 0,
	  NULL },
	{ H "car\nrider a ready 1\nrider b ready 1\n", TRY_QUEUE_DRIVE, "h",
	  "b", NULL, NULL, NULL, HOLD, 3,
	  H "car\nrider b ready 1\nrider a ready 1\n", NULL, 1, 0, NULL },
	/* done: the driver or a holder */
	{ H "car\nrider a ready 1\ncar\nrider b waiting 1\n", TRY_QUEUE_DONE,
	  "a", NULL, NULL, NULL, NULL, 0, 3, H "car\nrider b waiting 1\n",
	  NULL, 1, 0, "a" },
	{ H "car\nrider a ready 1\ncar\nrider b waiting 1\n", TRY_QUEUE_DONE,
	  "b", NULL, NULL, NULL, NULL, 0, 3, NULL, "b may not do that", 0, 0,
	  NULL },
	{ H, TRY_QUEUE_DONE, "a", NULL, NULL, NULL, NULL, HOLD, 3, NULL,
	  "no car", 0, 0, NULL },
	/* kick: the driver or a holder */
	{ H "car\nrider a ready 1\ncar\nrider b waiting 1\n", TRY_QUEUE_KICK,
	  "a", "b", NULL, NULL, NULL, 0, 3, H "car\nrider a ready 1\n", NULL,
	  2, 0, NULL },
	{ H "car\nrider a ready 1\ncar\nrider b waiting 1\nrider c waiting "
	    "1\n", TRY_QUEUE_KICK, "b", "c", NULL, NULL, NULL, 0, 3, NULL,
	  "b may not kick", 0, 0, NULL },
	{ H "car\nrider a ready 1\ncar\nrider b waiting 1\n", TRY_QUEUE_KICK,
	  "h", "a", NULL, NULL, NULL, HOLD, 3, H "car\nrider b waiting 1\n",
	  NULL, 1, 0, NULL },
	/* deployed: the driver, not while held, once */
	{ H "car\nrider a ready 1\n", TRY_QUEUE_DEPLOYED, "a", NULL, NULL,
	  NULL, NULL, 0, 3, H "car verifying\nrider a ready 1\n", NULL, 1, 0,
	  NULL },
	{ H "car\nrider a ready 1\n", TRY_QUEUE_DEPLOYED, "a", NULL, NULL,
	  NULL, NULL, HELD, 3, NULL, "the code lane is held", 0, 0, NULL },
	{ H "car verifying\nrider a ready 1\n", TRY_QUEUE_DEPLOYED, "a", NULL,
	  NULL, NULL, NULL, 0, 3, NULL, "deployed already", 0, 0, NULL },
	{ H "car\nrider a ready 1\nrider b ready 1\n", TRY_QUEUE_DEPLOYED,
	  "b", NULL, NULL, NULL, NULL, 0, 3, NULL, "only the driver (a)", 0, 0,
	  NULL },
};

START_TEST(test_transitions)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct try_queue q;
		struct try_queue_result r = TRY_QUEUE_RESULT_INIT;
		struct try_queue_action a;
		struct try_buf before = TRY_BUF_INIT, after = TRY_BUF_INIT;
		int rc;

		ck_assert_msg(try_queue_parse(&q, cases[i].before,
					      strlen(cases[i].before)) == 0,
			      "case %zu: %s", i, try_error_last());
		try_queue_serialise(&before, &q);
		memset(&a, 0, sizeof(a));
		a.verb = cases[i].verb;
		a.actor = cases[i].actor;
		a.user = cases[i].user;
		a.with = cases[i].with;
		a.before = cases[i].ahead;
		a.note = cases[i].note;
		a.flags = cases[i].flags;
		a.car_size = cases[i].size;
		a.when = 9;
		rc = try_queue_apply(&q, &a, &r);
		try_queue_serialise(&after, &q);
		if (cases[i].after) {
			ck_assert_msg(rc == 0, "case %zu refused: %s", i,
				      try_error_last());
			ck_assert_msg(!strcmp(after.ptr, cases[i].after),
				      "case %zu gave\n%s", i, after.ptr);
			ck_assert_msg(r.car == cases[i].car, "case %zu: car %zu",
				      i, r.car);
			ck_assert_msg(r.deploy == cases[i].deploy,
				      "case %zu: deploy %d", i, r.deploy);
			if (cases[i].done)
				ck_assert_str_eq(r.done_car, cases[i].done);
			else
				ck_assert_ptr_null(r.done_car);
		} else {
			ck_assert_msg(rc == TRY_QUEUE_EREFUSED,
				      "case %zu was not refused", i);
			ck_assert_msg(strstr(try_error_last(), cases[i].error),
				      "case %zu: '%s' lacks '%s'", i,
				      try_error_last(), cases[i].error);
			/* a refusal changes nothing */
			ck_assert_str_eq(after.ptr, before.ptr);
		}
		try_buf_release(&before);
		try_buf_release(&after);
		try_queue_result_release(&r);
		try_queue_release(&q);
	}
}
END_TEST

START_TEST(test_note_bound)
{
	char note[TRY_QUEUE_MAX_NOTE + 2];
	struct try_queue q;
	struct try_queue_action a;

	memset(note, 'n', sizeof(note));
	note[TRY_QUEUE_MAX_NOTE + 1] = '\0';
	try_queue_init(&q, TRY_LANE_CODE);
	memset(&a, 0, sizeof(a));
	a.verb = TRY_QUEUE_JOIN;
	a.actor = "alice";
	a.note = note;
	ck_assert_int_eq(try_queue_apply(&q, &a, NULL), TRY_QUEUE_EREFUSED);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "at most 200 bytes"));
	ck_assert_uint_eq(q.nr, 0);
	note[TRY_QUEUE_MAX_NOTE] = '\0';
	ck_assert_int_eq(try_queue_apply(&q, &a, NULL), 0);
	ck_assert_uint_eq(q.nr, 1);
	try_queue_release(&q);
}
END_TEST

/* What a chat shows, from the issue. */
START_TEST(test_describe)
{
	static const char before[] = H "car\nrider alice ready 1\n"
				       "rider bob waiting 1\ncar\n"
				       "rider carol waiting 1\n";
	struct try_queue q;
	struct try_queue_result r = TRY_QUEUE_RESULT_INIT;
	struct try_queue_action a;
	struct try_buf b = TRY_BUF_INIT;

	ck_assert_int_eq(try_queue_parse(&q, before, strlen(before)), 0);
	memset(&a, 0, sizeof(a));
	a.verb = TRY_QUEUE_READY_VERB;
	a.actor = "bob";
	ck_assert_int_eq(try_queue_apply(&q, &a, &r), 0);
	try_queue_describe(&b, &q, &a, &r);
	ck_assert_str_eq(b.ptr, "bob is ready in car 1 (code)\n"
			 "car 1 (alice, bob): all ready, alice deploys (code)");
	try_queue_result_release(&r);

	try_buf_reset(&b);
	a.verb = TRY_QUEUE_UHOH;
	a.note = "500s on checkout";
	ck_assert_int_eq(try_queue_apply(&q, &a, &r), 0);
	try_queue_describe(&b, &q, &a, &r);
	ck_assert_str_eq(b.ptr, "bob: uh-oh, code lane held: 500s on checkout");
	try_queue_result_release(&r);

	try_buf_reset(&b);
	a.verb = TRY_QUEUE_DONE;
	a.actor = "alice";
	a.note = NULL;
	ck_assert_int_eq(try_queue_apply(&q, &a, &r), 0);
	try_queue_describe(&b, &q, &a, &r);
	ck_assert_str_eq(b.ptr, "alice ended car 1 (code)\n"
			 "car (alice, bob) done (code); car 1 moves up, carol "
			 "drives");
	try_queue_result_release(&r);

	try_buf_reset(&b);
	a.verb = TRY_QUEUE_JOIN;
	a.actor = "dave";
	ck_assert_int_eq(try_queue_apply(&q, &a, &r), 0);
	try_queue_describe(&b, &q, &a, &r);
	ck_assert_str_eq(b.ptr, "dave joined car 1 (code)");
	try_queue_result_release(&r);
	try_buf_release(&b);
	try_queue_release(&q);
}
END_TEST

START_TEST(test_action_message)
{
	struct try_queue_action a, back;
	struct try_buf msg = TRY_BUF_INIT, store = TRY_BUF_INIT;
	static const char *const bad[] = {
		"queue code: join a\n",
		"queue code: join a\n\nQueue-Action: join\nQueue-Actor: a\n",
		"queue code: join a\n\nQueue-Action: fly\nQueue-Actor: a\n"
		"Queue-Time: 5\n",
		"queue code: join a\n\nQueue-Action: join\nQueue-Actor: a\n"
		"Queue-Time: 5\nQueue-Time: 6\n",
		"queue code: join a\n\nQueue-Action: join\nQueue-Actor: a\n"
		"Queue-Time: 5x\n",
		"queue code: join a\n\nQueue-Action: join\nQueue-Actor: a\n"
		"Queue-Time: 5\nSigned-off-by: me\n",
		"queue code: join a\n\nQueue-Action: join\nQueue-Actor: a\n"
		"Queue-Time: 5",
	};
	size_t i;

	memset(&a, 0, sizeof(a));
	a.verb = TRY_QUEUE_JOIN;
	a.actor = "alice";
	a.user = "carol";
	a.before = "bob";
	a.note = "hot fix";
	a.when = 1764672000;
	try_queue_action_message(&msg, TRY_LANE_CODE, &a);
	ck_assert_int_eq(try_queue_action_parse(&back, &store, msg.ptr), 0);
	ck_assert_int_eq(back.verb, TRY_QUEUE_JOIN);
	ck_assert_str_eq(back.actor, "alice");
	ck_assert_str_eq(back.user, "carol");
	ck_assert_str_eq(back.before, "bob");
	ck_assert_ptr_null(back.with);
	ck_assert_str_eq(back.note, "hot fix");
	ck_assert(back.when == 1764672000);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(try_queue_action_parse(&back, &store, bad[i]) ==
			      TRY_QUEUE_EREFUSED, "bad message %zu", i);
	try_buf_release(&msg);
	try_buf_release(&store);
}
END_TEST

/* The referee on real commits: one allowed transition, nothing else. */
START_TEST(test_check_commits)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_queue q, q2;
	struct try_queue_action a;
	struct try_queue_update up;
	struct try_update u;
	git_oid first, second;

	cfg.car_size = 3;
	memset(&u, 0, sizeof(u));
	u.ref = "refs/lanes/queue/code";
	try_queue_init(&q, TRY_LANE_CODE);
	memset(&a, 0, sizeof(a));
	a.verb = TRY_QUEUE_JOIN;
	a.actor = "alice";
	a.when = (int64_t)time(NULL);
	ck_assert_int_eq(try_queue_apply(&q, &a, NULL), 0);
	ck_assert_int_eq(try_queue_commit(&first, repo, &q, &a, NULL), 0);
	git_oid_cpy(&u.new, &first);
	ck_assert_int_eq(try_queue_check(&up, repo, &cfg, &u, "alice", 0), 0);
	ck_assert_uint_eq(up.new.nr, 1);
	try_queue_update_release(&up);

	/* the same push by bob: made as alice */
	ck_assert_int_eq(try_queue_check(&up, repo, &cfg, &u, "bob", 0),
			 TRY_QUEUE_EREFUSED);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "you push as 'bob'"));
	try_queue_update_release(&up);

	/* a commit that claims join but holds two riders */
	try_queue_copy(&q2, &q);
	a.actor = "bob";
	ck_assert_int_eq(try_queue_apply(&q2, &a, NULL), 0);
	a.actor = "carol";
	ck_assert_int_eq(try_queue_apply(&q2, &a, NULL), 0);
	ck_assert_int_eq(try_queue_commit(&second, repo, &q2, &a, &first), 0);
	git_oid_cpy(&u.old, &first);
	git_oid_cpy(&u.new, &second);
	ck_assert_int_eq(try_queue_check(&up, repo, &cfg, &u, "carol", 0),
			 TRY_QUEUE_EREFUSED);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "not what 'join'"));
	try_queue_update_release(&up);

	/* not on top of the old queue */
	memset(&u.old, 0, sizeof(u.old));
	ck_assert_int_eq(try_queue_check(&up, repo, &cfg, &u, "carol", 0),
			 TRY_QUEUE_EREFUSED);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "one commit on top"));
	try_queue_update_release(&up);

	/* no such lane; deleting is for holders */
	u.ref = "refs/lanes/queue/dark";
	ck_assert_int_eq(try_queue_check(&up, repo, &cfg, &u, "carol", 0),
			 TRY_QUEUE_EREFUSED);
	try_queue_update_release(&up);
	u.ref = "refs/lanes/queue/code";
	memset(&u.new, 0, sizeof(u.new));
	git_oid_cpy(&u.old, &first);
	ck_assert_int_eq(try_queue_check(&up, repo, &cfg, &u, "carol", 0),
			 TRY_QUEUE_EREFUSED);
	try_queue_update_release(&up);

	try_queue_release(&q);
	try_queue_release(&q2);
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

/* What `git lanes deployed` (issue 9) calls: car 1 moves to verifying. */
START_TEST(test_deployed_bare)
{
	git_repository *repo = fixture_repo();
	struct try_config cfg = TRY_CONFIG_INIT;
	struct try_queue q;
	struct try_queue_action a;
	const char *users[] = { "alice", "bob" };
	size_t i;

	cfg.car_size = 3;
	cfg.remote = try_xstrdup("origin");
	for (i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		a.verb = TRY_QUEUE_JOIN;
		a.actor = users[i];
		ck_assert_int_eq(try_queue_change(NULL, NULL, repo, &cfg,
						  TRY_LANE_CODE, &a), 0);
		a.verb = TRY_QUEUE_READY_VERB;
		a.when = 0;
		ck_assert_int_eq(try_queue_change(NULL, NULL, repo, &cfg,
						  TRY_LANE_CODE, &a), 0);
	}
	ck_assert_int_eq(try_queue_deployed(repo, &cfg, TRY_LANE_CODE, "bob"),
			 TRY_QUEUE_EREFUSED);
	ck_assert_int_eq(try_queue_deployed(repo, &cfg, TRY_LANE_CODE,
					    "alice"), 0);
	ck_assert_int_eq(try_queue_load(&q, repo, &cfg, TRY_LANE_CODE, 0), 0);
	ck_assert_uint_eq(q.nr, 1);
	ck_assert_uint_eq(q.cars[0].nr, 2);
	ck_assert(q.cars[0].flags & TRY_QUEUE_CAR_VERIFYING);
	try_queue_release(&q);
	/* the other lane's queue is its own */
	ck_assert_int_eq(try_queue_deployed(repo, &cfg, TRY_LANE_CONFIG,
					    "alice"), TRY_QUEUE_EREFUSED);
	ck_assert_ptr_nonnull(strstr(try_error_last(), "no car in the config"));
	try_config_release(&cfg);
	fixture_cleanup(repo);
}
END_TEST

Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, test_parse_roundtrip);
	tcase_add_test(tc, test_parse_refuses);
	tcase_add_test(tc, test_parse_bounds);
	tcase_add_test(tc, test_transitions);
	tcase_add_test(tc, test_note_bound);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_action_message);
	tcase_add_test(tc, test_check_commits);
	tcase_add_test(tc, test_deployed_bare);
	suite_add_tcase(s, tc);
	return s;
}

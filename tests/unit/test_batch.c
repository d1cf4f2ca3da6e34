/* The batch engine: order kept, stop at the first error with every earlier
 * record written whole, blank lines refused when asked; the ordered
 * consumer sees each line once, in order, on the calling thread, and
 * nothing after a failing line; the slice consumer sees the same a slice at
 * a time, fixed-size outputs as an array with their side data; a pipe's
 * lines are answered as they come. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ss/batch.h"
#include "unit.h"

static int echo_or_fail(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err)
{
	(void)worker;
	if (strcmp(line, "bad") == 0)
		return ss_err_set(err, SS_EINPUT, "bad record");
	if (strcmp(line, "no") == 0) {
		ss_buf_adds(out, "refused\n");
		return SS_REFUSED;
	}
	ss_buf_add(out, line, len);
	ss_buf_addc(out, '\n');
	return SS_OK;
}

/* A file holding text, open for reading at its start. */
static int input_fd(const char *text)
{
	char path[] = "/tmp/ss-batch-in-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	if (write(fd, text, strlen(text)) < 0)
		perror("write");
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Run the engine over input with jobs threads, outputs to standard output;
 * return what it wrote. */
static char *run_map(const char *input, ss_batch_map_fn map, int jobs, bool refuse_blank,
		     int *rc, ss_batch_stats *st, ss_err *err)
{
	char out_path[] = "/tmp/ss-batch-out-XXXXXX";
	int in = input_fd(input), out = mkstemp(out_path), saved = dup(1);
	void *workers[SS_BATCH_MAX_JOBS] = { 0 };
	ss_batch b = { .map = map, .workers = workers, .jobs = jobs,
		       .refuse_blank = refuse_blank };
	ss_lines r;
	char *text = calloc(1, 1 << 22);
	ssize_t n;

	fflush(stdout);
	dup2(out, 1);
	ss_lines_init(&r, in, "input", 1 << 20);
	*rc = ss_batch_run(&b, &r, st, err);
	ss_stdout_flush(err);
	dup2(saved, 1);
	close(saved);
	ss_lines_free(&r);
	lseek(out, 0, SEEK_SET);
	n = read(out, text, (1 << 22) - 1);
	text[n > 0 ? n : 0] = 0;
	close(in);
	close(out);
	unlink(out_path);
	return text;
}

static char *run(const char *input, int jobs, int *rc, ss_batch_stats *st, ss_err *err)
{
	return run_map(input, echo_or_fail, jobs, true, rc, st, err);
}

TEST(batch_keeps_order_with_many_threads)
{
	char *input = malloc(200000), *want = malloc(200000), *got;
	size_t k = 0;
	ss_batch_stats st;
	ss_err err = { 0 };
	int rc;

	input[0] = want[0] = 0;
	for (int i = 0; i < 10000; i++)
		k += (size_t)sprintf(input + k, "line-%d\n", i);
	strcpy(want, input);
	got = run(input, 4, &rc, &st, &err);
	CHECK(rc == SS_OK && st.lines == 10000 && st.refused == 0);
	CHECK(strcmp(got, want) == 0);
	free(got);
	free(input);
	free(want);
}

TEST(batch_stops_at_first_error_after_complete_records)
{
	ss_batch_stats st;
	ss_err err = { 0 };
	int rc;
	char *got = run("a\nno\nb\nbad\nc\n", 2, &rc, &st, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 4: bad record");
	CHECK_STR(got, "a\nrefused\nb\n");
	CHECK(st.refused == 1);
	free(got);
}

TEST(batch_refuses_blank_lines)
{
	ss_batch_stats st;
	ss_err err = { 0 };
	int rc;
	char *got = run("a\n\nb\n", 1, &rc, &st, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 2: empty line");
	CHECK_STR(got, "a\n");
	free(got);
}

/* Writes half a record, then fails: the half must not reach the output. */
static int half_then_fail(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err)
{
	(void)worker;
	if (len == 0)
		return ss_err_set(err, SS_EINPUT, "blank");
	if (strcmp(line, "half") == 0) {
		ss_buf_adds(out, "{\"partial\":");
		return ss_err_set(err, SS_ECRYPTO, "gave up");
	}
	return echo_or_fail(worker, line, len, out, err);
}

TEST(batch_drops_what_a_failing_line_appended_and_maps_blank_lines_when_asked)
{
	ss_batch_stats st;
	ss_err err = { 0 };
	int rc;
	char *got = run_map("a\nb\nhalf\nc\n", half_then_fail, 2, false, &rc, &st, &err);

	CHECK(rc == SS_ECRYPTO);
	CHECK_STR(err.msg, "line 3: gave up");
	CHECK_STR(got, "a\nb\n");
	free(got);
	got = run_map("a\n\nb\n", half_then_fail, 1, false, &rc, &st, &err);
	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 2: blank");
	free(got);
}

TEST(batch_reports_a_read_error_after_the_lines_before_it)
{
	char *input = malloc(3 << 20), *got;
	size_t k = 0;
	ss_batch_stats st;
	ss_err err = { 0 };
	int rc;

	for (int i = 0; i < 9000; i++)
		k += (size_t)sprintf(input + k, "line-%d\n", i);
	memset(input + k, 'x', (1 << 20) + 1); /* line 9001: longer than the reader allows */
	strcpy(input + k + (1 << 20) + 1, "\nafter\n");
	got = run(input, 3, &rc, &st, &err);
	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 9001: longer than 1048576 bytes");
	CHECK(st.lines == 9000);
	input[k] = 0;
	CHECK(strcmp(got, input) == 0);
	free(got);
	free(input);
}

TEST(batch_refuses_a_thread_count_out_of_range)
{
	ss_batch_stats st;
	ss_err err = { 0 };
	int rc;
	char *got = run("a\n", SS_BATCH_MAX_JOBS + 1, &rc, &st, &err);

	CHECK(rc == SS_EUSAGE);
	CHECK_STR(err.msg, "jobs: 65 is not in 1..64");
	CHECK_STR(got, "");
	free(got);
	CHECK(ss_batch_default_jobs() >= 1 && ss_batch_default_jobs() <= SS_BATCH_MAX_JOBS);
}

TEST(batch_reports_a_failed_flush_of_the_lines_before_a_failing_one)
{
	void *workers[1] = { 0 };
	ss_batch b = { .map = echo_or_fail, .workers = workers, .jobs = 1 };
	ss_batch_stats st;
	ss_lines r;
	ss_err err = { 0 };
	int in = input_fd("a\nb\nbad\n"), full = open("/dev/full", O_WRONLY), saved = dup(1), rc;

	fflush(stdout);
	dup2(full, 1);
	ss_lines_init(&r, in, "input", 1 << 20);
	rc = ss_batch_run(&b, &r, &st, &err);
	dup2(saved, 1);
	close(saved);
	close(full);
	close(in);
	ss_lines_free(&r);
	CHECK(rc == SS_EIO);
	CHECK_STR(err.msg, "standard output: write: No space left on device");
}

/* ---- the ordered consumer ------------------------------------------------ */

#define MANY 30000

/* Per-thread state: how many lines this worker mapped.  Each worker is only
 * ever touched by its own thread (ThreadSanitizer checks that). */
struct counting_worker {
	unsigned long mapped;
};

/* "key-N" lines: the output is "N" for the consumer to check. */
static int parse_key(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err)
{
	struct counting_worker *w = worker;

	(void)len;
	w->mapped++;
	if (strcmp(line, "bad") == 0)
		return ss_err_set(err, SS_EINPUT, "bad record");
	if (strncmp(line, "key-", 4) != 0)
		return ss_err_set(err, SS_EINPUT, "not a key");
	ss_buf_adds(out, line + 4);
	return strcmp(line + 4, "7") == 0 ? SS_REFUSED : SS_OK;
}

/* Stands for a collision checker: a table of what was seen, filled in input
 * order on the calling thread, a repeat being a finding that stops. */
struct seen {
	pthread_t caller;
	bool wrong_thread, wrong_order, wrong_output;
	size_t calls, last_lineno;
	unsigned long refused;
	unsigned char *keys;   /* keys[n]: key n was seen */
};

static int take_in_order(void *consumer, size_t lineno, int status, const char *out, size_t len,
			 ss_err *err)
{
	struct seen *s = consumer;
	char *end;
	unsigned long key = strtoul(out, &end, 10);

	if (!pthread_equal(pthread_self(), s->caller))
		s->wrong_thread = true;
	if (lineno != s->last_lineno + 1)
		s->wrong_order = true;
	if (end != out + len || out[len] != 0 || (status == SS_REFUSED) != (key == 7))
		s->wrong_output = true;
	if (key >= MANY * 2) {
		s->wrong_output = true;
		return ss_err_set(err, SS_EINPUT, "key %lu out of range", key);
	}
	s->last_lineno = lineno;
	s->calls++;
	s->refused += status == SS_REFUSED;
	if (s->keys[key])
		return ss_err_set(err, SS_REFUSED, "key %lu seen before", key);
	s->keys[key] = 1;
	return SS_OK;
}

/* Run input on jobs threads into the ordered consumer. */
static int consume(const char *input, int jobs, struct seen *s, struct counting_worker *w,
		   ss_batch_stats *st, ss_err *err)
{
	void *workers[SS_BATCH_MAX_JOBS];
	ss_batch b = { .map = parse_key, .workers = workers, .jobs = jobs,
		       .consume = take_in_order, .consumer = s };
	ss_lines r;
	int in = input_fd(input), rc;

	for (int i = 0; i < jobs; i++) {
		w[i].mapped = 0;
		workers[i] = &w[i];
	}
	memset(s, 0, sizeof *s);
	s->caller = pthread_self();
	s->keys = calloc(MANY * 2, 1);
	ss_lines_init(&r, in, "input", 1 << 20);
	rc = ss_batch_run(&b, &r, st, err);
	ss_lines_free(&r);
	close(in);
	free(s->keys);
	return rc;
}

/* MANY lines "key-0".."key-(MANY-1)", line `bad_at` (from 1, 0: none)
 * replaced by `bad`. */
static char *keys_input(size_t bad_at, const char *bad)
{
	char *input = malloc(MANY * 16);
	size_t k = 0;

	for (size_t i = 0; i < MANY; i++)
		k += (size_t)(i + 1 == bad_at ? sprintf(input + k, "%s\n", bad)
					      : sprintf(input + k, "key-%zu\n", i));
	return input;
}

TEST(batch_consumer_takes_every_line_in_order_on_the_calling_thread)
{
	struct counting_worker w[4];
	struct seen s;
	ss_batch_stats st;
	ss_err err = { 0 };
	char *input = keys_input(0, NULL);
	unsigned long mapped = 0;
	int rc = consume(input, 4, &s, w, &st, &err);

	CHECK(rc == SS_OK);
	CHECK(s.calls == MANY && s.last_lineno == MANY && st.lines == MANY);
	CHECK(!s.wrong_thread && !s.wrong_order && !s.wrong_output);
	CHECK(s.refused == 1 && st.refused == 1);
	for (int i = 0; i < 4; i++)
		mapped += w[i].mapped;
	CHECK(mapped == MANY);
	free(input);
}

TEST(batch_consumer_stops_at_a_failing_line_in_the_middle)
{
	struct counting_worker w[4];
	struct seen s;
	ss_batch_stats st;
	ss_err err = { 0 };
	/* In the second chunk, inside a slice, on several threads. */
	char *input = keys_input(17000, "bad");
	int rc = consume(input, 4, &s, w, &st, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 17000: bad record");
	CHECK(s.calls == 16999 && s.last_lineno == 16999 && st.lines == 16999);
	CHECK(!s.wrong_thread && !s.wrong_order && !s.wrong_output);
	CHECK(st.refused == 1);
	free(input);
}

TEST(batch_consumer_error_stops_the_run_at_its_line)
{
	struct counting_worker w[3];
	struct seen s;
	ss_batch_stats st;
	ss_err err = { 0 };
	/* Line 12001 repeats key 5: the consumer's finding. */
	char *input = keys_input(12001, "key-5");
	int rc = consume(input, 3, &s, w, &st, &err);

	CHECK(rc == SS_REFUSED);
	CHECK_STR(err.msg, "line 12001: key 5 seen before");
	CHECK(s.calls == 12001 && st.lines == 12000);
	CHECK(!s.wrong_thread && !s.wrong_order && !s.wrong_output);
	free(input);
}

TEST(batch_consumer_with_one_job_maps_nothing_after_the_failing_line)
{
	struct counting_worker w[1];
	struct seen s;
	ss_batch_stats st;
	ss_err err = { 0 };
	char *input = keys_input(300, "bad");
	int rc = consume(input, 1, &s, w, &st, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 300: bad record");
	CHECK(s.calls == 299 && w[0].mapped == 300);
	free(input);
}


/* ---- the slice consumer -------------------------------------------------- */

/* A record of fixed size, as the collision check's extractor makes them: a
 * key's number, and where its text is in the side buffer. */
struct rec {
	uint64_t key;
	uint32_t off, len;
};

/* "key-N" lines to records; the text goes to the side buffer.  A bad line
 * appends to both buffers before it fails: none of it may be seen. */
static int parse_rec(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err)
{
	struct counting_worker *w = worker;
	ss_buf *side = ss_batch_side(out);
	struct rec r;

	w->mapped++;
	if (strcmp(line, "bad") == 0) {
		ss_buf_adds(side, "dropped");
		ss_buf_adds(out, "half");
		return ss_err_set(err, SS_EINPUT, "bad record");
	}
	if (strncmp(line, "key-", 4) != 0)
		return ss_err_set(err, SS_EINPUT, "not a key");
	r.key = strtoull(line + 4, NULL, 10);
	r.off = (uint32_t)side->len;
	r.len = (uint32_t)len;
	ss_buf_add(side, line, len);
	ss_buf_add(out, &r, sizeof r);
	return r.key == 7 ? SS_REFUSED : SS_OK;
}

struct slices {
	pthread_t caller;
	bool wrong_thread, wrong_order, wrong_output, misaligned;
	size_t calls, lines, last_lineno, longest;
	unsigned long refused;
	size_t fail_at;        /* the consumer's own finding on this line; 0: none */
};

/* Every slice: on the calling thread, right after the one before, its
 * outputs an array of records whose text is in its side buffer and nothing
 * else is. */
static int take_slice(void *consumer, const ss_batch_slice *s, size_t *taken, ss_err *err)
{
	struct slices *c = consumer;
	const struct rec *r = (const struct rec *)(const void *)s->out;
	size_t text = 0;

	if (!pthread_equal(pthread_self(), c->caller))
		c->wrong_thread = true;
	if (s->first_lineno != c->last_lineno + 1 || s->n == 0)
		c->wrong_order = true;
	if ((uintptr_t)s->out % _Alignof(struct rec))
		c->misaligned = true;
	c->calls++;
	if (s->n > c->longest)
		c->longest = s->n;
	for (size_t k = 0; k < s->n; k++) {
		size_t lineno = s->first_lineno + k;
		char want[32];

		if (lineno == c->fail_at) {
			*taken = k;
			return ss_err_set(err, SS_REFUSED, "key %llu seen before",
					  (unsigned long long)r[k].key);
		}
		snprintf(want, sizeof want, "key-%llu", (unsigned long long)r[k].key);
		if (s->end[k] != (k + 1) * sizeof *r || (c->fail_at == 0 && r[k].key != lineno - 1) ||
		    r[k].off + r[k].len > s->side_len || r[k].len != strlen(want) ||
		    memcmp(s->side + r[k].off, want, r[k].len) != 0 ||
		    s->refused[k] != (r[k].key == 7))
			c->wrong_output = true;
		text += r[k].len;
		c->refused += s->refused[k];
		c->lines++;
		c->last_lineno = lineno;
	}
	if (text != s->side_len || s->side[s->side_len] != 0)
		c->wrong_output = true;
	*taken = s->n;
	return SS_OK;
}

static int consume_slices(const char *input, int jobs, size_t slice_lines, struct slices *c,
			  struct counting_worker *w, ss_batch_stats *st, ss_err *err)
{
	void *workers[SS_BATCH_MAX_JOBS];
	ss_batch b = { .map = parse_rec, .workers = workers, .jobs = jobs,
		       .consume_slice = take_slice, .consumer = c, .slice_lines = slice_lines };
	ss_lines r;
	int in = input_fd(input), rc;
	size_t fail_at = c->fail_at;

	for (int i = 0; i < jobs; i++) {
		w[i].mapped = 0;
		workers[i] = &w[i];
	}
	memset(c, 0, sizeof *c);
	c->caller = pthread_self();
	c->fail_at = fail_at;
	ss_lines_init(&r, in, "input", 1 << 20);
	rc = ss_batch_run(&b, &r, st, err);
	ss_lines_free(&r);
	close(in);
	return rc;
}

TEST(batch_slice_consumer_takes_whole_slices_in_order_with_their_side_data)
{
	struct counting_worker w[4];
	struct slices c = { 0 };
	ss_batch_stats st;
	ss_err err = { 0 };
	char *input = keys_input(0, NULL);
	unsigned long mapped = 0;
	int rc = consume_slices(input, 4, 1000, &c, w, &st, &err);

	CHECK(rc == SS_OK);
	CHECK(c.lines == MANY && c.last_lineno == MANY && st.lines == MANY);
	CHECK(!c.wrong_thread && !c.wrong_order && !c.wrong_output && !c.misaligned);
	/* full chunks are cut into slices of the size asked for, never more */
	CHECK(c.longest == 1000 && c.calls >= MANY / 1000);
	CHECK(c.refused == 1 && st.refused == 1);
	for (int i = 0; i < 4; i++)
		mapped += w[i].mapped;
	CHECK(mapped == MANY);
	/* one thread, one line a slice: the same */
	rc = consume_slices(input, 1, 1, &c, w, &st, &err);
	CHECK(rc == SS_OK && c.lines == MANY && c.calls == MANY && c.longest == 1);
	CHECK(!c.wrong_thread && !c.wrong_order && !c.wrong_output && !c.misaligned);
	free(input);
}

TEST(batch_slice_consumer_sees_nothing_of_a_failing_line_or_after_it)
{
	struct counting_worker w[3];
	struct slices c = { 0 };
	ss_batch_stats st;
	ss_err err = { 0 };
	/* In the third chunk, inside a slice: the lines before it come, in a
	 * slice whose side buffer holds their text only. */
	char *input = keys_input(17000, "bad");
	int rc = consume_slices(input, 3, 700, &c, w, &st, &err);

	CHECK(rc == SS_EINPUT);
	CHECK_STR(err.msg, "line 17000: bad record");
	CHECK(c.lines == 16999 && c.last_lineno == 16999 && st.lines == 16999);
	CHECK(!c.wrong_thread && !c.wrong_order && !c.wrong_output && !c.misaligned);
	free(input);
}

TEST(batch_slice_consumer_error_names_the_line_it_stopped_at)
{
	struct counting_worker w[2];
	struct slices c = { .fail_at = 12001 };
	ss_batch_stats st;
	ss_err err = { 0 };
	char *input = keys_input(12001, "key-5");
	int rc = consume_slices(input, 2, 0, &c, w, &st, &err);

	CHECK(rc == SS_REFUSED);
	CHECK_STR(err.msg, "line 12001: key 5 seen before");
	CHECK(c.lines == 12000 && st.lines == 12000 && st.refused == 1);
	CHECK(!c.wrong_thread && !c.wrong_order && !c.wrong_output);
	free(input);
}

TEST(batch_refuses_a_slice_size_out_of_range_and_two_consumers)
{
	void *workers[1] = { 0 };
	struct seen s = { 0 };
	ss_batch b = { .map = echo_or_fail, .workers = workers, .jobs = 1,
		       .slice_lines = SS_BATCH_CHUNK_LINES + 1 };
	ss_batch_stats st;
	ss_lines r;
	ss_err err = { 0 };
	int in = input_fd("a\n");

	ss_lines_init(&r, in, "input", 1 << 20);
	CHECK(ss_batch_run(&b, &r, &st, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "slice_lines: 8193 is not in 1..8192");
	b.slice_lines = 0;
	b.consume = take_in_order;
	b.consume_slice = take_slice;
	b.consumer = &s;
	CHECK(ss_batch_run(&b, &r, &st, &err) == SS_EUSAGE);
	CHECK_STR(err.msg, "consume and consume_slice both set");
	CHECK(st.lines == 0);
	ss_lines_free(&r);
	close(in);
}

/* ---- a pipe whose writer waits for the answers ---------------------------- */

#define ASKED 40

/* The writer sends one line, then waits until it has been consumed before
 * sending the next, as a client that asks one question at a time would.
 * An engine that waited for a whole chunk would never answer: the writer
 * gives up after a few seconds and closes the pipe, so the test fails
 * instead of hanging. */
struct asker {
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t answered;
	size_t consumed;
	bool gave_up;
};

static void *ask(void *arg)
{
	struct asker *a = arg;

	for (size_t i = 0; i < ASKED && !a->gave_up; i++) {
		char line[32];
		struct timespec until;
		int n = snprintf(line, sizeof line, "key-%zu\n", i);

		if (write(a->fd, line, (size_t)n) != n)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		pthread_mutex_lock(&a->mu);
		while (a->consumed <= i && !a->gave_up)
			if (pthread_cond_timedwait(&a->answered, &a->mu, &until) == ETIMEDOUT)
				a->gave_up = true;
		pthread_mutex_unlock(&a->mu);
	}
	close(a->fd);
	return NULL;
}

static int answer(void *consumer, size_t lineno, int status, const char *out, size_t len,
		  ss_err *err)
{
	struct asker *a = consumer;

	(void)status;
	(void)out;
	(void)len;
	(void)err;
	pthread_mutex_lock(&a->mu);
	a->consumed = lineno;
	pthread_cond_signal(&a->answered);
	pthread_mutex_unlock(&a->mu);
	return SS_OK;
}

TEST(batch_answers_the_lines_of_a_pipe_as_they_come)
{
	for (int jobs = 1; jobs <= 4; jobs += 3) {
		struct counting_worker w[4] = { 0 };
		void *workers[4] = { &w[0], &w[1], &w[2], &w[3] };
		struct asker a = { .mu = PTHREAD_MUTEX_INITIALIZER,
				   .answered = PTHREAD_COND_INITIALIZER };
		ss_batch b = { .map = parse_key, .workers = workers, .jobs = jobs,
			       .consume = answer, .consumer = &a };
		ss_batch_stats st;
		ss_lines r;
		ss_err err = { 0 };
		pthread_t writer;
		int p[2], rc;

		CHECK(pipe(p) == 0);
		a.fd = p[1];
		pthread_create(&writer, NULL, ask, &a);
		ss_lines_init(&r, p[0], "pipe", 1 << 20);
		rc = ss_batch_run(&b, &r, &st, &err);
		pthread_join(writer, NULL);
		ss_lines_free(&r);
		close(p[0]);
		CHECK(rc == SS_OK && !a.gave_up);
		CHECK(st.lines == ASKED && a.consumed == ASKED);
	}
}

int main(void)
{
	RUN(batch_keeps_order_with_many_threads);
	RUN(batch_stops_at_first_error_after_complete_records);
	RUN(batch_refuses_blank_lines);
	RUN(batch_drops_what_a_failing_line_appended_and_maps_blank_lines_when_asked);
	RUN(batch_reports_a_read_error_after_the_lines_before_it);
	RUN(batch_refuses_a_thread_count_out_of_range);
	RUN(batch_reports_a_failed_flush_of_the_lines_before_a_failing_one);
	RUN(batch_consumer_takes_every_line_in_order_on_the_calling_thread);
	RUN(batch_consumer_stops_at_a_failing_line_in_the_middle);
	RUN(batch_consumer_error_stops_the_run_at_its_line);
	RUN(batch_consumer_with_one_job_maps_nothing_after_the_failing_line);
	RUN(batch_slice_consumer_takes_whole_slices_in_order_with_their_side_data);
	RUN(batch_slice_consumer_sees_nothing_of_a_failing_line_or_after_it);
	RUN(batch_slice_consumer_error_names_the_line_it_stopped_at);
	RUN(batch_refuses_a_slice_size_out_of_range_and_two_consumers);
	RUN(batch_answers_the_lines_of_a_pipe_as_they_come);
	return unit_done();
}

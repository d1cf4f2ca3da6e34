#include "ss/batch.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A chunk is big enough that starting threads for it costs next to nothing,
 * small enough to keep memory flat.  Threads take slices of it one at a
 * time, so a thread that gets less CPU (the machine is shared) simply takes
 * fewer, and the calling thread hands finished slices on in order while the
 * others still work.  A small chunk (a short input, the tail of a long one)
 * is cut into smaller slices, a few per thread, so that every thread gets
 * some. */
#define CHUNK_LINES 8192
#define CHUNK_BYTES (8u << 20)
#define SLICE_LINES 128
#define SLICES (CHUNK_LINES / SLICE_LINES)
#define SLICES_PER_THREAD 4

struct chunk {
	ss_buf text;          /* the lines, each followed by a NUL */
	size_t *start;        /* offsets into text */
	size_t *len;
	size_t n;
	size_t first_lineno;  /* line number of line 0 */
	int read_rc;          /* the read error that came after these lines, or SS_OK */
	ss_err read_err;
};

struct slice {
	ss_buf out;           /* the outputs of its lines, one after the other */
	size_t failed;        /* index (in the chunk) of the failing line, SIZE_MAX: none */
	int rc;
	ss_err err;
	atomic_bool done;     /* out, failed, rc and err are final */
};

/* What the threads share while they work on one chunk. */
struct run {
	const ss_batch *b;
	const struct chunk *c;
	size_t *out_end;          /* per line: where its output ends in its slice's out */
	unsigned char *refused;   /* per line: map() said SS_REFUSED */
	struct slice slice[SLICES];
	size_t slice_lines;
	size_t nslices;
	atomic_size_t next;       /* the next slice to take */
	atomic_bool stop;         /* a line failed: take no more slices */
};

struct thread {
	pthread_t id;
	struct run *run;
	void *worker;
};

int ss_batch_default_jobs(void)
{
	cpu_set_t set;
	long n = 0;

	/* The affinity mask, not the machine's CPU count: a process confined
	 * to two CPUs (taskset, a cpuset) gains nothing from more threads. */
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > SS_BATCH_MAX_JOBS ? SS_BATCH_MAX_JOBS : (int)n;
}

/* One past slice i's last line. */
static size_t slice_end(const struct run *r, size_t i)
{
	return (i + 1) * r->slice_lines < r->c->n ? (i + 1) * r->slice_lines : r->c->n;
}

static void map_slice(struct run *r, void *worker, size_t i)
{
	const struct chunk *c = r->c;
	struct slice *s = &r->slice[i];
	size_t end = slice_end(r, i);

	for (size_t k = i * r->slice_lines; k < end; k++) {
		size_t before = s->out.len;
		int rc;

		if (c->len[k] == 0 && r->b->refuse_blank)
			rc = ss_err_set(&s->err, SS_EINPUT, "empty line");
		else
			rc = r->b->map(worker, (const char *)c->text.data + c->start[k], c->len[k],
				       &s->out, &s->err);
		if (rc != SS_OK && rc != SS_REFUSED) {
			if (s->out.data) {
				s->out.len = before; /* never part of a failing line's output */
				s->out.data[before] = 0;
			}
			s->failed = k;
			s->rc = rc;
			/* Every slice before this one is already taken (slices go
			 * out in order) and will be finished; none after it is
			 * needed. */
			atomic_store(&r->stop, true);
			atomic_store(&r->next, r->nslices);
			break;
		}
		r->refused[k] = rc == SS_REFUSED;
		r->out_end[k] = s->out.len;
		if (r->b->consume)
			ss_buf_addc(&s->out, 0); /* each output a string of its own */
	}
	atomic_store_explicit(&s->done, true, memory_order_release);
}

static void *work(void *arg)
{
	struct thread *t = arg;
	struct run *r = t->run;
	size_t i;

	while ((i = atomic_fetch_add(&r->next, 1)) < r->nslices)
		map_slice(r, t->worker, i);
	return NULL;
}

/* Hand slice i's lines on in order, up to its failing line. */
static int consume_slice(struct run *r, size_t i, ss_batch_stats *stats, ss_progress *prog,
			 bool *stdout_failed, ss_err *err)
{
	const ss_batch *b = r->b;
	const struct chunk *c = r->c;
	struct slice *s = &r->slice[i];
	const char *out = s->out.data ? (const char *)s->out.data : "";
	size_t from = i * r->slice_lines, to = s->failed != SIZE_MAX ? s->failed : slice_end(r, i), k;
	int rc = SS_OK;

	if (!b->consume) {
		/* A slice's outputs are contiguous: one write for them all. */
		if (s->out.len && (rc = ss_stdout_write(out, s->out.len, err))) {
			*stdout_failed = true;
			return rc;
		}
		k = to;
	} else {
		size_t off = 0;

		for (k = from; k < to; k++) {
			rc = b->consume(b->consumer, c->first_lineno + k,
					r->refused[k] ? SS_REFUSED : SS_OK, out + off, r->out_end[k] - off,
					err);
			if (rc) {
				ss_err_prefix(err, "line %zu", c->first_lineno + k);
				break;
			}
			off = r->out_end[k] + 1;
		}
	}
	for (size_t j = from; j < k; j++)
		stats->refused += r->refused[j];
	stats->lines += k - from;
	ss_progress_add(prog, k - from);
	if (!rc && s->failed != SIZE_MAX) {
		*err = s->err;
		ss_err_prefix(err, "line %zu", c->first_lineno + s->failed);
		rc = s->rc;
	}
	return rc;
}

/* Consume the finished slices from *next on, in order. */
static int consume_ready(struct run *r, size_t *next, ss_batch_stats *stats, ss_progress *prog,
			 bool *stdout_failed, ss_err *err)
{
	int rc;

	while (*next < r->nslices &&
	       atomic_load_explicit(&r->slice[*next].done, memory_order_acquire)) {
		if ((rc = consume_slice(r, (*next)++, stats, prog, stdout_failed, err)))
			return rc;
	}
	return SS_OK;
}

/* Fill c with up to a chunk of lines.  A read error (a line too long, an I/O
 * error) is kept in c, to be reported after the lines read before it. */
static void read_chunk(ss_lines *in, struct chunk *c)
{
	const char *line;
	size_t len;

	ss_buf_reset(&c->text);
	c->n = 0;
	c->first_lineno = in->lineno + 1;
	c->read_rc = SS_OK;
	while (c->n < CHUNK_LINES && c->text.len < CHUNK_BYTES) {
		if ((c->read_rc = ss_lines_next(in, &line, &len, &c->read_err)) || !line)
			break;
		c->start[c->n] = c->text.len;
		c->len[c->n] = len;
		ss_buf_add(&c->text, line, len);
		ss_buf_addc(&c->text, 0);
		c->n++;
	}
}

/* Map chunk c on the workers and consume it in order.  The calling thread
 * takes slices too, consumes what is finished after each of its slices, and,
 * once every slice is taken, reads the following chunk into next while the
 * other threads finish. */
static int run_chunk(struct run *r, struct chunk *c, struct chunk *next, ss_lines *in,
		     struct thread *th, ss_batch_stats *stats, ss_progress *prog,
		     bool *stdout_failed, ss_err *err)
{
	const ss_batch *b = r->b;
	size_t want = (size_t)b->jobs * SLICES_PER_THREAD, consumed = 0, i;
	int started = 0, rc = SS_OK;

	if (want > SLICES)
		want = SLICES;
	r->c = c;
	r->slice_lines = (c->n + want - 1) / want;
	if (r->slice_lines > SLICE_LINES)
		r->slice_lines = SLICE_LINES;
	r->nslices = (c->n + r->slice_lines - 1) / r->slice_lines;
	for (i = 0; i < r->nslices; i++) {
		ss_buf_reset(&r->slice[i].out);
		r->slice[i].failed = SIZE_MAX;
		atomic_store(&r->slice[i].done, false);
	}
	atomic_store(&r->next, 0);
	atomic_store(&r->stop, false);
	/* When a thread cannot start, the others simply take its share. */
	for (int t = 1; t < b->jobs && (size_t)t < r->nslices; t++) {
		th[t].run = r;
		th[t].worker = b->workers[t];
		if (pthread_create(&th[t].id, NULL, work, &th[t]) != 0)
			break;
		started++;
	}
	while ((i = atomic_fetch_add(&r->next, 1)) < r->nslices) {
		map_slice(r, b->workers[0], i);
		if ((rc = consume_ready(r, &consumed, stats, prog, stdout_failed, err))) {
			atomic_store(&r->stop, true);
			atomic_store(&r->next, r->nslices);
			break;
		}
	}
	if (!rc && c->read_rc == SS_OK && !atomic_load(&r->stop))
		read_chunk(in, next);
	for (int t = 1; t <= started; t++)
		pthread_join(th[t].id, NULL);
	if (!rc)
		rc = consume_ready(r, &consumed, stats, prog, stdout_failed, err);
	return rc;
}

int ss_batch_run(const ss_batch *b, ss_lines *in, ss_batch_stats *stats, ss_err *err)
{
	struct thread th[SS_BATCH_MAX_JOBS];
	struct chunk ch[2];
	struct run *r;
	ss_progress prog;
	bool stdout_failed = false;
	int cur = 0, rc = SS_OK;

	memset(stats, 0, sizeof *stats);
	if (b->jobs < 1 || b->jobs > SS_BATCH_MAX_JOBS)
		return ss_err_set(err, SS_EUSAGE, "jobs: %d is not in 1..%d", b->jobs,
				  SS_BATCH_MAX_JOBS);
	memset(th, 0, sizeof th);
	memset(ch, 0, sizeof ch);
	r = ss_xcalloc(1, sizeof *r);
	r->b = b;
	r->out_end = ss_xcalloc(CHUNK_LINES, sizeof *r->out_end);
	r->refused = ss_xcalloc(CHUNK_LINES, sizeof *r->refused);
	for (int k = 0; k < 2; k++) {
		ch[k].start = ss_xcalloc(CHUNK_LINES, sizeof *ch[k].start);
		ch[k].len = ss_xcalloc(CHUNK_LINES, sizeof *ch[k].len);
	}
	memset(&prog, 0, sizeof prog);
	if (b->progress)
		ss_progress_start(&prog, b->progress);
	read_chunk(in, &ch[cur]);
	for (;;) {
		struct chunk *c = &ch[cur];

		if (c->n && (rc = run_chunk(r, c, &ch[!cur], in, th, stats, &prog, &stdout_failed,
					    err)))
			break;
		/* Nobody reads the outputs any more: the rest is not wanted. */
		if (!b->consume && ss_stdout_gone())
			break;
		if (c->read_rc) {
			*err = c->read_err;
			rc = c->read_rc;
			break;
		}
		if (!c->n)
			break;
		cur = !cur; /* run_chunk read it */
	}
	ss_progress_end(&prog);
	if (rc && !b->consume && !stdout_failed) {
		/* The outputs before the failing line are complete: they stay. */
		ss_err flush_err = { 0 };
		if (ss_stdout_flush(&flush_err)) {
			*err = flush_err;
			rc = flush_err.code;
		}
	}
	for (size_t i = 0; i < SLICES; i++)
		ss_buf_free(&r->slice[i].out);
	for (int k = 0; k < 2; k++) {
		ss_buf_free(&ch[k].text);
		free(ch[k].start);
		free(ch[k].len);
	}
	free(r->out_end);
	free(r->refused);
	free(r);
	return rc;
}

#include "ss/batch.h"

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A chunk is big enough that handing it over costs next to nothing, small
 * enough to keep memory flat with a few of them in flight: one being
 * consumed, the next ones mapped, one being read.  Threads take slices one
 * at a time, oldest first, so a thread that gets less CPU (the machine is
 * shared) simply takes fewer, and the calling thread hands finished slices
 * on in order while the others still work. */
#define CHUNK_LINES SS_BATCH_CHUNK_LINES
#define CHUNK_BYTES (8u << 20)
#define RING 3
#define SLICE_LINES 128
#define SLICES_PER_THREAD 4

struct slice {
	ss_buf out;           /* the outputs of its lines, one after the other */
	ss_buf side;          /* ss_batch_side */
	size_t from, to;      /* its lines in the chunk */
	size_t failed;        /* index (in the chunk) of the failing line, SIZE_MAX: none */
	int rc;
	ss_err err;
	bool done;            /* out, side, failed, rc and err are final (under mu) */
};

struct chunk {
	ss_buf text;          /* the lines as read, each '\n' made a NUL (ss_lines_take) */
	size_t *start;        /* offsets into text */
	size_t *len;
	size_t n;
	size_t first_lineno;  /* line number of line 0 */
	int read_rc;          /* the read error that came after these lines, or SS_OK */
	ss_err read_err;
	size_t *out_end;      /* per line: where its output ends in its slice's out */
	unsigned char *refused; /* per line: map() said SS_REFUSED */
	struct slice *slice;
	size_t nslices, slice_cap;
	size_t taken;         /* slices taken by a thread (under mu) */
	size_t consumed;      /* slices consumed (the calling thread's) */
};

/* What the threads share.  Chunks are numbered in input order; chunk k
 * lives in ring[k % RING]. */
struct engine {
	const ss_batch *b;
	ss_lines *in;
	bool regular;         /* in is a regular file: any thread may read it */
	size_t max_slice;     /* lines in a slice at most */
	size_t want;          /* slices a short chunk is cut into */
	pthread_mutex_t mu;
	pthread_cond_t work;  /* the workers: a slice to map, a chunk to read, the end */
	pthread_cond_t ready; /* the calling thread: a slice mapped, a chunk read */
	struct chunk ring[RING];
	size_t nread;         /* chunks read */
	size_t mapping;       /* the oldest chunk that may have a slice not taken */
	size_t consuming;     /* the chunk being consumed; the ones before are free */
	bool reading;         /* a thread is reading the next chunk */
	bool input_end;       /* no chunk will be read any more */
	bool stop;            /* a line failed, or the run is over: take nothing more */
};

struct thread {
	pthread_t id;
	struct engine *e;
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

ss_buf *ss_batch_side(ss_buf *out)
{
	return &((struct slice *)(void *)((char *)out - offsetof(struct slice, out)))->side;
}

static void map_slice(const ss_batch *b, struct chunk *c, struct slice *s, void *worker)
{
	bool nul = b->consume != NULL; /* each output a string of its own */

	for (size_t k = s->from; k < s->to; k++) {
		size_t before = s->out.len, side_before = s->side.len;
		int rc;

		if (c->len[k] == 0 && b->refuse_blank)
			rc = ss_err_set(&s->err, SS_EINPUT, "empty line");
		else
			rc = b->map(worker, (const char *)c->text.data + c->start[k], c->len[k],
				    &s->out, &s->err);
		if (rc != SS_OK && rc != SS_REFUSED) {
			/* never part of a failing line's output */
			if (s->out.data) {
				s->out.len = before;
				s->out.data[before] = 0;
			}
			if (s->side.data) {
				s->side.len = side_before;
				s->side.data[side_before] = 0;
			}
			s->failed = k;
			s->rc = rc;
			break;
		}
		c->refused[k] = rc == SS_REFUSED;
		c->out_end[k] = s->out.len;
		if (nul)
			ss_buf_addc(&s->out, 0);
	}
}

/* With mu held: the oldest slice not yet taken, and its chunk; NULL: none. */
static struct slice *take_slice(struct engine *e, struct chunk **cp)
{
	if (e->stop)
		return NULL;
	for (; e->mapping < e->nread; e->mapping++) {
		struct chunk *c = &e->ring[e->mapping % RING];
		if (c->taken < c->nslices) {
			*cp = c;
			return &c->slice[c->taken++];
		}
	}
	return NULL;
}

/* With mu held: map the slice (mu let go meanwhile) and tell the caller. */
static void map_taken(struct engine *e, struct chunk *c, struct slice *s, void *worker)
{
	pthread_mutex_unlock(&e->mu);
	map_slice(e->b, c, s, worker);
	pthread_mutex_lock(&e->mu);
	s->done = true;
	/* Every slice before a failing one is taken already (slices go out
	 * in order) and will be finished; none after it is needed. */
	if (s->failed != SIZE_MAX)
		e->stop = true;
	pthread_cond_signal(&e->ready);
}

/* Cut c into slices: up to max_slice lines each, and for a short chunk
 * about `want` of them. */
static void plan_slices(struct engine *e, struct chunk *c)
{
	size_t per = (c->n + e->want - 1) / e->want;

	if (per > e->max_slice)
		per = e->max_slice;
	if (per == 0)
		per = 1;
	c->nslices = (c->n + per - 1) / per;
	if (c->nslices > c->slice_cap) {
		c->slice = ss_xrealloc(c->slice, c->nslices * sizeof *c->slice);
		memset(c->slice + c->slice_cap, 0,
		       (c->nslices - c->slice_cap) * sizeof *c->slice);
		c->slice_cap = c->nslices;
	}
	for (size_t i = 0; i < c->nslices; i++) {
		struct slice *s = &c->slice[i];
		ss_buf_reset(&s->out);
		ss_buf_reset(&s->side);
		s->from = i * per;
		s->to = s->from + per < c->n ? s->from + per : c->n;
		s->failed = SIZE_MAX;
		s->done = false;
	}
	c->taken = c->consumed = 0;
}

/* Fill c with up to a chunk of lines.  A read error (a line too long, an I/O
 * error) is kept in c, to be reported after the lines read before it.  From
 * a pipe, only what has come, and without waiting at all unless `wait`.
 * Returns whether the input ended (or failed) with this chunk. */
static bool read_chunk(struct engine *e, struct chunk *c, bool wait)
{
	bool waiting;

	c->first_lineno = e->in->lineno + 1;
	c->read_rc = ss_lines_take(e->in, &c->text, c->start, c->len, CHUNK_LINES, CHUNK_BYTES,
				   e->regular ? SIZE_MAX : wait ? 1 : 0, &waiting, &c->n,
				   &c->read_err);
	plan_slices(e, c);
	return c->read_rc || ss_lines_done(e->in);
}

/* With mu held: read the next chunk (mu let go meanwhile).  Returns
 * whether it came to anything: lines, an error, or the end. */
static bool read_next(struct engine *e, bool wait)
{
	struct chunk *c = &e->ring[e->nread % RING];
	bool end, got;

	e->reading = true;
	pthread_mutex_unlock(&e->mu);
	end = read_chunk(e, c, wait);
	pthread_mutex_lock(&e->mu);
	e->reading = false;
	if (end)
		e->input_end = true;
	/* An empty chunk is only the end; a read error is delivered in turn. */
	got = c->n || c->read_rc;
	if (got)
		e->nread++;
	if (got || end) {
		pthread_cond_broadcast(&e->work);
		pthread_cond_signal(&e->ready);
	}
	return got || end;
}

/* With mu held: a chunk may be read now (a free place, no one reading). */
static bool may_read(const struct engine *e)
{
	return !e->stop && !e->input_end && !e->reading && e->nread - e->consuming < RING;
}

static void *work(void *arg)
{
	struct thread *t = arg;
	struct engine *e = t->e;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		struct chunk *c;
		struct slice *s = take_slice(e, &c);

		if (s)
			map_taken(e, c, s, t->worker);
		else if (e->regular && may_read(e))
			read_next(e, true);
		else if (e->stop)
			break;
		else
			pthread_cond_wait(&e->work, &e->mu);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* Hand slice s of c on: to the consumer or standard output, up to its
 * failing line. */
static int consume_slice(struct engine *e, struct chunk *c, struct slice *s,
			 ss_batch_stats *stats, ss_progress *prog, bool *stdout_failed,
			 ss_err *err)
{
	const ss_batch *b = e->b;
	const char *out = s->out.data ? (const char *)s->out.data : "";
	size_t to = s->failed != SIZE_MAX ? s->failed : s->to, k = s->from;
	int rc = SS_OK;

	if (b->consume_slice) {
		ss_batch_slice sl = {
			.first_lineno = c->first_lineno + s->from,
			.n = to - s->from,
			.out = (const unsigned char *)out,
			.end = c->out_end + s->from,
			.refused = c->refused + s->from,
			.side = s->side.data ? s->side.data : (const unsigned char *)"",
			.side_len = s->side.len,
		};
		size_t taken = sl.n;

		if (sl.n && (rc = b->consume_slice(b->consumer, &sl, &taken, err))) {
			if (taken > sl.n)
				taken = sl.n;
			ss_err_prefix(err, "line %zu", sl.first_lineno + taken);
		}
		k += taken;
	} else if (b->consume) {
		size_t off = 0;

		for (; k < to; k++) {
			rc = b->consume(b->consumer, c->first_lineno + k,
					c->refused[k] ? SS_REFUSED : SS_OK, out + off,
					c->out_end[k] - off, err);
			if (rc) {
				ss_err_prefix(err, "line %zu", c->first_lineno + k);
				break;
			}
			off = c->out_end[k] + 1;
		}
	} else {
		/* A slice's outputs are contiguous: one write for them all. */
		if (s->out.len && (rc = ss_stdout_write(out, s->out.len, err))) {
			*stdout_failed = true;
			return rc;
		}
		k = to;
	}
	for (size_t j = s->from; j < k; j++)
		stats->refused += c->refused[j];
	stats->lines += k - s->from;
	ss_progress_add(prog, k - s->from);
	if (!rc && s->failed != SIZE_MAX) {
		*err = s->err;
		ss_err_prefix(err, "line %zu", c->first_lineno + s->failed);
		rc = s->rc;
	}
	return rc;
}

/* The calling thread: read what a pipe has, consume in order, and when its
 * next slice is not mapped yet, map, read a file, or wait, in that order.
 * A pipe is waited on only when every line read is consumed. */
static int drive(struct engine *e, ss_batch_stats *stats, ss_progress *prog,
		 bool *stdout_failed, ss_err *err)
{
	int rc = SS_OK;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		struct chunk *c = &e->ring[e->consuming % RING], *mc;
		struct slice *s;

		if (e->consuming == e->nread) {
			if (e->input_end)
				break;
			if (may_read(e))
				read_next(e, true);
			else
				pthread_cond_wait(&e->ready, &e->mu);
			continue;
		}
		/* From a pipe, what has come is read first, for the others to
		 * map while this thread consumes. */
		if (!e->regular && may_read(e) && read_next(e, false))
			continue;
		if (c->consumed == c->nslices) {
			if (c->read_rc) {
				*err = c->read_err;
				rc = c->read_rc;
				break;
			}
			/* Every slice of it was taken: the place is free to read into. */
			e->consuming++;
			if (e->mapping < e->consuming)
				e->mapping = e->consuming;
			pthread_cond_broadcast(&e->work);
			continue;
		}
		s = &c->slice[c->consumed];
		if (s->done) {
			pthread_mutex_unlock(&e->mu);
			rc = consume_slice(e, c, s, stats, prog, stdout_failed, err);
			pthread_mutex_lock(&e->mu);
			if (rc)
				break;
			c->consumed++;
			/* Nobody reads the outputs any more: the rest is not wanted. */
			if (!e->b->consume && !e->b->consume_slice && ss_stdout_gone())
				break;
		} else if ((s = take_slice(e, &mc)))
			map_taken(e, mc, s, e->b->workers[0]);
		else if (e->regular && may_read(e))
			read_next(e, true);
		else
			pthread_cond_wait(&e->ready, &e->mu);
	}
	e->stop = true;
	pthread_cond_broadcast(&e->work);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int ss_batch_run(const ss_batch *b, ss_lines *in, ss_batch_stats *stats, ss_err *err)
{
	struct thread th[SS_BATCH_MAX_JOBS];
	struct engine *e;
	struct stat st;
	ss_progress prog;
	bool stdout_failed = false;
	int threads, started = 0, rc;

	memset(stats, 0, sizeof *stats);
	if (b->jobs < 1 || b->jobs > SS_BATCH_MAX_JOBS)
		return ss_err_set(err, SS_EUSAGE, "jobs: %d is not in 1..%d", b->jobs,
				  SS_BATCH_MAX_JOBS);
	if (b->slice_lines > CHUNK_LINES)
		return ss_err_set(err, SS_EUSAGE, "slice_lines: %zu is not in 1..%d",
				  b->slice_lines, CHUNK_LINES);
	if (b->consume && b->consume_slice)
		return ss_err_set(err, SS_EUSAGE, "consume and consume_slice both set");
	e = ss_xcalloc(1, sizeof *e);
	e->b = b;
	e->in = in;
	e->regular = fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode);
	e->max_slice = b->slice_lines ? b->slice_lines : SLICE_LINES;
	/* A full chunk is cut into slices of max_slice lines, never more. */
	e->want = (size_t)b->jobs * SLICES_PER_THREAD;
	if (e->want > CHUNK_LINES / e->max_slice)
		e->want = CHUNK_LINES / e->max_slice;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->work, NULL);
	pthread_cond_init(&e->ready, NULL);
	for (int k = 0; k < RING; k++) {
		e->ring[k].start = ss_xcalloc(CHUNK_LINES, sizeof *e->ring[k].start);
		e->ring[k].len = ss_xcalloc(CHUNK_LINES, sizeof *e->ring[k].len);
		e->ring[k].out_end = ss_xcalloc(CHUNK_LINES, sizeof *e->ring[k].out_end);
		e->ring[k].refused = ss_xcalloc(CHUNK_LINES, sizeof *e->ring[k].refused);
	}
	memset(&prog, 0, sizeof prog);
	if (b->progress)
		ss_progress_start(&prog, b->progress);

	/* The first chunk decides how many threads are worth starting: a
	 * short input that ends in it needs no more than its slices. */
	pthread_mutex_lock(&e->mu);
	read_next(e, true);
	threads = b->jobs;
	if (e->input_end && e->ring[0].nslices < (size_t)threads)
		threads = e->ring[0].nslices ? (int)e->ring[0].nslices : 1;
	pthread_mutex_unlock(&e->mu);
	for (int t = 1; t < threads; t++) {
		th[started].e = e;
		th[started].worker = b->workers[t];
		/* When a thread cannot start, the others simply take its share. */
		if (pthread_create(&th[started].id, NULL, work, &th[started]) != 0)
			break;
		started++;
	}
	rc = drive(e, stats, &prog, &stdout_failed, err);
	for (int t = 0; t < started; t++)
		pthread_join(th[t].id, NULL);
	ss_progress_end(&prog);
	if (rc && !b->consume && !b->consume_slice && !stdout_failed) {
		/* The outputs before the failing line are complete: they stay. */
		ss_err flush_err = { 0 };
		if (ss_stdout_flush(&flush_err)) {
			*err = flush_err;
			rc = flush_err.code;
		}
	}
	for (int k = 0; k < RING; k++) {
		struct chunk *c = &e->ring[k];
		for (size_t i = 0; i < c->slice_cap; i++) {
			ss_buf_free(&c->slice[i].out);
			ss_buf_free(&c->slice[i].side);
		}
		free(c->slice);
		ss_buf_free(&c->text);
		free(c->start);
		free(c->len);
		free(c->out_end);
		free(c->refused);
	}
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->work);
	pthread_cond_destroy(&e->ready);
	free(e);
	return rc;
}

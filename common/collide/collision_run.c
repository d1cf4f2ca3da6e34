#include "ss/collision_run.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss/json.h"

/* A chunk is about a megabyte of whole lines: big enough that handing it
 * over costs nothing, small enough that a few of them in flight keep
 * memory flat. */
#define CHUNK_BYTES ((size_t)1 << 20)
#define MAX_LINE SS_JSON_MAX_SIZE

enum chunk_state { FREE, READY, BUSY, DONE };

struct chunk {
	ss_buf text;               /* whole lines, each ending in '\n' but perhaps the last */
	enum chunk_state state;
	ss_collision_rec *recs;
	size_t nrecs, cap;
	ss_buf strings;            /* the records' identifier text */
	size_t lines;              /* lines in text */
	int rc;                    /* the first failing line: its status, */
	size_t failed;             /* its index in the chunk, */
	ss_err err;                /* and why */
};

/* The reader's side: bytes read but not yet in a chunk (a line's start). */
struct reader {
	int fd;
	bool regular;              /* a regular file, else a pipe or the like */
	ss_buf carry;
	bool eof;
	int rc;
	ss_err err;
};

/* A pipe with nothing to read right now. */
static bool would_block(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 0;
}

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t work;       /* workers: a chunk to parse, or a slot to fill */
	pthread_cond_t done;       /* the caller: a chunk parsed, or the input's end */
	struct chunk *slot;
	size_t nslots;
	size_t filled;             /* chunks filled, in input order */
	size_t taken;              /* chunks taken by a worker */
	size_t consumed;           /* chunks the caller has tracked */
	bool input_end;            /* nothing more will be filled */
	bool closing;
	/* A regular file never blocks a read, so the workers read it
	 * themselves, one at a time, and the caller's thread only tracks.
	 * A pipe is read by the caller, which can stop waiting for it. */
	bool workers_read;
	bool reading;
	struct reader r;
};

static void extract_chunk(struct chunk *c)
{
	const char *p = (const char *)c->text.data, *end = p + c->text.len;

	c->nrecs = c->lines = 0;
	c->rc = SS_OK;
	ss_buf_reset(&c->strings);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > MAX_LINE) {
			c->rc = ss_err_set(&c->err, SS_EINPUT, "longer than %zu bytes", MAX_LINE);
			c->failed = c->lines;
			return;
		}
		if (c->nrecs == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 4096;
			c->recs = ss_xrealloc(c->recs, c->cap * sizeof *c->recs);
		}
		if ((c->rc = ss_collision_extract(p, len, &c->recs[c->nrecs], &c->strings,
						  &c->err))) {
			c->failed = c->lines;
			return;
		}
		c->nrecs++;
		c->lines++;
		p += len + 1;
	}
}

static int read_more(struct reader *r, ss_buf *b, size_t want)
{
	ss_buf_reserve(b, want);
	for (;;) {
		ssize_t n = read(r->fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ss_err_errno(&r->err, SS_EIO, "read");
		if (n == 0)
			r->eof = true;
		b->len += (size_t)n;
		b->data[b->len] = 0;
		return SS_OK;
	}
}

/* Fill c->text with whole lines: the carried start of a line, then reads
 * until a megabyte is there (or the end), cut after the last newline.
 * false: nothing left (or a read failed: r->rc).  A line longer than the
 * limit is found here, before any worker sees it; it is the chunk's first
 * line, so the chunk carries the error for its turn. */
static bool fill(struct reader *r, struct chunk *c)
{
	ss_buf *t = &c->text;
	const unsigned char *nl;

	ss_buf_reset(t);
	ss_buf_add(t, r->carry.data, r->carry.len);
	ss_buf_reset(&r->carry);
	c->rc = SS_OK;
	c->lines = c->nrecs = 0;
	for (;;) {
		while (!r->eof && t->len < CHUNK_BYTES) {
			if ((r->rc = read_more(r, t, CHUNK_BYTES - t->len + 4096)))
				return false;
			/* A slow pipe: what has come is checked now, not once a
			 * megabyte has. */
			if (!r->regular && would_block(r->fd) && memchr(t->data, '\n', t->len))
				break;
		}
		nl = t->len ? memrchr(t->data, '\n', t->len) : NULL;
		if (nl || r->eof)
			break;
		if (t->len > MAX_LINE) {
			c->rc = ss_err_set(&c->err, SS_EINPUT, "longer than %zu bytes", MAX_LINE);
			c->failed = 0;
			return true;
		}
		if ((r->rc = read_more(r, t, 1 << 16)))
			return false;
	}
	if (nl && !r->eof) {
		size_t keep = (size_t)(nl - t->data) + 1;
		ss_buf_add(&r->carry, t->data + keep, t->len - keep);
		t->len = keep;
		t->data[keep] = 0;
	}
	return t->len > 0;
}

/* With pl->mu held: fill the next slot (the lock is let go meanwhile). */
static void fill_next(struct pipeline *pl)
{
	struct chunk *c = &pl->slot[pl->filled % pl->nslots];
	bool ok;

	pl->reading = true;
	pthread_mutex_unlock(&pl->mu);
	ok = fill(&pl->r, c);
	pthread_mutex_lock(&pl->mu);
	pl->reading = false;
	if (!ok)
		pl->input_end = true;
	else {
		c->state = c->rc ? DONE : READY; /* an over-long line fails the chunk here */
		pl->input_end = c->rc != SS_OK;
		pl->filled++;
	}
	pthread_cond_broadcast(&pl->work);
	pthread_cond_broadcast(&pl->done);
}

static void *worker(void *arg)
{
	struct pipeline *pl = arg;

	pthread_mutex_lock(&pl->mu);
	while (!pl->closing) {
		if (pl->taken < pl->filled) {
			struct chunk *c = &pl->slot[pl->taken++ % pl->nslots];
			if (c->state != READY)
				continue; /* failed by the reader */
			c->state = BUSY;
			pthread_mutex_unlock(&pl->mu);
			extract_chunk(c);
			pthread_mutex_lock(&pl->mu);
			c->state = DONE;
			pthread_cond_broadcast(&pl->done);
		} else if (pl->workers_read && !pl->input_end && !pl->reading &&
			   pl->filled - pl->consumed < pl->nslots)
			fill_next(pl);
		else
			pthread_cond_wait(&pl->work, &pl->mu);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

int ss_collision_run_fd(ss_collision_tracker *t, int fd, int jobs, ss_progress *prog,
			ss_err *err)
{
	struct pipeline pl;
	pthread_t th[SS_COLLISION_MAX_JOBS];
	struct stat st;
	int started = 0, rc = SS_OK;
	uint64_t line0 = 1;  /* line number of the next chunk's first line */

	if (jobs < 1)
		jobs = 1;
	if (jobs > SS_COLLISION_MAX_JOBS)
		jobs = SS_COLLISION_MAX_JOBS;
	memset(&pl, 0, sizeof pl);
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.work, NULL);
	pthread_cond_init(&pl.done, NULL);
	pl.nslots = 2 * (size_t)jobs + 2;
	pl.slot = ss_xcalloc(pl.nslots, sizeof *pl.slot);
	pl.r.fd = fd;
	pl.workers_read = pl.r.regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	/* cJSON's allocation hooks are set once, here, before any thread can
	 * parse (the tree reader runs in the workers). */
	cJSON_Delete(ss_json_new_object());
	for (int i = 0; i < jobs; i++)
		if (pthread_create(&th[started], NULL, worker, &pl) == 0)
			started++;
	if (!started) {
		rc = ss_err_set(err, SS_EIO, "cannot start a thread");
		goto out;
	}

	pthread_mutex_lock(&pl.mu);
	for (;;) {
		struct chunk *c;

		/* From a pipe: read ahead while the workers work, but wait for
		 * it only when there is nothing else to do. */
		while (!pl.workers_read && !pl.input_end && pl.filled - pl.consumed < pl.nslots &&
		       (pl.consumed == pl.filled || !would_block(fd)))
			fill_next(&pl);
		while (pl.consumed == pl.filled && !pl.input_end)
			pthread_cond_wait(&pl.done, &pl.mu);
		if (pl.consumed == pl.filled)
			break;
		c = &pl.slot[pl.consumed % pl.nslots];
		while (c->state != DONE)
			pthread_cond_wait(&pl.done, &pl.mu);
		pthread_mutex_unlock(&pl.mu);

		if (c->nrecs) {
			uint64_t before = ss_collision_tracker_records(t);
			if ((rc = ss_collision_track(t, c->recs, c->nrecs,
						     (const char *)c->strings.data, err))) {
				ss_err_prefix(err, "line %llu",
					      (unsigned long long)(line0 +
								   (ss_collision_tracker_records(t) -
								    before)));
				pthread_mutex_lock(&pl.mu);
				break;
			}
		}
		if (prog)
			ss_progress_add(prog, c->nrecs);
		if (c->rc) {
			*err = c->err;
			rc = ss_err_prefix(err, "line %llu", (unsigned long long)(line0 + c->failed));
			pthread_mutex_lock(&pl.mu);
			break;
		}
		line0 += c->lines;
		pthread_mutex_lock(&pl.mu);
		c->state = FREE;
		pl.consumed++;
		pthread_cond_broadcast(&pl.work);
	}
	pl.closing = true;
	pthread_cond_broadcast(&pl.work);
	pthread_mutex_unlock(&pl.mu);
	if (!rc && pl.r.rc) {
		*err = pl.r.err;
		rc = pl.r.rc;
	}
out:
	pthread_mutex_lock(&pl.mu);
	pl.closing = true;
	pthread_cond_broadcast(&pl.work);
	pthread_mutex_unlock(&pl.mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < pl.nslots; i++) {
		ss_buf_free(&pl.slot[i].text);
		ss_buf_free(&pl.slot[i].strings);
		free(pl.slot[i].recs);
	}
	free(pl.slot);
	ss_buf_free(&pl.r.carry);
	pthread_mutex_destroy(&pl.mu);
	pthread_cond_destroy(&pl.work);
	pthread_cond_destroy(&pl.done);
	return rc;
}

#include "ss/collision_run.h"

#include <stdint.h>

#include "ss/batch.h"
#include "ss/json.h"

/* A thread extracts a slice's records, and the tracker takes them at once:
 * its passes fetch a record's table slots a dozen records ahead, which pays
 * off over runs of several hundred records (and a slice is cut shorter only
 * at the end of a short input). */
#define SLICE_LINES 1024

struct check {
	ss_collision_tracker *t;
	ss_progress *prog;
};

/* One line to its record, the output (a whole ss_collision_rec, so that a
 * slice's outputs are an array of them); its identifiers go to the slice's
 * side buffer, which the record's offsets point into. */
static int extract_line(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err)
{
	ss_collision_rec *rec;
	int rc;

	(void)worker;
	ss_buf_reserve(out, sizeof *rec);
	rec = (ss_collision_rec *)(void *)(out->data + out->len);
	if ((rc = ss_collision_extract(line, len, rec, ss_batch_side(out), err)))
		return rc;
	out->len += sizeof *rec;
	out->data[out->len] = 0;
	return SS_OK;
}

static int track_slice(void *consumer, const ss_batch_slice *s, size_t *taken, ss_err *err)
{
	struct check *c = consumer;
	uint64_t before = ss_collision_tracker_records(c->t);
	int rc = ss_collision_track(c->t, (const ss_collision_rec *)(const void *)s->out, s->n,
				    (const char *)s->side, err);

	*taken = (size_t)(ss_collision_tracker_records(c->t) - before);
	if (c->prog)
		ss_progress_add(c->prog, *taken);
	return rc;
}

int ss_collision_run_fd(ss_collision_tracker *t, int fd, const char *name, int jobs,
			ss_progress *prog, ss_err *err)
{
	struct check c = { .t = t, .prog = prog };
	void *workers[SS_BATCH_MAX_JOBS] = { 0 };
	ss_batch b = { .map = extract_line, .workers = workers, .jobs = jobs,
		       .consume_slice = track_slice, .consumer = &c,
		       .slice_lines = SLICE_LINES };
	ss_batch_stats stats;
	ss_lines in;
	int rc;

	ss_lines_init(&in, fd, name, SS_JSON_MAX_SIZE);
	rc = ss_batch_run(&b, &in, &stats, err);
	ss_lines_free(&in);
	return rc;
}

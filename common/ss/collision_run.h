/* Running the isolation check over a stream, on the toolkit's batch engine
 * (ss/batch.h): worker threads reduce each line to its record
 * (ss_collision_extract), and the calling thread hands the records to the
 * tracker in input order, a slice of lines at a time (ss_collision_track),
 * while the workers read and extract ahead.  The extractor and the tracker
 * are all the check is; this is only how they are driven. */
#ifndef SS_COLLISION_RUN_H
#define SS_COLLISION_RUN_H

#include "ss/collision_tracker.h"
#include "ss/err.h"
#include "ss/io.h"

/* Read fd to its end into t, which must already have been told of the
 * input (ss_collision_tracker_input).  name: the input as read errors call
 * it.  jobs: threads, 1..SS_BATCH_MAX_JOBS, the calling one (which tracks)
 * included.  Progress (records) goes to prog, which may be NULL.  The first
 * line that is not a well-formed record stops the run: SS_EINPUT, "line N:
 * why". */
int ss_collision_run_fd(ss_collision_tracker *t, int fd, const char *name, int jobs,
			ss_progress *prog, ss_err *err);

#endif

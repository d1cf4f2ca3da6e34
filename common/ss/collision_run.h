/* Running the isolation check over a stream: lines are cut into chunks,
 * worker threads reduce each line to its record (ss_collision_extract),
 * and the calling thread hands the chunks' records to the tracker in input
 * order (ss_collision_track) while the workers read ahead.  The extractor
 * and the tracker are all the check is; this is only how they are driven,
 * and the toolkit's batch engine can drive them the same way. */
#ifndef SS_COLLISION_RUN_H
#define SS_COLLISION_RUN_H

#include "ss/collision_tracker.h"
#include "ss/err.h"
#include "ss/io.h"

#define SS_COLLISION_MAX_JOBS 64

/* Read fd to its end into t, which must already have been told of the
 * input (ss_collision_tracker_input).  jobs: worker threads, 1..64.
 * Progress (records) goes to prog, which may be NULL.  The first line that
 * is not a well-formed record stops the run: SS_EINPUT, "line N: why". */
int ss_collision_run_fd(ss_collision_tracker *t, int fd, int jobs, ss_progress *prog,
			ss_err *err);

#endif

/* Parallel map over JSONL: lines are read in chunks, each chunk is split
 * among worker threads, and the workers' outputs are written in input order.
 * Processing stops at the first line whose function returns an error
 * (status >= 2): everything before that line is written, nothing after it,
 * and no partial line ever — the contract of the streaming modes. */
#ifndef SS_BATCH_H
#define SS_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/io.h"

#define SS_PMAP_MAX_JOBS 64

/* Process one line (without its newline, NUL-terminated), appending its
 * output line(s) to out.  Return SS_OK or SS_REFUSED (a negative verdict:
 * the line is done and processing goes on), or an error status that stops
 * the run; then err says why (the line number is added by ss_pmap_run). */
typedef int (*ss_pmap_fn)(void *worker, const char *line, size_t len, ss_buf *out, ss_err *err);

typedef struct ss_pmap_stats {
	unsigned long long lines;
	unsigned long long refused;
} ss_pmap_stats;

/* jobs: 1..SS_PMAP_MAX_JOBS; workers[i] is handed to every call made by
 * thread i.  Blank lines are invalid input.  Progress goes to prog (may be
 * NULL).  Returns SS_OK when every line was processed (stats->refused tells
 * whether any was refused), else the first error, "line N: why". */
int ss_pmap_run(ss_lines *in, int jobs, ss_pmap_fn fn, void **workers, ss_pmap_stats *stats,
		ss_progress *prog, ss_err *err);

/* Online CPUs, at least 1, at most SS_PMAP_MAX_JOBS. */
int ss_pmap_default_jobs(void);

#endif

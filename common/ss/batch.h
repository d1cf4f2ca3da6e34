/* The batch engine: a JSONL stream mapped on worker threads, the results
 * taken back in input order on the calling thread.  Every batch mode uses
 * it (verify-quote --batch, ss-derive-key --batch).
 *
 * The contract:
 * - Lines are read from an ss_lines reader in chunks.  Each line (without
 *   its '\n', NUL-terminated) goes to map() on one of `jobs` threads, the
 *   calling thread being one of them; map() appends the line's output to
 *   out.  workers[i] is handed to every call made on thread i, so per-thread
 *   state (parsed keys, keyed contexts) needs no locking; map() must not
 *   touch state shared between workers unless that state is thread-safe.
 * - The outputs are taken in input order on the calling thread: with
 *   consume == NULL they are written to standard output (ss_stdout_write),
 *   else consume() receives each line's output, one line at a time, with a
 *   NUL after it (not counted in its length).  The output is any bytes (a
 *   consumer may be handed a packed struct: copy it out, no alignment is
 *   promised).
 * - map() returns SS_OK, or SS_REFUSED (a negative answer: the line is done,
 *   its output kept, stats->refused counts it), or an error status (>= 2)
 *   that stops the run.  A line's output must be whole when map() returns
 *   SS_OK or SS_REFUSED; on an error whatever it appended is dropped.
 * - The first failing line stops the run with "line N: why" (N counted from
 *   1): every line before it has been consumed (or written), nothing after
 *   it is.  With consume == NULL, what was written is then flushed so that
 *   it stays; a failed flush is the error reported instead, since the lines
 *   before are then not all out.  A failed write to standard output is
 *   reported as it is, without a line number.  A read error (an I/O error,
 *   a line longer than the reader allows) comes after the lines read before
 *   it.
 * - With consume == NULL, a reader of standard output that has gone
 *   (ss_stdout_gone, ss/io.h) ends the run after the chunk at hand, with
 *   SS_OK: stats then count only the lines consumed so far.
 * - With jobs > 1, lines after the failing one may have been mapped (never
 *   consumed): a map() with effects outside its output, such as writing
 *   files, must run with jobs = 1, where lines are mapped one at a time in
 *   order and nothing after the failing line is mapped.  consume() runs only
 *   on the calling thread, in order, and is the place for effects that need
 *   the order (a table of what was seen so far).
 * - Progress on stderr ("prog: LABEL: N done (R/s)") when progress is set
 *   and stderr is a terminal (ss_progress, ss/io.h). */
#ifndef SS_BATCH_H
#define SS_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "ss/buf.h"
#include "ss/err.h"
#include "ss/io.h"

#define SS_BATCH_MAX_JOBS 64

/* Map one line: append its output to out.  err says why on an error (the
 * engine puts "line N: " in front). */
typedef int (*ss_batch_map_fn)(void *worker, const char *line, size_t len, ss_buf *out,
			       ss_err *err);

/* Take one line's output, in input order, on the calling thread.  status is
 * what map() returned for it (SS_OK or SS_REFUSED).  Return SS_OK to go on;
 * any other status stops the run with err prefixed "line N: ". */
typedef int (*ss_batch_consume_fn)(void *consumer, size_t lineno, int status, const char *out,
				   size_t len, ss_err *err);

typedef struct ss_batch {
	ss_batch_map_fn map;
	void *const *workers;        /* jobs entries, workers[0] on the calling thread */
	int jobs;                    /* 1..SS_BATCH_MAX_JOBS */
	ss_batch_consume_fn consume; /* NULL: outputs to standard output */
	void *consumer;              /* handed to consume() */
	bool refuse_blank;           /* an empty line is "empty line" (SS_EINPUT), not mapped */
	const char *progress;        /* label of the progress line; NULL: none */
} ss_batch;

typedef struct ss_batch_stats {
	unsigned long long lines;    /* consumed (refused ones included) */
	unsigned long long refused;
} ss_batch_stats;

/* Run b over in to its end or to the first failure (see above).  Returns
 * SS_OK when every line was consumed (stats->refused says whether any was
 * refused), else the first error.  jobs out of range is SS_EUSAGE. */
int ss_batch_run(const ss_batch *b, ss_lines *in, ss_batch_stats *stats, ss_err *err);

/* The CPUs this process may run on (its affinity mask), at least 1, at most
 * SS_BATCH_MAX_JOBS: the default for --jobs. */
int ss_batch_default_jobs(void);

#endif

/* The batch engine: a JSONL stream mapped on worker threads, the results
 * taken back in input order on the calling thread.  Every batch mode uses
 * it (verify-quote --batch, ss-derive-key --batch, ss-collision-check).
 *
 * The contract:
 * - Lines are read from an ss_lines reader in chunks, and each chunk is cut
 *   into slices of consecutive lines.  Each line (without its '\n',
 *   NUL-terminated) goes to map() on one of `jobs` threads, the calling
 *   thread being one of them; map() appends the line's output to out.
 *   workers[i] is handed to every call made on thread i, so per-thread
 *   state (parsed keys, keyed contexts) needs no locking; map() must not
 *   touch state shared between workers unless that state is thread-safe.
 * - The outputs are taken in input order on the calling thread, one of
 *   three ways:
 *   - consume == consume_slice == NULL: they are written to standard
 *     output (ss_stdout_write);
 *   - consume(): each line's output, one line at a time, with a NUL after
 *     it (not counted in its length);
 *   - consume_slice(): a slice's lines at once (ss_batch_slice): their
 *     outputs back to back, where each ends, which were refused, and the
 *     slice's side buffer (below).  For a consumer that works best on many
 *     records at a time (a table walked with its lookups fetched ahead).
 *   The output is any bytes.  A per-line consumer may be handed a packed
 *   struct (copy it out, no alignment is promised); a slice's outputs start
 *   where malloc's memory does, so outputs that are all of one struct's
 *   size (a multiple of its alignment) form an array of it.
 * - The side buffer: map() may append to ss_batch_side(out) data of any
 *   size that its output refers to by offset (text behind fixed-size
 *   records).  It is the slice's, shared by its lines in order, and handed
 *   to consume_slice() with the outputs; the other consumers never see it.
 * - map() returns SS_OK, or SS_REFUSED (a negative answer: the line is done,
 *   its output kept, stats->refused counts it), or an error status (>= 2)
 *   that stops the run.  A line's output must be whole when map() returns
 *   SS_OK or SS_REFUSED; on an error whatever it appended (to out and to
 *   the side buffer) is dropped.
 * - The first failing line stops the run with "line N: why" (N counted from
 *   1): every line before it has been consumed (or written), nothing after
 *   it is.  With no consumer, what was written is then flushed so that it
 *   stays; a failed flush is the error reported instead, since the lines
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
 *   order and nothing after the failing line is mapped.  The consumer runs
 *   only on the calling thread, in order, and is the place for effects that
 *   need the order (a table of what was seen so far).
 * - The threads work ahead of the consumer by a few chunks: while the
 *   calling thread consumes, the others map the next slices and read the
 *   next chunk (a regular file; a pipe or terminal is read by the calling
 *   thread, which never waits on it while it has lines in hand).  From a
 *   pipe, the lines that have come are mapped and consumed without waiting
 *   for a whole chunk, so a slow writer's lines (a malformed one among them)
 *   are answered as they come.  The calling thread consumes first and maps
 *   only when its next slice is not ready: a heavy consumer leaves the
 *   mapping to the others, a light one maps with them.
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
/* Lines in a chunk at most, so in a slice at most. */
#define SS_BATCH_CHUNK_LINES 8192

/* Map one line: append its output to out.  err says why on an error (the
 * engine puts "line N: " in front). */
typedef int (*ss_batch_map_fn)(void *worker, const char *line, size_t len, ss_buf *out,
			       ss_err *err);

/* Take one line's output, in input order, on the calling thread.  status is
 * what map() returned for it (SS_OK or SS_REFUSED).  Return SS_OK to go on;
 * any other status stops the run with err prefixed "line N: ". */
typedef int (*ss_batch_consume_fn)(void *consumer, size_t lineno, int status, const char *out,
				   size_t len, ss_err *err);

/* A slice of lines, mapped: what consume_slice() is handed. */
typedef struct ss_batch_slice {
	size_t first_lineno;          /* line number of its first line */
	size_t n;                     /* its lines, 1 or more */
	const unsigned char *out;     /* their outputs back to back (aligned as malloc's) */
	const size_t *end;            /* line k's output: out[end[k-1]..end[k]), line 0's from 0 */
	const unsigned char *refused; /* refused[k]: map() returned SS_REFUSED for line k */
	const unsigned char *side;    /* the side buffer (NUL-terminated) */
	size_t side_len;
} ss_batch_slice;

/* Take a slice's lines, in input order, on the calling thread.  Return
 * SS_OK once all of them are taken; any other status stops the run, with
 * *taken set to the lines taken before the one that failed (err is prefixed
 * "line N: " with that line's number). */
typedef int (*ss_batch_consume_slice_fn)(void *consumer, const ss_batch_slice *slice,
					 size_t *taken, ss_err *err);

typedef struct ss_batch {
	ss_batch_map_fn map;
	void *const *workers;        /* jobs entries, workers[0] on the calling thread */
	int jobs;                    /* 1..SS_BATCH_MAX_JOBS */
	ss_batch_consume_fn consume; /* at most one of consume and consume_slice; */
	ss_batch_consume_slice_fn consume_slice;  /* neither: outputs to standard output */
	void *consumer;              /* handed to consume() or consume_slice() */
	bool refuse_blank;           /* an empty line is "empty line" (SS_EINPUT), not mapped */
	const char *progress;        /* label of the progress line; NULL: none */
	/* The most lines in a slice (1..SS_BATCH_CHUNK_LINES; 0: 128): a thread
	 * maps a slice at once and consume_slice() takes it at once.  Small
	 * slices share out a few heavy lines well; big ones cost fewer hand-overs
	 * and give a consumer longer runs.  A short chunk (a short input, the
	 * end of a long one, what a pipe had) is cut into smaller slices, a few
	 * per thread, so that every thread gets some. */
	size_t slice_lines;
} ss_batch;

typedef struct ss_batch_stats {
	unsigned long long lines;    /* consumed (refused ones included) */
	unsigned long long refused;
} ss_batch_stats;

/* Run b over in to its end or to the first failure (see above).  Returns
 * SS_OK when every line was consumed (stats->refused says whether any was
 * refused), else the first error.  jobs or slice_lines out of range, or
 * both consumers set, is SS_EUSAGE. */
int ss_batch_run(const ss_batch *b, ss_lines *in, ss_batch_stats *stats, ss_err *err);

/* The side buffer of the slice that out (the buffer map() was handed)
 * belongs to.  Only for that out, and only inside map(). */
ss_buf *ss_batch_side(ss_buf *out);

/* The CPUs this process may run on (its affinity mask), at least 1, at most
 * SS_BATCH_MAX_JOBS: the default for --jobs. */
int ss_batch_default_jobs(void);

#endif

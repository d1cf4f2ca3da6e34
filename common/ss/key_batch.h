/* Batch derivation: a stream of ss.execution.v1 lines (JSONL) in, one
 * ss.key.v1 record per line out through ss_stdout_write, every key under
 * one PRK (ss/execution_key.h).
 *
 * Lines are read in chunks; `jobs` threads, each with its own derivation
 * contexts, take slices of a chunk in turn, and the records are written
 * back in input order.  The first line that fails (malformed JSON, not a
 * valid ss.execution.v1, a key file that cannot be written) stops the run
 * with "line N: why": every record before it has been written whole,
 * nothing after it is.  With a secret directory the run is sequential and
 * each key file is written before its record, so no key file exists for a
 * line after the failing one. */
#ifndef SS_KEY_BATCH_H
#define SS_KEY_BATCH_H

#include "ss/err.h"
#include "ss/execution_key.h"

#define SS_KEYBATCH_MAX_JOBS 64

typedef struct ss_keybatch {
	ss_key_kind kind;
	const char *purpose;     /* identifier */
	const char *secret_dir;  /* NULL: records only; else DIR/<key_id>.key|.pem, 0600 */
	int jobs;                /* threads, 1..SS_KEYBATCH_MAX_JOBS */
} ss_keybatch;

/* The CPUs this process may run on (at least 1, at most the maximum). */
int ss_keybatch_default_jobs(void);

/* Read fd to its end (name: how messages call it, e.g. "standard
 * input").  Progress on stderr when it is a terminal. */
int ss_keybatch_run(const ss_keybatch *kb, const unsigned char prk[SS_HKDF_PRK_LEN], int fd,
		    const char *name, ss_err *err);

#endif

/* Batch derivation: a stream of ss.execution.v1 lines (JSONL) in, one
 * ss.key.v1 record per line out on standard output in input order, every
 * key under one PRK (ss/execution_key.h).
 *
 * The lines run on the batch engine (ss/batch.h), each of `jobs` threads
 * with its own derivation contexts, keyed once.  The first line that fails
 * (malformed JSON, not a valid ss.execution.v1, a key file that cannot be
 * written) stops the run with "line N: why": every record before it has
 * been written whole, nothing after it is.  With a secret directory the run
 * is sequential and each key file is written before its record, so no key
 * file exists for a line after the failing one. */
#ifndef SS_KEY_BATCH_H
#define SS_KEY_BATCH_H

#include "ss/batch.h"
#include "ss/err.h"
#include "ss/execution_key.h"

typedef struct ss_keybatch {
	ss_key_kind kind;
	const char *purpose;     /* identifier */
	const char *secret_dir;  /* NULL: records only; else DIR/<key_id>.key|.pem, 0600 */
	int jobs;                /* threads, 1..SS_BATCH_MAX_JOBS (ss_batch_default_jobs) */
} ss_keybatch;

/* Read fd to its end (name: how messages call it, e.g. "standard
 * input").  Progress on stderr when it is a terminal. */
int ss_keybatch_run(const ss_keybatch *kb, const unsigned char prk[SS_HKDF_PRK_LEN], int fd,
		    const char *name, ss_err *err);

#endif

/* Outputs that are delivered only once what they depend on is committed.
 *
 * A command that consumes state and writes a file (verify and finish write
 * a session secret) stages the file before it consumes anything: a
 * temporary file, created exclusively beside the final name, proves that
 * the output can be written there (the directory exists, the name is free)
 * and holds the contents.  Only after the store's commit is it linked to
 * its final name, exclusively; when anything fails first, the temporary
 * file is removed and nothing else is left.  See ss/store.h for the commit
 * and docs/store.md for the order. */
#ifndef SS_OUTPUT_H
#define SS_OUTPUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ss/err.h"

typedef struct ss_output {
	char path[PATH_MAX]; /* the final name, as given (for messages) */
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];
	int dirfd;           /* the directory both live in */
	bool staged;         /* the temporary file exists */
	bool published;      /* the final name exists and is ours */
	dev_t dev;
	ino_t ino;
} ss_output;

#define SS_OUTPUT_INIT { .dirfd = -1 }

/* Check that path is free and create its temporary file (mode, exclusive,
 * no symbolic link followed).  A name that exists is SS_EIO "'path'
 * already exists"; a directory that cannot be written is SS_EIO
 * "create 'path': why". */
int ss_output_stage(ss_output *o, const char *path, mode_t mode, ss_err *err);
/* Fill the temporary file.  Its contents become durable with the store's
 * commit that must come before ss_output_publish: ss_store_commit with
 * this path as its also, which syncs the file's filesystem too when it is
 * not the state's (one flush for the decision, not one more per file). */
int ss_output_write(ss_output *o, const void *p, size_t n, ss_err *err);
/* Give it its final name (link, never replacing anything), remove the
 * temporary name, and make the directory durable. */
int ss_output_publish(ss_output *o, ss_err *err);
/* Undo: remove the temporary file, and the final name when this output
 * published it (and it is still the same file).  Then as ss_output_end. */
void ss_output_discard(ss_output *o);
/* Release what is held (after a publish, or a discard). */
void ss_output_end(ss_output *o);

#endif
